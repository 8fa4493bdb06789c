"""Transform stage (innermost before Dispatch): rewrites the request the
backend sees and the response the client sees, from the route's ``transform:``
spec, and adds the ``Deprecation``/``Sunset`` headers of an old version.
Loaded only when a route asks for one (cold start).

    headers: {rename: {old: new}, remove: [name], add: {name: value}}   (in that order)
    body:    {allow: [path], deny: [path], rename: {path: new}}          (in that order)

Body paths are dotted (``customer.name``); a list on the way applies the rest
of the path to every element (``items.sku``). A rename target without a dot
renames the last key in place; a dotted target moves the value to that path
from the root. Paths always name fields of the original document.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from edgeway.context import BuildContext, Handler
from edgeway.deprecation import deprecation_headers
from edgeway.http import Request, Response, is_json, media_type, routed
from edgeway.pipeline import TRANSFORM_KEYS
from edgeway.routing import PathTemplate

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
    status = {int(old): new for old, new in res.get("status", {}).items()}
    for old, new in status.items():  # (the schema bounds the new status)
        if not 100 <= old <= 599:
            raise ValueError(f"status mapping {old} -> {new} is outside 100-599")
    return RouteTransform(
        request_headers=HeaderOps.parse(req.get("headers")),
        path=PathTemplate(req["path"], route_path) if req.get("path") else None,
        request_body=BodyOps.parse(req.get("body")),
        response_headers=HeaderOps.parse(res.get("headers")),
        response_body=BodyOps.parse(res.get("body")),
        status=status or None,
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


@dataclass(frozen=True, slots=True)
class HeaderOps:
    """Header rewrites: rename, then remove, then add."""
    rename: tuple[tuple[str, str], ...] = ()
    remove: tuple[str, ...] = ()
    add: tuple[tuple[str, str], ...] = ()

    @classmethod
    def parse(cls, spec: Mapping[str, Any] | None) -> HeaderOps | None:
        if not spec:
            return None
        return cls(rename=tuple((k.lower(), v.lower()) for k, v in (spec.get("rename") or {}).items()),
                   remove=tuple(h.lower() for h in spec.get("remove") or ()),
                   add=tuple((k.lower(), str(v)) for k, v in (spec.get("add") or {}).items()))

    def apply(self, headers: Mapping[str, str]) -> dict[str, str]:
        out = dict(headers)
        for old, new in self.rename:
            if old in out:
                out[new] = out.pop(old)
        for name in self.remove:
            out.pop(name, None)
        out.update(self.add)
        return out


@dataclass(frozen=True, slots=True)
class BodyOps:
    """JSON body rewrites: keep only allowed paths, drop denied ones, rename fields."""
    allow: dict[str, Any] | None = None  # a tree of kept paths
    deny: tuple[tuple[str, ...], ...] = ()
    rename: tuple[tuple[tuple[str, ...], str], ...] = ()

    @classmethod
    def parse(cls, spec: Mapping[str, Any] | None) -> BodyOps | None:
        if not spec:
            return None
        allow: dict[str, Any] | None = None
        if spec.get("allow") is not None:
            allow = {}
            for path in spec["allow"]:
                node = allow
                parts = _split(path)
                for part in parts[:-1]:
                    if node.get(part) is True:
                        break  # the whole parent is kept already
                    node = node.setdefault(part, {})
                else:
                    node[parts[-1]] = True
        return cls(allow=allow, deny=tuple(_split(p) for p in spec.get("deny") or ()),
                   rename=tuple((_split(k), v) for k, v in (spec.get("rename") or {}).items()))

    def apply(self, document: Any) -> Any:
        if self.allow is not None:
            document = _keep(document, self.allow)
        for path in self.deny:
            for parent in _parents(document, path):
                parent.pop(path[-1], None)
        for path, target in self.rename:
            if "." in target:
                _move(document, path, _split(target))
            else:
                for parent in _parents(document, path):
                    if path[-1] in parent:
                        parent[target] = parent.pop(path[-1])
        return document


def _split(path: str) -> tuple[str, ...]:
    parts = tuple(str(path).split("."))
    if any(p == "" for p in parts):
        raise ValueError(f"{path!r} is not a dotted field path")
    return parts


def _keep(doc: Any, tree: Mapping[str, Any]) -> Any:
    if isinstance(doc, list):
        return [_keep(item, tree) for item in doc]
    if not isinstance(doc, dict):
        return doc
    return {k: (doc[k] if sub is True else _keep(doc[k], sub)) for k, sub in tree.items() if k in doc}


def _parents(doc: Any, parts: tuple[str, ...]) -> list[dict[str, Any]]:
    """Every object that holds the last part of ``parts`` (lists fan out)."""
    level = [doc]
    for part in parts[:-1]:
        nxt: list[Any] = []
        for item in level:
            for obj in (item if isinstance(item, list) else [item]):
                if isinstance(obj, dict) and part in obj:
                    nxt.append(obj[part])
        level = nxt
    out: list[dict[str, Any]] = []
    for item in level:
        out.extend(o for o in (item if isinstance(item, list) else [item]) if isinstance(o, dict))
    return out


def _move(doc: Any, source: tuple[str, ...], target: tuple[str, ...]) -> None:
    node = doc
    for part in source[:-1]:
        if not isinstance(node, dict) or not isinstance(node.get(part), dict):
            return
        node = node[part]
    if not isinstance(node, dict) or source[-1] not in node:
        return
    value = node.pop(source[-1])
    dest = doc
    for part in target[:-1]:
        if not isinstance(dest.get(part), dict):
            dest[part] = {}
        dest = dest[part]
    dest[target[-1]] = value


def rewrite_json(body: bytes, ops: BodyOps) -> bytes | None:
    """The transformed body, or None when it is not JSON (left as it is)."""
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        return None
    return json.dumps(ops.apply(document), separators=(",", ":"), ensure_ascii=False).encode()
