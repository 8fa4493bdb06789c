"""The shapes of gateway.yaml, checked against ``schema/gateway.schema.json``.

The schema is the one description of every key: editors and docs read it, and
the config compile (``edgeway.config.parse_config``) checks a document against
it here, so the two cannot disagree. This is the small part of JSON Schema the
file uses (draft-07 keywords: type, properties, additionalProperties, required,
enum, const, pattern, bounds, lengths, items, uniqueItems, propertyNames,
$ref, allOf, anyOf, oneOf, not, if/then, format uri), interpreted directly: a
config is a few hundred values, so a cold start pays well under a millisecond
and no generated code. Like the validator it replaces, a missing key whose
property declares a ``default`` gets it.

The first problem found is a ``Problem``: the path of the offending key and a
reason; ``edgeway.config`` adds the file and the line.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from edgeway.errors import ConfigError
from edgeway.yamlsource import format_key

SCHEMA_PATH = Path(__file__).parent / "schema" / "gateway.schema.json"

Schema = Mapping[str, Any]
KeyPath = tuple["str | int", ...]

_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,), "array": (list,), "string": (str,), "boolean": (bool,),
    "integer": (int,), "number": (int, float), "null": (type(None),),
}
_ARTICLE = {"object": "a mapping", "array": "a list", "string": "a string",
            "boolean": "true or false", "integer": "an integer", "number": "a number",
            "null": "null"}


class Problem(ConfigError):
    """A value the schema refuses: where it is (``path``), and why; the caller knows
    the file and the line."""

    def __init__(self, path: KeyPath, reason: str) -> None:
        super().__init__(reason, key=format_key(path) or None)
        self.path = path


@cache
def gateway_schema() -> Schema:
    root: Schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return root


def check(document: Any, schema: Schema | None = None) -> None:
    """Raise ``Problem`` for the first value of ``document`` the schema refuses."""
    root = schema if schema is not None else gateway_schema()
    _Checker(root).check(document, root, ())


def _is(value: Any, kind: str) -> bool:
    return isinstance(value, _TYPES[kind]) and not (kind in ("integer", "number")
                                                    and isinstance(value, bool))


@cache
def _pattern(source: str) -> re.Pattern[str]:
    return re.compile(source)


class _Checker:
    def __init__(self, root: Schema) -> None:
        self.root = root

    def resolve(self, schema: Schema) -> Schema:
        while "$ref" in schema:
            node: Any = self.root
            for part in schema["$ref"].removeprefix("#/").split("/"):
                node = node[part]
            schema = node
        return schema

    def valid(self, value: Any, schema: Schema, path: KeyPath) -> Problem | None:
        try:
            self.check(value, schema, path)
        except Problem as problem:
            return problem
        return None

    def check(self, value: Any, schema: Schema, path: KeyPath) -> None:
        schema = self.resolve(schema)
        kinds = schema.get("type")
        if kinds is not None:
            kinds = [kinds] if isinstance(kinds, str) else kinds
            if not any(_is(value, k) for k in kinds):
                raise Problem(path, f"must be {' or '.join(_ARTICLE[k] for k in kinds)}, "
                                    f"got {value!r}")
        if "const" in schema and (value != schema["const"] or type(value) is not type(schema["const"])):
            raise Problem(path, f"must be {json.dumps(schema['const'])}, got {value!r}")
        if "enum" in schema and value not in schema["enum"]:
            raise Problem(path, f"must be one of {', '.join(map(str, schema['enum']))}, got {value!r}")
        if isinstance(value, dict):
            self.mapping(value, schema, path)
        elif isinstance(value, list):
            self.sequence(value, schema, path)
        elif isinstance(value, str):
            self.string(value, schema, path)
        elif _is(value, "number"):
            self.number(value, schema, path)
        self.combined(value, schema, path)

    def mapping(self, value: dict[str, Any], schema: Schema, path: KeyPath) -> None:
        for key in schema.get("required", ()):
            if key not in value:
                raise Problem(path, f"missing required key {key!r}")
        if len(value) < schema.get("minProperties", 0):
            raise Problem(path, f"must have at least {schema['minProperties']} key(s)")
        if len(value) > schema.get("maxProperties", len(value)):
            raise Problem(path, f"must have at most {schema['maxProperties']} key(s)")
        properties: Mapping[str, Schema] = schema.get("properties", {})
        extra = schema.get("additionalProperties", True)
        names = schema.get("propertyNames")
        for key, item in value.items():
            if names is not None and (problem := self.valid(key, names, (*path, key))):
                raise Problem(problem.path, f"not a valid name: {problem.reason}")
            if key in properties:
                self.check(item, properties[key], (*path, key))
            elif extra is False:
                raise Problem((*path, key), f"unknown key (allowed: {', '.join(sorted(properties))})")
            elif isinstance(extra, Mapping):
                self.check(item, extra, (*path, key))
        for key, prop in properties.items():
            if key not in value and "default" in prop:
                value[key] = json.loads(json.dumps(prop["default"]))  # a copy, never shared

    def sequence(self, value: list[Any], schema: Schema, path: KeyPath) -> None:
        if len(value) < schema.get("minItems", 0):
            raise Problem(path, f"must have at least {schema['minItems']} item(s)")
        if "items" in schema:
            for index, item in enumerate(value):
                self.check(item, schema["items"], (*path, index))
        if schema.get("uniqueItems"):
            seen: list[Any] = []
            for index, item in enumerate(value):
                if item in seen:
                    raise Problem((*path, index), f"{item!r} is listed twice")
                seen.append(item)

    def string(self, value: str, schema: Schema, path: KeyPath) -> None:
        if len(value) < schema.get("minLength", 0):
            raise Problem(path, "must not be empty" if schema["minLength"] == 1
                          else f"must be at least {schema['minLength']} characters")
        if "pattern" in schema and not _pattern(schema["pattern"]).search(value):
            raise Problem(path, f"{value!r} does not match {schema['pattern']}")
        if schema.get("format") == "uri":
            parts = urlsplit(value)
            if not (parts.scheme and (parts.netloc or parts.path)):
                raise Problem(path, f"{value!r} is not an absolute URI")

    def number(self, value: float, schema: Schema, path: KeyPath) -> None:
        if value != value or value in (float("inf"), float("-inf")):
            raise Problem(path, f"must be a finite number, got {value}")
        if "minimum" in schema and value < schema["minimum"]:
            raise Problem(path, f"must be >= {schema['minimum']}, got {value}")
        if "exclusiveMinimum" in schema and value <= schema["exclusiveMinimum"]:
            raise Problem(path, f"must be > {schema['exclusiveMinimum']}, got {value}")
        if "maximum" in schema and value > schema["maximum"]:
            raise Problem(path, f"must be <= {schema['maximum']}, got {value}")

    def combined(self, value: Any, schema: Schema, path: KeyPath) -> None:
        for sub in schema.get("allOf", ()):
            self.check(value, sub, path)
        if "if" in schema and self.valid(value, schema["if"], path) is None and "then" in schema:
            self.check(value, schema["then"], path)
        if "anyOf" in schema:
            problems = [self.valid(value, sub, path) for sub in schema["anyOf"]]
            if all(problems):
                raise self.closest(problems, path, "must match one of the allowed forms")
        if "oneOf" in schema:
            problems = [self.valid(value, sub, path) for sub in schema["oneOf"]]
            if problems.count(None) != 1:
                if all(problems):
                    raise self.closest(problems, path, "must match exactly one of the allowed forms")
                raise Problem(path, "must match exactly one of the allowed forms, not several")
        if "not" in schema and self.valid(value, schema["not"], path) is None:
            raise Problem(path, "is not allowed in this form")

    @staticmethod
    def closest(problems: Sequence[Problem | None], path: KeyPath, reason: str) -> Problem:
        """The branch that got deepest into the value explains best; else a general reason."""
        deepest = max((p for p in problems if p is not None), key=lambda p: len(p.path))
        return deepest if len(deepest.path) > len(path) else Problem(path, reason)
