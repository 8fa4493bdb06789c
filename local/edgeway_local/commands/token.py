"""`edgeway token`: print a JWT signed by the local issuer (no stack needed)."""

from __future__ import annotations

import argparse
import json
from typing import Any

from edgeway.errors import ConfigError
from edgeway_local.issuer import AUDIENCE, DEFAULT_HOST, DEFAULT_PORT, LocalIssuer


def _claim(text: str) -> tuple[str, Any]:
    name, sep, value = text.partition("=")
    if not sep or not name:
        raise argparse.ArgumentTypeError(f"{text!r} is not NAME=VALUE")
    try:
        return name, json.loads(value)  # numbers, lists, true/false as JSON
    except ValueError:
        return name, value


def cmd_token(args: argparse.Namespace) -> int:
    if args.expires_in <= 0:
        raise ConfigError("--expires-in must be a positive number of seconds", key="--expires-in")
    issuer = LocalIssuer(host=args.host, port=args.port)
    token, claims = issuer.mint(args.sub, args.scope, expires_in=args.expires_in,
                                audience=args.aud, extra=dict(args.claim))
    if args.json:
        print(json.dumps({"token": token, "issuer": issuer.url, "expires_at": claims["exp"],
                          "claims": claims}))
    else:
        print(token)
    return 0


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "token", help="print a JWT from the local issuer",
        description="Print a JWT signed with the local issuer's key (kept in .edgeway/). "
        "Use it as `Authorization: Bearer <token>` against `edgeway serve`.")
    parser.add_argument("--sub", required=True, help="subject (the user)")
    parser.add_argument("--scope", action="append", default=[],
                        help='scopes, space separated ("users:read orders:read"); repeatable')
    parser.add_argument("--expires-in", type=int, default=3600, metavar="SECONDS",
                        help="lifetime in seconds (default 3600)")
    parser.add_argument("--aud", default=AUDIENCE, help=f"audience (default {AUDIENCE})")
    parser.add_argument("--claim", action="append", default=[], type=_claim, metavar="NAME=VALUE",
                        help="an extra claim (VALUE parsed as JSON when it is JSON); repeatable")
    parser.add_argument("--host", default=DEFAULT_HOST, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=DEFAULT_PORT,
                        help=f"the issuer's port, part of its iss (default {DEFAULT_PORT})")
    parser.add_argument("--json", action="store_true", help="print JSON with the claims")
    parser.set_defaults(func=cmd_token)
