"""The one exception tree of Edgeway.

    EdgewayError
    ├── ConfigError                  a bad gateway.yaml / template / environment: file, key, reason
    │   ├── RouteError               a route that cannot compile or can never match
    │   ├── shapes.Problem           a value gateway.schema.json refuses (its key path)
    │   └── SchemaDefinitionError    a route's JSON Schema is itself invalid
    ├── Unavailable                  a service we depend on did not answer usably (503 at the edge)
    │   ├── CounterUnavailable       rate-limit counters (the plan's on_error policy decides)
    │   ├── CacheUnavailable         the CacheTable (the request is served uncached)
    │   ├── JwksError                one JWKS fetch failed or held no usable key
    │   ├── KeysUnavailable          no key set was ever fetched for an issuer
    │   ├── CircuitOpen              a breaker refuses the call (carries retry_after_s)
    │   └── StoreError               the GSLB observation store
    ├── Conflict                     internal: a conditional counter write lost (ratelimit.store)
    ├── MissingValue                 internal: an aggregate placeholder has no value (aggregate)
    └── HttpError                    answered to the client as problem+json
        ├── BadRequest               400  malformed event, body, header
        │   └── ValidationFailed     400  schema errors, each with a JSON pointer
        ├── Unauthorized             401  missing or bad credentials
        ├── Forbidden                403  authenticated, not allowed
        ├── NotFound                 404  no route
        ├── MethodNotAllowed         405  route exists, method does not (carries Allow)
        ├── PayloadTooLarge          413
        ├── UriTooLong               414  the path is longer than the gateway accepts
        ├── UnsupportedMediaType     415
        ├── HeaderFieldsTooLarge     431  the headers together are too large
        ├── TooManyRequests          429  rate limit or quota (carries Retry-After)
        ├── InternalError            500  anything unexpected: no trace, no internal name
        ├── BackendError             502  the backend failed or answered garbage
        ├── ServiceUnavailable       503  circuit open, counters down (Retry-After)
        └── BackendTimeout           504  the backend did not answer in its budget

The HTTP mapping lives here and only here: each HttpError names its status and
problem type, and ``http_error`` maps whatever reaches the edge (``edgeway.edge``,
the one outer boundary) to one of them. Foreign errors (botocore, urllib,
dnspython) are mapped where they occur with ``raise ... from exc``; an
``Unavailable`` is normally caught where a policy decides (fail open, serve
uncached, 503 with its own detail).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal


class EdgewayError(Exception):
    """Base of every error Edgeway raises on purpose."""


class ConfigError(EdgewayError):
    """A configuration file is invalid. The message names file, key and reason."""

    def __init__(self, reason: str, *, file: str | None = None, key: str | None = None,
                 line: int | None = None) -> None:
        self.reason = reason
        self.file = file
        self.key = key
        self.line = line
        where = file or "<config>"
        if line is not None:
            where += f":{line}"
        if key:
            where += f": {key}"
        super().__init__(f"{where}: {reason}")


class RouteError(ConfigError):
    """A route that cannot be compiled or can never match; names the route."""

    def __init__(self, route: Any, reason: str) -> None:
        super().__init__(reason, key=f"route {route.id!r}")
        self.route = route


class SchemaDefinitionError(ConfigError):
    """The JSON Schema in gateway.yaml itself is invalid."""


class Unavailable(EdgewayError):
    """A service Edgeway depends on did not answer usably; the cause is chained."""


CounterFailure = Literal["throttled", "timeout", "unreachable", "error"]


class CounterUnavailable(Unavailable):
    """DynamoDB did not answer usably. ``maybe_applied``: a write may have landed."""

    def __init__(self, kind: CounterFailure, detail: str, *, maybe_applied: bool) -> None:
        super().__init__(f"{kind}: {detail}")
        self.kind: CounterFailure = kind
        self.detail = detail
        self.maybe_applied = maybe_applied


class CacheUnavailable(Unavailable):
    """The CacheTable could not be read or written (throttled, missing, unreachable)."""


class JwksError(Unavailable):
    """A JWKS could not be fetched or holds no usable key."""


class KeysUnavailable(Unavailable):
    """No key set has ever been fetched for this issuer (cold start, endpoint down)."""


class CircuitOpen(Unavailable):
    """Raised by ``CircuitBreaker.acquire`` when a call must not reach the backend."""

    def __init__(self, retry_after_s: int) -> None:
        self.retry_after_s = retry_after_s
        super().__init__(f"circuit open; retry in {retry_after_s} s")


class StoreError(Unavailable):
    """The GSLB observation store (DynamoDB) failed; the cause is chained."""


class HttpError(EdgewayError):
    """An error with an HTTP status, rendered as application/problem+json."""

    status: int = 500
    title: str = "Internal Server Error"
    type_slug: str = "internal-error"

    def __init__(self, detail: str | None = None, *, headers: Mapping[str, str] | None = None,
                 extensions: Mapping[str, object] | None = None) -> None:
        self.detail = detail or self.title
        self.headers = dict(headers or {})
        self.extensions = dict(extensions or {})
        super().__init__(self.detail)


class BadRequest(HttpError):
    status, title, type_slug = 400, "Bad Request", "bad-request"


class ValidationFailed(BadRequest):
    title, type_slug = "Validation Failed", "validation-failed"

    def __init__(self, errors: list[dict[str, str]], detail: str | None = None) -> None:
        super().__init__(detail or f"{len(errors)} validation error(s)", extensions={"errors": errors})


class Unauthorized(HttpError):
    status, title, type_slug = 401, "Unauthorized", "unauthorized"


class Forbidden(HttpError):
    status, title, type_slug = 403, "Forbidden", "forbidden"


class NotFound(HttpError):
    status, title, type_slug = 404, "Not Found", "not-found"


class MethodNotAllowed(HttpError):
    status, title, type_slug = 405, "Method Not Allowed", "method-not-allowed"

    def __init__(self, allow: list[str], detail: str | None = None) -> None:
        self.allow = sorted(allow)
        super().__init__(detail or f"allowed methods: {', '.join(self.allow)}",
                         headers={"allow": ", ".join(self.allow)})


class PayloadTooLarge(HttpError):
    status, title, type_slug = 413, "Payload Too Large", "payload-too-large"


class UnsupportedMediaType(HttpError):
    status, title, type_slug = 415, "Unsupported Media Type", "unsupported-media-type"


class TooManyRequests(HttpError):
    status, title, type_slug = 429, "Too Many Requests", "rate-limited"


class BackendError(HttpError):
    status, title, type_slug = 502, "Bad Gateway", "backend-error"


class ServiceUnavailable(HttpError):
    status, title, type_slug = 503, "Service Unavailable", "unavailable"


class BackendTimeout(HttpError):
    status, title, type_slug = 504, "Gateway Timeout", "backend-timeout"


class UriTooLong(HttpError):
    status, title, type_slug = 414, "URI Too Long", "uri-too-long"


class HeaderFieldsTooLarge(HttpError):
    status, title, type_slug = 431, "Request Header Fields Too Large", "header-fields-too-large"


class InternalError(HttpError):
    """What any unexpected exception becomes: no trace, no internal name."""

    status, title, type_slug = 500, "Internal Server Error", "internal-error"

    def __init__(self) -> None:
        super().__init__("the gateway failed to handle this request; quote the request id")


def aws_error_code(exc: BaseException) -> str:
    """A botocore ``ClientError``'s code, "" for any other error (botocore is not imported)."""
    response = getattr(exc, "response", None)
    return str(response.get("Error", {}).get("Code") or "") if isinstance(response, dict) else ""


def http_error(exc: BaseException) -> HttpError:
    """The answer for an error that reached the edge: itself, a 503, or a safe 500."""
    if isinstance(exc, HttpError):
        return exc
    if isinstance(exc, Unavailable):
        retry = getattr(exc, "retry_after_s", 1)
        return ServiceUnavailable("a service the gateway depends on is unavailable; retry shortly",
                                  headers={"retry-after": str(retry)})
    return InternalError()
