"""Request validation rules, compiled once per route at build time; loaded only
for configs whose routes declare any (the always-present body size check lives
in ``edgeway.stages.validation``).

Schemas are checked in two steps so that a cold start never imports
jsonschema: the accept path runs a validator compiled by fastjsonschema; only
when it refuses a document do we ask jsonschema's ``iter_errors`` (created on
the first refusal, then kept) for the full list, so a client learns every
problem in one answer.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from edgeway.errors import (BadRequest, PayloadTooLarge, SchemaDefinitionError,
                            UnsupportedMediaType, ValidationFailed)
from edgeway.http import Request, is_json, media_type

if TYPE_CHECKING:
    from edgeway.config import GatewayConfig, RouteConfig

MAX_ERRORS = 100  # a hostile body of 10^5 bad items must not make a 10 MB answer
_MESSAGE_MAX = 300
_INTEGER = re.compile(r"-?(0|[1-9][0-9]{0,17})")
_NUMBER = re.compile(r"-?(0|[1-9][0-9]{0,17})(\.[0-9]{1,17})?([eE][+-]?[0-9]{1,3})?")


class SchemaCheck:
    """One JSON Schema: fast accept, full error list on refusal."""

    def __init__(self, schema: Mapping[str, Any]) -> None:
        import fastjsonschema

        self.schema = dict(schema)
        try:
            # use_default=False: validation must never change the document.
            self._fast = fastjsonschema.compile(self.schema, use_default=False)
        except fastjsonschema.JsonSchemaDefinitionException as exc:
            raise SchemaDefinitionError(str(exc)) from exc
        self._full: Any = None

    def errors(self, instance: Any) -> list[dict[str, str]]:
        """Every error as ``{"pointer", "message"}``; empty when valid."""
        from fastjsonschema import JsonSchemaValueException

        try:
            self._fast(instance)
            return []
        except JsonSchemaValueException as exc:
            first = {"pointer": to_pointer(exc.path[1:] if exc.path else []),
                     "message": _short(exc.message)}
        found = self._all_errors(instance)
        return found or [first]

    def _all_errors(self, instance: Any) -> list[dict[str, str]]:
        try:
            if self._full is None:
                from jsonschema.validators import Draft7Validator, validator_for

                cls = validator_for(self.schema, default=Draft7Validator)
                self._full = cls(self.schema, format_checker=cls.FORMAT_CHECKER)
            found = []
            for error in self._full.iter_errors(instance):
                found.append({"pointer": to_pointer(error.absolute_path),
                              "message": _short(error.message)})
                if len(found) >= MAX_ERRORS:
                    break
        except Exception:  # a schema jsonschema dislikes: keep fastjsonschema's answer
            return []
        return sorted(found, key=lambda e: (e["pointer"], e["message"]))


def to_pointer(path: Iterable[Any]) -> str:
    """RFC 6901 JSON pointer ("" is the whole document)."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path)


def _short(message: str) -> str:
    return message if len(message) <= _MESSAGE_MAX else message[:_MESSAGE_MAX - 1] + "…"


def parse_json(body: bytes) -> Any:
    """The body as JSON; ValueError when it is not (NaN and Infinity included)."""
    def refuse(name: str) -> Any:
        raise ValueError(f"{name} is not JSON")

    try:
        return json.loads(body, parse_constant=refuse)
    except RecursionError as exc:
        raise ValueError("the JSON document is nested too deeply") from exc


class QueryCheck:
    """The query (name -> tuple of strings) made the object its schema checks.

    A property whose schema type is ``array`` keeps every value; any other
    declared property is single-valued, and a second value is an error rather
    than a silent pick (first-wins and last-wins disagree between frameworks,
    which is how parameter pollution slips past a check). Strings are coerced
    to the declared scalar type when they spell one exactly.
    """

    def __init__(self, schema: Mapping[str, Any]) -> None:
        self.schema = SchemaCheck(schema)
        props = schema.get("properties") or {}
        self.types = {name: _types(p) for name, p in props.items() if isinstance(p, Mapping)}
        self.item_types = {name: _types(p.get("items") or {}) for name, p in props.items()
                           if isinstance(p, Mapping) and "array" in _types(p)}

    def errors(self, query: Mapping[str, tuple[str, ...]]) -> list[dict[str, str]]:
        out: dict[str, Any] = {}
        errors: list[dict[str, str]] = []
        for name, values in query.items():
            types = self.types.get(name)
            if types is not None and "array" in types:
                out[name] = [_coerce(v, self.item_types.get(name, ())) for v in values]
            elif types is not None and len(values) > 1:
                errors.append({"pointer": to_pointer([name]),
                               "message": f"query parameter {name!r} may be given only once"})
            else:
                out[name] = _coerce(values[-1], types or ()) if values else ""
        return errors + self.schema.errors(out)


def _types(schema: Mapping[str, Any]) -> tuple[str, ...]:
    kind = schema.get("type", ())
    return (kind,) if isinstance(kind, str) else tuple(kind)


def _coerce(value: str, types: tuple[str, ...]) -> Any:
    if "string" in types or not types:
        return value
    if "integer" in types and _INTEGER.fullmatch(value):
        return int(value)
    if "number" in types and _NUMBER.fullmatch(value):
        return float(value)
    if "boolean" in types and value in ("true", "false"):
        return value == "true"
    return value  # left as a string: the schema reports the type error with its pointer


_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


@dataclass(frozen=True, slots=True)
class RouteRules:
    """One route's request checks: body size, media type, JSON schemas, query shape."""
    max_body: int
    consumes: frozenset[str] | None = None
    json_body: bool = False
    body: SchemaCheck | None = None
    query: QueryCheck | None = None

    def check(self, request: Request) -> None:
        body = request.body
        if len(body) > self.max_body:
            raise PayloadTooLarge(f"the request body is larger than {self.max_body} bytes")
        media = media_type(request.headers.get("content-type"))
        if self.consumes is not None and (body or media) and media not in self.consumes:
            raise UnsupportedMediaType(
                f"this route accepts {', '.join(sorted(self.consumes))}, not {media or 'no content type'}")
        errors: list[dict[str, str]] = []
        if self.query is not None:
            errors += [{"in": "query", **e} for e in self.query.errors(request.query)]
        if self.body is not None and not body and request.method in _BODY_METHODS:
            raise BadRequest("this route needs a JSON request body")
        # A body schema means JSON; `consumes` with a JSON type means JSON when the
        # request says so (a route may also accept, say, text/csv as it is).
        if body and (self.body is not None or (self.json_body and is_json(media))):
            try:
                document = parse_json(body)
            except ValueError as exc:
                raise BadRequest("the request body is not valid JSON") from exc
            if self.body is not None:
                errors += [{"in": "body", **e} for e in self.body.errors(document)]
        if errors:
            raise ValidationFailed(errors)


def compile_rules(config: GatewayConfig, rc: RouteConfig) -> RouteRules:
    spec = rc.spec
    schemas = spec.get("schema") or {}
    consumes = spec.get("consumes")
    checks: dict[str, Any] = {}
    for part, kind in (("body", SchemaCheck), ("query", QueryCheck)):
        if part in schemas:
            try:
                checks[part] = kind(schemas[part])
            except SchemaDefinitionError as exc:
                raise config.error(["routes", rc.index, "schema", part],
                                   f"not a valid JSON Schema: {exc}") from exc
    media = frozenset(media_type(m) for m in consumes) if consumes is not None else None
    json_body = "body" in checks or bool(media and any(is_json(m) for m in media))
    return RouteRules(max_body=spec.get("max_body_bytes", config.max_body_bytes), consumes=media,
                      json_body=json_body, body=checks.get("body"), query=checks.get("query"))
