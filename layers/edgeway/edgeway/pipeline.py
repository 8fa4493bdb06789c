"""Assemble the gateway once per container; run it per request.

The pipeline is a chain of stages, outermost first. Each stage class has
``build(app, ctx) -> Handler``: it wraps the next handler, or returns it
unchanged when its feature is not configured, so an unused feature costs
nothing per request. ``build_gateway`` serves the pipeline through the one
edge (``edgeway.edge.Edge``): event in, event out, and the one place where an
unexpected exception becomes a safe 500.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from edgeway.auth.stage import AuthStage
from edgeway.backends import Backend, build_backend
from edgeway.clients import Clients
from edgeway.config import GatewayConfig
from edgeway.context import BuildContext, Handler
from edgeway.edge import Edge
from edgeway.observability import Observability
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


def compile_routes(ctx: BuildContext, *, with_backends: bool = True) -> tuple[Route, ...]:
    """The configured routes, compiled (the authorizer matches routes and calls no backend)."""
    return tuple(Route(id=rc.id, path=rc.path, methods=rc.methods, spec=rc.spec,
                       backend=_backend(rc, ctx) if with_backends else None,
                       timeout_ms=rc.timeout_ms)
                 for rc in ctx.config.routes)


def _backend(rc: Any, ctx: BuildContext) -> Backend:
    try:
        backend = build_backend(rc.backend, ctx)
    except ValueError as exc:  # a backend spec the schema could not judge
        raise ctx.config.error(["routes", rc.index, "backend"], str(exc)) from exc
    if any(rc.spec.get(key) for key in ("retry", "circuit", "hedge")):
        from edgeway.resilience import wrap_backend  # only when a route asks for it

        backend = wrap_backend(backend, rc.spec)
    return backend


def build_app(ctx: BuildContext, stages: Sequence[StageFactory] = STAGES) -> Handler:
    app: Handler = Dispatch(ctx)
    for factory in reversed(stages):
        app = factory(app, ctx)
    return app


def build_gateway(config: GatewayConfig, settings: Settings, *, clients: Clients | None = None,
                  obs: Observability | None = None,
                  stages: Sequence[StageFactory] = STAGES) -> Edge:
    clients = clients or Clients(settings.region)
    obs = obs or Observability(settings.service, settings.region)
    ctx = BuildContext(config=config, settings=settings, clients=clients, obs=obs)
    ctx = BuildContext(config=config, settings=settings, clients=clients, obs=obs,
                       routes=compile_routes(ctx))
    return Edge(build_app(ctx, stages), region=settings.region, obs=obs)
