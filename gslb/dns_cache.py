"""The DNS answer cache: everything the answer path remembers, under one key.

The key is a client's placement *slot*, ``(family, prefix length, network >>
host bits)``: plain ints, cheap to hash (an ``ip_network`` hashes slowly). The
Engine promises one Decision for every address inside ``Decision.prefix``: a
networks table prefix (longest match wins) or, for clients the table does not
know, a block around the client. ``Placements`` finds the slot with one
``gslb.networks.LongestMatch`` (the networks table's own lookup) over the
table's prefixes and the blocks the Engine returned so far. A block never
holds the address of a shorter table prefix (the Engine would have answered
with that one), so the longest match is the table's whenever there is one.

``AnswerCache`` keeps under each slot the Decision, the ECS scope and the
rendered responses by question shape; slot ``None`` holds the answers that do
not depend on the client. Beside them, keyed by query bytes, are the two
parser shortcuts of ``gslb.dns_answer`` (byte-identical repeats; where the ECS
address sits in a known shape), and ``rendered`` shares one rendering between
slots with the same answer.

One invalidation point: ``DnsAnswerer.answer`` compares ``Engine.generation``
(and the clock, against ``max_age_s``) with the cache's on every query and,
when either moved, replaces the whole cache with an empty one. One eviction
rule: a table that reaches ``max_entries`` starts over empty. The slot index
outlives generations: a slot is only a key, and a Decision is asked again
whenever the Engine answers an address with another block.

Threads: the UDP thread and every TCP connection thread answer queries. Each
takes the current ``AnswerCache`` once per query, reads it and adds to its
dicts (one ``dict`` store: atomic in CPython, per-object locked in free-threaded
builds). Two threads filling one key in one generation compute the same value,
so the last write loses nothing. A replacement publishes a new object; a query
holding the old one finishes against it. Every Decision in a cache was resolved
after its generation label was read, so a cache never serves a state older
than its label, and the label is checked on every query.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple, TypeVar

from gslb.engine import Decision
from gslb.networks import IPNetwork, LongestMatch, NetworkTable

Slot = tuple[int, int, int]
K = TypeVar("K")
V = TypeVar("V")
ShapeKey = tuple[bytes, int, tuple[bool, int] | None]   # lower-cased qname, qtype, EDNS (DO, ECS family)


@dataclass(frozen=True, slots=True)
class Template:
    """A rendered response minus the parts that vary per query."""

    flags: int          # QR, AA, opcode 0, RCODE low bits; RD comes from the query
    counts: bytes       # QDCOUNT..ARCOUNT
    tail: bytes         # everything after the question name (up to the OPT RDLENGTH)
    has_opt: bool


class Shape(NamedTuple):
    """What a query with this shape needs answered, once its ECS address is known."""

    family: int
    source: int            # ECS SOURCE PREFIX-LENGTH (the address is its last octets)
    key: ShapeKey
    flags: int             # the query's flags (RD is echoed)
    qname: bytes           # as the client spelled it
    option_head: bytes     # option code and length, family, source (scope follows)
    limit: int             # UDP payload limit of the response


@dataclass(slots=True)
class Placed:
    """One slot's answers: the Decision, its ECS scope, the responses rendered so far."""

    decision: Decision | None      # None for the client-independent slot
    scope: int
    templates: dict[ShapeKey, Template] = field(default_factory=dict)


@dataclass(slots=True)
class AnswerCache:
    generation: int
    expires: float                 # clock value after which the cache is replaced
    max_entries: int
    slots: dict[Slot | None, Placed] = field(default_factory=dict)
    rendered: dict[tuple[object, ...], Template] = field(default_factory=dict)
    repeats: dict[bytes, bytes] = field(default_factory=dict)   # query minus id -> response minus id
    shapes: dict[bytes, Shape] = field(default_factory=dict)    # query minus id and ECS address
    shape_sizes: dict[int, int] = field(default_factory=dict)   # query length -> ECS address octets

    def put(self, table: dict[K, V], key: K, value: V) -> V:
        """The one eviction rule: a full table starts over."""
        if len(table) >= self.max_entries:
            table.clear()
        table[key] = value
        return value


_BITS = {1: 32, 2: 128}
_FAMILY = {4: 1, 6: 2}


def slot_of(prefix: IPNetwork) -> Slot:
    family = _FAMILY[prefix.version]
    return family, prefix.prefixlen, int(prefix.network_address) >> (_BITS[family] - prefix.prefixlen)


class Placements:
    """The slot index: the networks table's prefixes, and the Engine's blocks as learned.

    Threads: any answering thread may ``find`` and ``learn``; ``learn`` only adds
    to a ``LongestMatch`` (see there why a concurrent reader is safe) or swaps
    in a fresh index.
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
        deepest = self._nested.get((family, length))
        if deepest is None:   # built whole, then published: another thread never sees half
            deepest = {}
            for f, longer, inner in self._table:
                if f == family and longer > length:
                    outer = inner >> (longer - length)
                    deepest[outer] = max(deepest.get(outer, 0), longer)
            self._nested[(family, length)] = deepest
        return max(length, deepest.get(key, 0))
