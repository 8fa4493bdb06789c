"""The networks table: CSV ``prefix,lat,lon[,label]`` that places clients on the map.

Lookup is a ``LongestMatch``: one dict per prefix length, tried longest first
(at most 33 or 129 dict probes, whatever the table size). The DNS placement
index (``gslb.dns_cache.Placements``) is the same class over the same prefixes.

A client the table does not know is *filed* (its measurements kept) under the
/24 or /56 around it, but *answered* for the widest aligned block around it
that holds no table prefix and no measured prefix: every address there has no
location and no measurement, so every one gets the same answer, and one Engine
call (and one DNS answer with that ECS scope) covers the whole block instead
of one per /24.
"""

from __future__ import annotations

import bisect
import ipaddress
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Generic, TypeVar

from edgeway.errors import ConfigError
from gslb.csvrows import csv_rows

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

DEFAULT_NETWORKS = Path(__file__).with_name("data") / "networks.csv"
# Placement prefix for clients the table does not know: wide enough that answer caches
# stay small, narrow enough to be one network (the ECS defaults of public resolvers).
FALLBACK_PREFIXLEN = {4: 24, 6: 56}
# The widest block an unknown client is answered for: a /8 (an old class A, a RIR's unit)
# or a /16 of IPv6; wider would mix address space nobody should reason about together.
WIDEST_BLOCK_PREFIXLEN = {4: 8, 6: 16}

V = TypeVar("V")


class LongestMatch(Generic[V]):
    """Longest-prefix match over one address family, prefixes as integers.

    One dict per prefix length (network >> host bits -> value), kept longest
    first. ``add`` publishes a new list of levels when a new length appears
    and otherwise only adds to a dict, so a reader in another thread iterates
    either the old list or the new one, never a half-built one.
    """

    __slots__ = ("bits", "_levels")

    def __init__(self, bits: int) -> None:
        self.bits = bits
        self._levels: list[tuple[int, int, dict[int, V]]] = []   # (length, host bits, table)

    def add(self, length: int, network: int, value: V) -> bool:
        """File ``value`` under the prefix; False if that prefix was already there (replaced)."""
        shift = self.bits - length
        table = next((t for n, _, t in self._levels if n == length), None)
        if table is None:
            table = {}
            self._levels = sorted([*self._levels, (length, shift, table)], key=lambda lv: -lv[0])
        new = network >> shift not in table
        table[network >> shift] = value
        return new

    def get(self, address: int) -> V | None:
        """The value of the longest prefix holding ``address`` (an integer), or None."""
        for _, shift, table in self._levels:
            found = table.get(address >> shift)
            if found is not None:
                return found
        return None


@dataclass(frozen=True, slots=True)
class Network:
    prefix: IPNetwork
    lat: float
    lon: float
    label: str = ""


def parse_address(value: str | IPAddress) -> IPAddress:
    if isinstance(value, (ipaddress.IPv4Address, ipaddress.IPv6Address)):
        return value
    addr = ipaddress.ip_address(value.strip())
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        return addr.ipv4_mapped  # ::ffff:a.b.c.d is an IPv4 client
    return addr


class PrefixSet:
    """Address ranges covered by some prefixes, merged: what lies between them is a gap."""

    def __init__(self, prefixes: Iterable[IPNetwork] = ()) -> None:
        spans: dict[int, list[tuple[int, int]]] = {4: [], 6: []}
        for prefix in prefixes:
            start = int(prefix.network_address)
            spans[prefix.version].append((start, start + prefix.num_addresses - 1))
        self._starts: dict[int, list[int]] = {}
        self._ends: dict[int, list[int]] = {}
        for version, ranges in spans.items():
            merged: list[tuple[int, int]] = []
            for start, end in sorted(ranges):
                if merged and start <= merged[-1][1] + 1:
                    merged[-1] = (merged[-1][0], max(merged[-1][1], end))
                else:
                    merged.append((start, end))
            self._starts[version] = [start for start, _ in merged]
            self._ends[version] = [end for _, end in merged]

    def gap(self, version: int, value: int) -> tuple[int, int] | None:
        """The first and last address of the gap holding ``value``; None if it is covered."""
        starts, ends = self._starts[version], self._ends[version]
        i = bisect.bisect_right(starts, value) - 1
        if i >= 0 and ends[i] >= value:
            return None
        low = ends[i] + 1 if i >= 0 else 0
        high = starts[i + 1] - 1 if i + 1 < len(starts) else (1 << (32 if version == 4 else 128)) - 1
        return low, high


class NetworkTable:
    def __init__(self, networks: Iterable[Network] = ()) -> None:
        self.index: dict[int, LongestMatch[Network]] = {4: LongestMatch(32), 6: LongestMatch(128)}
        self._networks: dict[IPNetwork, Network] = {}
        self._covered: PrefixSet | None = None  # built on first use, dropped by add()
        for net in networks:
            self.add(net)

    def add(self, net: Network) -> None:
        self._networks[net.prefix] = net
        self.index[net.prefix.version].add(net.prefix.prefixlen, int(net.prefix.network_address), net)
        self._covered = None

    def __len__(self) -> int:
        return len(self._networks)

    def __iter__(self) -> Iterator[Network]:
        return iter(self._networks.values())

    def lookup(self, address: str | IPAddress) -> Network | None:
        """The most specific network holding the address, or None."""
        addr = parse_address(address)
        return self.index[addr.version].get(int(addr))

    def placement(self, address: str | IPAddress) -> tuple[IPNetwork, Network | None]:
        """The prefix a client is placed by (table prefix, else a /24 or /56 around it)."""
        addr = parse_address(address)
        net = self.lookup(addr)
        if net is not None:
            return net.prefix, net
        return _block(addr, FALLBACK_PREFIXLEN[addr.version]), None

    def answer_block(self, address: str | IPAddress,
                     measured: PrefixSet) -> tuple[IPNetwork, Network | None]:
        """The prefix a client's answer holds for, and its table entry if it has one.

        A known client: its table prefix. An unknown one: the widest aligned block
        around it (at most WIDEST_BLOCK_PREFIXLEN) that overlaps no table prefix and
        nothing in ``measured``; the filing prefix of ``placement`` when that is
        itself measured. Never wider than what holds one answer.
        """
        addr = parse_address(address)
        filed, net = self.placement(addr)
        if net is not None:
            return filed, net
        if self._covered is None:
            self._covered = PrefixSet(n.prefix for n in self)
        value, bits = int(addr), addr.max_prefixlen
        low, high = self._covered.gap(addr.version, value) or (value, value)
        around = measured.gap(addr.version, value)
        if around is None:  # measured: answered from its own samples
            return filed, None
        low, high = max(low, around[0]), min(high, around[1])
        for length in range(WIDEST_BLOCK_PREFIXLEN[addr.version], bits + 1):
            start = value >> (bits - length) << (bits - length)
            if start >= low and start + (1 << (bits - length)) - 1 <= high:
                return _block(addr, length), None
        raise AssertionError("unreachable: the address alone is a block")  # pragma: no cover


def _block(addr: IPAddress, length: int) -> IPNetwork:
    """The aligned /length around an address, built from integers (a string parse costs ~40 us)."""
    shift = addr.max_prefixlen - length
    network = ipaddress.IPv4Network if addr.version == 4 else ipaddress.IPv6Network
    return network((int(addr) >> shift << shift, length))


def load_networks(path: str | Path | None = None) -> NetworkTable:
    """Read a networks CSV; errors name the file and the line."""
    path = Path(path) if path is not None else DEFAULT_NETWORKS
    table = NetworkTable()
    seen: dict[IPNetwork, int] = {}
    for lineno, row in csv_rows(path, what="networks table", number_at=1):
        fail = partial(ConfigError, file=str(path), line=lineno)
        net = parse_network_row(row, fail)
        if net.prefix in seen:
            raise fail(f"duplicate prefix {net.prefix} (first on line {seen[net.prefix]})",
                       key="prefix")
        seen[net.prefix] = lineno
        table.add(net)
    return table


def parse_network_row(row: list[str], fail: Callable[..., ConfigError]) -> Network:
    if len(row) < 3:
        raise fail(f"expected prefix,lat,lon[,label], got {len(row)} fields")
    try:
        prefix = ipaddress.ip_network(row[0].strip(), strict=False)
    except ValueError:
        raise fail(f"not an IP prefix: {row[0].strip()!r}", key="prefix") from None
    coords = []
    for key, text, limit in (("lat", row[1], 90.0), ("lon", row[2], 180.0)):
        try:
            value = float(text)
        except ValueError:
            raise fail(f"{key} is not a number: {text.strip()!r}", key=key) from None
        if not -limit <= value <= limit:
            raise fail(f"{key} {value} is outside [-{limit:g}, {limit:g}]", key=key)
        coords.append(value)
    label = ",".join(row[3:]).strip()  # extra columns (country, ASN, ...) stay in the label
    return Network(prefix, coords[0], coords[1], label)
