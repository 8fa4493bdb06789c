"""Route matching cost with 10 and 500 routes (issue 5).

    python -m bench.routing [--quick]

Both tables have the same shapes (literals, typed parameters, {proxy+},
methods); the 500-route table has 50 resources instead of 1. Each round times
a fixed batch of matches that hit every shape (including 404s and 405s), and
the figure is the median over rounds of microseconds per match. The ratio
500/10 shows whether matching scans routes (ratio ~50) or walks a trie
(ratio ~1). Also reported: a whole routed request through the gateway
pipeline (stubbed backend) with this branch's stages on.
Writes docs/bench/routing.md.
"""

from __future__ import annotations

import statistics
import sys
import time
import uuid

from bench._common import ROOT, git_rev, machine, write_section
from edgeway.errors import HttpError
from edgeway.routing import Route, Router

SHAPES = [
    ("/v1/res{i}", ("GET", "POST")),
    ("/v1/res{i}/{{id:int}}", ("GET", "PUT", "DELETE")),
    ("/v1/res{i}/{{id:int}}/items", ("GET",)),
    ("/v1/res{i}/{{id:int}}/items/{{item:uuid}}", ("GET", "PATCH")),
    ("/v1/res{i}/by-slug/{{slug}}", ("GET",)),
    ("/v1/res{i}/{{id:int}}/files/{{path+}}", ("GET",)),
    ("/v2/res{i}", ("GET",)),
    ("/v2/res{i}/{{id:int}}", ("GET",)),
    ("/v2/res{i}/{{key}}/history", ("GET",)),
    ("/v1/res{i}/search", ("POST",)),
]
UID = str(uuid.UUID(int=12345))


def table(resources: int) -> list[Route]:
    routes = []
    for i in range(resources):
        for n, (template, methods) in enumerate(SHAPES):
            routes.append(Route(id=f"r{i}.{n}", path=template.format(i=i), methods=frozenset(methods)))
    return routes


def requests(resources: int) -> list[tuple[str, str]]:
    picks = [0, resources // 2, resources - 1]
    out = []
    for i in picks:
        out += [("GET", f"/v1/res{i}"), ("GET", f"/v1/res{i}/42"), ("GET", f"/v1/res{i}/42/items"),
                ("PATCH", f"/v1/res{i}/42/items/{UID}"), ("GET", f"/v1/res{i}/by-slug/hello"),
                ("GET", f"/v1/res{i}/42/files/a/b/c.txt"), ("GET", f"/v2/res{i}/7"),
                ("GET", f"/v2/res{i}/abc/history"), ("POST", f"/v1/res{i}/search"),
                ("GET", f"/v1/res{i}/abc"),          # 404: wrong type
                ("POST", f"/v1/res{i}/42/items")]     # 405
    return out


def one_round(router: Router, batch: list[tuple[str, str]], repeat: int) -> float:
    """Microseconds per match over ``repeat`` passes of ``batch``."""
    started = time.perf_counter_ns()
    for _ in range(repeat):
        for method, path in batch:
            try:
                router.match(method, path)
            except HttpError:
                pass
    return (time.perf_counter_ns() - started) / (repeat * len(batch)) / 1000


def medians(small: Router, large: Router, rounds: int, repeat: int) -> tuple[float, float]:
    # Rounds alternate between the two tables so that machine noise (a shared,
    # busy host) falls on both sides of the ratio alike.
    a, b = requests(1), requests(50)
    t10, t500 = [], []
    for _ in range(rounds):
        t10.append(one_round(small, a, repeat))
        t500.append(one_round(large, b, repeat))
    return statistics.median(t10), statistics.median(t500)


def pipeline_us(rounds: int, repeat: int) -> float:
    import pytest

    from edgeway.config import load_config
    from edgeway.pipeline import build_gateway
    from edgeway.settings import Settings
    from tests.conftest import stub_lambda
    from tests.routing_helpers import Recorder, event, quiet_obs

    with pytest.MonkeyPatch.context() as patch:
        stub_lambda(patch, Recorder().factory)
        gateway = build_gateway(load_config(ROOT / "gateway.yaml"), Settings.from_env({}),
                                obs=quiet_obs())
    request = event("GET", "/v1/users/42", ip="192.0.2.1",
                    headers={"origin": "https://app.example.com", "accept": "application/json",
                             "user-agent": "bench", "host": "api.example.com"})
    samples = []
    for _ in range(rounds):
        started = time.process_time_ns()
        for _ in range(repeat):
            gateway(request)
        samples.append((time.process_time_ns() - started) / repeat / 1000)
    return statistics.median(samples)


def main(argv: list[str]) -> int:
    quick = "--quick" in argv
    rounds, repeat = (7, 50) if quick else (31, 300)
    small, large = Router(table(1)), Router(table(50))
    assert len(small.routes) == 10 and len(large.routes) == 500
    t10, t500 = medians(small, large, rounds, repeat)
    ratio = t500 / t10
    full = pipeline_us(rounds, repeat // 3 or 1)
    print(f"10 routes:  {t10:.2f} us/match (median of {rounds} rounds)")
    print(f"500 routes: {t500:.2f} us/match")
    print(f"ratio 500/10: {ratio:.2f}")
    print(f"routed request through the pipeline (stub backend, CPU): {full:.1f} us")
    write_section("routing", f"""## Routing (issue 5)

`python -m bench.routing` at {git_rev()}, {time.strftime('%Y-%m-%d', time.gmtime())}, on
{machine()}.
Medians over {rounds} rounds; each round
matches {len(requests(1))} request shapes (hits on every template kind, a 404 for a
wrong parameter type, a 405) {repeat} times.

| routes | median us per match | ratio to 10 routes |
|---:|---:|---:|
| 10 | {t10:.2f} | 1.00 |
| 500 | {t500:.2f} | {ratio:.2f} |

Target: <= 20 us per match with 500 routes and a ratio well under 50. The trie
walks one node per path segment, so the cost depends on path depth and the
branches a segment can take (literal, typed parameter, parameter, proxy), not
on the number of routes.

A whole routed request through the pipeline (demo gateway.yaml: route guards,
CORS, validation, transforms; stubbed backend), CPU time: **{full:.1f} us**
(target <= 150 us).
""")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
