"""DNS over TCP cannot be starved by one client (RFC 7766 section 6.2): a cap per
client address, and idle timeouts that shrink as the slots run out. The policy is
pure (driven by hand); the last tests use real loopback sockets, bounded."""

from __future__ import annotations

import socket
import struct

import dns.message
import pytest

from gslb.dns_server import DnsServer
from gslb.dns_tcp_slots import TcpSlots
from tests.gslb_fakes import FakeEngine

HOST = "127.0.0.1"


def test_one_address_gets_at_most_its_share_and_others_still_get_in():
    slots = TcpSlots(total=10, per_client=3, idle_timeout=10.0, min_idle_timeout=0.5)
    assert [slots.admit("192.0.2.1") for _ in range(5)] == [True, True, True, False, False]
    assert slots.admit("192.0.2.2") is True
    slots.release("192.0.2.1")
    assert slots.admit("192.0.2.1") is True
    assert slots.in_use == 4


def test_the_total_cap_still_holds():
    slots = TcpSlots(total=4, per_client=4, idle_timeout=10.0, min_idle_timeout=0.5)
    assert all(slots.admit(f"192.0.2.{i}") for i in range(4))
    assert slots.admit("192.0.2.9") is False


def test_ipv6_clients_are_counted_per_64():
    slots = TcpSlots(total=10, per_client=2, idle_timeout=10.0, min_idle_timeout=0.5)
    assert slots.admit("2001:db8::1") and slots.admit("2001:db8::2")
    assert slots.admit("2001:db8::ffff:1") is False  # same /64
    assert slots.admit("2001:db8:0:1::1") is True


def test_an_ipv4_mapped_peer_is_the_same_client_as_its_ipv4_address():
    slots = TcpSlots(total=10, per_client=2, idle_timeout=10.0, min_idle_timeout=0.5)
    assert slots.admit("192.0.2.7") and slots.admit("::ffff:192.0.2.7")
    assert slots.admit("::ffff:192.0.2.7%eth0") is False
    slots.release("::ffff:192.0.2.7")
    assert slots.admit("192.0.2.7") is True


def test_idle_timeout_shrinks_as_slots_run_low():
    slots = TcpSlots(total=8, per_client=8, idle_timeout=10.0, min_idle_timeout=0.5)
    seen = []
    for i in range(8):
        seen.append(slots.idle_timeout())
        slots.admit("192.0.2.1")
    seen.append(slots.idle_timeout())
    assert seen[:5] == [10.0] * 5          # up to half full: the full timeout
    assert seen == sorted(seen, reverse=True)
    assert seen[-1] == 0.5                 # full: the floor


def test_bad_settings_are_refused():
    with pytest.raises(ValueError):
        TcpSlots(total=4, per_client=0, idle_timeout=10.0, min_idle_timeout=0.5)
    with pytest.raises(ValueError):
        TcpSlots(total=4, per_client=2, idle_timeout=1.0, min_idle_timeout=2.0)


def _ask(port: int, source: str) -> dns.message.Message:
    wire = dns.message.make_query("api.edgeway.test", "A").to_wire()
    with socket.create_connection((HOST, port), timeout=5, source_address=(source, 0)) as conn:
        conn.sendall(struct.pack("!H", len(wire)) + wire)
        head = _read(conn, 2)
        return dns.message.from_wire(_read(conn, struct.unpack("!H", head)[0]))


def _read(conn: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        assert chunk, "the server closed the connection"
        data += chunk
    return data


def test_seventy_stalled_connections_from_one_client_do_not_starve_another():
    # The attack run: 70 connections that send a length prefix and then nothing.
    with DnsServer(FakeEngine(), HOST, 0, tcp_idle_timeout=30.0) as srv:
        stalled = []
        try:
            for _ in range(70):
                conn = socket.create_connection((HOST, srv.port), timeout=5,
                                                source_address=("127.0.0.1", 0))
                conn.sendall(b"\xff\xff")
                stalled.append(conn)
            answer = _ask(srv.port, "127.0.0.2")  # another client address
            assert answer.answer
        finally:
            for conn in stalled:
                conn.close()


def test_idle_connections_are_cut_short_when_slots_run_low():
    # Four addresses fill all eight slots with connections that stall: at the cap the
    # 30 s idle timeout drops to its floor, so the server ends stalled connections long
    # before 30 s, and a new client gets a slot and its answer.
    import select

    with DnsServer(FakeEngine(), HOST, 0, tcp_idle_timeout=30.0, max_tcp_connections=8,
                   max_tcp_per_client=2, tcp_min_idle_timeout=0.2) as srv:
        conns = [socket.create_connection((HOST, srv.port), timeout=10,
                                          source_address=(f"127.0.0.{10 + i // 2}", 0))
                 for i in range(8)]
        try:
            for conn in conns:
                conn.sendall(b"\x00")      # half a length prefix, then nothing
            readable, _, _ = select.select(conns, [], [], 10.0)  # bounded: 10 s, not 30
            assert readable, "no stalled connection was ended while the slots were full"
            for conn in readable:
                try:
                    assert conn.recv(10) == b""   # ended by the server
                except ConnectionResetError:
                    pass
            assert _ask(srv.port, "127.0.0.30").answer
        finally:
            for conn in conns:
                conn.close()
