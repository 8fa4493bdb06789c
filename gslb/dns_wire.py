"""The GSLB's one DNS query parser: strict, by hand, cheap.

An authoritative server only ever needs to read *queries*: a 12-byte header, one
question and the additional section (an OPT record, perhaps a TSIG). Parsing
that by hand costs a few microseconds, where dnspython's full ``Message``
parser costs tens. The rules follow dnspython's (compression pointers only
point backwards, one OPT at the root, TSIG last and of class ANY); records we
do not use are skipped, not decoded.

``parse_query`` never raises: it returns a ``Query``, a ``Reject`` (answer the
client with this RCODE) or None (not a query: send nothing). It is the one
place that decides FORMERR; the shape shortcut in ``gslb.dns_answer`` only
skips it for queries it has already accepted, and hands anything else to it.
"""

from __future__ import annotations

import struct
from enum import IntEnum
from typing import Final, NamedTuple



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
TSIG_TYPE: Final = 250
ANY_CLASS: Final = 255
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


# The values here are NamedTuples, not frozen dataclasses: one is built per
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
    qtype: int
    qclass: int
    edns: Edns | None


class Reject(NamedTuple):
    """Answer with a header-only error: the query cannot be answered as asked."""

    rcode: Rcode
    id: int
    flags: int
    why: str


def parse_query(wire: bytes) -> Query | Reject | None:
    """Parse one query; see the module docstring for the possible outcomes."""
    size = len(wire)
    if size < 12:
        return None          # no room for even a header: nothing to answer to
    qid, flags, qd, an, ns, ar = HEADER.unpack_from(wire)
    if flags & QR:
        # A response sent to us. Answering it would let two servers bounce
        # errors at each other forever (RFC 1035 7.3 / BIND, Knot: ignore).
        return None

    def reject(why: str, rcode: Rcode = Rcode.FORMERR) -> Reject:
        return Reject(rcode, qid, flags, why)

    if flags & OPCODE_MASK:
        return reject("opcode is not QUERY", Rcode.NOTIMP)
    if size > MAX_QUERY_SIZE:
        return reject(f"query of {size} bytes is oversized")
    if qd != 1:
        return reject(f"{qd} questions (exactly one allowed)")
    if an or ns:
        return reject("a query carries answer/authority records")
    name = read_name(wire, 12)
    if isinstance(name, str):
        return reject(f"question {name}")
    qname, pos = name
    if pos + 4 > size:
        return reject("question is truncated")
    qtype, qclass = struct.unpack_from("!HH", wire, pos)
    pos += 4
    edns: Edns | None = None
    for i in range(ar):
        owner = read_name(wire, pos)
        if isinstance(owner, str):
            return reject(f"additional record {owner}")
        if owner[1] + 10 > size:
            return reject("additional record is truncated")
        rtype, rclass, ttl, rdlen = struct.unpack_from("!HHIH", wire, owner[1])
        pos = owner[1] + 10
        end = pos + rdlen
        if end > size:
            return reject("record data is truncated")
        if rtype == OPT_TYPE:
            if edns is not None or owner[0] != b"\0":
                return reject("more than one OPT record, or one not at the root")
            parsed = _edns(wire[pos:end], rclass, ttl)
            if isinstance(parsed, str):
                return reject(parsed)
            edns = parsed
        elif rtype == TSIG_TYPE:
            if i != ar - 1 or rclass != ANY_CLASS:
                return reject("TSIG record not last or not of class ANY")
            return reject("TSIG-signed query; no keys are configured", Rcode.REFUSED)
        pos = end
    if pos != size:
        return reject(f"{size - pos} trailing bytes after the query")
    return Query(qid, flags, qname, qname.lower(), qtype, qclass, edns)


def read_name(wire: bytes, pos: int) -> tuple[bytes, int] | str:
    """A name at ``pos``: (its uncompressed wire form, where the record goes on), or what is wrong.

    A compression pointer must point before the name and before every pointer
    already followed (as dnspython requires), so no loop can form.
    """
    labels: list[bytes] = []
    total, limit, after = 0, pos, -1
    while True:
        if pos >= len(wire):
            return "name is truncated"
        length = wire[pos]
        if length >= 0xC0:
            if pos + 1 >= len(wire):
                return "name is truncated"
            target = (length & 0x3F) << 8 | wire[pos + 1]
            if target >= limit:
                return "name has a bad compression pointer"
            if after < 0:
                after = pos + 2
            pos = limit = target
            continue
        if length & 0xC0:
            return "name has an unknown label type"
        if pos + 1 + length > len(wire):
            return "name is truncated"
        total += 1 + length
        if total > MAX_NAME_WIRE:
            return "name longer than 255 octets"
        labels.append(wire[pos:pos + 1 + length])
        pos += 1 + length
        if length == 0:
            return b"".join(labels), pos if after < 0 else after


def _edns(data: bytes, payload: int, ttl: int) -> Edns | str:
    """The OPT record's fields and options (RFC 6891 6.1.2); a string says what is wrong."""
    ecs, pos = None, 0
    while pos < len(data):
        if pos + 4 > len(data):
            return "EDNS option header is truncated"
        code, olen = struct.unpack_from("!HH", data, pos)
        pos += 4
        if pos + olen > len(data):
            return "EDNS option is truncated"
        if code == ECS_CODE:
            if ecs is not None:
                return "more than one ECS option"
            parsed = parse_ecs(data[pos:pos + olen])
            if isinstance(parsed, str):
                return parsed
            ecs = parsed
        pos += olen
    return Edns(max(payload, 512), (ttl >> 16) & 0xFF, bool(ttl & DO_BIT), ecs)


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


def ecs_option(ecs: Ecs, scope: int) -> bytes:
    """The ECS option echoed in a response: the query's subnet with our scope."""
    return struct.pack("!HHHBB", ECS_CODE, 4 + len(ecs.address), ecs.family,
                       ecs.source, scope) + ecs.address
