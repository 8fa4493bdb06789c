"""Validation stage: body size (413), content type (415), JSON body and query
against the route's JSON Schemas (400 listing every error with its pointer).

Always installed: the body size limit (``gateway.max_body_bytes``, 1 MiB by
default, per route ``max_body_bytes``) protects every route. Everything else is
compiled per route at build time (``edgeway.validation``, imported only
when a route declares a rule); a route without rules costs one ``len``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from edgeway.context import BuildContext, Handler
from edgeway.errors import PayloadTooLarge
from edgeway.http import Request, Response, routed

if TYPE_CHECKING:
    from edgeway.config import GatewayConfig
    from edgeway.validation import RouteRules

_RULE_KEYS = ("schema", "consumes", "max_body_bytes")


def compile(config: GatewayConfig) -> dict[str, RouteRules]:
    """Each route's body, content-type and schema rules, by route id."""
    routes = [rc for rc in config.routes if any(k in rc.spec for k in _RULE_KEYS)]
    if not routes:
        return {}
    from edgeway.validation import compile_rules

    return {rc.id: compile_rules(config, rc) for rc in routes}


@dataclass(frozen=True, slots=True)
class ValidationStage:
    app: Handler
    rules: dict[str, RouteRules]
    default_max_body: int

    @classmethod
    def build(cls, app: Handler, ctx: BuildContext) -> Handler:
        return cls(app, ctx.config.spec("validation", dict) or {}, ctx.config.max_body_bytes)

    def __call__(self, request: Request) -> Response:
        rules = self.rules.get(routed(request).id)
        if rules is not None:
            rules.check(request)
        elif len(request.body) > self.default_max_body:
            raise PayloadTooLarge(f"the request body is larger than {self.default_max_body} bytes")
        return self.app(request)


build = ValidationStage.build
