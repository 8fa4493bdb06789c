"""Path and query templates of aggregate parts: ``/v1/orders?user_id={id}``.

A placeholder is one of
    ``{name}``            a path parameter of the route (``/v1/dashboard/{id}``)
    ``{query.name}``      the first value of a query parameter of the client request
    ``{part.field.sub}``  a field of an earlier part's JSON body (a dependent step)

Values are percent-encoded (a user id cannot add a path segment or a query
parameter). Templates are parsed once at build time; rendering is a join.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import quote

from edgeway.errors import EdgewayError
from edgeway.http import Request

_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*(\.[A-Za-z0-9_-]+)*$")


class MissingValue(EdgewayError):
    """A placeholder has no value for this request (e.g. a field absent in a part)."""


@dataclass(frozen=True, slots=True)
class Placeholder:
    """A ``{id}``, ``{query.q}`` or ``{part.field}`` reference inside a template."""
    source: Literal["path", "query", "part"]
    name: str            # path parameter, query parameter, or part name
    fields: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Template:
    """A string with placeholders, parsed once at cold start and filled per request."""
    pieces: tuple[str | Placeholder, ...]

    @classmethod
    def parse(cls, text: str) -> Template:
        split = _PLACEHOLDER.split(text)  # text, expression, text, ..., text
        pieces: list[str | Placeholder] = []
        for i, piece in enumerate(split):
            if i % 2 == 0:
                if piece:
                    pieces.append(piece)
                continue
            if not _NAME.match(piece):
                raise ValueError(f"bad placeholder {{{piece}}}")
            head, *rest = piece.split(".")
            if head == "query" and rest:
                pieces.append(Placeholder("query", ".".join(rest)))
            elif rest:
                pieces.append(Placeholder("part", head, tuple(rest)))
            else:
                pieces.append(Placeholder("path", head))
        if any("{" in t or "}" in t for t in split[::2]):
            raise ValueError("unbalanced brace")
        return cls(tuple(pieces))

    def placeholders(self) -> tuple[Placeholder, ...]:
        return tuple(p for p in self.pieces if isinstance(p, Placeholder))

    def render(self, request: Request, parts: Mapping[str, Any]) -> str:
        """The text for ``request``, with ``parts`` the bodies of the parts already done."""
        return "".join(p if isinstance(p, str) else quote(_value(p, request, parts), safe="")
                       for p in self.pieces)


def _value(p: Placeholder, request: Request, parts: Mapping[str, Any]) -> str:
    if p.source == "path":
        if p.name not in request.path_params:
            raise MissingValue(f"no path parameter {p.name!r}")
        return request.path_params[p.name]
    if p.source == "query":
        values = request.query.get(p.name)
        if not values:
            raise MissingValue(f"no query parameter {p.name!r} in the request")
        return values[0]
    value: Any = parts.get(p.name)
    for key in p.fields:
        if isinstance(value, Mapping) and key in value:
            value = value[key]
        elif isinstance(value, list) and key.isdigit() and int(key) < len(value):
            value = value[int(key)]
        else:
            raise MissingValue(f"part {p.name!r} has no field {'.'.join(p.fields)!r}")
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    raise MissingValue(f"field {p.name}.{'.'.join(p.fields)} is not a scalar")
