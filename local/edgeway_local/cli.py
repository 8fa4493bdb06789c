"""The `edgeway` command line.

Each sub-command lives in its own module under ``edgeway_local.commands`` and
exposes ``register(subparsers)``, which adds its parser and sets ``func`` to a
callable taking the parsed arguments and returning an exit status.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from edgeway.errors import ConfigError

# Sub-command modules, in the order `edgeway --help` lists them.
COMMANDS: tuple[str, ...] = ("serve", "invoke", "region", "gslb", "keys", "token", "usage",
                             "cache", "openapi", "edge", "cost")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="edgeway",
        description="Edgeway: an API gateway on AWS Lambda with a latency-aware GSLB. "
        "Run the local stack, invoke functions, manage keys, inspect the GSLB.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"edgeway_local.commands.{name}").register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except ConfigError as exc:
        print(f"edgeway: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
