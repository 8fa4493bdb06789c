"""Transform stage (innermost before Dispatch): rewrites the request the
backend sees and the response the client sees, from the route's ``transform:``
spec, and adds the ``Deprecation``/``Sunset`` headers of an old version.

This module loads only when a route asks for a rewrite (cold start); the
rewrite operations themselves live in ``edgeway.transforms``, which the HTTP
backend's path templates share.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from edgeway.context import BuildContext, Handler
from edgeway.deprecation import deprecation_headers
from edgeway.http import Request, Response, is_json, media_type, routed
from edgeway.pipeline import TRANSFORM_KEYS
from edgeway.transforms import BodyOps, HeaderOps, PathTemplate, rewrite_json

if TYPE_CHECKING:
    from edgeway.config import GatewayConfig


@dataclass(frozen=True, slots=True)
class RouteTransform:
    """One route's request and response rewrites, compiled."""
    request_headers: HeaderOps | None = None
    path: PathTemplate | None = None
    request_body: BodyOps | None = None
    response_headers: HeaderOps | None = None
    response_body: BodyOps | None = None
    status: Mapping[int, int] | None = None
    extra_headers: Mapping[str, str] | None = None

    def request(self, request: Request) -> Request:
        changes: dict[str, Any] = {}
        headers = request.headers
        if self.request_body is not None and request.body and is_json(
                media_type(headers.get("content-type"))):
            body = rewrite_json(request.body, self.request_body)
            if body is not None:
                changes["body"] = body
                headers = {k: v for k, v in headers.items() if k != "content-length"}
        if self.request_headers is not None:
            headers = self.request_headers.apply(headers)
        if headers is not request.headers:
            changes["headers"] = headers
        if self.path is not None:
            changes["path"] = self.path.render(request.path_params)
        return request.evolve(**changes) if changes else request

    def response(self, response: Response) -> Response:
        if self.status is not None:
            response.status = self.status.get(response.status, response.status)
        if self.response_body is not None and response.body and is_json(
                media_type(response.headers.get("content-type"))):
            body = rewrite_json(response.body, self.response_body)
            if body is not None:
                response.body = body
                response.headers.pop("content-length", None)
        if self.response_headers is not None:
            response.headers = self.response_headers.apply(response.headers)
        if self.extra_headers:
            response.headers.update(self.extra_headers)
        return response


def compile_transform(spec: Mapping[str, Any], route_path: str) -> RouteTransform:
    t = spec.get("transform") or {}
    req = t.get("request") or {}
    res = t.get("response") or {}
    status = None
    if res.get("status"):
        status = {}
        for old, new in res["status"].items():
            old, new = int(old), int(new)
            if not (100 <= old <= 599 and 100 <= new <= 599):
                raise ValueError(f"status mapping {old} -> {new} is outside 100-599")
            status[old] = new
    return RouteTransform(
        request_headers=HeaderOps.parse(req.get("headers")),
        path=PathTemplate(req["path"], route_path) if req.get("path") else None,
        request_body=BodyOps.parse(req.get("body")),
        response_headers=HeaderOps.parse(res.get("headers")),
        response_body=BodyOps.parse(res.get("body")),
        status=status,
        extra_headers=deprecation_headers(spec) or None,
    )


def compile(config: GatewayConfig) -> dict[str, RouteTransform]:
    """Each route's rewrites and deprecation headers, by route id."""
    transforms: dict[str, RouteTransform] = {}
    for rc in config.routes:
        if not any(k in rc.spec for k in TRANSFORM_KEYS):
            continue
        try:
            transforms[rc.id] = compile_transform(rc.spec, rc.path)
        except (ValueError, TypeError, AttributeError) as exc:
            key = next(k for k in TRANSFORM_KEYS if k in rc.spec)
            raise config.error(["routes", rc.index, key], str(exc)) from exc
    return transforms


@dataclass(frozen=True, slots=True)
class TransformStage:
    app: Handler
    transforms: dict[str, RouteTransform]

    @classmethod
    def build(cls, app: Handler, ctx: BuildContext) -> Handler:
        transforms = ctx.config.spec("transform", dict)
        return cls(app, transforms) if transforms else app

    def __call__(self, request: Request) -> Response:
        transform = self.transforms.get(routed(request).id)
        if transform is None:
            return self.app(request)
        return transform.response(self.app(transform.request(request)))


build = TransformStage.build
