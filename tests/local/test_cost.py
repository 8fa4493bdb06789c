"""`edgeway cost`: the arithmetic against AWS's published examples, and the totals users see."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from edgeway_local.cli import main
from edgeway_local.cost import ConfigFacts, PlanFacts, Workload, estimate, http_api, lambda_cost, waf
from edgeway_local.cost import prices as P

ROOT = Path(__file__).resolve().parents[2]


def test_lambda_matches_the_published_arm64_example() -> None:
    # AWS Lambda pricing, example: 3 M requests a month, 120 ms each, 1536 MB, arm64
    # -> 540,000 GB-s = $7.20 of compute, plus $0.60 of requests.
    compute, requests = lambda_cost(3_000_000, 0.120, 1536)
    assert round(compute, 2) == 7.20
    assert round(requests, 2) == 0.60


def test_http_api_tiers_and_the_rest_api_price() -> None:
    assert http_api(100e6) == pytest.approx(100.00)
    # 1 billion: the first 300 M at $1.00, the other 700 M at $0.90.
    assert http_api(1e9) == pytest.approx(930.00)
    assert P.REST_API_PER_M.usd == 3.50


def test_waf_matches_the_published_example() -> None:
    # AWS WAF pricing: one web ACL with 15 rules inspecting 10 M requests = $5 + $15 + $6.
    assert waf(10e6, rules=15) == pytest.approx(26.00)


def test_cloudfront_and_dynamodb_unit_prices() -> None:
    assert 10_000 / 1e6 * P.CLOUDFRONT_HTTPS_PER_M.usd == pytest.approx(0.01)  # $0.0100 per 10,000
    assert P.DYNAMODB_WRU_PER_M.usd == 0.625 and P.DYNAMODB_RRU_PER_M.usd == 0.125


def test_every_price_carries_its_date() -> None:
    dated = [v for v in vars(P).values() if isinstance(v, P.Price)]
    assert len(dated) > 20
    assert all(len(p.as_of) == 10 and p.as_of[4] == "-" for p in dated)


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> dict:
    assert main(["cost", "--config", str(ROOT / "gateway.yaml"), "--template",
                 str(ROOT / "template.yaml"), "--json", *args]) == 0
    return json.loads(capsys.readouterr().out)


def test_fifty_million_requests_on_the_demo_config(capsys: pytest.CaptureFixture[str]) -> None:
    out = _run(capsys, "--requests-per-month", "50000000")
    lines = {l["component"]: l["usd"] for l in out["lines"]}
    assert lines["API Gateway HTTP API"] == 50.00
    # 50 M x 40 ms x 1 GB (GatewayFunction: 1024 MB) = 2 M GB-s
    assert lines["Lambda gateway (GB-s)"] == round(2_000_000 * P.LAMBDA_ARM_GB_S.usd, 2) == 26.67
    assert lines["Lambda gateway (requests)"] == 10.00
    # free plan, strict: one counter write and one usage write per request (every route is limited)
    assert lines["DynamoDB rate limits"] == round(50e6 * 2 / 1e6 * 0.625, 2) == 62.50
    # users.get is the one cached route of five: 10 M requests, half of them misses
    assert lines["DynamoDB response cache"] == round(5e6 * 0.5 / 1e6 * 0.125 + 5e6 * 2 / 1e6 * 0.625, 2)
    # 3 regions x 1 s probes x 3 targets, replicated to 2 more regions; 3 checkers x 60 s x 256 MB
    probes = 2_628_000 * 9
    checkers = 3 * 43_800 * 60 * 0.25 * P.LAMBDA_ARM_GB_S.usd + 3 * 43_800 / 1e6 * 0.20
    assert lines["Health checkers"] == round(checkers + probes * 3 / 1e6 * 0.625, 2)
    assert out["total_usd"] == pytest.approx(sum(lines.values()), abs=0.05)
    assert out["total_usd"] == pytest.approx(TOTAL_50M, abs=0.01)
    assert out["per_million_usd"] == pytest.approx(TOTAL_50M / 50, abs=0.001)
    assert out["compare"] == {"HTTP API alone": 50.00, "REST API + usage plans": 175.00}


def test_the_edge_adds_cloudfront_waf_and_the_function(capsys: pytest.CaptureFixture[str]) -> None:
    out = _run(capsys, "--requests-per-month", "50000000", "--edge")
    lines = {l["component"]: l["usd"] for l in out["lines"]}
    assert lines["CloudFront requests"] == 50.00
    assert lines["AWS WAF"] == 5 + 4 + 30.00
    assert "Route 53 queries" not in lines          # alias to CloudFront: free queries
    assert out["total_usd"] == pytest.approx(TOTAL_50M_EDGE, abs=0.01)


def test_the_table_a_user_reads(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["cost", "--requests-per-month", "50000000", "--config", str(ROOT / "gateway.yaml"),
                 "--template", str(ROOT / "template.yaml")]) == 0
    text = capsys.readouterr().out
    assert f"TOTAL" in text and f"{TOTAL_50M:,.2f}" in text
    assert "REST API + usage plans" in text and "175.00" in text


def test_leased_plans_write_less_per_request() -> None:
    facts = ConfigFacts(regions=1, gateway_memory_mb=1024, backend_memory_mb=256, health_memory_mb=256,
                        health_schedule_s=60, health_run_s=60, probe_interval_s=1, limited_share=1.0,
                        cached_share=0.0, min_cache_ttl_s=0, key_cache_ttl_s=30,
                        default_plan=PlanFacts("bulk", "leased", lease_block=20))
    lines = {l.component: l.usd for l in estimate(facts, Workload(1e6)).lines}
    assert lines["DynamoDB rate limits"] == pytest.approx((1e6 / 20 + 1e6) / 1e6 * 0.625)


def test_bad_input_is_refused_with_the_flag_named(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["cost", "--requests-per-month", "1000", "--cache-hit-ratio", "2",
                 "--config", str(ROOT / "gateway.yaml"), "--template", str(ROOT / "template.yaml")]) == 2
    assert "--cache-hit-ratio" in capsys.readouterr().err


# The totals of the demo config (docs/edge.md shows the tables); a change to a price,
# a default or the config moves them, and this test says so.
TOTAL_50M = 263.68
TOTAL_50M_EDGE = 364.35
