"""Small socket helpers for the local listeners."""

from __future__ import annotations

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


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on right now (for tests and `--port 0` style use)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def url_host(bind_host: str) -> str:
    """The address to put in URLs for a listener bound to ``bind_host``."""
    return "127.0.0.1" if bind_host in ("", "0.0.0.0") else bind_host
