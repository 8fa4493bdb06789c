"""Small socket helpers for the local listeners."""

from __future__ import annotations

import random
import socket

from edgeway_local.errors import StackError


def ensure_free(host: str, port: int, what: str) -> None:
    """Fail early and clearly when ``port`` is taken (0 means "any port")."""
    if port == 0:
        return
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise StackError(f"{what}: cannot listen on {host}:{port}: {exc.strerror} "
                             f"(is another `edgeway serve` running? choose another port)") from exc


# Ports handed out below the kernel's ephemeral range: a port the kernel picked
# for us (bind to 0) is free now but sits in the range it also gives to outgoing
# connections, so a client socket can take it before our server binds it.
_PICK_FROM = (20000, 32000)


def free_port(host: str = "127.0.0.1") -> int:
    """A port free for TCP and UDP right now, outside the ephemeral range (tests, scripts)."""
    for _ in range(200):
        port = random.randint(*_PICK_FROM)
        if _bindable(host, port, socket.SOCK_STREAM) and _bindable(host, port, socket.SOCK_DGRAM):
            return port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:  # a crowded range
        probe.bind((host, 0))
        return probe.getsockname()[1]


def _bindable(host: str, port: int, kind: int) -> bool:
    with socket.socket(socket.AF_INET, kind) as probe:
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def url_host(bind_host: str) -> str:
    """The address to put in URLs for a listener bound to ``bind_host``."""
    return "127.0.0.1" if bind_host in ("", "0.0.0.0") else bind_host
