"""Gateway cold start and warm path (issue 2).

Cold start: a fresh process that imports the gateway handler and serves its
first routed request (the Lambda Invoke call goes to a stub endpoint on
loopback that answers at once), against the floor of a fresh process that
imports boto3 and creates the same AWS client. Runs alternate, >= 10 each.

Warm path: CPU time per routed request through the whole pipeline with the
backend stubbed in-process, beside a bare handler that only parses the event.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import NamedTuple

from bench._common import ROOT, median, write_section
from tests.conftest import load_event

RUNS = int(os.environ.get("BENCH_COLD_RUNS", "15"))
WARM_REQUESTS = 5000
WARM_REPEATS = 7

BENCH_CONFIG = """\
version: 1
gateway: {name: bench}
routes:
  - id: users.get
    path: /v1/users/{id}
    methods: [GET]
    auth: none
    backend: {type: lambda, function: UsersFunction}
"""

EVENT = load_event("http_api_v2.json")  # the recorded HTTP API v2 event of the tests

# Both children end with os._exit right after their work: a Lambda container never
# runs interpreter shutdown, so neither side is charged for it.
GATEWAY_CHILD = """
import json, os, sys
sys.path[:0] = [{task!r}, {layer!r}]
import app
event = json.loads({event!r})
result = app.handler(event, None)
assert result["statusCode"] == 200, result
sys.stdout.flush()
os._exit(0)
"""

FLOOR_CHILD = """
import os, sys
import boto3
boto3.client("lambda")
sys.stdout.flush()
os._exit(0)
"""

# The gateway makes its clients with botocore alone (edgeway/clients.py): this
# second floor is what that costs with no gateway code at all.
BOTOCORE_FLOOR_CHILD = """
import os, sys
import botocore.session
botocore.session.get_session().create_client("lambda")
sys.stdout.flush()
os._exit(0)
"""


class _StubLambda(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802
        self.rfile.read(int(self.headers.get("content-length", 0)))
        body = json.dumps({"statusCode": 200, "headers": {"content-type": "application/json"},
                           "body": json.dumps({"id": "42"})}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def interpreters() -> list[str]:
    """This interpreter, plus any in BENCH_PYTHONS (``make bench`` adds python3.13,
    the Lambda runtime's version, when pyenv has it)."""
    extra = [p for p in os.environ.get("BENCH_PYTHONS", "").split(os.pathsep) if p]
    return [sys.executable, *[p for p in extra if Path(p).exists()]]


def version_of(python: str) -> str:
    return subprocess.run([python, "-c", "import platform; print(platform.python_version())"],
                          capture_output=True, text=True, check=True).stdout.strip()


class Run(NamedTuple):
    """One child process: wall time, and the CPU time (user + system) it used.

    CPU time is reported beside wall time because it barely moves when other
    work shares the machine's cores, while wall time does.
    """
    wall: float
    cpu: float


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def cold_start(python: str = sys.executable) -> tuple[list[Run], list[Run], list[Run]]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _StubLambda)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    with tempfile.TemporaryDirectory() as tmp:
        # As `make build` ships it: the validated config as gateway.json.
        from edgeway.config import parse_config

        config = Path(tmp) / "gateway.json"
        config.write_text(json.dumps(parse_config(BENCH_CONFIG).raw))
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "EDGEWAY_"))}
        env.update({
            "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_ENDPOINT_URL_LAMBDA": f"http://127.0.0.1:{server.server_port}",
            "EDGEWAY_CONFIG": str(config), "POWERTOOLS_SERVICE_NAME": "bench",
            "PYTHONDONTWRITEBYTECODE": "1",
        })
        # The artifact as `make build` ships it: our code copied without any
        # leftover __pycache__, then compiled to unchecked-hash bytecode; the
        # child may not write bytecode (Lambda's /opt and /var/task are read-only).
        layer, task = Path(tmp) / "layer", Path(tmp) / "task"
        shutil.copytree(ROOT / "layers" / "edgeway" / "edgeway", layer / "edgeway",
                        ignore=shutil.ignore_patterns("__pycache__"))
        shutil.copytree(ROOT / "functions" / "gateway", task,
                        ignore=shutil.ignore_patterns("__pycache__", "gateway.yaml"))
        for folder in (layer, task):  # bytecode for the interpreter that will run it
            subprocess.run([python, "-m", "compileall", "-q", "--invalidation-mode",
                            "unchecked-hash", str(folder)], check=True)
        paths = dict(task=str(task), layer=str(layer), event=json.dumps(EVENT))
        gateway_code = GATEWAY_CHILD.format(**paths)
        gw: list[Run] = []
        floor: list[Run] = []
        core: list[Run] = []

        def timed(code: str) -> Run:
            cpu, started = _children_cpu(), time.perf_counter()
            subprocess.run([python, "-c", code], env=env, check=True,
                           stdout=subprocess.DEVNULL)
            return Run(time.perf_counter() - started, _children_cpu() - cpu)

        timed(gateway_code), timed(FLOOR_CHILD), timed(BOTOCORE_FLOOR_CHILD)  # page cache
        for _ in range(RUNS):
            gw.append(timed(gateway_code))
            floor.append(timed(FLOOR_CHILD))
            core.append(timed(BOTOCORE_FLOOR_CHILD))
    server.shutdown()
    return gw, floor, core


def warm_path() -> tuple[float, float]:
    from edgeway.adapters import HttpApiV2Adapter
    from edgeway.backends.lambda_ import LambdaBackend
    from edgeway.config import parse_config
    from edgeway.http import Response
    from edgeway.observability import Observability
    from edgeway.pipeline import build_gateway
    from edgeway.settings import Settings

    canned = Response.json({"id": "42"})

    class Stub:
        name = "stub"

        def __call__(self, request, *, timeout_s):
            return Response(canned.status, dict(canned.headers), canned.body)

    LambdaBackend.build = lambda spec, ctx: Stub()
    config = parse_config(BENCH_CONFIG)
    devnull = open(os.devnull, "w")  # noqa: SIM115 - logs and EMF still get formatted
    real_stdout, sys.stdout = sys.stdout, devnull
    try:
        from aws_lambda_powertools import Logger
        import logging

        obs = Observability("bench", "us-east-1",
                            logger=Logger(service="bench-warm", logger_handler=logging.StreamHandler(devnull)))
        gateway = build_gateway(config, Settings.from_env({"AWS_REGION": "us-east-1"}), obs=obs)
        adapter = HttpApiV2Adapter()

        def bare(event: dict, context: object) -> dict:
            adapter.to_request(event, context)
            return {"statusCode": 200, "body": "{}"}

        def per_request(fn) -> float:
            samples = []
            for _ in range(WARM_REPEATS):
                started = time.process_time()
                for _ in range(WARM_REQUESTS):
                    fn(EVENT, None)
                samples.append((time.process_time() - started) / WARM_REQUESTS * 1e6)
            return median(samples)

        assert gateway(EVENT, None)["statusCode"] == 200
        return per_request(gateway), per_request(bare)
    finally:
        sys.stdout = real_stdout


def main() -> None:
    rows = []
    for python in interpreters():
        gw, floor, core = cold_start(python)
        g, f = median([r.wall for r in gw]) * 1000, median([r.wall for r in floor]) * 1000
        gcpu, fcpu = median([r.cpu for r in gw]) * 1000, median([r.cpu for r in floor]) * 1000
        c, ccpu = median([r.wall for r in core]) * 1000, median([r.cpu for r in core]) * 1000
        version = version_of(python)
        rows.append(f"| cold start on Python {version}, gateway (import + first routed request) "
                    f"| {g:.0f} ms | **{g / f:.2f}x** floor (target <= 1.15x); "
                    f"{g / c:.2f}x botocore floor | {gcpu:.0f} ms | {gcpu / fcpu:.2f}x |\n"
                    f"| cold start on Python {version}, floor (import boto3 + create client) "
                    f"| {f:.0f} ms | 1.00x | {fcpu:.0f} ms | 1.00x |\n"
                    f"| cold start on Python {version}, botocore floor (import botocore + "
                    f"create client) | {c:.0f} ms | {c / f:.2f}x floor | {ccpu:.0f} ms "
                    f"| {ccpu / fcpu:.2f}x |")
    warm, bare = warm_path()
    cold_rows = "\n".join(rows)
    write_section("gateway", f"""\
## Gateway cold start and warm path (issue 2)

`python -m bench.gateway`. Cold start: {RUNS} alternating runs of each, every run a fresh
interpreter. *Gateway* imports `functions/gateway/app.py` from a copy of the code
compiled to bytecode as `make build` ships it (building the pipeline from a one-route
config, shipped as `gateway.json` the way `make build` writes it) and serves its first
routed request, creating its Lambda client as in
production; the backend is stubbed by an endpoint on loopback that answers the Invoke at
once (so the gateway also pays botocore's first real call: endpoint rules, SigV4
signing, HTTP). *Floor* imports boto3 and creates the same Lambda client: what any
Python function that talks to AWS pays. The gateway itself makes its clients with
botocore alone (boto3's resource layer and s3transfer are of no use to it), so the
*botocore floor* (import botocore, create the client) is shown too: the gateway's
ratio to it is what our own code adds. Lambda runs
Python 3.13; `make bench` measures with it too when pyenv has it (a small venv,
`.bench313`, with boto3 and the layer's requirements), beside the dev venv's Python.

| measure | median | ratio | CPU (child's user + system) | CPU ratio |
|---|---:|---:|---:|---:|
{cold_rows}
| warm path, CPU per routed request (whole pipeline, backend stubbed, logs + EMF formatted) | {warm:.0f} us | {warm / bare:.1f}x bare (target <= 150 us) | | |
| warm path, bare handler (parse the event, return) | {bare:.1f} us | 1.00x | | |

Each child ends with `os._exit` as soon as its work is done: a Lambda container
never runs interpreter shutdown (module teardown and a last garbage collection, tens
of milliseconds), so neither side is charged for it. CPU is the child's user + system
time in the same runs: it moves far less than wall time when other work shares
the cores, so compare it when the machine is busy.
""")


if __name__ == "__main__":
    main()
