"""Fixtures and helpers of the gateway tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def aws(fake_aws: None) -> None:
    """moto in-process behind every AWS call the gateway makes (tests/conftest.py ``fake_aws``)."""


def local_issuer_config(issuer_url: str, *, api_keys: bool = False) -> str:
    """gateway.yaml with one route (users:read) trusting the local issuer at ``issuer_url``
    (ES256, its JWKS served at /.well-known/jwks.json); with ``api_keys``, free keys too."""
    text = f"""version: 1
routes:
  - path: /v1/users/{{id}}
    scopes: [users:read]
    backend: {{type: lambda, function: UsersFunction}}
auth:
  issuers:
    - name: edgeway-local
      issuer: {issuer_url}
      audiences: [edgeway]
      jwks_uri: {issuer_url}/.well-known/jwks.json
      algorithms: [ES256]
"""
    return text + ("  api_keys:\n    plan_scopes: {free: [users:read]}\n" if api_keys else "")
