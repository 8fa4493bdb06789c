"""The sockets around ``DnsAnswerer``: UDP and TCP on one port, in threads.

Nothing here decides anything: every packet goes to ``DnsAnswerer.answer``.
UDP answers that do not fit the client's buffer come back truncated (TC) from
the answerer, and the client retries over TCP, where messages are framed by a
two-byte length (RFC 1035 4.2.2; RFC 7766: several queries per connection,
an idle timeout, a cap on connections, a cap per client address and idle
timeouts that shrink as the slots run out: ``gslb.dns_tcp_slots``).

    server = DnsServer(engine, "127.0.0.1", 5353).start()
    ...
    server.stop()
"""

from __future__ import annotations

import contextlib
import logging
import socket
import struct
import threading
import time
from collections.abc import Callable

from gslb.dns_answer import DnsAnswerer
from gslb.dns_tcp_slots import TcpSlots
from gslb.engine import Resolver

log = logging.getLogger(__name__)

__all__ = ["DnsServer"]


class DnsServer:
    def __init__(self, engine: Resolver, host: str = "127.0.0.1", port: int = 5353, *,
                 tcp_idle_timeout: float = 10.0, max_tcp_connections: int = 64,
                 max_tcp_per_client: int = 8, tcp_min_idle_timeout: float = 0.5,
                 reuse_port: bool = False, replay: bool = True) -> None:
        self.host = host
        self.port = port
        # SO_REUSEPORT: several worker processes bind the same port and the
        # kernel spreads UDP flows over them (see gslb.dns_workers).
        self.reuse_port = reuse_port
        # Our in-zone nameserver names resolve to where we actually listen.
        addresses = None if host in ("0.0.0.0", "::", "") else {
            ns: [host] for ns in engine.config.dns.nameservers}
        self.answerer = DnsAnswerer(engine, nameserver_addresses=addresses, replay=replay)
        self._slots = TcpSlots(total=max_tcp_connections, per_client=max_tcp_per_client,
                               idle_timeout=tcp_idle_timeout,
                               min_idle_timeout=min(tcp_min_idle_timeout, tcp_idle_timeout))
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._connections: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._udp: socket.socket | None = None
        self._tcp: socket.socket | None = None

    # -- lifecycle -----------------------------------------------------------------------

    def start(self) -> DnsServer:
        """Bind UDP and TCP (port 0 picks a free port for both) and serve in threads."""
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        for _attempt in range(20):
            udp = socket.socket(family, socket.SOCK_DGRAM)
            if self.reuse_port:
                udp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            udp.bind((self.host, self.port))
            port = udp.getsockname()[1]
            tcp = socket.socket(family, socket.SOCK_STREAM)
            tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if self.reuse_port:
                tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            try:
                tcp.bind((self.host, port))
            except OSError:
                udp.close()
                tcp.close()
                if self.port:
                    raise
                continue            # the free UDP port was taken for TCP; try another
            break
        else:  # pragma: no cover - twenty collisions in a row
            raise OSError("no free port for both UDP and TCP")
        tcp.listen(128)
        tcp.settimeout(0.25)        # accept() wakes up to notice stop()
        self.port = port
        self._udp, self._tcp = udp, tcp
        self._threads = [threading.Thread(target=serve, name=name, daemon=True) for serve, name in
                         ((self._serve_udp, "dns-udp"), (self._serve_tcp, "dns-tcp"))]
        for thread in self._threads:
            thread.start()
        log.info("GSLB DNS listening on %s port %d (UDP, TCP)", self.host, port)
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._udp is not None:
            # recvfrom() has no timeout (it would cost a poll() per packet): wake it.
            with contextlib.suppress(OSError):
                with socket.socket(self._udp.family, socket.SOCK_DGRAM) as poke:
                    poke.sendto(b"", (self.host if self.host not in ("0.0.0.0", "::") else
                                      "127.0.0.1", self.port))
            # With SO_REUSEPORT the poke may land on a sibling process's socket;
            # shutting ours down wakes recvfrom() on Linux regardless.
            _shutdown(self._udp)
        with self._lock:
            for conn in list(self._connections):
                _shutdown(conn)
        deadline = time.monotonic() + 5.0  # for all of them: the threads are daemons
        for thread in self._threads:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))
        for sock in (self._udp, self._tcp):
            if sock is not None:
                sock.close()
        self._threads.clear()

    def __enter__(self) -> DnsServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- UDP -----------------------------------------------------------------------------

    def _serve_udp(self) -> None:
        sock = self._udp
        assert sock is not None
        recvfrom, sendto, answer = sock.recvfrom, sock.sendto, self.answerer.answer
        stopping = self._stopping.is_set
        while True:
            try:
                data, peer = recvfrom(65535)
            except OSError:
                if stopping():
                    return
                continue
            if stopping():
                return
            response = answer(data, peer[0])
            if response is not None:
                try:
                    sendto(response, peer)
                except OSError:
                    pass            # the client went away; nothing to tell it

    # -- TCP -----------------------------------------------------------------------------

    def _serve_tcp(self) -> None:
        sock = self._tcp
        assert sock is not None
        while not self._stopping.is_set():
            try:
                conn, peer = sock.accept()
            except TimeoutError:
                continue
            except OSError:
                if self._stopping.is_set():
                    return
                continue
            if not self._slots.admit(peer[0]):
                conn.close()        # at the cap, or this client's share: it retries later
                continue
            with self._lock:
                self._connections.add(conn)
            threading.Thread(target=self._serve_connection, args=(conn, peer[0]),
                             name="dns-tcp-conn", daemon=True).start()

    def _serve_connection(self, conn: socket.socket, peer: str) -> None:
        slots = self._slots
        try:
            while not self._stopping.is_set():
                # The whole message (length and body) must arrive within the idle
                # timeout: a client trickling a byte at a time cannot hold a slot.
                # The timeout is the one for the load now, re-read while waiting, so
                # connections already idle are cut short when the slots run low.
                started = time.monotonic()
                head = _recv_exactly(conn, 2, started, slots.idle_timeout)
                if head is None:
                    return
                (length,) = struct.unpack("!H", head)
                message = (_recv_exactly(conn, length, started, slots.idle_timeout)
                           if length else None)
                if message is None:
                    return
                response = self.answerer.answer(message, peer, udp=False)
                if response is None:
                    return          # not a query: this peer is not speaking DNS to us
                conn.settimeout(slots.idle_timeout())
                conn.sendall(struct.pack("!H", len(response)) + response)
        except OSError:
            pass                    # idle timeout, reset: the connection simply ends
        finally:
            with self._lock:
                self._connections.discard(conn)
            conn.close()
            slots.release(peer)


# A waiting connection looks at the current idle timeout at least this often.
_RECHECK_S = 0.25


def _recv_exactly(conn: socket.socket, size: int, started: float,
                  timeout: Callable[[], float]) -> bytes | None:
    chunks, missing = [], size
    while missing:
        remaining = started + timeout() - time.monotonic()
        if remaining <= 0:
            return None
        conn.settimeout(min(remaining, _RECHECK_S))
        try:
            chunk = conn.recv(missing)
        except TimeoutError:
            continue
        if not chunk:
            return None
        chunks.append(chunk)
        missing -= len(chunk)
    return b"".join(chunks)


def _shutdown(conn: socket.socket) -> None:
    with contextlib.suppress(OSError):
        conn.shutdown(socket.SHUT_RDWR)
