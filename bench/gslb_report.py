"""Write one benchmark's section of docs/bench/gslb.md, keeping the other sections."""

from __future__ import annotations

import re
from pathlib import Path

REPORT = Path(__file__).resolve().parent.parent / "docs" / "bench" / "gslb.md"
HEADER = "# GSLB benchmarks (gslb-core)\n\nRegenerate with `python -m bench.gslb_quality` and `python -m bench.gslb_failover`.\n"


def write_section(key: str, title: str, body: str, path: Path = REPORT) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = path.read_text(encoding="utf-8") if path.exists() else HEADER
    block = f"<!-- {key} -->\n## {title}\n\n{body.rstrip()}\n<!-- /{key} -->\n"
    pattern = re.compile(rf"<!-- {key} -->.*?<!-- /{key} -->\n", re.S)
    text = pattern.sub(lambda _: block, text) if pattern.search(text) else text.rstrip() + "\n\n" + block
    path.write_text(text, encoding="utf-8")
