"""``edgeway region down|up NAME`` and ``edgeway region list``: the control API's client."""

from __future__ import annotations

import argparse
import json
import sys
import urllib.error
import urllib.request
from typing import Any


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("region", help="take a local region down or up, list regions",
                                   description="Talk to the control API of a running "
                                   "`edgeway serve` (on the Lambda Invoke API port).")
    # The connection flags go on every action, so they may follow the region name.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--invoke-port", type=int, default=3001,
                        help="port of the running stack's Invoke/control API (default: 3001)")
    common.add_argument("--host", default="127.0.0.1")
    common.add_argument("--json", action="store_true", help="print the JSON answer")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    for action, text in (("down", "make a region answer 503 to everything (health included)"),
                         ("up", "bring a region back")):
        sub = actions.add_parser(action, help=text, parents=[common])
        sub.add_argument("name", help="region name, e.g. eu-west-1")
        sub.set_defaults(func=run)
    listing = actions.add_parser("list", help="every served region, its URL and state",
                                 parents=[common])
    listing.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    base = f"http://{args.host}:{args.invoke_port}/_edgeway/regions"
    if args.action == "list":
        status, body = _call("GET", base)
    else:
        status, body = _call("POST", f"{base}/{args.name}/{args.action}")
    if status is None:
        print(f"edgeway: no local stack answers on {args.host}:{args.invoke_port} ({body}); "
              f"is `edgeway serve` running?", file=sys.stderr)
        return 1
    if status != 200:
        print(f"edgeway: {body.get('message', body)}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(body, indent=2))
    elif args.action == "list":
        for name, state in body["regions"].items():
            print(f"{name:<16} {'DOWN' if state['down'] else 'up':<5} {state['url']}")
    else:
        print(f"{body['region']} is {'down' if body['down'] else 'up'} ({body['url']})")
    return 0


def _call(method: str, url: str) -> tuple[int | None, Any]:
    request = urllib.request.Request(url, method=method, data=b"" if method == "POST" else None)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        try:
            return exc.code, json.loads(exc.read())
        except ValueError:
            return exc.code, {"message": str(exc)}
    except (urllib.error.URLError, OSError) as exc:
        return None, getattr(exc, "reason", exc)
