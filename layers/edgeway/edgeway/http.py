"""The request and response every stage sees.

Event adapters (``edgeway.adapters``) build a ``Request`` from whatever Lambda
event arrived and turn our ``Response`` back into the matching Lambda dict; no
stage ever reads the raw event.

``Request`` is immutable: a stage that learns something (the matched route, the
principal) passes on ``request.evolve(...)``; nothing per request is stored on a
stage. Facts for the access log (route, consumer) go to the request's log
context (``edgeway.observability.bind``), not onto a shared object.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from edgeway.routing import Route

Headers = Mapping[str, str]
"""Header names are lower-case; repeated headers are joined with ``,``."""

Query = Mapping[str, tuple[str, ...]]
"""Every query parameter with all its values, in arrival order."""

PrincipalKind = Literal["jwt", "api_key", "anonymous"]
"""How the caller proved who it is: a bearer JWT, an API key, or not at all (auth: none)."""


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling, once authentication has passed."""

    subject: str
    kind: PrincipalKind
    consumer: str | None = None
    plan: str | None = None
    scopes: frozenset[str] = frozenset()
    claims: Mapping[str, Any] = field(default_factory=dict)
    key_id: str | None = None


ANONYMOUS = Principal(subject="anonymous", kind="anonymous")


# eq=False: a request is an event, not a value (its dicts made the generated
# __hash__ raise anyway); identity equality also spares a cold start the
# generated __eq__ and __hash__.
@dataclass(frozen=True, slots=True, eq=False)
class Request:
    """A request as the pipeline sees it, whatever event shape it arrived in."""
    method: str
    path: str
    headers: Headers
    query: Query = field(default_factory=dict)
    body: bytes = b""
    cookies: tuple[str, ...] = ()
    source_ip: str = ""
    request_id: str = ""
    # Set by the stages, in pipeline order:
    route: Route | None = None  # the routing stage sets it: stages after it use routed()
    path_params: Mapping[str, str] = field(default_factory=dict)
    principal: Principal = ANONYMOUS
    # Lambda context of the gateway invocation (remaining time for budgets).
    lambda_context: Any = None
    # Where the event came from, for logs and for the backend event.
    stage: str = "$default"
    domain_name: str = "localhost"
    raw_query: str = ""

    def evolve(self, **changes: Any) -> Request:
        return dataclasses.replace(self, **changes)

    def header(self, name: str, default: str | None = None) -> str | None:
        return self.headers.get(name.lower(), default)

    def query_one(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None

    def remaining_ms(self, default: int = 30_000) -> int:
        """Milliseconds the Lambda invocation has left (a default off Lambda)."""
        getter = getattr(self.lambda_context, "get_remaining_time_in_millis", None)
        return int(getter()) if getter else default


def media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def is_json(media: str) -> bool:
    return media == "application/json" or media.endswith("+json")


def routed(request: Request) -> Route:
    """The request's route, for the stages after routing (which always sets it)."""
    route = request.route
    assert route is not None, "a stage after routing got a request without a route"
    return route


@dataclass(slots=True)
class Response:
    """A response on its way out; stages may change it until the adapter renders it."""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    cookies: list[str] = field(default_factory=list)

    @classmethod
    def json(cls, payload: Any, status: int = 200,
             headers: Mapping[str, str] | None = None) -> Response:
        body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
        merged = {"content-type": "application/json"}
        if headers:
            merged.update({k.lower(): v for k, v in headers.items()})
        return cls(status=status, headers=merged, body=body)

    def json_body(self) -> Any:
        return json.loads(self.body) if self.body else None
