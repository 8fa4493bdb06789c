"""Write ``gateway.json`` beside every ``gateway.yaml`` of a build (``make build``).

The gateway loads ``gateway.json`` in preference to ``gateway.yaml`` when both
ship (``edgeway.settings.Settings.from_env``): the same document, compiled
here first, loaded on the cold path without importing PyYAML.

    python -m edgeway_local.configjson .aws-sam/build
"""

from __future__ import annotations

import json
import sys
from collections.abc import Collection
from pathlib import Path

from edgeway.config import GatewayConfig, load_config
from edgeway.errors import ConfigError
from gslb.config import load_gslb_config


def compile_config(path: Path, *, functions: Collection[str] | None = None) -> GatewayConfig:
    """What the functions built from ``path`` compile at their cold start: the gateway's
    config (``edgeway.config``) and, when it declares regions, the GSLB's
    (``gslb.config``, which the GSLB functions and ``edgeway gslb`` load).

    ``make build`` and ``edgeway serve`` run this, so neither accepts a config that
    a cold start would refuse.
    """
    config = load_config(path, functions=functions)
    if config.section("regions") is not None:
        load_gslb_config(path)
    return config


def write_json_configs(build_dir: Path) -> list[Path]:
    written = []
    for source in sorted(build_dir.glob("*/gateway.yaml")):
        config = compile_config(source)  # refuse to ship a config a cold start would refuse
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
