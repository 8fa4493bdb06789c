"""Latency observations: ``client,region,rtt_ms`` rows from a CSV file or an HTTP body."""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import partial
from pathlib import Path

from edgeway.errors import ConfigError
from gslb.csvrows import csv_rows

MAX_RTT_MS = 10_000.0  # anything slower is a broken measurement, not a latency


@dataclass(frozen=True, slots=True)
class Observation:
    client: str            # an IP address or a prefix ("203.0.113.7", "203.0.113.0/24")
    region: str
    rtt_ms: float
    at: float | None = None  # epoch seconds (CSV: or ISO 8601); None = when ingested


def parse_observation(client: object, region: object, rtt_ms: object, at: object = None) -> Observation:
    """Validate one observation; raises ValueError with a short reason."""
    text = str(client).strip() if client is not None else ""
    try:
        ipaddress.ip_network(text, strict=False)  # an address is a prefix of its own
    except ValueError:
        raise ValueError(f"client is not an IP address or prefix: {text!r}") from None
    name = str(region).strip() if region is not None else ""
    if not name:
        raise ValueError("region is empty")
    try:
        rtt = float(rtt_ms)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValueError(f"rtt_ms is not a number: {rtt_ms!r}") from None
    # 0 is allowed: datasets round same-city RTTs down to whole milliseconds
    if not math.isfinite(rtt) or not 0 <= rtt <= MAX_RTT_MS:
        raise ValueError(f"rtt_ms must be in [0, {MAX_RTT_MS:g}], got {rtt_ms!r}")
    return Observation(text, name, rtt, _when(at))


def _when(at: object) -> float | None:
    """Epoch seconds, or an ISO 8601 time (naive means UTC); empty means 'when ingested'."""
    if at is None or (isinstance(at, str) and not at.strip()):
        return None
    try:
        return float(at)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        pass
    try:
        stamp = datetime.fromisoformat(str(at).strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"at is neither epoch seconds nor an ISO 8601 time: {at!r}") from None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=timezone.utc)
    return stamp.timestamp()


def read_observations(path: str | Path, *, regions: Iterable[str] | None = None) -> list[Observation]:
    """Read ``client,region,rtt_ms[,at]`` rows; a bad row raises ConfigError naming file and line."""
    known = set(regions) if regions is not None else None
    out = []
    for lineno, row in csv_rows(path, what="observations", number_at=2):
        fail = partial(ConfigError, file=str(path), line=lineno)
        if len(row) not in (3, 4):
            raise fail(f"expected client,region,rtt_ms[,at], got {len(row)} fields")
        try:
            obs = parse_observation(*row)
        except ValueError as exc:
            raise fail(str(exc)) from None
        if known is not None and obs.region not in known:
            raise fail(f"unknown region {obs.region!r} (configured: {', '.join(sorted(known))})",
                       key="region")
        out.append(obs)
    return out
