"""The console over HTTP: the page, its files and its JSON endpoints.

    GET /_edgeway/console/            the page (index.html)
    GET /_edgeway/console/<file>      its scripts, styles, vendored libraries, map data
    GET /_edgeway/api/<section>       JSON: regions, transitions, steering, latency,
                                      traffic, consumers, resolve?ip=ADDRESS|SUBNET

The page and its files are public (they hold no data); every ``/_edgeway/api/``
endpoint needs a JWT carrying the ``edgeway:admin`` scope, checked by the
gateway's own Authenticator against gateway.yaml's issuers (401 without a valid
token, 403 without the scope). Nothing here may be cached, by a browser or by
anything between (``no-store``), and every answer carries a Content-Security-
Policy that allows only this origin's scripts and styles: no inline script.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from edgeway.auth.authenticator import compile_policy
from edgeway.edge import problem_response
from edgeway.errors import HttpError, MethodNotAllowed, NotFound, ServiceUnavailable
from edgeway.http import Request, Response
from edgeway_console.sources import ConsoleData, SourceUnavailable

ADMIN_SCOPE = "edgeway:admin"
PAGE = "/_edgeway/console/"
API = "/_edgeway/api/"
STATIC = Path(__file__).with_name("static")

SAFE_HEADERS = {
    "cache-control": "no-store",
    "content-security-policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"),
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
}
TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
         ".css": "text/css; charset=utf-8", ".json": "application/json",
         ".txt": "text/plain; charset=utf-8", ".svg": "image/svg+xml"}


def static_files(root: Path = STATIC) -> dict[str, tuple[bytes, str]]:
    """Every file under static/, read once: a request can only name one of these."""
    files = {}
    for path in sorted(root.rglob("*")):
        if path.is_file() and path.suffix in TYPES:
            files[path.relative_to(root).as_posix()] = (path.read_bytes(), TYPES[path.suffix])
    return files


class ConsoleApp:
    def __init__(self, data: ConsoleData, authenticate: Callable[[Mapping[str, str]], Any], *,
                 files: Mapping[str, tuple[bytes, str]] | None = None) -> None:
        self.data = data
        self.authenticate = authenticate  # headers -> Principal, or Unauthorized / Forbidden
        self.files = dict(static_files() if files is None else files)
        self.sections: dict[str, Callable[[Request], dict[str, Any]]] = {
            "regions": lambda r: data.regions(),
            "transitions": lambda r: data.transitions(),
            "steering": lambda r: data.steering(),
            "latency": lambda r: data.latency(),
            "traffic": lambda r: data.traffic(),
            "consumers": lambda r: data.consumers(),
            "resolve": lambda r: data.resolve(r.query_one("ip")),
        }

    def handle(self, request: Request) -> Response:
        try:
            response = self._route(request)
        except HttpError as exc:
            response = problem_response(exc, request.request_id)
        response.headers.update(SAFE_HEADERS)
        return response

    def _route(self, request: Request) -> Response:
        path = request.path
        if request.method not in ("GET", "HEAD"):
            raise MethodNotAllowed(["GET", "HEAD"])
        if path == PAGE.rstrip("/"):
            return Response(status=308, headers={"location": PAGE})
        if path.startswith(PAGE):
            name = path[len(PAGE):] or "index.html"
            found = self.files.get(name)
            if found is None:
                raise NotFound(f"no console file {name[:100]!r}")
            body, content_type = found
            return Response(headers={"content-type": content_type},
                            body=b"" if request.method == "HEAD" else body)
        if path.startswith(API):
            section = self.sections.get(path[len(API):])
            if section is None:
                raise NotFound(f"no console endpoint {path[:120]!r}; one of "
                               f"{', '.join(API + s for s in self.sections)}")
            self.authenticate(request.headers)
            try:
                return Response.json(section(request))
            except SourceUnavailable as exc:
                raise ServiceUnavailable(str(exc), headers={"retry-after": "5"}) from exc
        raise NotFound(f"nothing at {path[:120]!r}; the console is at {PAGE}")


def admin_check(authenticator: Any, config_error: Callable[[str], Exception]
                ) -> Callable[[Mapping[str, str]], Any]:
    """The gateway's Authenticator with one policy: a bearer JWT holding ``edgeway:admin``."""
    policy = compile_policy({"auth": "jwt", "scopes": [ADMIN_SCOPE]}, authenticator.auth,
                            config_error)

    def check(headers: Mapping[str, str]) -> Any:
        return authenticator.authenticate(headers, policy)

    return check
