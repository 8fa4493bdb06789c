"""Transform stage (innermost before Dispatch): rewrites the request the
backend sees and the response the client sees, from the route's ``transform:``
spec, and adds the ``Deprecation``/``Sunset`` headers of an old version.

The rewrites are compiled by ``edgeway.stages.route_transform``, imported only
when a route asks for one (cold start).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from edgeway.context import BuildContext, Handler
from edgeway.http import Request, Response

if TYPE_CHECKING:
    from edgeway.stages.route_transform import RouteTransform

_KEYS = ("transform", "deprecation", "sunset", "deprecation_link")


class TransformStage:
    def __init__(self, app: Handler, transforms: dict[str, RouteTransform]) -> None:
        self.app = app
        self.transforms = transforms

    @classmethod
    def build(cls, app: Handler, ctx: BuildContext) -> Handler:
        config = ctx.config
        routes = [rc for rc in config.routes if any(k in rc.spec for k in _KEYS)]
        if not routes:
            return app
        from edgeway.stages.route_transform import compile_transform

        transforms: dict[str, RouteTransform] = {}
        for rc in routes:
            try:
                transforms[rc.id] = compile_transform(rc.spec, rc.path)
            except (ValueError, TypeError, AttributeError) as exc:
                key = next(k for k in _KEYS if k in rc.spec)
                raise config.error(["routes", rc.index, key], str(exc)) from exc
        return cls(app, transforms)

    def __call__(self, request: Request) -> Response:
        transform = self.transforms.get(request.route.id)
        if transform is None:
            return self.app(request)
        return transform.response(self.app(transform.request(request)))
