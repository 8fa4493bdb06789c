"""Errors of the local stack itself (not of the gateway or its config)."""

from __future__ import annotations

from edgeway.errors import EdgewayError


class StackError(EdgewayError):
    """The local stack cannot start or run: a port is taken, a service failed."""
