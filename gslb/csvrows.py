"""Line-numbered rows of the GSLB's CSV inputs (networks, observations).

Blank lines and ``#`` comments are skipped, and a first row that names its
columns is passed over, so every reader reports errors by file and line the
same way.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from pathlib import Path

from edgeway.errors import ConfigError


def csv_rows(path: str | Path, *, what: str,
             is_header: Callable[[list[str]], bool]) -> Iterator[tuple[int, list[str]]]:
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
                if is_header(row):
                    continue
            yield lineno, row
