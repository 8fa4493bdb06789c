"""Secrets by reference (HS256 issuer secrets, the API-key pepper).

Read through Powertools Parameters, whose providers cache each value for
``max_age_s`` in the container, with the gateway's own boto3 clients (created
once per container). The value is read on first use, not at import: a cold
start does not fail because SSM is slow, and a rotated secret is picked up
within ``max_age_s``.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from edgeway.auth.config import SecretRef
from edgeway.errors import ServiceUnavailable

MIN_SECRET_BYTES = 32  # RFC 7518 3.2: an HS256 key at least as long as the hash


class SecretSource:
    def __init__(self, ref: SecretRef, clients: Any, *, purpose: str) -> None:
        self.ref = ref
        self.purpose = purpose
        self._clients = clients

    @cached_property
    def _provider(self) -> Any:
        from aws_lambda_powertools.utilities.parameters import SecretsProvider, SSMProvider

        if self.ref.ssm:
            return SSMProvider(boto3_client=self._clients.get("ssm"))
        return SecretsProvider(boto3_client=self._clients.get("secretsmanager"))

    def get(self) -> bytes:
        """The secret's bytes; ServiceUnavailable (fail closed) when it cannot be read."""
        from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError

        try:
            if self.ref.ssm:
                value = self._provider.get(self.ref.ssm, max_age=self.ref.max_age_s, decrypt=True)
            else:
                value = self._provider.get(self.ref.secretsmanager, max_age=self.ref.max_age_s)
        except GetParameterError as exc:
            raise ServiceUnavailable(f"the {self.purpose} cannot be read right now",
                                     headers={"retry-after": "5"}) from exc
        data = value.encode() if isinstance(value, str) else bytes(value or b"")
        if len(data) < MIN_SECRET_BYTES:
            # A short secret is brute-forceable offline from any token: refuse it.
            raise ServiceUnavailable(f"the {self.purpose} is not usable (shorter than "
                                     f"{MIN_SECRET_BYTES} bytes)")
        return data
