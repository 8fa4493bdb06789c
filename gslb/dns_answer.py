"""Query bytes and client address in, response bytes out: the GSLB's DNS logic.

No sockets here (``gslb.dns_server`` is the thin shell around it). The path of
one query, everything remembered being kept in one ``gslb.dns_cache.AnswerCache``:

1. ``gslb.dns_wire.parse_query`` reads and validates it by hand.
2. The client is placed by its EDNS Client Subnet (RFC 7871) when it carries
   one with a non-zero source prefix, else by the packet's source: its slot is
   found with a few dict lookups and the Engine is asked once per slot.
   Names that do not depend on the client (SOA, NS, NXDOMAIN, NODATA, region
   names) skip the Engine and answer with ECS scope 0.
3. The response is rendered once per (name, type, EDNS shape, answer) by
   dnspython and kept as bytes; a hit only splices in the query id, the RD bit,
   the question name as the client spelled it (0x20 case randomisation) and
   the ECS echo (scope = the slot's length, or longer when the networks table
   holds more specific prefixes inside it).
4. Before the parser, a query equal to an answered one except for its id and
   its ECS address (the same resolver asking for another subnet) is answered
   from its *shape* (the bytes around the address): placement and splice only.
5. Before that, a UDP query byte-for-byte equal (after the id) to one answered
   before gets that response back with its own id (resolvers re-ask every TTL).
   Only responses that do not depend on the sender's address are kept there.
"""

from __future__ import annotations

import ipaddress
import logging
import struct
import time
from collections.abc import Callable, Mapping, Sequence

import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset

from gslb.dns_cache import AnswerCache, Placed, Placements, Shape, ShapeKey, Template, slot_of
from gslb.dns_wire import (AA, DO_BIT, ECS_CODE, ECS_FAMILY_BITS, HEADER, OPT_TYPE, QR, RD, TC, Ecs,
                           Query, Rcode, Reject, ecs_option, has_stray_bits, parse_query)
from gslb.dns_zone import TXT, ZONE_TRANSFER, NameKind, Zone
from gslb.engine import Decision, Resolver
from gslb.networks import parse_address

log = logging.getLogger(__name__)

IN = 1
DEFAULT_MAX_UDP = 1232      # the DNS Flag Day 2020 size: no IP fragmentation


class DnsAnswerer:
    """Answers queries for the Engine's zone; safe to share between threads (see gslb.dns_cache)."""

    def __init__(self, engine: Resolver, *, nameserver_addresses: Mapping[str, Sequence[str]] | None = None,
                 max_udp: int = DEFAULT_MAX_UDP, max_entries: int = 100_000,
                 max_age_s: float = 5.0, clock: Callable[[], float] = time.monotonic,
                 replay: bool = True) -> None:
        self.engine = engine
        self.zone = Zone(engine.config.dns, engine.config.regions, nameserver_addresses=nameserver_addresses)
        self.max_udp = max(512, max_udp)
        self.max_entries = max_entries
        self.max_age_s = max_age_s
        self.clock = clock
        self.replay = replay        # step 5 of the module docstring; off only to measure without it
        self.placements = Placements(engine.networks, max_learned=max_entries)
        self._cache = AnswerCache(-1, 0.0, max_entries)

    # -- the hot path ---------------------------------------------------------------

    def answer(self, wire: bytes, source: str, *, udp: bool = True) -> bytes | None:
        """The response to ``wire`` from ``source`` (an IP string); None = send nothing.

        Never raises: anything unexpected becomes SERVFAIL (and a log line).
        """
        try:
            # The one invalidation point: a new generation (or max_age_s) starts a new cache.
            cache, generation, now = self._cache, self.engine.generation, self.clock()
            if generation != cache.generation or now >= cache.expires:
                cache = self._cache = AnswerCache(generation, now + self.max_age_s, self.max_entries)
            if udp and self.replay:
                # Byte-identical repeat of a query answered before (a resolver
                # re-asking for the same subnet): only the id differs.
                tail = cache.repeats.get(wire[2:])
                if tail is not None:
                    return wire[:2] + tail
            fast = self._answer_shape(cache, wire, udp)
            if fast is not None:
                return fast
            parsed = parse_query(wire)
            if parsed is None:
                return None
            if isinstance(parsed, Reject):
                return _header_only(parsed.id, parsed.flags, parsed.rcode)
            response, repeatable = self._answer_query(cache, parsed, source, wire)
            if udp:
                limit = self._udp_limit(parsed)
                if len(response) > limit:
                    response = self._bare(parsed, Rcode.NOERROR, extra_flags=AA | TC)
                if repeatable and self.replay:
                    cache.put(cache.repeats, wire[2:], response[2:])
            return response
        except Exception:  # noqa: BLE001 - the one boundary: a client never sees a traceback
            log.exception("DNS answer failed")
            if len(wire) >= 12 and not wire[2] & 0x80:
                qid, flags = struct.unpack_from("!HH", wire)
                return _header_only(qid, flags, Rcode.SERVFAIL)
            return None

    def _answer_shape(self, cache: AnswerCache, wire: bytes, udp: bool) -> bytes | None:
        """Step 4 of the module docstring; None sends the query down the full path."""
        octets = cache.shape_sizes.get(len(wire))
        if octets is None:
            return None
        cut = len(wire) - octets
        shape = cache.shapes.get(wire[2:cut])
        if shape is None:
            return None
        address = wire[cut:]
        if has_stray_bits(shape.source, address):
            return None  # the parser decides what that is (FORMERR)
        bits = ECS_FAMILY_BITS[shape.family]
        placed = self._place(cache, shape.family, int.from_bytes(address, "big") << (bits - 8 * octets))
        template = placed.templates.get(shape.key)
        if template is None:
            return None  # first query of this slot: rendered on the full path
        option = shape.option_head + bytes((placed.scope,)) + address
        out = (wire[:2] + struct.pack("!H", template.flags | (shape.flags & RD)) + template.counts
               + shape.qname + template.tail + struct.pack("!H", len(option)) + option)
        if udp:
            if len(out) > shape.limit:
                return None  # truncation is the full path's business
            if self.replay:
                cache.put(cache.repeats, wire[2:], out[2:])
        return out

    def _learn_shape(self, cache: AnswerCache, wire: bytes, q: Query, key: ShapeKey) -> None:
        """Remember where this query's ECS address sits, if the address ends the packet."""
        ecs = q.edns.ecs if q.edns is not None else None
        if ecs is None or ecs.source == 0 or not ecs.address:
            return
        octets = len(ecs.address)
        head = struct.pack("!HHHB", ECS_CODE, 4 + octets, ecs.family, ecs.source)
        # The option must be the packet's last bytes: head, the query's scope, address.
        if wire[-(octets + len(head) + 1):-(octets + 1)] != head or not wire.endswith(ecs.address):
            return
        if cache.shape_sizes.setdefault(len(wire), octets) != octets:
            return  # another shape of this length has another address size: keep it simple
        cache.put(cache.shapes, wire[2:len(wire) - octets],
                  Shape(ecs.family, ecs.source, key, q.flags, q.qname, head, self._udp_limit(q)))

    def _udp_limit(self, q: Query) -> int:
        return max(512, min(q.edns.payload, self.max_udp)) if q.edns else 512

    def _answer_query(self, cache: AnswerCache, q: Query, source: str,
                      wire: bytes) -> tuple[bytes, bool]:
        """The response, and whether it holds for any sender of these exact bytes."""
        edns = q.edns
        if edns is not None and edns.version != 0:
            return self._bare(q, Rcode.BADVERS), False
        if q.qclass != IN or q.qtype in ZONE_TRANSFER:
            return self._bare(q, Rcode.REFUSED), False
        found = self.zone.names.get(q.qname_key)
        if found is None and not self.zone.contains(q.qname_key):
            return self._bare(q, Rcode.REFUSED), False
        ecs = edns.ecs if edns is not None else None
        key: ShapeKey = (q.qname_key, q.qtype, None if edns is None else (edns.do, ecs.family if ecs else 0))
        # Answers placed by the packet's source address must not be replayed to
        # another source; refusals are not kept (junk would churn the table).
        repeatable = True
        if found is not None and Zone.needs_decision(found[0], q.qtype):
            if ecs is not None and ecs.source > 0:
                placed = self._place(cache, ecs.family, ecs.network_int())
                self._learn_shape(cache, wire, q, key)
            else:
                # No ECS, or RFC 7871 7.1.2 source prefix 0 ("do not use my client's
                # address"): the resolver's own address is the best guess.
                placed = self._place(cache, *_address_int(source))
                repeatable = False
        else:
            placed = cache.slots.get(None) or cache.put(cache.slots, None, Placed(None, 0))
        template = placed.templates.get(key)
        if template is None:
            template = placed.templates[key] = self._template(cache, q, found, placed.decision, key)
        out = (struct.pack("!HH", q.id, template.flags | (q.flags & RD)) + template.counts
               + q.qname + template.tail)
        if template.has_opt:
            if ecs is not None:
                option = ecs_option(ecs, 0 if ecs.source == 0 else placed.scope)
                return out + struct.pack("!H", len(option)) + option, repeatable
            return out + b"\0\0", repeatable
        return out, repeatable

    def _place(self, cache: AnswerCache, family: int, address: int) -> Placed:
        """The slot holding ``address`` and its Decision: the Engine is asked once per slot."""
        slot = self.placements.find(family, address)
        if slot is not None:
            placed = cache.slots.get(slot)
            if placed is not None:
                return placed
        client = ipaddress.IPv4Address(address) if family == 1 else ipaddress.IPv6Address(address)
        decision = self.engine.resolve(client)
        prefix = decision.prefix
        if prefix.version != client.version or client not in prefix:
            # The Engine broke its promise: remember this one address only.
            prefix = ipaddress.ip_network(client)
        slot = slot_of(prefix)
        self.placements.learn(slot)
        return cache.put(cache.slots, slot, Placed(decision, self.placements.scope(slot)))

    # -- rendering on a miss (dnspython) -----------------------------------------------

    def _template(self, cache: AnswerCache, q: Query, found: tuple[NameKind, str] | None,
                  decision: Decision | None, key: ShapeKey) -> Template:
        # Many slots share one answer (every client of a region gets the same A
        # record): rendered once, each slot echoing its own ECS scope.
        content = None if decision is None else (decision.ttl, decision.reason if q.qtype == TXT
                                                 else (decision.region.ipv4, decision.region.ipv6))
        return cache.rendered.get((*key, content)) or cache.put(
            cache.rendered, (*key, content), self._render(cache, q, found, decision))

    def _render(self, cache: AnswerCache, q: Query, found: tuple[NameKind, str] | None,
                decision: Decision | None) -> Template:
        name = dns.name.from_wire(q.qname_key, 0)[0]
        serial = cache.generation + 1
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
        return Template(flags=struct.unpack_from("!H", wire, 2)[0], counts=wire[4:12],
                        tail=wire[12 + len(q.qname):end], has_opt=q.edns is not None)

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
    """(ECS family, address) of a packet's source; an IPv4-mapped IPv6 address is IPv4."""
    address = parse_address(source.split("%", 1)[0])
    return 1 if address.version == 4 else 2, int(address)


__all__ = ["DEFAULT_MAX_UDP", "DnsAnswerer"]
