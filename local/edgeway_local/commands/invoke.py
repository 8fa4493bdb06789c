"""``edgeway invoke FUNCTION -e EVENT``: run one function once, like ``sam local invoke``.

The function runs in one local container (a worker process) with its template
environment and layers; its result is printed to stdout as JSON and its logs
go to stderr. AWS calls go to moto at --moto-port (default 5000), so run
``edgeway serve`` alongside when the function needs its tables.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from edgeway.errors import ConfigError


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("invoke", help="run one function once with an event",
                                   description=__doc__.split("\n\n", 1)[1],
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("function", help="logical id in the template, e.g. UsersFunction")
    parser.add_argument("-e", "--event", default=None,
                        help="event JSON file, or - for stdin (default: {})")
    parser.add_argument("--template", type=Path, default=Path("template.yaml"))
    parser.add_argument("--config", type=Path, default=None,
                        help="gateway.yaml to give the function (EDGEWAY_CONFIG)")
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument("--env-vars", type=Path, default=None,
                        help='JSON like sam\'s: {"Parameters": {...}, "<LogicalId>": {...}}')
    parser.add_argument("--moto-port", type=int, default=5000)
    parser.add_argument("--invoke-port", type=int, default=3001)
    parser.add_argument("--json", action="store_true",
                        help="print the result as indented JSON (default: one line)")
    parser.set_defaults(func=run)


def _read_json(source: str | Path, what: str) -> Any:
    try:
        text = sys.stdin.read() if str(source) == "-" else Path(source).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read {what}: {exc.strerror}", file=str(source)) from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{what} is not valid JSON: {exc.msg}", file=str(source),
                          line=exc.lineno) from exc


def _env_overrides(path: Path | None, function: str) -> dict[str, dict[str, str]]:
    if path is None:
        return {}
    data = _read_json(path, "the --env-vars file")
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise ConfigError('must be {"Parameters": {...}, "<LogicalId>": {...}}', file=str(path))
    merged = {**data.get("Parameters", {}), **data.get(function, {})}
    return {function: {k: str(v) for k, v in merged.items()}}


def run(args: argparse.Namespace) -> int:
    from edgeway_local.lambda_service import LocalLambda
    from edgeway_local.runtime import Endpoints
    from edgeway_local.template import load_template

    template = load_template(args.template, region=args.region)
    if args.function not in template.functions:
        known = ", ".join(sorted(template.functions)) or "none"
        raise ConfigError(f"no function {args.function!r} in the template (it defines: {known})",
                          file=str(template.path), key="Resources")
    event = _read_json(args.event, "the event") if args.event else {}
    overrides = _env_overrides(args.env_vars, args.function)
    if args.config is not None:
        overrides.setdefault(args.function, {})["EDGEWAY_CONFIG"] = str(args.config.resolve())

    def log(function: str, line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    functions = LocalLambda(
        {args.region: template}, log=log, overrides=overrides, max_workers=1,
        endpoints=Endpoints(aws=f"http://127.0.0.1:{args.moto_port}",
                            lambda_=f"http://127.0.0.1:{args.invoke_port}"))
    try:
        result = functions.invoke(args.function, event, region=args.region)
    finally:
        functions.close()
    print(json.dumps(result.payload, indent=2 if args.json else None))
    return 0 if result.ok else 1
