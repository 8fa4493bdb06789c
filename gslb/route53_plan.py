"""The Route 53 CIDR-routing plan: the Engine's per-network decisions as Route 53 data (pure).

One CIDR collection per stage; one *location* per region, named after it, holding
the prefixes the Engine sends to that region, merged into the fewest blocks that
answer exactly the same; the default location ``*`` aliases ``_latency.<domain>``,
a latency-routed record set with one record per region, so a client Edgeway knows
nothing about gets AWS's own latency routing.

What Route 53 answers a client under a plan (``Route53Plan.answer``): the location
of the longest block holding the client's address, else ``*``. A block answers for
every longer prefix inside it; IPv4 blocks are /1../24 and IPv6 blocks /1../48 (AWS
docs, "IP-based routing"), so a longer table prefix cannot be published and is
reported as dropped. The ``*`` answer is approximated offline by map distance from
the client's networks-table location to the nearest healthy region (Route 53 measures
from the resolver, which we cannot see).

Fitting the limits (``max_blocks``, Route 53's default quota of CIDR blocks per
collection): when the merged blocks do not all fit, blocks whose prefixes the
fallback would send elsewhere are kept first (they are why the collection exists),
then the blocks covering the most table prefixes; the rest are ``dropped``, each
with its reason.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from edgeway.errors import ConfigError
from gslb.geo import distance_km
from gslb.health import Health
from gslb.networks import IPAddress, IPNetwork, LongestMatch, Network, NetworkTable, parse_address

__all__ = ["Answer", "Dropped", "Route53Plan", "Target", "answer_for", "location_name", "merge", "plan"]

DEFAULT_LOCATION = "*"
MAX_BLOCKS = 1_000                 # CIDR blocks per collection: Route 53's default quota
LONGEST_BLOCK = {4: 24, 6: 48}     # longer blocks are refused by Route 53
OWNER = "edgeway-"                 # SetIdentifier prefix of every record Edgeway owns
_LOCATION = re.compile(r"^[0-9A-Za-z_-]{1,16}$")

DropReason = Literal["longer-than-route53-allows", "over-block-limit", "region-not-published"]


@dataclass(frozen=True, slots=True)
class Target:
    """Where a region's alias records point: its API Gateway regional custom domain."""

    region: str
    dns_name: str                      # d-xxxx.execute-api.<region>.amazonaws.com
    hosted_zone_id: str                # API Gateway's zone for that region
    health_check_id: str | None = None


@dataclass(frozen=True, slots=True)
class Dropped:
    prefix: str
    region: str                        # what the Engine picks for it
    reason: DropReason


@dataclass(frozen=True, slots=True)
class Answer:
    ip: str
    location: str                      # a region's location name, or "*"
    region: str


@dataclass(frozen=True, slots=True)
class _Fallback:
    """What the ``*`` location answers, approximated: the nearest healthy region on the map."""

    regions: tuple[tuple[str, float, float], ...]    # healthy regions with their coordinates
    networks: NetworkTable

    def region_for(self, addr: IPAddress) -> str:
        net = self.networks.lookup(addr)
        if net is None or not self.regions:
            return self.regions[0][0] if self.regions else ""
        return self.nearest(net.lat, net.lon)

    def nearest(self, lat: float, lon: float) -> str:
        return min(self.regions, key=lambda r: distance_km(lat, lon, r[1], r[2]))[0]


@dataclass(frozen=True)
class Route53Plan:
    domain: str                                   # absolute, with the trailing dot
    locations: Mapping[str, tuple[str, ...]]      # region -> CIDR blocks (location name = region)
    default: str                                  # the name the * location aliases
    records: tuple[dict[str, Any], ...]           # ResourceRecordSets, Route 53 API shape
    dropped: tuple[Dropped, ...]
    prefixes: int                                 # table prefixes considered
    _fallback: _Fallback = field(repr=False, compare=False)
    _index: dict[int, LongestMatch[str]] = field(repr=False, compare=False)

    @property
    def blocks(self) -> int:
        return sum(len(v) for v in self.locations.values())

    def answer(self, client: str | IPAddress) -> Answer:
        """What Route 53 answers this client under the plan: longest match, else ``*``."""
        addr = parse_address(client)
        location = answer_for(self._index, addr)
        region = location if location != DEFAULT_LOCATION else self._fallback.region_for(addr)
        return Answer(str(client), location, region)

    def as_json(self) -> dict[str, Any]:
        return {"domain": self.domain,
                "locations": {r: list(b) for r, b in self.locations.items()},
                "default": f"{self.default} (latency routing over the healthy regions)",
                "records": list(self.records),
                "dropped": [{"prefix": d.prefix, "region": d.region, "reason": d.reason}
                            for d in self.dropped],
                "blocks": {r: len(b) for r, b in self.locations.items()}}


def location_name(region: str) -> str:
    """A region's CIDR location name (Route 53: 1-16 characters of [0-9A-Za-z_-])."""
    if not _LOCATION.match(region):
        raise ConfigError(f"region name {region!r} cannot be a Route 53 CIDR location "
                          "(at most 16 characters of 0-9 A-Z a-z _ -)", key="regions[].name")
    return region


def index_blocks(locations: Mapping[str, Iterable[str]]) -> dict[int, LongestMatch[str]]:
    """version -> the longest-match index of the blocks (the networks table's own lookup)."""
    index: dict[int, LongestMatch[str]] = {4: LongestMatch(32), 6: LongestMatch(128)}
    for location, blocks in locations.items():
        for text in blocks:
            block = ipaddress.ip_network(text)
            index[block.version].add(block.prefixlen, int(block.network_address), location)
    return index


def answer_for(index: Mapping[int, LongestMatch[str]], addr: IPAddress) -> str:
    """Route 53's choice of location for a client: the longest block holding it, else ``*``."""
    return index[addr.version].get(int(addr)) or DEFAULT_LOCATION


def merge(blocks_by_region: Mapping[str, Iterable[IPNetwork]]) -> dict[str, list[IPNetwork]]:
    """The fewest blocks per region that answer every address exactly as before.

    Two sibling blocks of one region become their parent unless another region holds
    that parent (it would then be the same block in two locations); a block inside a
    block of its own region, with no other region's block in between, is dropped.
    Blocks are (version, prefixlen, network int) here: 100,000 prefixes merge in
    about a second.
    """
    owner: dict[tuple[int, int, int], str] = {}
    for region, blocks in blocks_by_region.items():
        for block in blocks:
            owner.setdefault((block.version, block.prefixlen, int(block.network_address)), region)
    levels: dict[tuple[int, int], list[int]] = {}
    for version, length, value in owner:
        levels.setdefault((version, length), []).append(value)
    for version, bits in ((4, 32), (6, 128)):
        for length in range(bits, 0, -1):
            shift = bits - length
            for value in sorted(levels.get((version, length), ())):
                key = (version, length, value)
                held = owner.get(key)
                if held is None:
                    continue
                sibling = (version, length, value ^ (1 << shift))
                parent = (version, length - 1, value >> (shift + 1) << (shift + 1))
                if owner.get(sibling) == held and owner.get(parent, held) == held:
                    del owner[key], owner[sibling]
                    if parent not in owner:
                        levels.setdefault((version, length - 1), []).append(parent[2])
                    owner[parent] = held
    for key in sorted(owner, key=lambda k: -k[1]):
        version, length, value = key
        bits = 32 if version == 4 else 128
        for up in range(length - 1, 0, -1):
            above = (version, up, value >> (bits - up) << (bits - up))
            if above in owner:
                if owner[above] == owner[key]:
                    del owner[key]
                break
    out: dict[str, list[IPNetwork]] = {region: [] for region in blocks_by_region}
    for (version, length, value), region in sorted(owner.items()):
        cls = ipaddress.IPv4Network if version == 4 else ipaddress.IPv6Network
        out[region].append(cls((value, length)))
    for blocks in out.values():
        blocks.sort(key=lambda b: (b.version, int(b.network_address), b.prefixlen))
    return out


def plan(engine: Any, *, domain: str | None = None, collection_id: str = "(collection id)",
         targets: Mapping[str, Target] | None = None, hosted_zone_id: str = "(hosted zone id)",
         max_blocks: int = MAX_BLOCKS) -> Route53Plan:
    """The Route 53 plan for the Engine's current decisions over its networks table.

    ``targets`` are the regions that can be published (those with a custom domain);
    None means every configured region (offline what-if, with placeholder targets).
    """
    config = engine.config
    name = (domain or config.dns.zone).rstrip(".") + "."
    for region in config.region_names:
        location_name(region)
    health = engine.health()
    healthy = [r for r in config.regions if health[r.name].state is not Health.DOWN] or list(config.regions)
    publishable = set(targets) if targets is not None else set(config.region_names)
    fallback = _Fallback(tuple((r.name, r.location.lat, r.location.lon) for r in healthy
                               if r.name in publishable), engine.networks)
    picks: dict[str, list[IPNetwork]] = {r: [] for r in config.region_names if r in publishable}
    matters: set[IPNetwork] = set()        # prefixes the fallback would send elsewhere
    dropped: list[Dropped] = []
    for net in engine.networks:
        region = _decide(engine, net)
        if region not in publishable:
            dropped.append(Dropped(str(net.prefix), region, "region-not-published"))
        elif net.prefix.prefixlen > LONGEST_BLOCK[net.prefix.version]:
            dropped.append(Dropped(str(net.prefix), region, "longer-than-route53-allows"))
        else:
            picks[region].append(net.prefix)
            if fallback.regions and fallback.nearest(net.lat, net.lon) != region:
                matters.add(net.prefix)
    merged = merge(picks)
    merged, over = _fit(merged, picks, matters, max_blocks)
    dropped.extend(over)
    locations = {region: tuple(str(b) for b in blocks) for region, blocks in merged.items() if blocks}
    records = _records(name, config.region_names, locations, targets, collection_id, hosted_zone_id)
    return Route53Plan(name, locations, f"_latency.{name}", records,
                       tuple(sorted(dropped, key=lambda d: d.prefix)), len(engine.networks),
                       fallback, index_blocks(locations))


def _decide(engine: Any, net: Network) -> str:
    """The Engine's region for a table prefix (not for a longer prefix that starts at the same address)."""
    for addr in (net.prefix.network_address, net.prefix.broadcast_address):
        decision = engine.resolve(addr)
        if decision.prefix == net.prefix:
            return str(decision.region.name)
    return str(engine.resolve(net.prefix.network_address).region.name)


def _fit(merged: dict[str, list[IPNetwork]], picks: Mapping[str, Sequence[IPNetwork]],
         matters: set[IPNetwork], max_blocks: int) -> tuple[dict[str, list[IPNetwork]], list[Dropped]]:
    total = sum(len(b) for b in merged.values())
    if total <= max_blocks:
        return merged, []
    blocks: dict[tuple[int, int, int], str] = {(b.version, b.prefixlen, int(b.network_address)): r
                                               for r, bs in merged.items() for b in bs}
    covered: dict[tuple[int, int, int], list[IPNetwork]] = {}
    for prefixes in picks.values():
        for prefix in prefixes:
            bits, value = prefix.max_prefixlen, int(prefix.network_address)
            for length in range(prefix.prefixlen, 0, -1):
                key = (prefix.version, length, value >> (bits - length) << (bits - length))
                if key in blocks:
                    covered.setdefault(key, []).append(prefix)
                    break
    ranked = sorted(covered, key=lambda k: (not any(p in matters for p in covered[k]),
                                            -len(covered[k]), k))
    keep = set(ranked[:max_blocks])
    out = {r: [b for b in bs if (b.version, b.prefixlen, int(b.network_address)) in keep]
           for r, bs in merged.items()}
    dropped = [Dropped(str(p), blocks[key], "over-block-limit") for key in ranked[max_blocks:]
               for p in covered[key]]
    return out, dropped


def _records(name: str, regions: Sequence[str], locations: Mapping[str, Sequence[str]],
             targets: Mapping[str, Target] | None, collection_id: str,
             hosted_zone_id: str) -> tuple[dict[str, Any], ...]:
    """CIDR alias records per located region, the default, and the latency set behind it."""
    latency = f"_latency.{name}"

    def alias(region: str) -> dict[str, Any]:
        t = (targets or {}).get(region)
        return {"HostedZoneId": t.hosted_zone_id if t else f"(API Gateway zone of {region})",
                "DNSName": t.dns_name if t else f"(regional domain of {region})",
                "EvaluateTargetHealth": True}

    def check(region: str) -> dict[str, str]:
        t = (targets or {}).get(region)
        return {"HealthCheckId": t.health_check_id} if t and t.health_check_id else {}

    published = [r for r in regions if targets is None or r in targets]
    records: list[dict[str, Any]] = []
    for rtype in ("A", "AAAA"):
        for region in published:
            if region in locations:
                records.append({"Name": name, "Type": rtype, "SetIdentifier": f"{OWNER}cidr-{region}",
                                "CidrRoutingConfig": {"CollectionId": collection_id, "LocationName": region},
                                "AliasTarget": alias(region), **check(region)})
        records.append({"Name": name, "Type": rtype, "SetIdentifier": f"{OWNER}cidr-default",
                        "CidrRoutingConfig": {"CollectionId": collection_id, "LocationName": DEFAULT_LOCATION},
                        "AliasTarget": {"HostedZoneId": hosted_zone_id, "DNSName": latency,
                                        "EvaluateTargetHealth": True}})
        for region in published:
            records.append({"Name": latency, "Type": rtype, "SetIdentifier": f"{OWNER}latency-{region}",
                            "Region": region, "AliasTarget": alias(region), **check(region)})
    return tuple(records)
