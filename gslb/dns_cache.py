"""The DNS answer cache: everything the answer path remembers, for one Engine generation.

One key for everything that depends on the client: the placement slot
(``gslb.dns_placement``). Under it sit the Engine's Decision for that prefix,
the ECS scope to announce, and the rendered responses by question shape.
Slot ``None`` holds the answers that do not depend on the client (SOA, NS,
NXDOMAIN, region names). Beside it, keyed by the query bytes, sit the two
shortcuts that skip the parser (``gslb.dns_answer`` steps 5 and 6): whole
responses to byte-identical repeats, and where the ECS address sits in a
query of a known shape. ``rendered`` lets slots with the same answer share
one rendering.

One invalidation point: ``DnsAnswerer`` compares ``Engine.generation`` (and
the clock, against ``max_age_s``) with this cache's on every query and, when
either moved, replaces the whole cache with an empty one. One eviction rule:
a table that reaches ``max_entries`` starts over empty.

Threads: the UDP thread and every TCP connection thread answer queries. Each
takes the current ``AnswerCache`` once per query and only reads it and adds
to its dicts (a single ``dict`` store: atomic in CPython, and per-object
locked in free-threaded builds). Two threads that fill the same key in one
generation compute the same value, so the last write winning loses nothing.
A replacement publishes a new object; a query already holding the old one
finishes against it, consistently. Every Decision in a cache was resolved
after the generation it is labelled with was read, so a cache never serves
a state older than its label, and the label is checked on every query.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple, TypeVar

from gslb.dns_placement import Slot

if TYPE_CHECKING:
    from gslb.engine import Decision

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
