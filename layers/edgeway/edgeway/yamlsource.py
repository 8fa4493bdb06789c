"""YAML (and JSON) loading that can point back at a line.

Parsing stays on the fast C loader; only when something is wrong do we compose
the node tree again to find the line of the offending key. A deployed artifact
may carry the config as JSON (``make build`` writes ``gateway.json`` beside
``gateway.yaml``), which loads without importing PyYAML at all; JSON is YAML,
so the same line lookup serves both.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from edgeway.errors import ConfigError

KeyPath = Sequence["str | int"]


_KEY_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def parse_key(key: str) -> list[str | int]:
    """The path of a key written as ``format_key`` writes it (``routes[0].path``)."""
    return [int(index) if index else name for name, index in _KEY_PART.findall(key)]


def format_key(path: KeyPath) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _loader() -> Any:
    import yaml  # imported on use: a JSON config never needs it

    # The C loader is several times faster; the wheels ship it.
    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_document(text: str, file: str) -> Any:
    """JSON for ``*.json`` files (no PyYAML import on the cold path), else YAML."""
    if file.endswith(".json"):
        import json

        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"not valid JSON: {exc.msg}", file=file, line=exc.lineno) from exc
    import yaml

    try:
        return yaml.load(text, Loader=_loader())
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else None
        raise ConfigError(f"not valid YAML: {exc.problem}", file=file, line=line) from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"not valid YAML: {exc}", file=file) from exc


def line_of(text: str, path: KeyPath) -> int | None:
    """1-based line of the node at ``path`` (or of its nearest existing parent)."""
    import yaml

    try:
        node = yaml.compose(text, Loader=_loader())
    except yaml.YAMLError:
        return None
    line = node.start_mark.line + 1 if node is not None else None
    for part in path:
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                if key_node.value == part:
                    line = key_node.start_mark.line + 1
                    node = value_node
                    break
            else:
                return line
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            return line
    return line
