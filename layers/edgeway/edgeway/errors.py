"""The one exception tree of Edgeway.

    EdgewayError
    ├── ConfigError                  a bad gateway.yaml / template: file, key, reason
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
        ├── BackendError             502  the backend failed or answered garbage
        ├── ServiceUnavailable       503  circuit open, counters down (Retry-After)
        └── BackendTimeout           504  the backend did not answer in its budget

Foreign errors (botocore, urllib, dnspython) are mapped at the boundary where
they occur with ``raise ... from exc``; the outer boundary in
``edgeway.pipeline`` turns anything else into a safe 500 and logs it.
"""

from __future__ import annotations

from collections.abc import Mapping


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
