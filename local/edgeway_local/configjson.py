"""Write ``gateway.json`` beside every ``gateway.yaml`` of a build (``make build``).

The gateway loads ``gateway.json`` in preference to ``gateway.yaml`` when both
ship (``edgeway.settings.default_config_path``): the same document, validated
here first, loaded on the cold path without importing PyYAML.

    python -m edgeway_local.configjson .aws-sam/build
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from edgeway.config import load_config
from edgeway.errors import ConfigError


def write_json_configs(build_dir: Path) -> list[Path]:
    written = []
    for source in sorted(build_dir.glob("*/gateway.yaml")):
        config = load_config(source)  # refuse to ship a config the gateway would refuse
        target = source.with_name("gateway.json")
        target.write_text(json.dumps(config.raw, indent=1, default=str) + "\n", encoding="utf-8")
        written.append(target)
    return written


def main(argv: list[str]) -> int:
    build_dir = Path(argv[0] if argv else ".aws-sam/build")
    try:
        written = write_json_configs(build_dir)
    except ConfigError as exc:
        print(f"configjson: {exc}", file=sys.stderr)
        return 2
    print(f"configjson: wrote {len(written)} gateway.json file(s) under {build_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
