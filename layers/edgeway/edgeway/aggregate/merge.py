"""Merging part bodies into one: pure functions of the parts, in declared order.

``keyed``  ``{"user": <user body>, "orders": <orders body>}``: no part can clobber another.
``deep``   objects merged recursively in part order; on a conflict between two
           non-objects the later part wins (lists are replaced, not concatenated,
           so a merge never duplicates items). A part whose body is not an object
           is placed under its own name.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

def merge(mode: str, parts: Sequence[tuple[str, Any]]) -> dict[str, Any]:
    if mode == "keyed":
        return dict(parts)
    out: dict[str, Any] = {}
    for name, body in parts:
        _merge_into(out, body if isinstance(body, Mapping) else {name: body})
    return out


def _merge_into(target: dict[str, Any], source: Mapping[str, Any]) -> None:
    for key, value in source.items():
        current = target.get(key)
        if isinstance(current, dict) and isinstance(value, Mapping):
            _merge_into(current, value)
        elif isinstance(value, Mapping):
            target[key] = _copy(value)
        else:
            target[key] = value


def _copy(value: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _copy(v) if isinstance(v, Mapping) else v for k, v in value.items()}
