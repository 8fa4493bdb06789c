"""``edgeway serve``: run the local stack until Ctrl-C."""

from __future__ import annotations

import argparse
import faulthandler
import json
import logging
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from edgeway.errors import ConfigError
from edgeway_local.errors import StackError

# Each part of the stack bounds its own stop (the GSLB loops: 5 s); past this, something hangs.
STOP_TIMEOUT_S = 20.0


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "serve", help="run the local stack (regions, Lambda Invoke API, moto, GSLB)",
        description="Run every region of gateway.yaml as an API Gateway-like listener, the "
        "Lambda Invoke API, moto and the GSLB services, until Ctrl-C. If it ever seems stuck, "
        "`kill -USR1 <pid>` prints every thread's stack to stderr.")
    parser.add_argument("--config", type=Path, default=Path("gateway.yaml"),
                        help="gateway config (default: gateway.yaml)")
    parser.add_argument("--template", type=Path, default=Path("template.yaml"),
                        help="SAM template (default: template.yaml)")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=None,
                        help="the home region's API port (default: from the config, 3000)")
    parser.add_argument("--region-port", action="append", default=[], metavar="NAME=PORT",
                        type=_region_port, help="move one region's listener (repeatable)")
    parser.add_argument("--invoke-port", type=int, default=3001,
                        help="Lambda Invoke API and control API port (default: 3001)")
    parser.add_argument("--moto-port", type=int, default=5000, help="moto port (default: 5000)")
    parser.add_argument("--dns-port", type=int, default=5353, help="GSLB DNS port (default: 5353)")
    parser.add_argument("--max-workers", type=int, default=8,
                        help="containers per function and region (default: 8)")
    parser.add_argument("--quiet", action="store_true",
                        help="do not print function logs and the access log")
    parser.add_argument("--log-probes", action="store_true",
                        help="also log the GSLB health checker's probes (one per second per "
                        "vantage point and region)")
    parser.add_argument("--json", action="store_true",
                        help="print the stack's addresses as one JSON line instead of the banner")
    parser.set_defaults(func=run)


def _region_port(text: str) -> tuple[str, int]:
    name, sep, port = text.partition("=")
    if not sep or not port.isdigit():
        raise argparse.ArgumentTypeError(f"expected NAME=PORT, got {text!r}")
    return name, int(port)


def run(args: argparse.Namespace) -> int:
    from edgeway_local.banner import banner, banner_data
    from edgeway_local.serve import LocalStack, ServeOptions

    options = ServeOptions(
        config=args.config, template=args.template, host=args.host, port=args.port,
        region_ports=dict(args.region_port), invoke_port=args.invoke_port,
        moto_port=args.moto_port, dns_port=args.dns_port, quiet=args.quiet,
        log_probes=args.log_probes,
        max_workers=args.max_workers)
    # The stack's own warnings (a GSLB store that fails, ...), said once each, on stderr.
    logging.basicConfig(level=logging.WARNING, format="edgeway: %(name)s: %(message)s")
    # `kill -USR1 <pid>` prints every thread's stack: the tool for a stack that hangs.
    faulthandler.register(signal.SIGUSR1, all_threads=True)
    stopping = threading.Event()
    # Installed before anything starts, so a Ctrl-C during start-up still cleans up.
    previous = {sig: signal.signal(sig, lambda *_: stopping.set())
                for sig in (signal.SIGINT, signal.SIGTERM)}
    stack = LocalStack(options)
    try:
        try:
            stack.start()
        except ConfigError:
            raise
        except StackError as exc:
            print(f"edgeway: {exc}", file=sys.stderr)
            return 1
        if args.json:
            print(json.dumps(banner_data(stack)))
        else:
            print("\n".join(banner(stack)))
        print("edgeway: ready", flush=True)
        # Wake now and then: a signal the kernel hands to another thread sets the flag
        # for the main thread's handler, but does not interrupt a wait without a timeout.
        while not stopping.wait(0.5):
            pass
        print("edgeway: stopping...", file=sys.stderr, flush=True)
        return 0
    finally:
        _stop_within(stack, STOP_TIMEOUT_S)
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _stop_within(stack: Any, seconds: float) -> None:
    """Stop the stack; if that hangs, say where, and end the process anyway.

    Every part bounds its own stop, so this is the last resort: the threads'
    stacks go to stderr (a bug report's worth) and the exit status is 1. The
    containers end with us (each watches its parent).
    """
    done = threading.Event()

    def watchdog() -> None:
        if done.wait(seconds):
            return
        print(f"edgeway: still stopping after {seconds:g} s; every thread's stack follows",
              file=sys.stderr, flush=True)
        faulthandler.dump_traceback(sys.stderr, all_threads=True)
        sys.stderr.flush()
        os._exit(1)

    threading.Thread(target=watchdog, name="stop-watchdog", daemon=True).start()
    stack.stop()
    done.set()
