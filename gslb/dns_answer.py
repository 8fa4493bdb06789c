"""Query bytes and client address in, response bytes out: the GSLB's DNS logic.

No sockets here (``gslb.dns_server`` is the thin shell around it). The path of
one query:

1. ``gslb.dns_wire.parse_query`` reads the header, the question and the OPT
   record by hand (dnspython parses the rare legal shapes it declines).
2. The client is placed: by its EDNS Client Subnet (RFC 7871) when the query
   carries one with a non-zero source prefix, else by the packet's source.
3. Names that do not depend on the client (SOA, NS, NXDOMAIN, NODATA, the
   per-region names) are answered without the Engine, with ECS scope 0.
   The apex A / AAAA / TXT need a ``Decision``: ``gslb.dns_placement`` maps
   the client to its placement prefix with a few dict lookups and asks the
   Engine once per prefix, not once per query.
4. The full response is rendered once per (name, type, EDNS shape, prefix) by
   dnspython and kept as bytes; a hit only splices in the query id, the RD bit,
   the question name as the client spelled it (0x20 case randomisation) and
   the echoed ECS option (scope = the prefix length, or longer when the
   networks table holds more specific prefixes inside it).
5. In front of all that, a UDP query byte-for-byte equal (after the id) to one
   answered before gets that response back with its own id, without parsing:
   resolvers re-ask the same question for the same subnet every TTL. Only
   responses that do not depend on the sender's address are kept there.
6. Between the two, a query equal to an answered one except for its id and its
   ECS address (the same resolver asking the same question for another
   subnet) skips the parser too: its *shape* (the bytes around the address)
   says where the address is and which template family answers it, so only
   the placement and the splice remain.

All tables are dropped when ``Engine.generation`` changes (health or latency
moved) and after ``max_age_s`` at the latest, so no answer outlives the state
it was computed from by more than that.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import logging
import struct
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset

from gslb.dns_wire import (AA, DO_BIT, ECS_CODE, ECS_FAMILY_BITS, HEADER, OPT_TYPE, QR, RD, TC, Ecs,
                           Query, Rcode, Reject, ecs_option, has_stray_bits, parse_query)
from gslb.dns_placement import PlacementCache, Slot
from gslb.dns_zone import TXT, ZONE_TRANSFER, NameKind, Zone

log = logging.getLogger(__name__)

IN = 1
DEFAULT_MAX_UDP = 1232      # the DNS Flag Day 2020 size: no IP fragmentation
_FAMILY_OF_LEN = {4: 1, 16: 2}


class _Shape(NamedTuple):
    """What a query with this shape needs answered, once its ECS address is known."""

    family: int
    source: int            # ECS SOURCE PREFIX-LENGTH (the address is its last octets)
    key: tuple[Any, ...]    # (qname key, qtype, EDNS shape): the template key minus the slot
    flags: int             # the query's flags (RD is echoed)
    qname: bytes           # as the client spelled it
    option_head: bytes     # option code and length, family, source (scope follows)
    limit: int             # UDP payload limit of the response


@dataclass(frozen=True, slots=True)
class _Template:
    """A rendered response minus the parts that vary per query."""

    flags: int          # QR, AA, opcode 0, RCODE low bits; RD comes from the query
    counts: bytes       # QDCOUNT..ARCOUNT
    tail: bytes         # everything after the question name (up to the OPT RDLENGTH)
    has_opt: bool
    scope: int          # ECS SCOPE PREFIX-LENGTH to echo


class DnsAnswerer:
    """Answers queries for the Engine's zone; safe to share between threads."""

    def __init__(self, engine: Any, *, nameserver_addresses: Mapping[str, Sequence[str]] | None = None,
                 max_udp: int = DEFAULT_MAX_UDP, max_entries: int = 100_000,
                 max_age_s: float = 5.0, clock: Callable[[], float] = time.monotonic,
                 replay: bool = True) -> None:
        self.engine = engine
        config = engine.config
        self.zone = Zone(config.dns, config.regions, nameserver_addresses=nameserver_addresses)
        self.max_udp = max(512, max_udp)
        self.max_entries = max_entries
        self.max_age_s = max_age_s
        self.clock = clock
        self.replay = replay        # step 5 of the module docstring; off only to measure without it
        self._generation: object = None
        self._expires = 0.0
        self._answers: dict[tuple[Any, ...], _Template] = {}
        self._shared: dict[tuple[Any, ...], _Template] = {}   # by answer content, across prefixes
        self._repeats: dict[bytes, bytes] = {}      # query minus id -> response minus id
        self._shapes: dict[bytes, _Shape] = {}      # query minus id and ECS address -> shape
        self._shape_sizes: dict[int, int] = {}      # query length -> ECS address octets there
        self._placements = PlacementCache(engine, max_entries=max_entries)
        self._sources: dict[str, tuple[int, int]] = {}

    # -- the hot path ---------------------------------------------------------------

    def answer(self, wire: bytes, source: str, *, udp: bool = True) -> bytes | None:
        """The response to ``wire`` from ``source`` (an IP string); None = send nothing.

        Never raises: anything unexpected becomes SERVFAIL (and a log line).
        """
        try:
            generation = self.engine.generation
            now = self.clock()
            if generation != self._generation or now >= self._expires:
                self._drop_caches(generation, now)
            if udp and self.replay:
                # Byte-identical repeat of a query answered before (a resolver
                # re-asking for the same subnet): only the id differs.
                tail = self._repeats.get(wire[2:])
                if tail is not None:
                    return wire[:2] + tail
            fast = self._answer_shape(wire, udp)
            if fast is not None:
                return fast
            parsed = parse_query(wire)
            if parsed is None:
                return None
            if isinstance(parsed, Reject):
                return _header_only(parsed.id, parsed.flags, parsed.rcode)
            response, repeatable = self._answer_query(parsed, source, wire)
            if udp:
                limit = self._udp_limit(parsed)
                if len(response) > limit:
                    response = self._bare(parsed, Rcode.NOERROR, extra_flags=AA | TC)
                if repeatable and self.replay:
                    self._remember(wire, response)
            return response
        except Exception:  # noqa: BLE001 - the one boundary: a client never sees a traceback
            log.exception("DNS answer failed")
            if len(wire) >= 12 and not wire[2] & 0x80:
                qid, flags = struct.unpack_from("!HH", wire)
                return _header_only(qid, flags, Rcode.SERVFAIL)
            return None

    def _remember(self, wire: bytes, response: bytes) -> None:
        if len(self._repeats) >= self.max_entries:
            self._repeats.clear()
        self._repeats[wire[2:]] = response[2:]

    def _answer_shape(self, wire: bytes, udp: bool) -> bytes | None:
        """Step 6 of the module docstring; None sends the query down the full path."""
        octets = self._shape_sizes.get(len(wire))
        if octets is None:
            return None
        cut = len(wire) - octets
        shape = self._shapes.get(wire[2:cut])
        if shape is None:
            return None
        address = wire[cut:]
        if has_stray_bits(shape.source, address):
            return None  # the full path refuses it (FORMERR)
        bits = ECS_FAMILY_BITS[shape.family]
        slot, _ = self._placements.decide(shape.family,
                                          int.from_bytes(address, "big") << (bits - 8 * octets))
        template = self._answers.get((*shape.key, slot))
        if template is None:
            return None  # first query of this slot: rendered on the full path
        option = shape.option_head + bytes((template.scope,)) + address
        out = (wire[:2] + struct.pack("!H", template.flags | (shape.flags & RD)) + template.counts
               + shape.qname + template.tail + struct.pack("!H", len(option)) + option)
        if udp:
            if len(out) > shape.limit:
                return None  # truncation is the full path's business
            if self.replay:
                self._remember(wire, out)
        return out

    def _learn_shape(self, wire: bytes, q: Query) -> None:
        """Remember where this query's ECS address sits, if the address ends the packet."""
        ecs = q.edns.ecs if q.edns is not None else None
        if ecs is None or ecs.source == 0 or not ecs.address:
            return
        octets = len(ecs.address)
        head = struct.pack("!HHHB", ECS_CODE, 4 + octets, ecs.family, ecs.source)
        # The option must be the packet's last bytes: head, the query's scope, address.
        if wire[-(octets + len(head) + 1):-(octets + 1)] != head or not wire.endswith(ecs.address):
            return
        if self._shape_sizes.setdefault(len(wire), octets) != octets:
            return  # another shape of this length has another address size: keep it simple
        if len(self._shapes) >= self.max_entries:
            self._shapes.clear()
        assert q.edns is not None
        self._shapes[wire[2:len(wire) - octets]] = _Shape(
            ecs.family, ecs.source, (q.qname_key, q.qtype, (q.edns.do, ecs.family)), q.flags,
            q.qname, head, self._udp_limit(q))

    def _udp_limit(self, q: Query) -> int:
        return max(512, min(q.edns.payload, self.max_udp)) if q.edns else 512

    def _answer_query(self, q: Query, source: str, wire: bytes) -> tuple[bytes, bool]:
        """The response, and whether it holds for any sender of these exact bytes."""
        edns = q.edns
        if edns is not None and edns.version != 0:
            return self._bare(q, Rcode.BADVERS), False
        if q.qclass != IN or q.qtype in ZONE_TRANSFER:
            return self._bare(q, Rcode.REFUSED), False
        found = self.zone.names.get(q.qname_key)
        if found is None and not self.zone.contains(q.qname_key, q.label_starts):
            return self._bare(q, Rcode.REFUSED), False
        ecs = edns.ecs if edns is not None else None
        edns_shape = None if edns is None else (edns.do, ecs.family if ecs else 0)
        decision = None
        # Answers placed by the packet's source address must not be replayed to
        # another source; refusals are not kept (junk would churn the table).
        repeatable = True
        key: tuple[Any, ...]
        if found is not None and Zone.needs_decision(found[0], q.qtype):
            slot, decision = self._place(ecs, source)
            repeatable = ecs is not None and ecs.source > 0
            if repeatable:
                self._learn_shape(wire, q)
            key = (q.qname_key, q.qtype, edns_shape, slot)
        else:
            key = (q.qname_key, q.qtype, edns_shape, None)
        template = self._answers.get(key)
        if template is None:
            template = self._template(q, found, decision, key)
            if len(self._answers) >= self.max_entries:
                self._answers.clear()
            self._answers[key] = template
        out = (struct.pack("!HH", q.id, template.flags | (q.flags & RD)) + template.counts
               + q.qname + template.tail)
        if template.has_opt:
            if ecs is not None:
                option = ecs_option(ecs, 0 if ecs.source == 0 else template.scope)
                return out + struct.pack("!H", len(option)) + option, repeatable
            return out + b"\0\0", repeatable
        return out, repeatable

    def _place(self, ecs: Ecs | None, source: str) -> tuple[Slot, Any]:
        if ecs is not None and ecs.source > 0:
            return self._placements.decide(ecs.family, ecs.network_int())
        # No ECS, or RFC 7871 7.1.2 source prefix 0 ("do not use my client's
        # address"): the resolver's own address is the best guess.
        placed = self._sources.get(source)
        if placed is None:
            if len(self._sources) >= self.max_entries:
                self._sources.clear()
            placed = self._sources[source] = _address_int(source)
        return self._placements.decide(*placed)

    def _drop_caches(self, generation: object, now: float) -> None:
        self._answers = {}
        self._shared = {}
        self._repeats = {}
        self._shapes = {}
        self._shape_sizes = {}
        self._placements.clear()
        self._generation = generation
        self._expires = now + self.max_age_s

    # -- rendering on a miss (dnspython) -----------------------------------------------

    def _template(self, q: Query, found: tuple[NameKind, str] | None, decision: Any,
                  key: tuple[Any, ...]) -> _Template:
        if decision is None:
            return self._render(q, found, None, 0)
        # Many prefixes share one answer (every client of a region gets the same
        # A record): render it once, give each prefix its own ECS scope.
        content = decision.reason if q.qtype == TXT else (decision.region.ipv4, decision.region.ipv6)
        shared_key = (*key[:3], content, decision.ttl)
        shared = self._shared.get(shared_key)
        if shared is None:
            if len(self._shared) >= self.max_entries:
                self._shared.clear()
            shared = self._shared[shared_key] = self._render(q, found, decision, 0)
        return dataclasses.replace(shared, scope=self._placements.scope(key[3]))

    def _render(self, q: Query, found: tuple[NameKind, str] | None, decision: Any,
                scope: int) -> _Template:
        name = dns.name.from_wire(q.qname_key, 0)[0]
        serial = int(self.engine.generation or 0) + 1
        if found is None:
            records = self.zone.nxdomain(serial)
        else:
            records = self.zone.records(name, found[0], found[1], q.qtype, decision, serial)
        message = dns.message.Message(id=0)
        message.flags = QR | AA
        message.set_rcode(dns.rcode.Rcode.make(int(records.rcode)))
        message.question.append(dns.rrset.RRset(name, dns.rdataclass.IN,
                                                dns.rdatatype.RdataType.make(q.qtype)))
        message.answer.extend(records.answer)
        message.authority.extend(records.authority)
        if q.edns is not None:
            message.use_edns(0, ednsflags=DO_BIT if q.edns.do else 0, payload=self.max_udp,
                             options=[])
        wire = message.to_wire()
        end = len(wire) - 2 if q.edns is not None else len(wire)
        return _Template(flags=struct.unpack_from("!H", wire, 2)[0], counts=wire[4:12],
                         tail=wire[12 + len(q.qname):end], has_opt=q.edns is not None,
                         scope=scope)

    def _bare(self, q: Query, rcode: Rcode, *, extra_flags: int = 0) -> bytes:
        """Header, the question and (with EDNS) an OPT: refusals, BADVERS, truncation."""
        flags = QR | extra_flags | (q.flags & RD) | (int(rcode) & 0xF)
        opt = b""
        if q.edns is not None:
            option = ecs_option(q.edns.ecs, 0) if q.edns.ecs else b""
            ttl = ((int(rcode) >> 4) << 24) | (DO_BIT if q.edns.do else 0)
            opt = b"\0" + struct.pack("!HHIH", OPT_TYPE, self.max_udp, ttl, len(option)) + option
        return (HEADER.pack(q.id, flags, 1, 0, 0, 1 if opt else 0) + q.qname
                + struct.pack("!HH", q.qtype, q.qclass) + opt)


def _header_only(qid: int, query_flags: int, rcode: Rcode) -> bytes:
    flags = QR | (query_flags & (0x7800 | RD)) | (int(rcode) & 0xF)
    return HEADER.pack(qid, flags, 0, 0, 0, 0)


def _address_int(source: str) -> tuple[int, int]:
    address = ipaddress.ip_address(source.split("%", 1)[0])
    if address.version == 6 and address.ipv4_mapped is not None:
        address = address.ipv4_mapped   # a dual-stack socket's view of an IPv4 client
    packed = address.packed
    return _FAMILY_OF_LEN[len(packed)], int.from_bytes(packed, "big")


__all__ = ["DEFAULT_MAX_UDP", "DnsAnswerer"]
