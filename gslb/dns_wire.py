"""A strict, cheap parser for the one shape of DNS message the GSLB answers.

An authoritative server only ever needs to read *queries*: a 12-byte header, one
question and at most one OPT record. Parsing that by hand costs a few
microseconds, where dnspython's full ``Message`` parser costs tens; the answer
path (``gslb.dns_answer``) calls ``parse_query`` on every packet and only falls
back to dnspython for the shapes this parser declines (compression pointers in
the question, additional records other than a lone OPT).

``parse_query`` never raises: it returns a ``Query``, a ``Reject`` (answer the
client with this RCODE) or None (not a query: send nothing).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from enum import IntEnum
from typing import Final, NamedTuple

import dns.exception
import dns.message
import dns.name


class Rcode(IntEnum):
    """The response codes this server sends (RFC 1035, RFC 6891)."""

    NOERROR = 0
    FORMERR = 1    # the query is malformed (bad counts, labels, ECS, trailing bytes)
    SERVFAIL = 2   # the engine failed; never expected, never a traceback
    NXDOMAIN = 3   # the name does not exist inside our zone
    NOTIMP = 4     # an opcode other than QUERY
    REFUSED = 5    # a name outside our zone, or a class other than IN
    BADVERS = 16   # EDNS version above 0 (extended RCODE: needs an OPT record)


HEADER: Final = struct.Struct("!HHHHHH")
OPT_TYPE: Final = 41
ECS_CODE: Final = 8
MAX_QUERY_SIZE: Final = 4096     # no legitimate query comes close; larger ones are abuse
MAX_NAME_WIRE: Final = 255

# Header flag bits (RFC 1035 4.1.1).
QR: Final = 0x8000
AA: Final = 0x0400
TC: Final = 0x0200
RD: Final = 0x0100
OPCODE_MASK: Final = 0x7800
DO_BIT: Final = 0x8000           # in the OPT TTL's low 16 bits (RFC 3225)

# ECS address families (IANA Address Family Numbers) -> address size in bits.
ECS_FAMILY_BITS: Final = {1: 32, 2: 128}


# Query, Edns and Ecs are NamedTuples, not frozen dataclasses: one is built per
# packet, and a frozen dataclass's __init__ costs a setattr call per field.
class Ecs(NamedTuple):
    """An EDNS Client Subnet option as the query carried it (RFC 7871 6)."""

    family: int         # 1 = IPv4, 2 = IPv6
    source: int         # SOURCE PREFIX-LENGTH
    address: bytes      # exactly ceil(source / 8) octets, bits past `source` zero

    def network_int(self) -> int:
        """The subnet's address as an integer of the family's full width."""
        bits = ECS_FAMILY_BITS[self.family]
        return int.from_bytes(self.address.ljust(bits // 8, b"\0"), "big")


class Edns(NamedTuple):
    payload: int        # the requester's UDP payload size (never below 512 in use)
    version: int
    do: bool
    ecs: Ecs | None


class Query(NamedTuple):
    id: int
    flags: int
    qname: bytes        # wire form exactly as sent (case preserved for 0x20 echo)
    qname_key: bytes    # lower-cased wire form
    label_starts: tuple[int, ...]  # offsets in qname where each label begins
    qtype: int
    qclass: int
    edns: Edns | None


@dataclass(frozen=True, slots=True)
class Reject:
    """Answer with a header-only error: the query cannot be answered as asked."""

    rcode: Rcode
    id: int
    flags: int
    why: str


class _Hard:
    """Legal but outside the fast path: parse with dnspython."""

    __slots__ = ()


HARD: Final = _Hard()

def parse_query(wire: bytes) -> Query | Reject | None:
    """Parse one query; see the module docstring for the possible outcomes."""
    parsed = _parse_fast(wire)
    return _parse_with_dnspython(wire) if isinstance(parsed, _Hard) else parsed


def _parse_fast(wire: bytes) -> Query | Reject | _Hard | None:
    size = len(wire)
    if size < 12:
        return None          # no room for even a header: nothing to answer to
    qid, flags, qd, an, ns, ar = HEADER.unpack_from(wire)
    if flags & QR:
        # A response sent to us. Answering it would let two servers bounce
        # errors at each other forever (RFC 1035 7.3 / BIND, Knot: ignore).
        return None
    if flags & OPCODE_MASK:
        return Reject(Rcode.NOTIMP, qid, flags, "opcode is not QUERY")
    if size > MAX_QUERY_SIZE:
        return Reject(Rcode.FORMERR, qid, flags, f"query of {size} bytes is oversized")
    if qd != 1:
        return Reject(Rcode.FORMERR, qid, flags, f"{qd} questions (exactly one allowed)")
    if an or ns:
        return Reject(Rcode.FORMERR, qid, flags, "a query carries answer/authority records")

    # The question name: plain labels only; a pointer sends us to dnspython.
    pos = 12
    starts: list[int] = []
    while True:
        if pos >= size:
            return Reject(Rcode.FORMERR, qid, flags, "question name is truncated")
        length = wire[pos]
        if length == 0:
            pos += 1
            break
        if length & 0xC0:
            if length & 0xC0 == 0xC0:
                return HARD
            return Reject(Rcode.FORMERR, qid, flags, "unknown label type")
        starts.append(pos - 12)
        pos += 1 + length
    if pos - 12 > MAX_NAME_WIRE:
        return Reject(Rcode.FORMERR, qid, flags, "question name longer than 255 octets")
    if pos + 4 > size:
        return Reject(Rcode.FORMERR, qid, flags, "question is truncated")
    qname = wire[12:pos]
    qtype, qclass = struct.unpack_from("!HH", wire, pos)
    pos += 4

    edns: Edns | None = None
    if ar > 1:
        return HARD
    if ar == 1:
        # A lone additional record: we only take it here if it is an OPT at root.
        if pos + 11 > size:
            return Reject(Rcode.FORMERR, qid, flags, "additional record is truncated")
        if wire[pos] != 0 or struct.unpack_from("!H", wire, pos + 1)[0] != OPT_TYPE:
            return HARD
        payload, ext_rcode, version, eflags, rdlen = struct.unpack_from("!HBBHH", wire, pos + 3)
        pos += 11
        end = pos + rdlen
        if end > size:
            return Reject(Rcode.FORMERR, qid, flags, "OPT record data is truncated")
        ecs = None
        while pos < end:
            if pos + 4 > end:
                return Reject(Rcode.FORMERR, qid, flags, "EDNS option header is truncated")
            code, olen = struct.unpack_from("!HH", wire, pos)
            pos += 4
            if pos + olen > end:
                return Reject(Rcode.FORMERR, qid, flags, "EDNS option is truncated")
            if code == ECS_CODE:
                if ecs is not None:
                    return Reject(Rcode.FORMERR, qid, flags, "more than one ECS option")
                parsed = parse_ecs(wire[pos:pos + olen])
                if isinstance(parsed, str):
                    return Reject(Rcode.FORMERR, qid, flags, parsed)
                ecs = parsed
            pos += olen
        edns = Edns(max(payload, 512), version, bool(eflags & DO_BIT), ecs)
    if pos != size:
        return Reject(Rcode.FORMERR, qid, flags, f"{size - pos} trailing bytes after the query")
    key = qname.lower()
    return Query(qid, flags, qname, key, tuple(starts), qtype, qclass, edns)


def parse_ecs(data: bytes) -> Ecs | str:
    """Validate an ECS option body (RFC 7871 6); a string says what is wrong."""
    if len(data) < 4:
        return "ECS option shorter than 4 octets"
    family, source, scope = struct.unpack_from("!HBB", data)
    bits = ECS_FAMILY_BITS.get(family)
    if bits is None:
        return f"ECS family {family} is not IPv4 (1) or IPv6 (2)"
    if source > bits or scope > bits:
        return f"ECS prefix length longer than the family allows (/{bits})"
    address = data[4:]
    if len(address) != (source + 7) // 8:
        return f"ECS address has {len(address)} octets, /{source} needs {(source + 7) // 8}"
    # Bits past the source prefix MUST be zero: a resolver that leaks them is
    # either broken or smuggling the full client address.
    if has_stray_bits(source, address):
        return "ECS address has bits set beyond the source prefix"
    # A non-zero SCOPE PREFIX-LENGTH in a query breaks a MUST of RFC 7871 6 but
    # names no error for it; like dnspython we only bound it, then ignore it.
    return Ecs(family, source, address)


def has_stray_bits(source: int, address: bytes) -> bool:
    """Whether ``address`` sets bits past its SOURCE PREFIX-LENGTH (RFC 7871 6 forbids it)."""
    return bool(source % 8 and address[-1] & (0xFF >> (source % 8)))


def name_wire(name: dns.name.Name) -> bytes:
    """A name's uncompressed wire form (``to_wire()`` is typed as maybe-None)."""
    wire = name.to_wire()
    assert wire is not None
    return wire


def ecs_option(ecs: Ecs, scope: int) -> bytes:
    """The ECS option echoed in a response: the query's subnet with our scope."""
    return struct.pack("!HHHBB", ECS_CODE, 4 + len(ecs.address), ecs.family,
                       ecs.source, scope) + ecs.address


def _parse_with_dnspython(wire: bytes) -> Query | Reject | None:
    """The legal-but-unusual queries: compressed question names, extra records."""
    qid, flags = struct.unpack_from("!HH", wire)
    try:
        message = dns.message.from_wire(wire, ignore_trailing=False)
    except dns.message.UnknownTSIGKey:
        return Reject(Rcode.REFUSED, qid, flags, "TSIG-signed query; no keys are configured")
    except (dns.exception.DNSException, ValueError, IndexError, struct.error) as exc:
        return Reject(Rcode.FORMERR, qid, flags, f"malformed query: {exc.__class__.__name__}")
    if len(message.question) != 1 or message.answer or message.authority:
        return Reject(Rcode.FORMERR, qid, flags, "a query needs exactly one question")
    question = message.question[0]
    qname = name_wire(question.name)
    starts, pos = [], 0
    while qname[pos]:
        starts.append(pos)
        pos += 1 + qname[pos]
    edns = None
    if message.edns >= 0:
        ecs = None
        for option in message.options:
            if option.otype == 8:
                if ecs is not None:
                    return Reject(Rcode.FORMERR, qid, flags, "more than one ECS option")
                parsed = parse_ecs(option.to_wire())
                if isinstance(parsed, str):
                    return Reject(Rcode.FORMERR, qid, flags, parsed)
                ecs = parsed
        edns = Edns(max(message.payload, 512), message.edns,
                    bool(message.ednsflags & DO_BIT), ecs)
    return Query(qid, flags, qname, qname.lower(), tuple(starts), int(question.rdtype),
                 int(question.rdclass), edns)
