"""Client address -> (placement slot, Decision), asking the Engine once per prefix.

The Engine promises that every address inside ``Decision.prefix`` gets the same
Decision. Its prefixes come from the networks table (longest match wins) or,
for clients the table does not know, a fixed-width prefix around the client.
So the lookup here is: longest match over the table's own prefixes (read once
from ``engine.networks``), then over the fallback prefixes the Engine has
returned so far; the table goes first because a fallback prefix may contain a
more specific table prefix that must win.

A *slot* is ``(family, prefix length, network >> host bits)``: plain ints, so
hashing it on the hot path is cheap (an ``ip_network`` hashes slowly). The
answer cache in ``gslb.dns_answer`` keys on it.
"""

from __future__ import annotations

import ipaddress
from typing import Any

Slot = tuple[int, int, int]
_BITS = {1: 32, 2: 128}
_FAMILY = {4: 1, 6: 2}


def slot_of(prefix: ipaddress.IPv4Network | ipaddress.IPv6Network) -> Slot:
    family = _FAMILY[prefix.version]
    return family, prefix.prefixlen, int(prefix.network_address) >> (_BITS[family] - prefix.prefixlen)


def _tables(prefixes: list[Slot]) -> dict[int, list[tuple[int, frozenset[int]]]]:
    """family -> [(length, keys)], longest first."""
    grouped: dict[tuple[int, int], set[int]] = {}
    for family, length, key in prefixes:
        grouped.setdefault((family, length), set()).add(key)
    out: dict[int, list[tuple[int, frozenset[int]]]] = {1: [], 2: []}
    for (family, length), keys in sorted(grouped.items(), key=lambda item: -item[0][1]):
        out[family].append((length, frozenset(keys)))
    return out


class PlacementCache:
    """Thread-safe enough for CPython: tables are replaced, never mutated while read."""

    def __init__(self, engine: Any, *, max_entries: int = 100_000) -> None:
        self.engine = engine
        self.max_entries = max_entries
        networks = getattr(engine, "networks", None) or ()
        self._table = _tables([slot_of(net.prefix) for net in networks])
        self._learned: dict[tuple[int, int], set[int]] = {}
        self._learned_count = 0
        self._fallback: dict[int, list[tuple[int, Any]]] = {1: [], 2: []}
        self._decisions: dict[Slot, Any] = {}
        self._nested: dict[tuple[int, int], dict[int, int]] = {}   # per (family, length), lazily

    def clear(self) -> None:
        """Forget every Decision (the Engine's generation moved)."""
        self._decisions = {}

    def scope(self, slot: Slot) -> int:
        """The ECS scope to announce for a slot's answer.

        Normally the slot's own length. But if the table holds more specific
        prefixes *inside* it (a /16 with a /24 carved out), a resolver told
        "valid for the /16" would serve the carve-out's clients from its cache;
        announcing the longest nested length m instead is safe: the client's /m
        cannot overlap a nested prefix it is not in.
        """
        family, length, key = slot
        nested = self._nested.get((family, length))
        if nested is None:
            nested = self._nested[(family, length)] = self._nested_lengths(family, length)
        return max(length, nested.get(key, 0))

    def _nested_lengths(self, family: int, length: int) -> dict[int, int]:
        bits = _BITS[family]
        deepest: dict[int, int] = {}
        for longer, keys in self._table[family]:
            if longer <= length:
                continue
            for key in keys:
                outer = (key << (bits - longer)) >> (bits - length)
                deepest[outer] = max(deepest.get(outer, 0), longer)
        return deepest

    def decide(self, family: int, address: int) -> tuple[Slot, Any]:
        bits = _BITS[family]
        slot: Slot | None = None
        for tables in (self._table, self._fallback):
            for length, keys in tables[family]:
                key = address >> (bits - length)
                if key in keys:
                    slot = (family, length, key)
                    break
            if slot is not None:
                break
        if slot is not None:
            decision = self._decisions.get(slot)
            if decision is not None:
                return slot, decision
        client = ipaddress.IPv4Address(address) if family == 1 else ipaddress.IPv6Address(address)
        decision = self.engine.resolve(client)
        prefix = decision.prefix
        if prefix.version != client.version or client not in prefix:
            # The Engine broke its promise: remember this one address only.
            prefix = ipaddress.ip_network(client)
        slot = slot_of(prefix)
        if len(self._decisions) >= self.max_entries:
            self._decisions = {}
        self._decisions[slot] = decision
        if not any(slot[2] in keys for length, keys in self._table[family] if length == slot[1]):
            self._learn(slot)
        return slot, decision

    def _learn(self, slot: Slot) -> None:
        family, length, key = slot
        if self._learned_count >= self.max_entries:
            self._learned, self._learned_count = {}, 0
            self._fallback = {1: [], 2: []}
        keys = self._learned.get((family, length))
        if keys is None:
            keys = self._learned[(family, length)] = set()
            # A new length: publish a new list (readers iterate the old one safely).
            self._fallback = {
                f: sorted(((n, s) for (ff, n), s in self._learned.items() if ff == f),
                          key=lambda item: -item[0])
                for f in (1, 2)}
        keys.add(key)
        self._learned_count += 1
