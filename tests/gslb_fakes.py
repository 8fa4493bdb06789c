"""A stand-in for the Engine (``gslb.engine.Resolver``), for DNS and HTTP tests.

Placement is by a fixed prefix table: 198.51.100.0/22 and 2001:db8:2000::/36
go to eu-west-1, 203.0.113.0/24 to ap-southeast-1, everything else (as /0)
to us-east-1. ``down`` fails a region over to the next one. Its networks
table is empty: every prefix it answers with is learned from its Decisions.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from gslb.config import DnsConfig, GslbConfig, Location, RegionConfig
from gslb.engine import Decision, RegionChoice
from gslb.networks import IPAddress, NetworkTable

if TYPE_CHECKING:
    from gslb.engine import Resolver


def region(name: str, ipv4: tuple[str, ...], ipv6: tuple[str, ...],
           endpoint: str = "x") -> RegionConfig:
    return RegionConfig(name, endpoint, ipv4, ipv6, Location(0.0, 0.0))


REGIONS = (
    region("us-east-1", ("192.0.2.10",), ("2001:db8:1::10",), "http://127.0.0.1:3000"),
    region("eu-west-1", ("198.51.100.10",), ("2001:db8:2::10",), "http://127.0.0.1:3002"),
    region("ap-southeast-1", ("203.0.113.10",), ("2001:db8:3::10",), "http://127.0.0.1:3003"),
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
    regions: tuple[RegionConfig, ...] = REGIONS
    ttl: int = 30
    generation: int = 1
    down: set[str] = field(default_factory=set)
    calls: int = 0
    networks: NetworkTable = field(default_factory=NetworkTable)

    def __post_init__(self) -> None:
        self.config = GslbConfig(self.regions, dns=DnsConfig(ttl=self.ttl))

    def set_down(self, *names: str) -> None:
        self.down = set(names)
        self.generation += 1

    def resolve(self, client: str | IPAddress) -> Decision:
        self.calls += 1
        address = ipaddress.ip_address(client)
        prefix, name = next((p, n) for p, n in PLACEMENT
                            if p.version == address.version and address in p)
        choices = [RegionChoice(r.name, r.endpoint, r.ipv4, r.ipv6, 10.0, "fake") for r in self.regions]
        choices.sort(key=lambda c: (c.name in self.down, c.name != name))
        best = choices[0]
        why = "nearest healthy" if best.name == name else f"{name} is down"
        return Decision(best, tuple(choices[1:]), f"{best.name}: {why} (prefix {prefix})",
                        self.ttl, prefix)


if TYPE_CHECKING:
    def _conforms(fake: FakeEngine) -> Resolver:  # mypy proves the fake has the Engine's surface
        return fake
