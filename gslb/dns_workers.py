"""Run the DNS server as several processes sharing one port (SO_REUSEPORT).

One CPython process answers on one core at a time (the GIL), so threads do not
add throughput; processes do. The kernel spreads UDP flows over the sockets of
a reuseport group. Each worker holds its own Engine (forked from one built
before the fork), which suits a standalone server answering from a static
config; inside ``edgeway serve`` the single-process ``DnsServer`` is used,
because the health loop feeds one Engine.

    python -m gslb.dns_workers --port 5353 --workers 2 [--config gateway.yaml]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import threading
from collections.abc import Callable, Sequence

from gslb.dns_server import DnsServer
from gslb.engine import Resolver, build_engine


def serve(engine: Resolver, host: str, port: int, workers: int, *,
          on_ready: Callable[[int], None] | None = None, replay: bool = True) -> int:
    """Serve until SIGTERM/SIGINT; with ``workers > 1``, fork that many processes."""
    if workers <= 1:
        return _serve_one(engine, host, port, reuse_port=False, on_ready=on_ready, replay=replay)
    if port == 0:
        raise ValueError("several workers need a fixed port (they must all bind the same one)")
    children = []
    for _ in range(workers):
        pid = os.fork()
        if pid == 0:  # pragma: no cover - runs in the child
            code = 1
            try:
                code = _serve_one(engine, host, port, reuse_port=True, replay=replay)
            finally:
                os._exit(code)
        children.append(pid)
    if on_ready is not None:
        on_ready(port)
    stopping = _stop_on_signals()
    while not stopping.is_set():
        try:
            pid, _status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            break
        if pid:
            break               # a worker died: stop the rest rather than run degraded
        stopping.wait(0.5)
    for pid in children:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    for pid in children:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)
    return 0


def _stop_on_signals() -> threading.Event:
    stopping = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stopping.set())
    return stopping


def _serve_one(engine: Resolver, host: str, port: int, *, reuse_port: bool,
               on_ready: Callable[[int], None] | None = None, replay: bool = True) -> int:
    stopping = _stop_on_signals()
    server = DnsServer(engine, host, port, reuse_port=reuse_port, replay=replay).start()
    if on_ready is not None:
        on_ready(server.port)
    try:
        stopping.wait()
    finally:
        server.stop()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gslb.dns_workers")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5353)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--config", default="gateway.yaml")
    parser.add_argument("--no-replay", action="store_true",
                        help="answer every query from the per-prefix templates, never replaying a "
                        "byte-identical earlier response (for measuring that path)")
    args = parser.parse_args(argv)
    return serve(build_engine(args.config), args.host, args.port, args.workers,
                 replay=not args.no_replay)


if __name__ == "__main__":
    sys.exit(main())
