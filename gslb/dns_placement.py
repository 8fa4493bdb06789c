"""Client address -> placement slot: which prefix's answer a DNS client gets.

The Engine promises that every address inside ``Decision.prefix`` gets the same
Decision. Its prefixes come from the networks table (longest match wins) or,
for clients the table does not know, a block around the client. So a slot is
found by one longest-prefix match (``gslb.networks.LongestMatch``, the same
lookup the networks table uses) over the table's prefixes plus the blocks the
Engine has returned so far. One index holds both: a block never contains the
address of a shorter table prefix (the Engine would have answered with that
one), so the longest match is the table's match whenever there is one.

A *slot* is ``(family, prefix length, network >> host bits)``: plain ints, so
hashing it on the hot path is cheap (an ``ip_network`` hashes slowly). The
answer cache (``gslb.dns_cache``) keys on it.
"""

from __future__ import annotations

import ipaddress

from gslb.networks import IPNetwork, LongestMatch, NetworkTable

Slot = tuple[int, int, int]
_BITS = {1: 32, 2: 128}
_FAMILY = {4: 1, 6: 2}


def slot_of(prefix: IPNetwork) -> Slot:
    family = _FAMILY[prefix.version]
    return family, prefix.prefixlen, int(prefix.network_address) >> (_BITS[family] - prefix.prefixlen)


def client_of(family: int, address: int) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    return ipaddress.IPv4Address(address) if family == 1 else ipaddress.IPv6Address(address)


class Placements:
    """The slot index: the networks table's prefixes, then the Engine's blocks as learned.

    Threads: any answering thread may call ``find`` and ``learn``. ``learn``
    only adds to a ``LongestMatch`` (see its docstring for why a concurrent
    reader is safe) or replaces the whole index with a fresh one; nothing here
    depends on the Engine's generation, because a slot is only a key: the
    Decision filed under it is re-asked whenever the Engine returns another
    block for an address (``gslb.dns_cache``).
    """

    def __init__(self, networks: NetworkTable, *, max_learned: int = 100_000) -> None:
        self.max_learned = max_learned
        self._table = [slot_of(net.prefix) for net in networks]
        self._learned = 0
        self._index = self._fresh()
        self._nested: dict[tuple[int, int], dict[int, int]] = {}   # per (family, length), lazily

    def _fresh(self) -> dict[int, LongestMatch[Slot]]:
        index: dict[int, LongestMatch[Slot]] = {1: LongestMatch(32), 2: LongestMatch(128)}
        for slot in self._table:
            index[slot[0]].add(slot[1], slot[2] << (_BITS[slot[0]] - slot[1]), slot)
        return index

    def find(self, family: int, address: int) -> Slot | None:
        """The slot of the longest known prefix holding ``address`` (an integer)."""
        return self._index[family].get(address)

    def learn(self, slot: Slot) -> None:
        """A block the Engine answered with: later addresses inside it find it."""
        family, length, key = slot
        if self._learned >= self.max_learned:
            self._index, self._learned = self._fresh(), 0
        self._learned += self._index[family].add(length, key << (_BITS[family] - length), slot)

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
        deepest: dict[int, int] = {}
        for f, longer, key in self._table:
            if f == family and longer > length:
                outer = key >> (longer - length)
                deepest[outer] = max(deepest.get(outer, 0), longer)
        return deepest
