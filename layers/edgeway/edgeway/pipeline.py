"""Assemble the gateway once per container; run it per request.

The pipeline is a chain of stages, outermost first, listed in ``STAGES``. Each
entry names the one module that holds a feature's compiler and its stage:

    compile(config) -> spec     pure: checks the feature's keys, raises config.error;
                                run by ``edgeway.config.parse_config`` for every entry
                                the config uses, so build, serve and cold start agree
    build(app, ctx) -> Handler  wraps the next handler with the compiled spec

An entry whose feature the config does not use never imports its module and
adds nothing per request (cold start). ``build_gateway`` serves the pipeline
through the one edge (``edgeway.edge.Edge``): event in, event out, and the one
place where an unexpected exception becomes a safe 500.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from edgeway.clients import Clients
from edgeway.context import BuildContext, Handler
from edgeway.adapters import adapters_for
from edgeway.edge import Edge
from edgeway.observability import Observability
from edgeway.settings import Settings
from edgeway.stages.dispatch import Dispatch

if TYPE_CHECKING:
    from edgeway.config import GatewayConfig

StageFactory = Callable[[Handler, BuildContext], Handler]
StageName = Literal["health", "routing", "cors", "validation", "auth", "ratelimit", "cache",
                    "transform"]

TRANSFORM_KEYS = ("transform", "deprecation", "sunset", "deprecation_link")


def _always(config: GatewayConfig) -> bool:
    return True


def _uses_cors(config: GatewayConfig) -> bool:
    return bool(config.section("cors")) or any(isinstance(rc.spec.get("cors"), dict)
                                               for rc in config.routes)


def _uses_auth(config: GatewayConfig) -> bool:
    # Every route public and no auth section to check: the auth modules never load.
    return bool(config.section("auth")) or any(rc.spec.get("auth") != "none"
                                               for rc in config.routes)


@dataclass(frozen=True, slots=True)
class Stage:
    """One entry of ``STAGES``: a feature, the module holding its compiler and stage,
    and whether a config uses it (decided from the config alone, without the module)."""
    name: StageName
    module: str
    used: Callable[[GatewayConfig], bool] = _always

    def compile(self, config: GatewayConfig) -> object:
        """The feature's compiled spec (what ``build`` reads back from the config)."""
        compiler = getattr(importlib.import_module(self.module), "compile", None)
        return compiler(config) if compiler is not None else None

    def __call__(self, app: Handler, ctx: BuildContext) -> Handler:
        if not self.used(ctx.config):
            return app
        build: StageFactory = importlib.import_module(self.module).build
        return build(app, ctx)


# Outermost first. The order is the contract of DESIGN.md's pipeline.
STAGES: tuple[Stage, ...] = (
    Stage("health", "edgeway.stages.health"),
    Stage("routing", "edgeway.stages.routing"),
    Stage("cors", "edgeway.stages.cors", _uses_cors),
    Stage("validation", "edgeway.stages.validation"),
    Stage("auth", "edgeway.auth.stage", _uses_auth),
    Stage("ratelimit", "edgeway.ratelimit.stage",  # after auth: it needs the consumer
          lambda config: bool(config.section("plans"))),
    Stage("cache", "edgeway.cache.stage",
          lambda config: any(rc.spec.get("cache") for rc in config.routes)),
    Stage("transform", "edgeway.stages.transform",
          lambda config: any(key in rc.spec for rc in config.routes for key in TRANSFORM_KEYS)),
)


def compile_stages(config: GatewayConfig) -> dict[str, object]:
    """Every used feature's compiled spec, by stage name (``GatewayConfig.compiled``)."""
    return {stage.name: stage.compile(config) for stage in STAGES if stage.used(config)}


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
    return Edge(build_app(ctx, stages), region=settings.region, obs=obs,
                adapters=adapters_for(settings.domain_name))
