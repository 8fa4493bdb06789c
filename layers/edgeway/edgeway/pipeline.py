"""Assemble the gateway once per container; run it per request.

The pipeline is a chain of stages, outermost first. Each stage class has
``build(app, ctx) -> Handler``: it wraps the next handler, or returns it
unchanged when its feature is not configured, so an unused feature costs
nothing per request. ``Gateway`` is the outer boundary: event in, event out,
and the one place where an unexpected exception becomes a safe 500.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from edgeway.adapters import DEFAULT_ADAPTER, infer
from edgeway.auth.stage import AuthStage
from edgeway.backends import build_backend
from edgeway.clients import Clients
from edgeway.config import GatewayConfig
from edgeway.context import BuildContext, Handler
from edgeway.errors import BadRequest, HttpError
from edgeway.http import Request
from edgeway.observability import Observability
from edgeway.problem import InternalError, problem_response
from edgeway.ratelimit import build_stage as ratelimit_stage
from edgeway.routing import Route
from edgeway.settings import Settings
from edgeway.stages.cache import CacheStage
from edgeway.stages.cors import CorsStage
from edgeway.stages.dispatch import Dispatch
from edgeway.stages.health import HealthStage
from edgeway.stages.routing import RouteStage
from edgeway.stages.transform import TransformStage
from edgeway.stages.validation import ValidationStage

StageFactory = Callable[[Handler, BuildContext], Handler]

# Outermost first. The order is the contract of DESIGN.md's pipeline.
STAGES: tuple[StageFactory, ...] = (
    HealthStage.build,
    RouteStage.build,
    CorsStage.build,
    ValidationStage.build,
    AuthStage.build,
    ratelimit_stage,  # RateLimitStage when plans are configured (after AuthStage)
    CacheStage.build,
    TransformStage.build,
)

_REQUEST_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{7,127}$")


def compile_routes(ctx: BuildContext) -> tuple[Route, ...]:
    routes = []
    for rc in ctx.config.routes:
        try:
            backend = build_backend(rc.backend, ctx)
        except ValueError as exc:  # a backend spec the schema could not judge
            raise ctx.config.error(["routes", rc.index, "backend"], str(exc)) from exc
        if any(rc.spec.get(key) for key in ("retry", "circuit", "hedge")):
            from edgeway.resilience import wrap_backend  # only when a route asks for it

            backend = wrap_backend(backend, rc.spec)
        routes.append(Route(id=rc.id, path=rc.path, methods=rc.methods, backend=backend,
                            spec=rc.spec, timeout_ms=rc.timeout_ms))
    return tuple(routes)


def build_app(ctx: BuildContext, stages: Sequence[StageFactory] = STAGES) -> Handler:
    app: Handler = Dispatch(ctx)
    for factory in reversed(stages):
        app = factory(app, ctx)
    return app


class Gateway:
    """Lambda event in, Lambda result out."""

    def __init__(self, app: Handler, obs: Observability, region: str) -> None:
        self.app = app
        self.obs = obs
        self.region = region

    def __call__(self, event: Any, context: Any = None) -> dict[str, Any]:
        started = time.perf_counter()
        adapter = infer(event)
        request_id = _request_id(event)
        self.obs.begin(request_id)
        request: Request | None = None
        try:
            if adapter is None:
                raise BadRequest("unrecognised event: not an API Gateway, ALB or function URL request")
            request = adapter.to_request(event, context).evolve(request_id=request_id)
            response = self.app(request)
        except HttpError as exc:
            response = problem_response(exc, request_id)
        except Exception as exc:  # the one outer boundary
            self.obs.unexpected(exc)
            response = problem_response(InternalError(), request_id)
        response.headers["x-request-id"] = request_id
        response.headers["x-edgeway-region"] = self.region
        result = (adapter or DEFAULT_ADAPTER).to_result(response, event if adapter else {})
        notes = request.notes if request else {}
        self.obs.access(route=notes.get("route", "-"), method=request.method if request else "-",
                        path=request.path if request else "-", status=response.status,
                        latency_ms=(time.perf_counter() - started) * 1000,
                        consumer=notes.get("consumer"))
        return result


def _request_id(event: Any) -> str:
    """The inbound x-request-id when it is well formed, else a new one."""
    headers = event.get("headers") if isinstance(event, Mapping) else None
    if isinstance(headers, Mapping):
        for name, value in headers.items():
            if isinstance(name, str) and name.lower() == "x-request-id":
                if isinstance(value, str) and _REQUEST_ID.match(value):
                    return value
                break
    return uuid.uuid4().hex


def build_gateway(config: GatewayConfig, settings: Settings, *, clients: Clients | None = None,
                  obs: Observability | None = None,
                  stages: Sequence[StageFactory] = STAGES) -> Gateway:
    clients = clients or Clients(settings.region)
    obs = obs or Observability(settings.service, settings.region)
    ctx = BuildContext(config=config, settings=settings, clients=clients, obs=obs)
    ctx = BuildContext(config=config, settings=settings, clients=clients, obs=obs,
                       routes=compile_routes(ctx))
    return Gateway(build_app(ctx, stages), obs, settings.region)
