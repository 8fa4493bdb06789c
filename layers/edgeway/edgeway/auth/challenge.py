"""401 and 403 answers with their ``WWW-Authenticate`` challenges (RFC 6750).

RFC 6750 section 3.1: a request without credentials gets the bare challenge
(``Bearer realm="edgeway"``, no error code); a bad token gets
``error="invalid_token"``; a good token without the scope the route needs gets
403 with ``error="insufficient_scope"`` and the ``scope`` it needs. API keys
have no registered scheme; their challenge is ``ApiKey realm=... header=...``
so that a client can see which header to send.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from edgeway.errors import Forbidden, Unauthorized

REALM = "edgeway"
# error_description is a quoted-string limited to %x20-21 / %x23-5B / %x5D-7E.
_UNSAFE = re.compile(r'[^\x20\x21\x23-\x5b\x5d-\x7e]')


def bearer_challenge(error: str | None = None, description: str | None = None,
                     scope: Iterable[str] | None = None) -> str:
    parts = [f'Bearer realm="{REALM}"']
    if error:
        parts.append(f'error="{error}"')
    if description:
        quoted = _UNSAFE.sub("'", description)[:200]
        parts.append(f'error_description="{quoted}"')
    if scope:
        parts.append(f'scope="{" ".join(sorted(scope))}"')
    return ", ".join(parts)


def api_key_challenge(header: str) -> str:
    return f'ApiKey realm="{REALM}", header="{header}"'


def invalid_token(description: str) -> Unauthorized:
    """A bearer token was sent and is not acceptable."""
    return Unauthorized(f"invalid bearer token: {description}", headers={
        "www-authenticate": bearer_challenge("invalid_token", description)})


def missing_credentials(description: str, challenges: Iterable[str]) -> Unauthorized:
    return Unauthorized(description, headers={"www-authenticate": ", ".join(challenges)})


def invalid_key(description: str, header: str) -> Unauthorized:
    return Unauthorized(f"invalid API key: {description}",
                        headers={"www-authenticate": api_key_challenge(header)})


def insufficient_scope(missing: Iterable[str], required: Iterable[str], *, bearer: bool) -> Forbidden:
    missing = sorted(missing)
    description = "missing scope: " + " ".join(missing)
    headers = {"www-authenticate": bearer_challenge("insufficient_scope", description, required)} \
        if bearer else {}
    return Forbidden(description, headers=headers,
                     extensions={"required_scopes": sorted(required), "missing_scopes": missing})
