"""Route matching: a segment trie, not a scan of regular expressions.

Templates are split on ``/`` into segments; each segment is a literal, a
parameter ``{name}`` or, as the last segment, a greedy ``{proxy+}``. Matching
walks the trie once per request segment, so its cost grows with the depth of the
path, not with the number of routes.

Precedence, when more than one template matches a path (deterministic, and the
same rule API Gateway uses): at each segment a literal beats a parameter, and a
parameter beats a greedy ``{proxy+}``; the first segment where two templates
differ decides. A path that matches a template but not its methods answers 405
with ``Allow``; a path that matches nothing answers 404.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from edgeway.errors import BadRequest, MethodNotAllowed, NotFound

ANY = "ANY"


@dataclass(frozen=True, slots=True, eq=False)
class Route:
    """One configured route, compiled once at cold start."""

    id: str
    path: str
    methods: frozenset[str]
    backend: Any = None  # an edgeway.backends.Backend, built from spec["backend"]
    spec: Mapping[str, Any] = field(default_factory=dict)
    timeout_ms: int = 10_000

    def allows(self, method: str) -> bool:
        return ANY in self.methods or method in self.methods or (
            method == "HEAD" and "GET" in self.methods)


@dataclass(frozen=True, slots=True)
class Match:
    route: Route
    params: Mapping[str, str]


class _Node:
    __slots__ = ("literals", "param", "param_name", "proxy", "proxy_name", "routes")

    def __init__(self) -> None:
        self.literals: dict[str, _Node] = {}
        self.param: _Node | None = None
        self.param_name: str | None = None
        self.proxy: list[Route] = []
        self.proxy_name: str | None = None
        self.routes: list[Route] = []


def split_template(template: str) -> list[str]:
    if not template.startswith("/"):
        raise ValueError("a route path must start with '/'")
    return [s for s in template.split("/")[1:] if s != ""] if template != "/" else []


def parse_segment(segment: str) -> tuple[str, str]:
    """('literal'|'param'|'proxy', value) for one template segment."""
    if segment.startswith("{") and segment.endswith("}"):
        name = segment[1:-1]
        if name.endswith("+"):
            return "proxy", name[:-1]
        return "param", name
    if "{" in segment or "}" in segment:
        raise ValueError(f"segment {segment!r} mixes text and a parameter")
    return "literal", segment


def parse_template(template: str) -> list[tuple[str, str]]:
    """The (kind, value) segments of a template; ValueError when it is malformed."""
    parsed = [parse_segment(s) for s in split_template(template)]
    for index, (kind, _) in enumerate(parsed):
        if kind == "proxy" and index != len(parsed) - 1:
            raise ValueError("{proxy+} must be the last segment")
    return parsed


class Router:
    def __init__(self, routes: Iterable[Route]) -> None:
        self._root = _Node()
        self.routes: tuple[Route, ...] = tuple(routes)
        for route in self.routes:
            self._add(route)

    def _add(self, route: Route) -> None:
        node = self._root
        for kind, value in parse_template(route.path):
            if kind == "literal":
                node = node.literals.setdefault(value, _Node())
            elif kind == "param":
                if node.param is None:
                    node.param = _Node()
                    node.param_name = value
                elif node.param_name != value:
                    raise ValueError(f"parameter {{{value}}} conflicts with "
                                     f"{{{node.param_name}}} at the same position")
                node = node.param
            else:
                node.proxy.append(route)
                node.proxy_name = value
                return
        node.routes.append(route)

    def match(self, method: str, path: str) -> Match:
        """The route for ``method path``; raises NotFound or MethodNotAllowed."""
        segments = request_segments(path)
        candidates: list[tuple[list[Route], dict[str, str]]] = []
        self._walk(self._root, segments, 0, {}, candidates)
        allowed: set[str] = set()
        for routes, params in candidates:
            for route in routes:
                if route.allows(method):
                    return Match(route, params)
                allowed.update(route.methods)
        if allowed:
            raise MethodNotAllowed(sorted(allowed))
        raise NotFound(f"no route for {path}")

    def _walk(self, node: _Node, segments: list[str], i: int, params: dict[str, str],
              out: list[tuple[list[Route], dict[str, str]]]) -> None:
        # Depth first in precedence order, so `out` is most specific first.
        if i == len(segments):
            if node.routes:
                out.append((node.routes, dict(params)))
            return  # {proxy+} needs one segment at least: /a/{p+} does not match /a
        segment = segments[i]
        child = node.literals.get(segment)
        if child is not None:
            self._walk(child, segments, i + 1, params, out)
        if node.param is not None:
            params[node.param_name] = segment  # type: ignore[index]
            self._walk(node.param, segments, i + 1, params, out)
            del params[node.param_name]  # type: ignore[arg-type]
        if node.proxy:
            out.append((node.proxy, {**params, node.proxy_name: "/".join(segments[i:])}))  # type: ignore[dict-item]


def request_segments(path: str) -> list[str]:
    """Split then percent-decode, so an encoded ``/`` never creates a segment.

    Dot segments are refused rather than resolved: a gateway that resolves them
    lets ``/v1/users/../admin`` reach a route its author never exposed.
    """
    if not path.startswith("/"):
        raise BadRequest("the request path must be absolute")
    raw = [s for s in path.split("/")[1:]]
    if raw and raw[-1] == "":
        raw = raw[:-1]  # one trailing slash is tolerated
    segments = []
    for s in raw:
        if s == "":
            raise NotFound("empty path segment")
        try:
            decoded = unquote(s, errors="strict") if "%" in s else s
        except UnicodeDecodeError as exc:
            raise BadRequest("the request path is not valid percent-encoded UTF-8") from exc
        if decoded in (".", "..") or "/" in decoded or "\\" in decoded:
            raise BadRequest("path segments may not be dot segments or contain slashes")
        segments.append(decoded)
    return segments
