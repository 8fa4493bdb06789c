"""What the local stack adds to a request: `python -m bench.local_stack`.

Everything runs on the fixture stack of the tests (tests/fixtures/stack), warm,
one request at a time over a kept-alive connection, in interleaved rounds so
that machine noise hits every variant alike:

- baseline: an HTTP round trip to a listener built on the same server code that
  answers at once (what HTTP on 127.0.0.1 costs here);
- container: one invocation of a warm container (pipe round trip, JSON both ways);
- API listener -> container: the API Gateway emulation around it;
- full chain: listener -> fixture gateway container -> its boto3 Lambda client ->
  Invoke API -> Mangum backend container, and back.
Cold start: a new container's spawn + handler import, against a bare
``python -c pass``. Writes docs/bench/local.md.
"""

from __future__ import annotations

import http.client
import subprocess
import sys
import time
from collections.abc import Callable

from bench._common import ROOT, git_rev, machine, median, write_section
from edgeway_local.apigw import ApiListener
from edgeway_local.apigw_event import RouteTable
from edgeway_local.httpserver import Handler, start_server, stop_server
from edgeway_local.invoke_api import InvokeApi
from edgeway_local.lambda_service import LocalLambda
from edgeway_local.moto_server import MotoServer, create_resources
from edgeway_local.ports import free_port
from edgeway_local.regions import RegionStates
from edgeway_local.runtime import Endpoints, quiet_log
from edgeway_local.template import Template, load_template

TEMPLATE = ROOT / "tests" / "fixtures" / "stack" / "template.yaml"
ROUNDS = 21
PER_ROUND = 20
COLD_RUNS = 10


class _Immediate(Handler):
    def handle_any(self) -> None:
        self.read_body()
        self.send(200, [("content-type", "application/json")], b"{}")


def _http(port: int, path: str) -> Callable[[], None]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def call() -> None:
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        assert response.status == 200, response.status

    return call


def _per_request_ms(call: Callable[[], None]) -> float:
    started = time.perf_counter()
    for _ in range(PER_ROUND):
        call()
    return (time.perf_counter() - started) * 1000 / PER_ROUND


def _cold_start_ms(template: Template) -> tuple[float, float]:
    colds, bares = [], []
    for _ in range(COLD_RUNS):
        fresh = LocalLambda({"us-east-1": template}, log=quiet_log)  # no container yet
        try:
            started = time.perf_counter()
            fresh.invoke("EchoFunction", {})
            colds.append((time.perf_counter() - started) * 1000)
        finally:
            fresh.close()
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        bares.append((time.perf_counter() - started) * 1000)
    return median(colds), median(bares)


def main() -> int:
    moto = MotoServer("127.0.0.1", free_port()).start()
    invoke_port = free_port()
    template = load_template(TEMPLATE)
    create_resources(moto, template)
    functions = LocalLambda({"us-east-1": template}, log=quiet_log,
                            endpoints=Endpoints(aws=moto.url,
                                                lambda_=f"http://127.0.0.1:{invoke_port}"))
    states = RegionStates({"us-east-1": "http://127.0.0.1:0"})
    api = InvokeApi("127.0.0.1", invoke_port, functions, states).start()
    listener = ApiListener("us-east-1", "127.0.0.1", free_port(), RouteTable(template.routes),
                           functions, states).start()
    immediate = start_server("127.0.0.1", free_port(), _Immediate, None, "baseline")
    try:
        variants: dict[str, Callable[[], None]] = {
            "baseline: HTTP to an answer-at-once listener":
                _http(immediate.server_address[1], "/"),
            "container: warm invocation, no HTTP":
                lambda: functions.invoke("EchoFunction", {"n": 1}),
            "API listener -> container (Echo)": _http(listener.port, "/echo/1"),
            "full chain: listener -> gateway -> Invoke API -> Mangum":
                _http(listener.port, "/v1/users/42"),
        }
        for call in variants.values():  # warm every container and connection
            for _ in range(3):
                call()
        samples: dict[str, list[float]] = {name: [] for name in variants}
        for _ in range(ROUNDS):
            for name, call in variants.items():
                samples[name].append(_per_request_ms(call))
        cold, bare = _cold_start_ms(template)
    finally:
        stop_server(immediate)
        listener.stop()
        api.stop()
        functions.close()
        moto.stop()

    base = median(samples[next(iter(samples))])
    rows = "\n".join(f"| {name} | {median(values):.2f} | {median(values) / base:.1f} |"
                     for name, values in samples.items())
    write_section("local", f"""## Local stack (issues 2 and 7)

`python -m bench.local_stack` at {git_rev()}, {time.strftime('%Y-%m-%d', time.gmtime())}, on
{machine()}.
Warm requests one at a time over a kept-alive connection; medians over {ROUNDS}
interleaved rounds of {PER_ROUND} requests (fixture stack of the tests).

| path | median ms per request | ratio to baseline |
|---|---:|---:|
{rows}

Cold start of a container (spawn, imports, handler import; EchoFunction):
**{cold:.0f} ms** median over {COLD_RUNS}, against **{bare:.0f} ms** for a bare
`python -c pass` ({cold / bare:.1f}x). The gateway's own cold start is measured
by `bench.gateway`; locally it is paid once per container, as on Lambda.

No target: this is a development stack. The figures say where local time goes
(the full chain is two containers, a boto3 call and three HTTP hops), so that a
slow local request can be told apart from a slow gateway. The listeners set
TCP_NODELAY: without it every response (headers and body written separately) waited
for the client's delayed ACK, about 40 ms per HTTP hop on Linux.
""")
    return 0


if __name__ == "__main__":
    sys.exit(main())
