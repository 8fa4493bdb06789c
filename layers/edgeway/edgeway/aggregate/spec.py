"""An aggregate's parts, compiled once at build time from gateway.yaml.

    backend:
      type: aggregate
      merge: keyed            # or deep
      parts:
        user:
          backend: {type: lambda, function: UsersFunction}
          path: /v1/users/{id}
          timeout_ms: 1500
          required: true
        orders:
          backend: {type: lambda, function: OrdersFunction}
          path: /v1/orders?user_id={user.id}   # uses a field of `user`: runs after it
          required: false

A part that names an earlier part in a template, or in ``after``, waits for it;
all others start at once. Cycles, unknown parts and unknown path parameters are
config errors, reported with the file, line and key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from edgeway.aggregate.templates import Template
from edgeway.backends import compile_backend
from edgeway.backends.base import Site
from edgeway.resilience.backend import compile_resilience
from edgeway.routing import Route

RESERVED_NAMES = frozenset({"errors", "query"})


@dataclass(frozen=True, slots=True)
class Part:
    """One backend call of an aggregate route: its request templates and how it joins the whole."""
    name: str
    backend: Any             # its BackendSpec once compiled, its Backend once built
    route: Route             # what the part's backend sees as request.route
    method: str
    path: Template
    headers: tuple[tuple[str, Template], ...]
    timeout_s: float | None  # None: the rest of the aggregate's budget
    required: bool
    after: tuple[str, ...]
    max_bytes: int


def compile_parts(spec: Mapping[str, Any], site: Site, *, max_bytes: int) -> tuple[Part, ...]:
    """The parts, each with its compiled backend spec (``Part.backend`` is built at build)."""

    def error(keys: list[str | int], reason: str) -> Exception:
        return site.at(*keys).error(reason)

    route_params = _route_params(site.route_path) if site.route_path else None
    names = list(spec["parts"])
    parts: list[Part] = []
    for name in names:
        raw = spec["parts"][name]
        key = ["parts", name]
        if name in RESERVED_NAMES:
            raise error(key, f"{name!r} is reserved; choose another part name")
        if raw["backend"].get("type") == "aggregate":
            raise error([*key, "backend", "type"], "an aggregate part cannot itself be an aggregate")
        try:
            path = Template.parse(raw["path"])
            headers = tuple((h.lower(), Template.parse(v)) for h, v in (raw.get("headers") or {}).items())
        except ValueError as exc:
            raise error([*key, "path"], str(exc)) from exc
        after = list(raw.get("after") or [])
        if isinstance(raw.get("after"), str):
            after = [raw["after"]]
        for template in (path, *(t for _, t in headers)):
            for p in template.placeholders():
                if p.source == "part" and p.name not in after:
                    after.append(p.name)  # a field of a part implies waiting for it
                if p.source == "path" and route_params is not None and p.name not in route_params:
                    raise error([*key, "path"], f"the route {site.route_path} has no parameter {{{p.name}}}")
        for dep in after:
            if dep not in names:
                raise error([*key, "after"], f"no part named {dep!r} in this aggregate")
            if dep == name:
                raise error([*key, "after"], "a part cannot depend on itself")
        part_site = Site(site.config, (*site.path, *key), site.functions)
        backend = compile_resilience(raw, compile_backend(raw["backend"], part_site.at("backend")),
                                     part_site)
        method = raw.get("method", "GET")
        timeout = raw.get("timeout_ms")
        route_id = f"{site.route_id or 'aggregate'}#{name}"
        parts.append(Part(
            name=name, backend=backend,
            route=Route(id=route_id, path=raw["path"].split("?", 1)[0], methods=frozenset({method}),
                        spec=raw, timeout_ms=int(timeout or 0)),
            method=method, path=path, headers=headers,
            timeout_s=timeout / 1000 if timeout else None,
            required=bool(raw.get("required", True)), after=tuple(after),
            max_bytes=int(raw.get("max_bytes", max_bytes)),
        ))
    _check_acyclic(parts, error)
    return tuple(parts)


def _route_params(path: str) -> set[str]:
    # {id}, {id:int} (typed parameters), {proxy+}
    return {seg[1:-1].rstrip("+").split(":", 1)[0] for seg in path.split("/") if seg.startswith("{")}


def _check_acyclic(parts: list[Part], error: Any) -> None:
    deps = {p.name: p.after for p in parts}
    state: dict[str, int] = {}  # 1 visiting, 2 done

    def visit(name: str, trail: list[str]) -> None:
        if state.get(name) == 2:
            return
        if state.get(name) == 1:
            cycle = " -> ".join([*trail[trail.index(name):], name])
            raise error(["parts", name, "after"], f"parts depend on each other in a cycle: {cycle}")
        state[name] = 1
        for dep in deps[name]:
            visit(dep, [*trail, name])
        state[name] = 2

    for p in parts:
        visit(p.name, [])
