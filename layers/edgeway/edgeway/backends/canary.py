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
from collections.abc import Mapping
from typing import Any

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


def bucket(salt: str, key: str) -> int:
    digest = hashlib.blake2b(f"{salt}\x00{key}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % _BUCKETS


class CanaryBackend:
    def __init__(self, variants: list[tuple[str, float, Any]], *, allow_force: bool) -> None:
        if not variants:
            raise ValueError("a canary needs at least one variant")
        total = sum(w for _, w, _ in variants)
        if total <= 0:
            raise ValueError("canary weights must add up to more than 0")
        self.names = [n for n, _, _ in variants]
        self.backends = {n: b for n, _, b in variants}
        self.allow_force = allow_force
        self.name = "canary(" + ",".join(self.names) + ")"
        # Cumulative upper bounds in buckets: variant i serves [edges[i-1], edges[i]).
        acc, self.edges = 0.0, []
        for _, weight, _ in variants:
            acc += weight
            self.edges.append(round(acc / total * _BUCKETS))

    @classmethod
    def from_config(cls, spec: Mapping[str, Any], ctx: BuildContext) -> CanaryBackend:
        from edgeway.backends import build_backend

        variants = [(str(v["name"]), float(v["weight"]), build_backend(v["backend"], ctx))
                    for v in spec["variants"]]
        names = [n for n, _, _ in variants]
        if len(set(names)) != len(names):
            raise ValueError("canary variant names must be unique")
        return cls(variants, allow_force=bool(spec.get("allow_force", False)))

    def choose(self, request: Request) -> str:
        if self.allow_force:
            forced = request.headers.get(FORCE_HEADER)
            if forced is not None:
                if forced not in self.backends:
                    raise BadRequest(f"unknown variant {forced!r} (known: {', '.join(self.names)})")
                return forced
        salt = str(getattr(request.route, "id", ""))
        index = bisect.bisect_right(self.edges, bucket(salt, caller_key(request)))
        return self.names[min(index, len(self.names) - 1)]

    def __call__(self, request: Request, *, timeout_s: float) -> Response:
        name = self.choose(request)
        response: Response = self.backends[name](request, timeout_s=timeout_s)
        response.headers[FORCE_HEADER] = name
        return response
