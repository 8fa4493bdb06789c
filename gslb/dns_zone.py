"""What the GSLB's authoritative zone contains, as dnspython record sets.

The zone is small and mostly synthetic:

    <zone>                 SOA, NS, and the GSLB answer: A / AAAA of the region
                           the Engine picks for the client, TXT saying why
    <region>.<zone>        A / AAAA of that one region, whatever its health
                           (for debugging and for pinning a client by hand)
    <nameserver>           A / AAAA of the server itself, when it is in the zone
                           and its address is known (``nameserver_addresses``)
    anything else inside   NXDOMAIN, with the SOA for negative caching (RFC 2308)
    anything outside       REFUSED: we are nobody's resolver

Only the apex A, AAAA and TXT answers depend on the client; everything else is
the same for every client, so ``needs_decision`` lets the hot path skip the
Engine (and answer with ECS scope 0) for them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum

import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rrset

from gslb.config import DnsConfig, RegionConfig
from gslb.dns_wire import Rcode
from gslb.engine import Decision

A, NS, SOA, TXT, AAAA, HINFO, ANY = 1, 2, 6, 16, 28, 13, 255
ZONE_TRANSFER = frozenset({251, 252})   # IXFR, AXFR: not offered
STATIC_TTL = 3600                        # SOA, NS, region and nameserver names never move


class NameKind(Enum):
    """The kinds of name that exist in the zone."""

    APEX = "apex"            # the GSLB name itself
    REGION = "region"        # <region>.<zone>: that region's addresses
    NAMESERVER = "ns"        # an in-zone nameserver host
    EMPTY = "empty"          # an empty non-terminal (exists, holds no records)


@dataclass(frozen=True, slots=True)
class Records:
    """The sections of one answer, before rendering."""

    rcode: Rcode
    answer: tuple[dns.rrset.RRset, ...] = ()
    authority: tuple[dns.rrset.RRset, ...] = ()


def _key(name: dns.name.Name) -> bytes:
    """A name as the parser's ``qname_key``: lower-cased uncompressed wire form."""
    return (name.to_wire() or b"").lower()


def _rrset(name: dns.name.Name, rdtype: int, ttl: int, texts: Sequence[str]) -> dns.rrset.RRset:
    return dns.rrset.from_text_list(name, ttl, dns.rdataclass.IN, dns.rdatatype.RdataType.make(rdtype),
                                    list(texts))


class Zone:
    """The names of the zone and the records at each; built once per Engine config."""

    def __init__(self, dns_config: DnsConfig, regions: Sequence[RegionConfig], *,
                 nameserver_addresses: Mapping[str, Sequence[str]] | None = None) -> None:
        self.origin = dns.name.from_text(dns_config.zone)
        self.key = _key(self.origin)
        self.ttl = int(dns_config.ttl)
        self.nameservers = tuple(dns.name.from_text(ns) for ns in dns_config.nameservers)
        self.hostmaster = dns.name.from_text(dns_config.hostmaster)
        self.regions = {r.name.lower(): r for r in regions}
        self._ns_addresses = {dns.name.from_text(k): tuple(v)
                              for k, v in (nameserver_addresses or {}).items()}
        self.names: dict[bytes, tuple[NameKind, str]] = {}
        for region in regions:
            self._add(dns.name.Name((region.name.lower().encode(),)).concatenate(self.origin),
                      NameKind.REGION, region.name.lower())
        for ns in self.nameservers:
            if ns.is_subdomain(self.origin) and ns != self.origin:
                self._add(ns, NameKind.NAMESERVER, ns.to_text())
        self.names[self.key] = (NameKind.APEX, "")

    def _add(self, name: dns.name.Name, kind: NameKind, arg: str) -> None:
        self.names[_key(name)] = (kind, arg)
        # Every name between it and the apex exists too (RFC 8020: no NXDOMAIN there).
        parent = name.parent()
        while parent != self.origin and parent.is_subdomain(self.origin):
            self.names.setdefault(_key(parent), (NameKind.EMPTY, ""))
            parent = parent.parent()

    def contains(self, qname_key: bytes) -> bool:
        """Whether a lower-cased wire name is at or below the apex (label-aligned)."""
        at, cut = 0, len(qname_key) - len(self.key)
        while at < cut:
            at += 1 + qname_key[at]
        return at == cut and qname_key.endswith(self.key)

    @staticmethod
    def needs_decision(kind: NameKind, qtype: int) -> bool:
        return kind is NameKind.APEX and qtype in (A, AAAA, TXT)

    def soa(self, serial: int) -> dns.rrset.RRset:
        # MINIMUM = the answer TTL: a negative answer is cached no longer than a
        # positive one, so a name that starts to exist is seen as fast (RFC 2308).
        text = (f"{self.nameservers[0]} {self.hostmaster} {serial & 0xFFFFFFFF} "
                f"3600 600 86400 {self.ttl}")
        return _rrset(self.origin, SOA, STATIC_TTL, [text])

    def nxdomain(self, serial: int) -> Records:
        return Records(Rcode.NXDOMAIN, authority=(self._negative_soa(serial),))

    def _negative_soa(self, serial: int) -> dns.rrset.RRset:
        soa = self.soa(serial)
        soa.ttl = min(soa.ttl, self.ttl)   # RFC 2308 5: min(SOA TTL, SOA MINIMUM)
        return soa

    def records(self, name: dns.name.Name, kind: NameKind, arg: str, qtype: int,
                decision: Decision | None, serial: int) -> Records:
        """The answer for an existing name; NODATA (SOA in authority) when empty."""
        answer: list[dns.rrset.RRset] = []
        if qtype == ANY:
            # RFC 8482: a minimal answer to ANY rather than an amplifier.
            answer.append(_rrset(name, HINFO, STATIC_TTL, ['"RFC8482" ""']))
        elif kind is NameKind.APEX:
            if qtype == SOA:
                answer.append(self.soa(serial))
            elif qtype == NS:
                answer.append(_rrset(name, NS, STATIC_TTL, [n.to_text() for n in self.nameservers]))
            elif decision is not None:
                answer.extend(self._decision_records(name, qtype, decision))
        elif kind is NameKind.REGION:
            region = self.regions[arg]
            addresses = region.ipv4 if qtype == A else region.ipv6 if qtype == AAAA else ()
            if addresses:
                answer.append(_rrset(name, qtype, self.ttl, addresses))
        elif kind is NameKind.NAMESERVER and qtype in (A, AAAA):
            family = [a for a in self._ns_addresses.get(name, ()) if (":" in a) == (qtype == AAAA)]
            if family:
                answer.append(_rrset(name, qtype, STATIC_TTL, family))
        if not answer:
            return Records(Rcode.NOERROR, authority=(self._negative_soa(serial),))
        return Records(Rcode.NOERROR, answer=tuple(answer))

    def _decision_records(self, name: dns.name.Name, qtype: int,
                          decision: Decision) -> list[dns.rrset.RRset]:
        ttl = int(decision.ttl)
        if qtype == TXT:
            text = decision.reason.encode("utf-8", "replace")
            # One TXT record; its character-strings are at most 255 octets each.
            chunks = [text[i:i + 255] for i in range(0, len(text), 255)] or [b""]
            rdata = dns.rdata.from_wire(dns.rdataclass.IN, dns.rdatatype.TXT,
                                        b"".join(bytes((len(c),)) + c for c in chunks), 0,
                                        sum(len(c) + 1 for c in chunks))
            rrset = dns.rrset.RRset(name, dns.rdataclass.IN, dns.rdatatype.TXT)
            rrset.add(rdata, ttl)
            return [rrset]
        addresses = decision.region.ipv4 if qtype == A else decision.region.ipv6
        return [_rrset(name, qtype, ttl, addresses)] if addresses else []
