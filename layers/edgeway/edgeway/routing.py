"""Route matching: a segment trie, not a scan of regular expressions.

Templates are split on ``/`` into segments; each segment is a literal, a
parameter ``{name}`` / ``{name:type}`` or, as the last segment, a greedy
``{proxy+}``. Matching walks the trie once per request segment, so its cost
grows with the depth of the path, not with the number of routes.

Precedence (docs/routing.md), deterministic:

1. Path: at each segment a literal beats a typed parameter (``int`` before
   ``uuid``, which never overlap), a typed parameter beats an untyped one, and
   any parameter beats a greedy ``{proxy+}``; the first segment where two
   templates differ decides.
2. Among routes with the same template shape, conditions (``host``,
   ``headers``, ``version``) are evaluated; a route with more conditions is
   tried before one with fewer, and ties keep the order of gateway.yaml.
3. Methods: the first candidate that allows the method wins. A path that
   matches but whose methods do not answers 405 with ``Allow``; a path (or a
   wrong parameter type, or unmet conditions) that matches nothing answers 404.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple
from urllib.parse import quote, unquote

from edgeway.conditions import Conditions, conditions_of
from edgeway.errors import BadRequest, MethodNotAllowed, NotFound, RouteError

ANY = "ANY"

# Canonical forms only: one spelling per value, so `007`, `+7`, `-0`, `1e3` and
# non-ASCII digits (`٣`) never alias a cached or authorised `7`. 18 digits fit
# in a signed 64-bit integer.
_INT = re.compile(r"0|[1-9][0-9]{0,17}")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")

# Typed parameters: no segment is both, so the trie may try them in any order.
PARAM_TYPES: dict[str, Callable[[str], object]] = {
    "int": _INT.fullmatch,
    "uuid": _UUID.fullmatch,
}


@dataclass(frozen=True, slots=True, eq=False)
class Route:
    """One route as the router matches it (``edgeway.config.RouteConfig`` adds where it
    stands in gateway.yaml and its backend, wired at build by ``edgeway.stages.dispatch``)."""

    id: str
    path: str
    methods: frozenset[str]
    spec: Mapping[str, Any] = field(default_factory=dict)
    timeout_ms: int = 10_000

    def allows(self, method: str) -> bool:
        return ANY in self.methods or method in self.methods or (
            method == "HEAD" and "GET" in self.methods)


class Match(NamedTuple):
    """A matched route and the path parameters taken from the request (one per request)."""
    route: Route
    params: Mapping[str, str]


SegmentKind = Literal["literal", "param", "proxy"]


class Segment(NamedTuple):
    kind: SegmentKind
    value: str  # the literal text, or the parameter name
    type: str = ""  # "" (any one segment), "int" or "uuid" for params


def parse_segment(segment: str) -> Segment:
    if segment.startswith("{") and segment.endswith("}"):
        inner = segment[1:-1]
        if inner.endswith("+"):
            name = inner[:-1]
            _check_name(name, segment)
            return Segment("proxy", name)
        name, _, kind = inner.partition(":")
        _check_name(name, segment)
        if kind in ("str", ""):  # `{slug}` and `{slug:str}`: any one segment
            return Segment("param", name)
        if kind not in PARAM_TYPES:
            raise ValueError(f"unknown parameter type {kind!r} in {segment!r} "
                             f"(known: {', '.join(['str', *PARAM_TYPES])})")
        return Segment("param", name, kind)
    if "{" in segment or "}" in segment:
        raise ValueError(f"segment {segment!r} mixes text and a parameter")
    if segment in (".", ".."):
        raise ValueError("a route path may not contain dot segments")
    return Segment("literal", segment)


def parse_template(template: str) -> list[Segment]:
    if not template.startswith("/"):
        raise ValueError("a route path must start with '/'")
    segments = [parse_segment(s) for s in template.split("/")[1:] if s != ""]
    names = [s.value for s in segments if s.kind != "literal"]
    if len(names) != len(set(names)):
        raise ValueError(f"a parameter name is used twice in {template!r}")
    if any(s.kind == "proxy" for s in segments[:-1]):
        raise ValueError("{proxy+} must be the last segment")
    return segments


def _check_name(name: str, segment: str) -> None:
    if not name.isidentifier():
        raise ValueError(f"parameter name in {segment!r} must be an identifier")


# -- the trie ---------------------------------------------------------------------------


class _Entry(NamedTuple):
    route: Route
    names: tuple[str, ...]  # parameter names, in path order (the proxy last)
    conditions: Conditions | None


class _Node:
    __slots__ = ("literals", "typed", "param", "proxy", "entries")

    def __init__(self) -> None:
        self.literals: dict[str, _Node] = {}
        self.typed: dict[str, _Node] = {}  # by parameter type
        self.param: _Node | None = None
        self.proxy: list[_Entry] = []
        self.entries: list[_Entry] = []


class Router:
    """Compiled routes. ``version_header``/``default_version`` come from ``versioning:``."""

    def __init__(self, routes: Iterable[Route], *, version_header: str = "accept-version",
                 default_version: str | None = None) -> None:
        self._root = _Node()
        self.routes: tuple[Route, ...] = tuple(routes)
        self.version_header = version_header.lower()
        self.default_version = default_version
        self._conditional = False
        for route in self.routes:
            try:
                self._add(route)
            except ValueError as exc:
                raise RouteError(route, str(exc)) from exc

    def _add(self, route: Route) -> None:
        node = self._root
        segments = parse_template(route.path)
        conditions = conditions_of(route.spec)
        self._conditional = self._conditional or conditions is not None
        bucket: list[_Entry] | None = None
        for segment in segments:
            if segment.kind == "literal":
                node = node.literals.setdefault(segment.value, _Node())
            elif segment.kind == "proxy":
                bucket = node.proxy
            elif segment.type:
                node = node.typed.setdefault(segment.type, _Node())
            else:
                if node.param is None:
                    node.param = _Node()
                node = node.param
        bucket = node.entries if bucket is None else bucket
        names = tuple(s.value for s in segments if s.kind != "literal")
        entry = _Entry(route, names, conditions)
        earlier = [o for o in bucket if o.conditions == conditions]
        covered = frozenset().union(*(o.route.methods for o in earlier))
        if earlier and (ANY in covered or (ANY not in route.methods and route.methods <= covered)):
            # A partial overlap is legal (the earlier route wins the shared methods);
            # a route that can never be reached is a mistake worth stopping for.
            others = ", ".join(repr(o.route.id) for o in earlier)
            raise ValueError(f"route {route.id!r} can never match: {others} already take its "
                             "template, conditions and methods")
        bucket.append(entry)
        # More conditions first; sort() is stable, so ties keep config order.
        bucket.sort(key=lambda e: -(e.conditions.rank if e.conditions else 0))

    def match(self, method: str, path: str, headers: Mapping[str, str] | None = None, *,
              host: str | None = None, any_method: bool = False,
              preflight: bool = False) -> Match:
        """The route for ``method path``; raises NotFound or MethodNotAllowed.

        ``any_method`` finds the route by path and conditions alone (a CORS
        preflight for a method the route does not allow). ``preflight`` checks
        only host conditions: a browser's preflight carries the names of the
        headers the real request will send, never their values.
        """
        segments = request_segments(path)
        candidates: list[tuple[list[_Entry], list[str]]] = []
        self._walk(self._root, segments, 0, [], candidates)
        headers = headers or {}
        version = None
        if self._conditional:
            version = headers.get(self.version_header) or self.default_version
            host = _bare_host(host or headers.get("host") or "")
        allowed: set[str] = set()
        for entries, values in candidates:
            for entry in entries:
                cond = entry.conditions
                if cond is not None and not cond.holds(headers, host or "", version,
                                                       host_only=preflight):
                    continue
                if any_method or entry.route.allows(method):
                    return Match(entry.route, dict(zip(entry.names, values)))
                allowed.update(entry.route.methods)
        if allowed:
            raise MethodNotAllowed(sorted(allowed))
        raise NotFound(f"no route for {path}")

    def _walk(self, node: _Node, segments: list[str], i: int, values: list[str],
              out: list[tuple[list[_Entry], list[str]]]) -> None:
        # Depth first in precedence order, so `out` is most specific first.
        if i == len(segments):
            if node.entries:
                out.append((node.entries, list(values)))
            return  # {proxy+} needs one segment at least: /a/{p+} does not match /a
        segment = segments[i]
        child = node.literals.get(segment)
        if child is not None:
            self._walk(child, segments, i + 1, values, out)
        for kind, typed in node.typed.items():
            if PARAM_TYPES[kind](segment):
                values.append(segment)
                self._walk(typed, segments, i + 1, values, out)
                values.pop()
        if node.param is not None:
            values.append(segment)
            self._walk(node.param, segments, i + 1, values, out)
            values.pop()
        if node.proxy:
            out.append((node.proxy, [*values, "/".join(segments[i:])]))


def _bare_host(host: str) -> str:
    host = host.lower()
    if host.startswith("["):  # IPv6 literal, maybe with a port
        return host.split("]", 1)[0] + "]"
    return host.split(":", 1)[0]


def request_segments(path: str) -> list[str]:
    """Split then percent-decode once, so an encoded ``/`` never creates a segment.

    Dot segments are refused rather than resolved: a gateway that resolves them
    lets ``/v1/users/../admin`` reach a route its author never exposed. Decoding
    happens exactly once, so ``%252e`` is the literal text ``%2e``, never ``.``;
    and there is no Unicode normalisation, so a look-alike (``ｕsers``) never
    matches an ASCII literal.
    """
    if not path.startswith("/"):
        raise BadRequest("the request path must be absolute")
    raw = path.split("/")[1:]
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
        if not decoded.isprintable():
            # Control and invisible format characters (NUL, zero-width joiners).
            raise BadRequest("path segments may not contain control or invisible characters")
        segments.append(decoded)
    return segments


def canonical_path(path: str) -> str:
    """The one spelling of a request path: decoded once as routing decodes it, then
    every segment percent-encoded the same way, without the tolerated trailing slash.

    ``/v1/users/319``, ``/v1/users/%33%31%39`` and ``/v1/users/319/`` all become
    ``/v1/users/319``: what the cache keys on, what ``edgeway cache purge --path``
    matches, and the path every backend is sent (docs/routing.md, "One spelling").
    """
    segments = request_segments(path)
    return "/" + "/".join(quote(s, safe="") for s in segments) if segments else "/"


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
