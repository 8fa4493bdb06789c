"""`edgeway openapi`: print an OpenAPI 3.1 document built from gateway.yaml."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "openapi", help="print the OpenAPI 3.1 document of the routes in gateway.yaml",
        description="Build an OpenAPI 3.1 document from gateway.yaml: typed path parameters, "
        "request body and query schemas, security schemes, problem+json errors.")
    parser.add_argument("--config", default="gateway.yaml", help="gateway.yaml to read")
    parser.add_argument("--server", action="append", default=[], metavar="URL",
                        help="a server URL for the document (repeatable)")
    parser.add_argument("--title", help="document title (default: gateway.name)")
    parser.add_argument("--api-version", default="1.0.0", help="info.version (default 1.0.0)")
    parser.add_argument("--json", action="store_true",
                        help="compact JSON on one line (the default output is indented JSON)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from edgeway.config import load_config
    from edgeway_local.openapi import build_openapi

    document = build_openapi(load_config(args.config), servers=args.server or None,
                             title=args.title, version=args.api_version)
    indent = None if args.json else 2
    json.dump(document, sys.stdout, indent=indent, ensure_ascii=False)
    sys.stdout.write("\n")
    return 0
