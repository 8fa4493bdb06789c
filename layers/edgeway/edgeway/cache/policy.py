"""Per-route cache policy: the key, and what may be stored for how long. Pure.

Compiled once per route from its ``cache:`` mapping. Nothing here does I/O or
reads the time; the stage passes ``now`` in.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from edgeway.http import Request, Response
from edgeway.routing import canonical_path

CACHEABLE_METHODS = frozenset({"GET", "HEAD"})
# RFC 9110 15.1: statuses heuristically cacheable (the others need explicit freshness;
# we simply never store them).
CACHEABLE_STATUSES = frozenset({200, 203, 204, 300, 301, 308, 404, 405, 410, 414, 501})
# Not stored: they describe one connection or one exchange, or the gateway adds them itself.
_UNSTORED_HEADERS = frozenset({"connection", "keep-alive", "transfer-encoding", "set-cookie",
                               "x-request-id", "x-edgeway-region", "x-cache", "age", "date"})


def directives(value: str | None) -> dict[str, str | None]:
    """``Cache-Control: max-age=60, private`` -> {"max-age": "60", "private": None}."""
    out: dict[str, str | None] = {}
    for item in (value or "").split(","):
        name, _, arg = item.strip().partition("=")
        if name:
            out[name.lower()] = arg.strip().strip('"') or None
    return out


def _seconds(value: str | None) -> int | None:
    try:
        return max(0, int(value)) if value is not None else None
    except ValueError:
        return 0  # a malformed max-age means "stale" (RFC 9111 4.2.1)


@dataclass(frozen=True, slots=True)
class CachePolicy:
    """One route's caching rules: TTL, what the key varies on, scope and staleness."""
    route_id: str
    ttl_s: int
    vary: tuple[str, ...] = ()
    query: tuple[str, ...] = ()
    scope: Literal["shared", "consumer"] = "shared"
    swr_s: int = 0
    honour_client_no_cache: bool = False

    @classmethod
    def from_spec(cls, route_id: str, spec: Mapping[str, Any]) -> CachePolicy:
        return cls(
            route_id=route_id, ttl_s=int(spec["ttl_s"]),
            vary=tuple(sorted(h.lower() for h in spec.get("vary", ()))),
            query=tuple(sorted(spec.get("query", ()))),
            scope=spec.get("scope", "shared"),
            swr_s=int(spec.get("stale_while_revalidate_s", 0)),
            honour_client_no_cache=bool(spec.get("honour_client_no_cache", False)),
        )

    def key(self, request: Request, generation: int = 0) -> str:
        """method + canonical path + allow-listed query + vary headers + scope (+ purge
        generation), hashed. The path is the one routing matched (``canonical_path``):
        ``/v1/users/%33%31%39`` and ``/v1/users/319/`` are the entry of ``/v1/users/319``."""
        parts = [request.method, canonical_path(request.path)]
        parts += [f"q:{name}={value}"
                  for name in self.query for value in request.query.get(name, ())]
        parts += [f"h:{name}={request.headers.get(name, '')}" for name in self.vary]
        if self.scope == "consumer":
            parts.append(f"c:{request.principal.consumer or request.principal.subject}")
        if generation:
            parts.append(f"g:{generation}")
        return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()

    def client_bypass(self, request: Request) -> tuple[bool, bool]:
        """(bypass the lookup, do not store) for the client's own cache directives."""
        if not self.honour_client_no_cache:
            return False, False
        cc = directives(request.headers.get("cache-control"))
        no_store = "no-store" in cc
        no_cache = no_store or "no-cache" in cc or "no-cache" in (request.headers.get("pragma") or "")
        return no_cache, no_store

    def store_ttl(self, response: Response) -> int | None:
        """Seconds ``response`` may be stored for, or None when it must not be."""
        if response.status not in CACHEABLE_STATUSES:
            return None
        if response.cookies or "set-cookie" in response.headers:
            return None  # a cookie is someone's session: never replay it to another client
        if response.headers.get("vary", "").strip() == "*":
            return None
        cc = directives(response.headers.get("cache-control"))
        if "no-store" in cc or "no-cache" in cc:
            return None
        if "private" in cc and self.scope != "consumer":
            return None
        ttl = self.ttl_s
        limit = _seconds(cc.get("s-maxage")) if self.scope == "shared" and "s-maxage" in cc else None
        if limit is None and "max-age" in cc:
            limit = _seconds(cc.get("max-age"))
        if limit is not None:
            ttl = min(ttl, limit)  # the backend may shorten the route's TTL, never extend it
        return ttl if ttl > 0 else None

    @staticmethod
    def stored_headers(response: Response) -> dict[str, str]:
        return {k: v for k, v in response.headers.items() if k not in _UNSTORED_HEADERS}
