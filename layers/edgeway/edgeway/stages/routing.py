"""Route matching stage: 404, 405 with Allow, or the request with its route."""

from __future__ import annotations

from edgeway.context import BuildContext, Handler
from edgeway.http import Request, Response
from edgeway.routing import Router


class RouteStage:
    def __init__(self, app: Handler, router: Router) -> None:
        self.app = app
        self.router = router

    @classmethod
    def build(cls, app: Handler, ctx: BuildContext) -> Handler:
        return cls(app, Router(ctx.routes))

    def __call__(self, request: Request) -> Response:
        match = self.router.match(request.method, request.path)
        request.notes["route"] = match.route.id
        return self.app(request.evolve(route=match.route, path_params=match.params))
