"""Who may hold a DNS-over-TCP connection, and for how long idle. Pure: no sockets.

RFC 7766 section 6.2 asks a server to protect its TCP service from one client:
limit simultaneous connections per client address (6.2.2) and use shorter idle
timeouts as it approaches its connection limits (6.2.3). The attack this stops:
70 connections from one address, each sending a length prefix and then
nothing, used to hold all 64 slots for the whole 10 s idle timeout.

    in use (of total)          idle timeout
    0 .. total/2               idle_timeout (10 s by default)
    total/2 .. total           shrinks linearly to min_idle_timeout (0.5 s)

A client address is an IPv4 address or an IPv6 /64 (one host usually owns a
whole /64, so counting single IPv6 addresses would be no limit at all).
"""

from __future__ import annotations

import ipaddress
import threading
from collections import Counter

from gslb.networks import parse_address


def client_of(address: str) -> str:
    """The address a per-client limit counts: the IPv4 address, or the IPv6 /64."""
    try:
        ip = parse_address(address.split("%", 1)[0])     # an IPv4-mapped address is IPv4
    except ValueError:
        return address
    return str(ip) if ip.version == 4 else str(ipaddress.ip_network(f"{ip}/64", strict=False))


class TcpSlots:
    """Connection slots: a total cap, a cap per client address, and the idle timeout now."""

    def __init__(self, *, total: int, per_client: int, idle_timeout: float,
                 min_idle_timeout: float) -> None:
        if total < 1 or per_client < 1:
            raise ValueError("total and per_client must be at least 1")
        if not 0 < min_idle_timeout <= idle_timeout:
            raise ValueError("need 0 < min_idle_timeout <= idle_timeout")
        self.total = total
        self.per_client = per_client
        self.full_timeout = idle_timeout
        self.min_timeout = min_idle_timeout
        self._by_client: Counter[str] = Counter()
        self._in_use = 0
        self._lock = threading.Lock()

    @property
    def in_use(self) -> int:
        return self._in_use

    def admit(self, address: str) -> bool:
        """Take a slot for a new connection from ``address``; False: refuse it."""
        client = client_of(address)
        with self._lock:
            if self._in_use >= self.total or self._by_client[client] >= self.per_client:
                return False
            self._in_use += 1
            self._by_client[client] += 1
            return True

    def release(self, address: str) -> None:
        client = client_of(address)
        with self._lock:
            self._in_use -= 1
            self._by_client[client] -= 1
            if self._by_client[client] <= 0:
                del self._by_client[client]

    def idle_timeout(self) -> float:
        """How long a connection may wait for its next whole message, given the load now."""
        half = self.total / 2
        if self._in_use <= half:
            return self.full_timeout
        pressure = min(1.0, (self._in_use - half) / (self.total - half))
        return self.full_timeout - pressure * (self.full_timeout - self.min_timeout)
