"""A stand-in Engine with the surface of gslb.engine, for DNS and HTTP tests.

Placement is by a fixed prefix table: 198.51.100.0/22 and 2001:db8:2000::/36
go to eu-west-1, 203.0.113.0/24 to ap-southeast-1, everything else (as /0)
to us-east-1. ``down`` fails a region over to the next one.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from types import SimpleNamespace


@dataclass(frozen=True, slots=True)
class Choice:
    name: str
    endpoint: str
    ipv4: tuple[str, ...]
    ipv6: tuple[str, ...]
    latency_ms: float
    reason: str


@dataclass(frozen=True, slots=True)
class FakeDecision:
    region: Choice
    alternatives: tuple[Choice, ...]
    reason: str
    ttl: int
    prefix: ipaddress.IPv4Network | ipaddress.IPv6Network


REGIONS = (
    SimpleNamespace(name="us-east-1", endpoint="http://127.0.0.1:3000",
                    ipv4=("192.0.2.10",), ipv6=("2001:db8:1::10",)),
    SimpleNamespace(name="eu-west-1", endpoint="http://127.0.0.1:3002",
                    ipv4=("198.51.100.10",), ipv6=("2001:db8:2::10",)),
    SimpleNamespace(name="ap-southeast-1", endpoint="http://127.0.0.1:3003",
                    ipv4=("203.0.113.10",), ipv6=("2001:db8:3::10",)),
)

PLACEMENT = (
    (ipaddress.ip_network("198.51.100.0/22"), "eu-west-1"),
    (ipaddress.ip_network("2001:db8:2000::/36"), "eu-west-1"),
    (ipaddress.ip_network("203.0.113.0/24"), "ap-southeast-1"),
    (ipaddress.ip_network("0.0.0.0/0"), "us-east-1"),
    (ipaddress.ip_network("::/0"), "us-east-1"),
)


@dataclass
class FakeEngine:
    regions: tuple = REGIONS
    ttl: int = 30
    generation: int = 1
    down: set[str] = field(default_factory=set)
    calls: int = 0

    def __post_init__(self) -> None:
        self.config = SimpleNamespace(
            regions=self.regions,
            dns=SimpleNamespace(zone="api.edgeway.test", ttl=self.ttl, ttl_near_change=5,
                                nameservers=("ns1.api.edgeway.test",),
                                hostmaster="hostmaster.api.edgeway.test", port=5353))

    def set_down(self, *names: str) -> None:
        self.down = set(names)
        self.generation += 1

    def resolve(self, client):
        self.calls += 1
        address = ipaddress.ip_address(client)
        prefix, name = next((p, n) for p, n in PLACEMENT
                            if p.version == address.version and address in p)
        choices = [self._choice(r) for r in self.regions]
        choices.sort(key=lambda c: (c.name in self.down, c.name != name))
        best = choices[0]
        why = "nearest healthy" if best.name == name else f"{name} is down"
        return FakeDecision(best, tuple(choices[1:]), f"{best.name}: {why} (prefix {prefix})",
                            self.ttl, prefix)

    def _choice(self, region) -> Choice:
        return Choice(region.name, region.endpoint, region.ipv4, region.ipv6, 10.0, "fake")
