"""Declarative request/response transforms, compiled per route (pure).

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
from typing import Any
from urllib.parse import quote

from edgeway.routing import parse_template


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
            _remove(document, path)
        for path, target in self.rename:
            if "." in target:
                _move(document, path, _split(target))
            else:
                _rename(document, path, target)
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


def _remove(doc: Any, parts: tuple[str, ...]) -> None:
    for parent in _parents(doc, parts):
        parent.pop(parts[-1], None)


def _rename(doc: Any, parts: tuple[str, ...], new: str) -> None:
    for parent in _parents(doc, parts):
        if parts[-1] in parent:
            parent[new] = parent.pop(parts[-1])


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


class PathTemplate:
    """``/internal/users/{id}`` filled from path parameters, each percent-encoded."""

    def __init__(self, template: str, route_path: str) -> None:
        route_segments = parse_template(route_path)
        known = {s.value for s in route_segments if s.kind != "literal"}
        self.proxy = {s.value for s in route_segments if s.kind == "proxy"}
        self.parts: list[tuple[bool, str]] = []
        for segment in parse_template(template):
            if segment.kind == "literal":
                self.parts.append((False, segment.value))
            elif segment.value not in known:
                raise ValueError(f"{{{segment.value}}} is not a parameter of {route_path}")
            else:
                self.parts.append((True, segment.value))
        self.trailing_slash = template.endswith("/") and template != "/"

    def render(self, params: Mapping[str, str]) -> str:
        out = []
        for is_param, value in self.parts:
            if is_param:
                out.append(quote(params[value], safe="/" if value in self.proxy else ""))
            else:
                out.append(quote(value, safe=""))
        return "/" + "/".join(out) + ("/" if self.trailing_slash else "")


def rewrite_json(body: bytes, ops: BodyOps) -> bytes | None:
    """The transformed body, or None when it is not JSON (left as it is)."""
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        return None
    return json.dumps(ops.apply(document), separators=(",", ":"), ensure_ascii=False).encode()
