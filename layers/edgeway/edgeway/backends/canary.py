"""Weighted canary: one route, several backends, a sticky split.

Each caller lands in a bucket from a hash of (route id, caller key), so the
same consumer always sees the same variant while the weights stay put. The
caller key is the principal's consumer, else its subject, else the client IP.
A request may force a variant with ``x-edgeway-variant: NAME`` only when the
backend sets ``allow_force: true`` (meant for non-production stages or
internal consumers; see docs/backends.md). The chosen variant is echoed in
``x-edgeway-variant`` on the response.
"""

from __future__ import annotations

import bisect
import hashlib
import itertools
from collections.abc import Mapping, Sequence
from typing import Any

from edgeway.backends import Site, compile_backend
from edgeway.context import BuildContext
from edgeway.errors import BadRequest
from edgeway.http import Request, Response

FORCE_HEADER = "x-edgeway-variant"
_BUCKETS = 10_000


def caller_key(request: Request) -> str:
    principal = request.principal
    if principal.consumer:
        return "c:" + principal.consumer
    if principal.kind != "anonymous":
        return "s:" + principal.subject
    return "ip:" + request.source_ip


class CanaryBackend:
    """``type: canary``: named, weighted variants. Each variant's backend is its compiled
    spec until ``build`` makes a canary of the built backends."""

    def __init__(self, variants: Sequence[tuple[str, float, Any]], *, allow_force: bool) -> None:
        self.variants = tuple(variants)
        self.names = [n for n, _, _ in variants]
        self.backends = {n: b for n, _, b in variants}
        self.allow_force = allow_force
        self.name = "canary(" + ",".join(self.names) + ")"
        # Cumulative upper bounds in buckets: variant i serves [edges[i-1], edges[i]).
        total = sum(w for _, w, _ in variants)
        self.edges = [round(acc / total * _BUCKETS)
                      for acc in itertools.accumulate(w for _, w, _ in variants)]

    @classmethod
    def compile(cls, raw: Mapping[str, Any], site: Site) -> CanaryBackend:
        variants = [(str(v["name"]), float(v["weight"]),
                     compile_backend(v["backend"], site.at("variants", i, "backend")))
                    for i, v in enumerate(raw["variants"])]
        names = [n for n, _, _ in variants]
        for i, name in enumerate(names):
            if name in names[:i]:
                raise site.at("variants", i, "name").error(
                    f"canary variant names must be unique: {name!r} is used twice")
        if sum(w for _, w, _ in variants) <= 0:
            raise site.at("variants").error("canary weights must add up to more than 0")
        return cls(variants, allow_force=bool(raw.get("allow_force", False)))

    def build(self, ctx: BuildContext) -> CanaryBackend:
        return CanaryBackend([(n, w, spec.build(ctx)) for n, w, spec in self.variants],
                             allow_force=self.allow_force)

    def choose(self, request: Request) -> str:
        if self.allow_force:
            forced = request.headers.get(FORCE_HEADER)
            if forced is not None:
                if forced not in self.backends:
                    raise BadRequest(f"unknown variant {forced!r} (known: {', '.join(self.names)})")
                return forced
        salt = request.route.id if request.route else ""
        key = f"{salt}\x00{caller_key(request)}".encode()
        digest = hashlib.blake2b(key, digest_size=8).digest()
        index = bisect.bisect_right(self.edges, int.from_bytes(digest, "big") % _BUCKETS)
        return self.names[min(index, len(self.names) - 1)]

    def __call__(self, request: Request, *, timeout_s: float) -> Response:
        name = self.choose(request)
        response: Response = self.backends[name](request, timeout_s=timeout_s)
        response.headers[FORCE_HEADER] = name
        return response
