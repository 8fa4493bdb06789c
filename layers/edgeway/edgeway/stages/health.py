"""``GET /health``: unauthenticated, answered before routing."""

from __future__ import annotations

from dataclasses import dataclass

from edgeway.context import BuildContext, Handler
from edgeway.http import Request, Response


@dataclass(frozen=True, slots=True)
class HealthStage:
    app: Handler
    region: str
    service: str

    @classmethod
    def build(cls, app: Handler, ctx: BuildContext) -> Handler:
        return cls(app, ctx.settings.region, ctx.config.name)

    def __call__(self, request: Request) -> Response:
        if request.path == "/health" and request.method in ("GET", "HEAD"):
            return Response.json({"status": "ok", "region": self.region, "service": self.service},
                                 headers={"cache-control": "no-store"})
        return self.app(request)


build = HealthStage.build
