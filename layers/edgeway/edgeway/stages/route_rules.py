"""One route's request checks (body size, media type, JSON schemas, query shape),
compiled at build time; loaded only for configs whose routes declare any.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from edgeway.errors import (BadRequest, PayloadTooLarge, SchemaDefinitionError,
                            UnsupportedMediaType, ValidationFailed)
from edgeway.http import Request
from edgeway.validation import QueryShape, SchemaCheck, parse_json

_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


@dataclass(frozen=True, slots=True)
class RouteRules:
    """One route's request checks: body size, media type, JSON schemas, query shape."""
    max_body: int
    consumes: frozenset[str] | None = None
    json_body: bool = False
    body: SchemaCheck | None = None
    query: SchemaCheck | None = None
    query_shape: QueryShape | None = None

    def check(self, request: Request) -> None:
        body = request.body
        if len(body) > self.max_body:
            raise PayloadTooLarge(f"the request body is larger than {self.max_body} bytes")
        media = media_type(request.headers.get("content-type"))
        if self.consumes is not None and (body or media) and media not in self.consumes:
            raise UnsupportedMediaType(
                f"this route accepts {', '.join(sorted(self.consumes))}, not {media or 'no content type'}")
        errors: list[dict[str, str]] = []
        if self.query_shape is not None and self.query is not None:
            shaped, shape_errors = self.query_shape.build(request.query)
            errors += [{"in": "query", **e} for e in shape_errors]
            errors += [{"in": "query", **e} for e in self.query.errors(shaped)]
        # A body schema means JSON; `consumes` with a JSON type means JSON when the
        # request says so (a route may also accept, say, text/csv as it is).
        parse = self.body is not None or (self.json_body and is_json_media(media))
        if parse and (body or request.method in _BODY_METHODS):
            if not body:
                if self.body is not None:
                    raise BadRequest("this route needs a JSON request body")
            else:
                try:
                    document = parse_json(body)
                except ValueError as exc:
                    raise BadRequest("the request body is not valid JSON") from exc
                if self.body is not None:
                    errors += [{"in": "body", **e} for e in self.body.errors(document)]
        if errors:
            raise ValidationFailed(errors)


def media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def is_json_media(media: str) -> bool:
    return media == "application/json" or media.endswith("+json")


def compile_rules(spec: Mapping[str, Any], default_max_body: int, config: Any,
                  index: int) -> RouteRules | None:
    schemas = spec.get("schema") or {}
    consumes = spec.get("consumes")
    max_body = spec.get("max_body_bytes")
    if not schemas and consumes is None and max_body is None:
        return None
    checks: dict[str, SchemaCheck] = {}
    for part in ("body", "query"):
        if part in schemas:
            try:
                checks[part] = SchemaCheck(schemas[part])
            except SchemaDefinitionError as exc:
                raise config.error(["routes", index, "schema", part],
                                   f"not a valid JSON Schema: {exc}") from exc
    media = frozenset(media_type(m) for m in consumes) if consumes is not None else None
    json_body = "body" in checks or bool(media and any(is_json_media(m) for m in media))
    query = checks.get("query")
    return RouteRules(
        max_body=int(max_body if max_body is not None else default_max_body),
        consumes=media, json_body=json_body, body=checks.get("body"), query=query,
        query_shape=QueryShape(schemas["query"]) if query is not None else None,
    )
