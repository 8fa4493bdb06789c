"""Route conditions beyond the path: host, headers, header version.

Evaluated only among the routes whose path already matched (see
``edgeway.routing``); all conditions of a route must hold.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple


class Conditions(NamedTuple):
    """Host, header and version conditions of one route; all must hold."""

    host: str | None = None  # lower-case; "*.example.com" matches any sub-domain
    headers: tuple[tuple[str, frozenset[str]], ...] = ()
    version: str | None = None

    @property
    def rank(self) -> int:
        return (self.host is not None) + len(self.headers) + (self.version is not None)

    def holds(self, headers: Mapping[str, str], host: str, version: str | None, *,
              host_only: bool = False) -> bool:
        if not host_only and self.version is not None and version != self.version:
            return False
        if self.host is not None:
            if self.host.startswith("*."):
                if not host.endswith(self.host[1:]):
                    return False
            elif host != self.host:
                return False
        if host_only:
            return True
        for name, accepted in self.headers:
            value = headers.get(name)
            if value is None or value.strip() not in accepted:
                return False
        return True


def conditions_of(spec: Mapping[str, Any]) -> Conditions | None:
    """The conditions in a route spec (keys ``host``, ``headers``, ``version``)."""
    host = spec.get("host")
    headers = spec.get("headers") or {}
    version = spec.get("version")
    if host is None and not headers and version is None:
        return None
    pairs = tuple(sorted(
        (str(name).lower(), frozenset([value] if isinstance(value, str) else value))
        for name, value in headers.items()))
    return Conditions(host=host.lower() if host is not None else None, headers=pairs,
                      version=str(version) if version is not None else None)
