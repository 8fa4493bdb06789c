"""Benchmark: aggregation fan-out, cache hit vs miss CPU, DynamoDB calls on a hit.

    python -m bench.aggregate_cache [--runs N]

1. Three parts that each take 100 ms (stub backends that sleep) through the
   whole in-process gateway, against a baseline measured in the same run: one
   route whose backend is the same 100 ms stub. Target: aggregate <= 1.15x.
2. CPU time (time.process_time) per request through the whole pipeline: a
   layer-1 HIT, a MISS (stubbed backend, new key each time) and the same route
   uncached as the baseline.
3. DynamoDB API calls made by layer-1 hits (moto in-process, counted with a
   botocore event hook). Target: 0.

Medians of several runs; the section goes to docs/bench/aggregate_cache.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from typing import Any

import pytest

from edgeway.clients import Clients
from edgeway.http import Request, Response
from edgeway.pipeline import STAGES
from tests.aws_tables import create_pk_sk_table
from tests.backend_stubs import StubFn, gateway, install
from tests.backend_stubs import event as stub_event
from tests.conftest import quiet_obs

from bench._common import machine, write_section

PART_S = 0.100
_PATCH = pytest.MonkeyPatch()  # stub backends stand in for `type: lambda`; undone at exit
CONFIG = """
version: 1
routes:
  - id: single
    auth: none
    path: /single/{id}
    backend: {type: lambda, function: slow_a}
  - id: dash
    auth: none
    path: /dash/{id}
    backend:
      type: aggregate
      parts:
        a: {backend: {type: lambda, function: slow_a}, path: "/a/{id}"}
        b: {backend: {type: lambda, function: slow_b}, path: "/b?id={id}"}
        c: {backend: {type: lambda, function: slow_c}, path: "/c/{id}", required: false}
  - id: cached
    auth: none
    path: /cached/{id}
    backend: {type: lambda, function: fast}
    cache: {ttl_s: 3600}
  - id: uncached
    auth: none
    path: /uncached/{id}
    backend: {type: lambda, function: fast}
"""


def _sleeps(name: str, delay_s: float) -> StubFn:
    def answer(request: Request, timeout_s: float) -> Response:
        if delay_s:
            time.sleep(delay_s)
        return Response.json({"name": name, "path": request.path})
    return answer


def build(env: dict[str, str] | None = None, clients: Any = None) -> Any:
    """The whole pipeline (every stage) around the stub backends of tests/backend_stubs.py."""
    stubs = install(_PATCH)
    for function, name, delay_s in (("slow_a", "a", PART_S), ("slow_b", "b", PART_S),
                                    ("slow_c", "c", PART_S), ("fast", "fast", 0.0)):
        stubs.add(function, _sleeps(name, delay_s))
    return gateway(CONFIG, env, clock=time.time, obs=quiet_obs(), clients=clients, stages=STAGES)


def event(path: str) -> dict[str, Any]:
    return stub_event(path, headers={"x-request-id": "bench-request-0001"})


def fan_out(runs: int) -> dict[str, float]:
    gw = build()
    gw(event("/dash/0"))  # warm the pool
    single, dash = [], []
    for i in range(runs):
        t = time.perf_counter()
        gw(event(f"/single/{i}"))
        single.append(time.perf_counter() - t)
        t = time.perf_counter()
        result = gw(event(f"/dash/{i}"))
        dash.append(time.perf_counter() - t)
        assert result["statusCode"] == 200 and result["headers"]["x-edgeway-complete"] == "true"
    s, d = statistics.median(single), statistics.median(dash)
    return {"single_ms": s * 1000, "aggregate_ms": d * 1000, "ratio": d / s,
            "sum_of_parts_ms": 3 * PART_S * 1000}


def cpu(runs: int, n: int) -> dict[str, float]:
    gw = build()
    gw(event("/cached/hot"))
    hit, miss, base = [], [], []
    for r in range(runs):
        t = time.process_time()
        for _ in range(n):
            gw(event("/cached/hot"))
        hit.append((time.process_time() - t) / n)
        t = time.process_time()
        for i in range(n):
            gw(event(f"/cached/{r}-{i}"))
        miss.append((time.process_time() - t) / n)
        t = time.process_time()
        for i in range(n):
            gw(event(f"/uncached/{i}"))
        base.append((time.process_time() - t) / n)
    h, m, b = (statistics.median(x) * 1e6 for x in (hit, miss, base))
    return {"hit_us": h, "miss_us": m, "uncached_us": b, "hit_over_miss": h / m}


def dynamodb_calls_on_hits(n: int) -> dict[str, int]:
    for key, value in {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
                       "AWS_DEFAULT_REGION": "us-east-1"}.items():
        os.environ.setdefault(key, value)
    import boto3
    from moto import mock_aws

    calls: list[str] = []

    class CountingClients(Clients):
        def _create(self, service: str, read_timeout: float | None, region: str,
                    attempts: int = 1) -> Any:
            client = super()._create(service, read_timeout, region, attempts)
            client.meta.events.register("before-call.dynamodb.*",
                                        lambda model, **_: calls.append(model.name))
            return client

    with mock_aws():
        create_pk_sk_table(boto3.client("dynamodb", region_name="us-east-1"), "cache")
        gw = build({"EDGEWAY_CACHE_TABLE": "cache", "AWS_REGION": "us-east-1"},
                   CountingClients("us-east-1"))
        gw(event("/cached/1"))
        on_miss = len(calls)
        for _ in range(n):
            assert gw(event("/cached/1"))["headers"]["x-cache"] == "HIT"
    return {"miss_calls": on_miss, "hits": n, "hit_calls": len(calls) - on_miss}


def report(f: dict[str, float], c: dict[str, float], d: dict[str, int], runs: int) -> str:
    verdict = "meets" if f["ratio"] <= 1.15 else "MISSES"
    return f"""## Aggregation and caching (`python -m bench.aggregate_cache`)

Measured in-process through the whole gateway pipeline with stub backends; medians of {runs} runs.
Machine: {machine()}.

| measure | value |
|---|---|
| one 100 ms backend (baseline, same run) | {f['single_ms']:.1f} ms |
| aggregate of three 100 ms parts | {f['aggregate_ms']:.1f} ms (sum of parts: {f['sum_of_parts_ms']:.0f} ms) |
| aggregate / slowest part | **{f['ratio']:.3f}x** ({verdict} the <= 1.15x target) |
| CPU per request, layer-1 HIT | {c['hit_us']:.1f} us |
| CPU per request, MISS (stub backend, store in layer 1) | {c['miss_us']:.1f} us |
| CPU per request, same route uncached (baseline) | {c['uncached_us']:.1f} us |
| HIT / MISS CPU | {c['hit_over_miss']:.2f}x |
| DynamoDB requests for {d['hits']} layer-1 hits | **{d['hit_calls']}** (the first MISS made {d['miss_calls']}: GetItem + PutItem) |

CPU is `time.process_time()` of the benchmark process (all threads). The MISS
figure excludes any backend time (the stub answers at once) and has no CacheTable
configured, so it is the gateway's own cost of a miss plus the layer-1 store.
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--n", type=int, default=2000, help="requests per CPU sample")
    args = parser.parse_args()
    try:
        f, c, d = fan_out(args.runs), cpu(5, args.n), dynamodb_calls_on_hits(100)
    finally:
        _PATCH.undo()
    print(f"wrote {write_section('aggregate_cache', report(f, c, d, args.runs))}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
