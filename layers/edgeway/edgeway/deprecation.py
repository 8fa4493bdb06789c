"""``Deprecation`` (RFC 9745) and ``Sunset`` (RFC 8594) headers for an old version.

    Deprecation: @1719792000                       (structured-field date: epoch seconds)
    Sunset: Tue, 31 Dec 2024 23:59:59 GMT          (IMF-fixdate)
    Link: <https://...>; rel="deprecation"; type="text/html"

Dates in gateway.yaml may be YAML dates (``2024-06-30``), timestamps, ISO 8601
strings or epoch seconds; a date without a time means midnight UTC.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any


def to_datetime(value: Any) -> dt.datetime:
    if isinstance(value, bool):
        raise ValueError("expected a date, not a boolean (RFC 9745 needs the date)")
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, dt.date):
        moment = dt.datetime(value.year, value.month, value.day)
    elif isinstance(value, (int, float)):
        moment = dt.datetime.fromtimestamp(value, dt.timezone.utc)
    elif isinstance(value, str):
        try:
            moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError as exc:
            raise ValueError(f"{value!r} is not an ISO 8601 date or date-time") from exc
    else:
        raise ValueError("expected a date such as 2025-06-30")
    return moment.replace(tzinfo=dt.timezone.utc) if moment.tzinfo is None else moment


def deprecation_headers(spec: Mapping[str, Any]) -> dict[str, str]:
    """The headers a route's ``deprecation``/``sunset``/``deprecation_link`` ask for."""
    headers: dict[str, str] = {}
    if spec.get("deprecation") is not None:
        headers["deprecation"] = f"@{int(to_datetime(spec['deprecation']).timestamp())}"
    if spec.get("sunset") is not None:
        from email.utils import format_datetime  # 5 ms at import: only when a route needs it

        headers["sunset"] = format_datetime(to_datetime(spec["sunset"]).astimezone(dt.timezone.utc),
                                            usegmt=True)
    if spec.get("deprecation_link"):
        headers["link"] = f'<{spec["deprecation_link"]}>; rel="deprecation"; type="text/html"'
    return headers
