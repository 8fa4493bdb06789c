"""An aggregate's ``parts`` (docs/aggregation.md), compiled once with the config, and
how a part ended: failures are values here, never lost exceptions.

A part that names an earlier part in a template (``/v1/orders?user_id={user.id}``),
or in ``after``, waits for it; all others start at once. Cycles, unknown parts and
unknown path parameters are config errors, reported with the file, line and key.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from edgeway.aggregate.templates import Template
from edgeway.backends import MAX_RESPONSE_BYTES, Site, compile_backend
from edgeway.resilience.backend import compile_resilience
from edgeway.routing import Route, parse_template

RESERVED_NAMES = frozenset({"errors", "query"})


class PartFailure(enum.Enum):
    TIMEOUT = "timeout"            # no answer within the part's time budget
    STATUS = "status"              # answered, with a non-2xx status
    INVALID_JSON = "invalid_json"  # answered a body that is not JSON
    TOO_LARGE = "too_large"        # answered more than the part's size limit
    UNAVAILABLE = "unavailable"    # throttled, or its circuit is open
    ERROR = "error"                # the call itself failed (invoke error, bad template value)
    SKIPPED = "skipped"            # not called: a part it depends on failed


@dataclass(frozen=True, slots=True)
class PartError:
    """Why one part of an aggregate failed, as the response's errors list reports it."""
    part: str
    reason: PartFailure
    detail: str
    required: bool
    status: int | None = None  # the backend's status, for STATUS

    def as_json(self) -> dict[str, Any]:
        out = {"part": self.part, "reason": self.reason.value, "detail": self.detail,
               "required": self.required, "status": self.status}
        return {key: value for key, value in out.items() if value is not None}


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

    def fail(self, reason: PartFailure, detail: str, status: int | None = None) -> PartError:
        return PartError(self.name, reason, detail, self.required, status)


def compile_parts(spec: Mapping[str, Any], site: Site) -> tuple[Part, ...]:
    """The parts, each with its compiled backend spec (``Part.backend`` is built at build)."""
    max_bytes = spec.get("max_part_bytes", MAX_RESPONSE_BYTES)
    route_params = None
    if site.route_path:
        route_params = {segment.value for segment in parse_template(site.route_path)
                        if segment.kind != "literal"}
    parts: list[Part] = []
    for name, raw in spec["parts"].items():
        at = site.at("parts", name)
        if name in RESERVED_NAMES:
            raise at.error(f"{name!r} is reserved; choose another part name")
        if raw["backend"]["type"] == "aggregate":
            raise at.at("backend", "type").error("an aggregate part cannot itself be an aggregate")
        try:
            path = Template.parse(raw["path"])
            headers = tuple((h.lower(), Template.parse(v)) for h, v in (raw.get("headers") or {}).items())
        except ValueError as exc:
            raise at.at("path").error(str(exc)) from exc
        after = raw.get("after") or []
        after = [after] if isinstance(after, str) else list(after)
        for template in (path, *(t for _, t in headers)):
            for p in template.placeholders():
                if p.source == "part" and p.name not in after:
                    after.append(p.name)  # a field of a part implies waiting for it
                if p.source == "path" and route_params is not None and p.name not in route_params:
                    raise at.at("path").error(
                        f"the route {site.route_path} has no parameter {{{p.name}}}")
        for dep in after:
            if dep not in spec["parts"]:
                raise at.at("after").error(f"no part named {dep!r} in this aggregate")
            if dep == name:
                raise at.at("after").error("a part cannot depend on itself")
        # Not the route's path: the part's backend sees the part's own route.
        part_site = Site(site.config, at.path, site.functions)
        backend = compile_resilience(raw, compile_backend(raw["backend"], part_site.at("backend")),
                                     part_site)
        method = raw.get("method", "GET")
        timeout = raw.get("timeout_ms")
        route_id = f"{site.route_id or 'aggregate'}#{name}"
        parts.append(Part(
            name=name, backend=backend,
            route=Route(id=route_id, path=raw["path"].split("?", 1)[0], methods=frozenset({method}),
                        spec=raw, timeout_ms=timeout or 0),
            method=method, path=path, headers=headers,
            timeout_s=timeout / 1000 if timeout else None,
            required=raw.get("required", True), after=tuple(after),
            max_bytes=raw.get("max_bytes", max_bytes),
        ))
    _check_acyclic(parts, site)
    return tuple(parts)


def _check_acyclic(parts: list[Part], site: Site) -> None:
    deps = {p.name: p.after for p in parts}
    done: set[str] = set()

    def visit(name: str, trail: list[str]) -> None:  # trail: the parts being visited
        if name in trail:
            cycle = " -> ".join([*trail[trail.index(name):], name])
            raise site.at("parts", name, "after").error(
                f"parts depend on each other in a cycle: {cycle}")
        if name not in done:
            for dep in deps[name]:
                visit(dep, [*trail, name])
            done.add(name)

    for p in parts:
        visit(p.name, [])
