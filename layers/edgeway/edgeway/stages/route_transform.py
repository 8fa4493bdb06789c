"""One route's ``transform:`` (and deprecation headers) compiled into the
rewrites the transform stage applies; loaded only for configs that use them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from edgeway.deprecation import deprecation_headers
from edgeway.http import Request, Response
from edgeway.transforms import BodyOps, HeaderOps, PathTemplate, is_json, rewrite_json


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
        if self.request_body is not None and request.body and is_json(headers.get("content-type")):
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
                response.headers.get("content-type")):
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
