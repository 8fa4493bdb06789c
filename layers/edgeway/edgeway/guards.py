"""Request shape guards that run before any route is matched.

They are always on (a gateway without them forwards whatever arrives): an
overlong path answers 414, oversized headers 431, and a CR, LF or NUL in any
header name or value 400 -- a header that carries a line break would let a
client smuggle extra headers into an HTTP backend's request.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import NamedTuple

from edgeway.errors import BadRequest, HeaderFieldsTooLarge, UriTooLong
from edgeway.http import Request

DEFAULT_MAX_PATH_BYTES = 2048
DEFAULT_MAX_HEADER_BYTES = 16_384  # API Gateway itself stops at 10 KB
_BAD_HEADER_CHARS = re.compile(r"[\r\n\x00]")


class Limits(NamedTuple):
    """Size limits checked before routing (path and header bytes); read per request."""
    max_path_bytes: int = DEFAULT_MAX_PATH_BYTES
    max_header_bytes: int = DEFAULT_MAX_HEADER_BYTES


def check_request(request: Request, limits: Limits) -> None:
    # Lengths in characters: the adapters hand us text, and a byte count would
    # only be larger for non-ASCII, which the path may not carry unencoded anyway.
    if len(request.path) > limits.max_path_bytes:
        raise UriTooLong(f"the path is longer than {limits.max_path_bytes} bytes")
    headers = request.headers
    # One join and one C-level scan instead of a Python loop per header.
    text = "".join(headers) + "".join(headers.values())
    if len(text) > limits.max_header_bytes:
        _refuse_oversized_credentials(headers, len(text), limits.max_header_bytes)
        raise HeaderFieldsTooLarge(f"the request headers exceed {limits.max_header_bytes} bytes")
    if _BAD_HEADER_CHARS.search(text):
        raise BadRequest("a header name or value contains CR, LF or NUL")


def _refuse_oversized_credentials(headers: Mapping[str, str], total: int, limit: int) -> None:
    """When a credential alone makes the headers too large, answer as auth would.

    A megabyte bearer token is an authentication failure to the client (401 with
    RFC 6750's invalid_token), not a generic 431; either way nothing parses it.
    """
    from edgeway.auth.challenge import invalid_key, invalid_token

    for name in ("authorization", "x-api-key"):
        value = headers.get(name, "")
        if total - len(name) - len(value) <= limit:
            if name == "authorization" and value[:7].lower() == "bearer ":
                raise invalid_token(f"the token is larger than the {limit}-byte header limit")
            if name == "x-api-key":
                raise invalid_key("the key is larger than the header limit", name)
