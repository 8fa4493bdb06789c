"""The real DNS server on 127.0.0.1 (free port): UDP, TCP, truncation, garbage."""

from __future__ import annotations

import random
import socket
import struct
import time
from pathlib import Path

import dns.edns
import dns.flags
import dns.message
import dns.query
import dns.rcode
import pytest

from gslb import build_engine
from gslb.dns_server import DnsServer
from tests.gslb_fakes import FakeEngine, region

pytestmark = pytest.mark.slow
GATEWAY_YAML = Path(__file__).resolve().parents[2] / "gateway.yaml"
HOST = "127.0.0.1"


@pytest.fixture(scope="module")
def server():
    with DnsServer(build_engine(GATEWAY_YAML), HOST, 0) as running:
        yield running


def query(name="api.edgeway.test", rdtype="A", **kw):
    return dns.message.make_query(name, rdtype, **kw)


def values(response):
    return sorted(r.to_text() for rrset in response.answer for r in rrset)


def test_udp_and_tcp_answer_the_apex(server):
    udp = dns.query.udp(query(), HOST, port=server.port, timeout=10)
    tcp = dns.query.tcp(query(), HOST, port=server.port, timeout=10)
    assert udp.flags & dns.flags.AA and tcp.flags & dns.flags.AA
    assert len(values(udp)) == 1 and values(udp) == values(tcp)


@pytest.mark.parametrize("rdtype, expected", [
    ("SOA", "ns1.api.edgeway.test. hostmaster.api.edgeway.test."),
    ("NS", "ns1.api.edgeway.test."),
])
def test_soa_and_ns(server, rdtype, expected):
    response = dns.query.udp(query(rdtype=rdtype), HOST, port=server.port, timeout=10)
    assert values(response)[0].startswith(expected)


def test_aaaa_and_txt(server):
    ecs = [dns.edns.ECSOption("198.51.100.0", 24)]
    aaaa = dns.query.udp(query(rdtype="AAAA", use_edns=0, options=ecs), HOST, port=server.port,
                         timeout=10)
    assert values(aaaa) == ["2001:db8:2::10"]
    txt = dns.query.udp(query(rdtype="TXT", use_edns=0, options=ecs), HOST, port=server.port,
                        timeout=10)
    assert "eu-west-1" in values(txt)[0]


def test_nxdomain_and_refused(server):
    nx = dns.query.udp(query("nope.api.edgeway.test"), HOST, port=server.port, timeout=10)
    assert nx.rcode() == dns.rcode.NXDOMAIN and nx.authority
    refused = dns.query.udp(query("example.org"), HOST, port=server.port, timeout=10)
    assert refused.rcode() == dns.rcode.REFUSED


def test_ecs_places_the_client_and_scope_is_echoed(server):
    for subnet, region_address in (("198.51.100.0", "198.51.100.10"),
                                   ("203.0.113.0", "203.0.113.10")):
        q = query(use_edns=0, options=[dns.edns.ECSOption(subnet, 24)])
        response = dns.query.udp(q, HOST, port=server.port, timeout=10)
        assert values(response) == [region_address]
        (option,) = response.options
        assert option.address == subnet and option.srclen == 24 and option.scopelen >= 1


def test_the_in_zone_nameserver_resolves_to_the_listen_address(server):
    response = dns.query.udp(query("ns1.api.edgeway.test"), HOST, port=server.port, timeout=10)
    assert values(response) == [HOST]


def test_several_queries_on_one_tcp_connection(server):
    with socket.create_connection((HOST, server.port), timeout=10) as conn:
        for i, rdtype in enumerate(("A", "AAAA", "SOA", "NS", "TXT")):
            wire = query(rdtype=rdtype).to_wire()
            conn.sendall(struct.pack("!H", len(wire)) + wire)
            length = struct.unpack("!H", _read(conn, 2))[0]
            response = dns.message.from_wire(_read(conn, length))
            assert response.answer, (i, rdtype)


def test_large_answers_are_truncated_over_udp_and_whole_over_tcp():
    many = tuple(f"2001:db8:1::{i:x}" for i in range(1, 41))
    regions = (region("us-east-1", ("192.0.2.10",), many),)
    with DnsServer(FakeEngine(regions=regions), HOST, 0) as srv:
        udp = dns.query.udp(query(rdtype="AAAA"), HOST, port=srv.port, timeout=10,
                            ignore_trailing=True)
        assert udp.flags & dns.flags.TC and not udp.answer
        tcp = dns.query.tcp(query(rdtype="AAAA"), HOST, port=srv.port, timeout=10)
        assert len(values(tcp)) == 40
        # What a stub does: retry over TCP when TC is set.
        full, used_tcp = dns.query.udp_with_fallback(query(rdtype="AAAA"), HOST, port=srv.port,
                                                     timeout=10)
        assert used_tcp and len(values(full)) == 40


def test_idle_tcp_connections_are_closed():
    with DnsServer(FakeEngine(), HOST, 0, tcp_idle_timeout=0.3) as srv:
        with socket.create_connection((HOST, srv.port), timeout=5) as conn:
            started = time.monotonic()
            assert conn.recv(10) == b""          # closed by the server, not by our timeout
            assert time.monotonic() - started < 5


def test_specific_bad_packets_over_udp_get_errors_and_the_server_keeps_answering(server):
    header = struct.pack("!HHHHHH", 0x4242, 0x0100, 1, 0, 0, 0)
    bad = {
        "truncated": header + b"\x03api\x07edge",
        "wrong counts": struct.pack("!HHHHHH", 0x4242, 0x0100, 3, 0, 0, 0)
                        + b"\x03api\x07edgeway\x04test\x00\x00\x01\x00\x01",
        "compression loop": header + b"\xc0\x0c\x00\x01\x00\x01",
        "oversized": header + b"\x03api\x07edgeway\x04test\x00\x00\x01\x00\x01" + b"\0" * 8000,
        "bad ecs family": header[:10] + b"\x00\x01" + b"\x03api\x07edgeway\x04test\x00\x00\x01\x00\x01"
                          + b"\x00\x00\x29\x04\xd0\x00\x00\x00\x00\x00\x08\x00\x08\x00\x04\x18\x00\xc6\x33",
        "bad ecs length": header[:10] + b"\x00\x01" + b"\x03api\x07edgeway\x04test\x00\x00\x01\x00\x01"
                          + b"\x00\x00\x29\x04\xd0\x00\x00\x00\x00\x00\x08\x00\x08\x00\x05\x00\x01\x18\x00\xc6",
    }
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(10)
        for why, packet in bad.items():
            sock.sendto(packet, (HOST, server.port))
            reply, _ = sock.recvfrom(65535)
            assert reply[:2] == b"\x42\x42", why
            assert reply[3] & 0xF == dns.rcode.FORMERR, why
        sock.sendto(query("example.com").to_wire(), (HOST, server.port))
        assert sock.recvfrom(65535)[0][3] & 0xF == dns.rcode.REFUSED
    assert values(dns.query.udp(query(), HOST, port=server.port, timeout=10))


def test_fuzz_mutated_and_random_packets(server):
    """Seeded mutations of valid queries plus random bytes: every reply is a
    well-formed DNS message with FORMERR/REFUSED/NOTIMP, or a valid answer;
    the server still answers a good query afterwards."""
    rng = random.Random(20261129)
    seeds = [
        query().to_wire(),
        query(rdtype="AAAA", use_edns=0, options=[dns.edns.ECSOption("198.51.100.0", 24)]).to_wire(),
        query("x.api.edgeway.test", "TXT", use_edns=0).to_wire(),
        query("example.com", "MX").to_wire(),
    ]
    allowed = {dns.rcode.NOERROR, dns.rcode.NXDOMAIN, dns.rcode.FORMERR, dns.rcode.REFUSED,
               dns.rcode.NOTIMP, dns.rcode.BADVERS}
    packets = []
    for _ in range(3000):
        wire = bytearray(rng.choice(seeds))
        kind = rng.random()
        if kind < 0.15:
            packets.append(rng.randbytes(rng.randrange(0, 600)))
            continue
        for _ in range(rng.randrange(1, 5)):
            op = rng.random()
            pos = rng.randrange(len(wire)) if wire else 0
            if op < 0.5 and wire:
                wire[pos] = rng.randrange(256)
            elif op < 0.7:
                del wire[pos:pos + rng.randrange(1, 8)]
            elif op < 0.85:
                wire[pos:pos] = rng.randbytes(rng.randrange(1, 8))
            else:
                wire = wire[:pos]
        if len(wire) > 2:
            wire[2] &= 0x7F         # mostly queries, so most mutants get a reply
        packets.append(bytes(wire))
    answered = 0
    deadline = time.monotonic() + 60
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(10)          # a loaded machine, not a lost reply
        for packet in packets:
            assert time.monotonic() < deadline, "fuzz run took too long"
            sock.sendto(packet, (HOST, server.port))
            if len(packet) < 12 or packet[2] & 0x80:
                continue            # not a query: the server stays silent, by design
            reply, _ = sock.recvfrom(65535)
            assert reply[:2] == packet[:2]
            assert reply[2] & 0x80, "every reply is a response"
            try:
                message = dns.message.from_wire(reply)
                rcode = message.rcode()
            except dns.message.Truncated:
                rcode = reply[3] & 0xF
            assert rcode in allowed, (packet, reply)
            answered += 1
    assert answered > 2000
    assert values(dns.query.udp(query(), HOST, port=server.port, timeout=10))
    assert values(dns.query.tcp(query(), HOST, port=server.port, timeout=10))


def _read(conn: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = conn.recv(size - len(data))
        assert chunk
        data += chunk
    return data


def test_a_client_trickling_bytes_cannot_hold_a_tcp_connection():
    with DnsServer(FakeEngine(), HOST, 0, tcp_idle_timeout=0.5) as srv:
        wire = query().to_wire()
        framed = struct.pack("!H", len(wire)) + wire
        with socket.create_connection((HOST, srv.port), timeout=10) as conn:
            closed = False
            for byte in framed:            # one byte every 0.1 s: never idle 0.5 s
                try:
                    conn.sendall(bytes([byte]))
                except OSError:
                    closed = True
                    break
                time.sleep(0.1)
            if not closed:
                conn.settimeout(10)
                try:
                    closed = conn.recv(100) == b""
                except ConnectionResetError:
                    closed = True
            assert closed
