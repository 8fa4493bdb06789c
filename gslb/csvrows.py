"""Line-numbered rows of the GSLB's CSV inputs (networks, observations).

Blank lines and ``#`` comments are skipped, and a first row that names its
columns (prefix,lat,lon / client,region,rtt_ms / cidr,latitude,...) is passed
over: its first field is no IP address or prefix and its ``number_at`` field no
number. Every reader reports errors by file and line the same way.
"""

from __future__ import annotations

import csv
import ipaddress
from collections.abc import Iterator
from pathlib import Path

from edgeway.errors import ConfigError


def csv_rows(path: str | Path, *, what: str, number_at: int) -> Iterator[tuple[int, list[str]]]:
    """(line number, row) for every data row; ConfigError when the file cannot be read."""
    try:
        handle = Path(path).open(newline="", encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read {what}: {exc.strerror or exc}", file=str(path)) from exc
    with handle:
        first = True
        for lineno, row in enumerate(csv.reader(handle), start=1):
            if not row or not "".join(row).strip() or row[0].lstrip().startswith("#"):
                continue
            if first:
                first = False
                if _is_header(row, number_at):
                    continue
            yield lineno, row


def _is_header(row: list[str], number_at: int) -> bool:
    if len(row) <= number_at:
        return False
    try:
        float(row[number_at])
        return False
    except ValueError:
        pass
    try:
        ipaddress.ip_network(row[0].strip(), strict=False)
        return False
    except ValueError:
        return True
