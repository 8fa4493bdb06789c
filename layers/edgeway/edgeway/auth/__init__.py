"""Authentication and authorization: JWT bearer tokens, API keys, route scopes.

    config         the ``auth:`` section as typed values
    jwks           an issuer's keys: fetch, TTL cache, refetch on unknown kid
    jwt_verifier   bearer token verification (imports PyJWT: only when used)
    keyformat      API-key format, hash and KeysTable record
    api_keys       API-key verification through a per-container cache
    authenticator  route policies and the decision, shared with the authorizer
    stage          AuthStage, the pipeline stage
    authorizer     the HTTP API Lambda authorizer around the same Authenticator

Names are re-exported lazily: importing the pipeline must not pay for modules
a gateway of public routes never uses.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "AuthStage": "edgeway.auth.stage",
    "Authenticator": "edgeway.auth.authenticator",
    "Mode": "edgeway.auth.authenticator",
    "RoutePolicy": "edgeway.auth.authenticator",
    "build_authenticator": "edgeway.auth.authenticator",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'edgeway.auth' has no attribute {name!r}")
