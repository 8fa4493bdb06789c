"""``GET /health``: unauthenticated, answered before routing."""

from __future__ import annotations

from edgeway.context import BuildContext, Handler
from edgeway.http import Request, Response


class HealthStage:
    PATH = "/health"

    def __init__(self, app: Handler, *, region: str, service: str) -> None:
        self.app = app
        self.region = region
        self.service = service

    @classmethod
    def build(cls, app: Handler, ctx: BuildContext) -> Handler:
        return cls(app, region=ctx.settings.region, service=ctx.config.name)

    def __call__(self, request: Request) -> Response:
        if request.path == self.PATH and request.method in ("GET", "HEAD"):
            return Response.json({"status": "ok", "region": self.region, "service": self.service},
                                 headers={"cache-control": "no-store"})
        return self.app(request)


build = HealthStage.build
