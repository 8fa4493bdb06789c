"""The console's JSON endpoints on their own: in-process, moto for AWS, a test issuer for JWTs.

They must say what the CLI says: each section is compared with the command it mirrors.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import boto3
import pytest

from edgeway.http import Request
from edgeway_console.build import build_console
from edgeway_console.web import ConsoleApp
from edgeway_local import cli
from edgeway_local.commands import gslb as gslb_command
from gslb.config import load_gslb_config
from gslb.health import Health, VantageHealth
from gslb.store import GslbStore
from gslb.status import Transition
from tests import authkit
from tests.aws_tables import create_pk_sk_table
from tests.console.conftest import SECTIONS

ROOT = Path(__file__).resolve().parents[2]
TABLES = {"EDGEWAY_GSLB_TABLE": "t-gslb", "EDGEWAY_COUNTERS_TABLE": "t-counters",
          "EDGEWAY_KEYS_TABLE": "t-keys"}


def _config(tmp: Path) -> Path:
    text = (ROOT / "gateway.yaml").read_text()
    text = (text.replace("issuer: http://127.0.0.1:3010", f"issuer: {authkit.ISSUER}")
            .replace("jwks_uri: http://127.0.0.1:3010/.well-known/jwks.json",
                     f"jwks_uri: {authkit.ISSUER}/jwks.json")
            .replace("algorithms: [ES256]", "algorithms: [RS256]"))
    path = tmp / "gateway.yaml"
    path.write_text(text)
    return path


@pytest.fixture
def aws(fake_aws: None) -> Any:
    client = boto3.client("dynamodb", region_name="us-east-1")
    for name in TABLES.values():
        create_pk_sk_table(client, name)
    return client


@pytest.fixture
def app(aws: Any, tmp_path: Path) -> ConsoleApp:
    environ = {"EDGEWAY_CONFIG": str(_config(tmp_path)), "EDGEWAY_REGION": "us-east-1", **TABLES}
    keys = authkit.jwks((authkit.rsa_key(), "k1"))
    return build_console(environ=environ, fetch=lambda uri: keys)


def _token(scope: str) -> str:
    return authkit.token(authkit.claims(scope=scope), key=authkit.rsa_key(), alg="RS256", kid="k1")


def get(app: ConsoleApp, path: str, *, scope: str | None = "edgeway:admin",
        query: dict[str, str] | None = None) -> tuple[int, dict[str, str], Any]:
    headers = {"authorization": f"Bearer {_token(scope)}"} if scope is not None else {}
    response = app.handle(Request(method="GET", path=path, headers=headers, request_id="rid-1",
                                  query={k: (v,) for k, v in (query or {}).items()}))
    body = response.body
    ctype = response.headers.get("content-type", "")
    return response.status, response.headers, json.loads(body) if "json" in ctype else body


@pytest.mark.parametrize("section", SECTIONS)
def test_every_data_endpoint_needs_the_admin_scope(app: ConsoleApp, section: str) -> None:
    path = f"/_edgeway/api/{section}"
    query = {"ip": "198.51.100.7"}
    status, headers, body = get(app, path, scope=None, query=query)
    assert status == 401 and headers["www-authenticate"].startswith("Bearer")
    assert body["instance"] == "rid-1"
    status, _, body = get(app, path, scope="users:read", query=query)
    assert status == 403 and body["missing_scopes"] == ["edgeway:admin"]
    status, _, _ = get(app, path, query=query)
    assert status == 200


@pytest.mark.parametrize("path", ["/_edgeway/console/", "/_edgeway/api/regions",
                                  "/_edgeway/api/nope", "/_edgeway/console/../../app.py"])
def test_safe_headers_on_every_answer(app: ConsoleApp, path: str) -> None:
    _, headers, _ = get(app, path)
    assert headers["cache-control"] == "no-store"
    csp = headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe" not in csp
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"


def test_the_page_is_public_and_holds_no_inline_script(app: ConsoleApp) -> None:
    status, headers, body = get(app, "/_edgeway/console/", scope=None)
    assert status == 200 and headers["content-type"].startswith("text/html")
    html = body.decode()
    assert '<script type="module" src="app.js"></script>' in html
    assert "<script>" not in html and "style=" not in html and "http" not in html.split("<body>")[1]
    assert get(app, "/_edgeway/console", scope=None)[0] == 308
    assert get(app, "/_edgeway/console/vendor/uPlot.LICENSE.txt", scope=None)[0] == 200
    assert get(app, "/_edgeway/console/%2e%2e/app.py", scope=None)[0] == 404


def test_regions_say_what_gslb_status_says(app: ConsoleApp, aws: Any, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    store = GslbStore(TABLES["EDGEWAY_GSLB_TABLE"], aws)
    now = time.time()
    for vantage in ("us-east-1", "ap-southeast-1"):
        store.put_health(vantage, "eu-west-1", VantageHealth(Health.DOWN, 0, 5, now, now), ttl_s=300)
        store.put_health(vantage, "us-east-1", VantageHealth(Health.UP, 3, 0, now, now), ttl_s=300)
    _, _, page = get(app, "/_edgeway/api/regions")
    monkeypatch.setattr(gslb_command, "_dynamodb", lambda url, region: aws)
    assert cli.main(["gslb", "status", "--json", "--config", str(tmp_path / "gateway.yaml"),
                     "--table", TABLES["EDGEWAY_GSLB_TABLE"], "--control-url", "http://127.0.0.1:9"]) == 0
    shown = json.loads(capsys.readouterr().out)["regions"]

    def without_ages(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{**r, "vantages": {v: c["state"] for v, c in r["vantages"].items()}} for r in rows]

    assert without_ages(page["regions"]) == without_ages(shown)
    verdict = {r["region"]: r for r in page["regions"]}
    assert verdict["eu-west-1"]["health"] == "down"
    assert "2 down" in verdict["eu-west-1"]["reason"]


def test_resolve_says_what_gslb_resolve_says(app: ConsoleApp, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    status, _, page = get(app, "/_edgeway/api/resolve", query={"ip": "198.51.100.7"})
    assert status == 200 and page["region"] == "eu-west-1"
    assert cli.main(["gslb", "resolve", "--ip", "198.51.100.7", "--json",
                     "--config", str(tmp_path / "gateway.yaml")]) == 0
    assert page == json.loads(capsys.readouterr().out)
    _, _, subnet = get(app, "/_edgeway/api/resolve", query={"ip": "198.51.100.0/24"})
    assert subnet["region"] == "eu-west-1" and subnet["ip"] == "198.51.100.0/24"


@pytest.mark.parametrize("garbage", ["", "not-an-ip", "300.1.1.1", "1.2.3.4/99", "<script>"])
def test_resolve_with_garbage_is_a_clear_400(app: ConsoleApp, garbage: str) -> None:
    status, headers, body = get(app, "/_edgeway/api/resolve", query={"ip": garbage})
    assert status == 400 and headers["content-type"] == "application/problem+json"
    assert "IP" in body["detail"] and "Traceback" not in body["detail"]


def test_transitions_and_the_verdict_changes_they_imply(app: ConsoleApp, aws: Any) -> None:
    store = GslbStore(TABLES["EDGEWAY_GSLB_TABLE"], aws)
    now = time.time()
    for i, vantage in enumerate(("us-east-1", "ap-southeast-1", "eu-west-1")):
        store.put_transition(Transition(now - 60 + i, vantage, "eu-west-1", Health.UP, Health.DOWN,
                                        "HTTP 503"))
    _, _, body = get(app, "/_edgeway/api/transitions")
    assert [t["vantage"] for t in body["transitions"]] == ["us-east-1", "ap-southeast-1", "eu-west-1"]
    # quorum 2 of 3: the verdict moves when the second vantage point agrees
    (change,) = [v for v in body["verdicts"] if v["to"] == "down"]
    assert change["region"] == "eu-west-1" and change["at"] == pytest.approx(now - 59, abs=0.01)


def test_steering_and_latency_cover_the_networks_table(app: ConsoleApp, tmp_path: Path) -> None:
    _, _, steering = get(app, "/_edgeway/api/steering")
    regions = {r.name for r in load_gslb_config(tmp_path / "gateway.yaml").regions}
    assert {r["name"] for r in steering["regions"]} == regions
    dots = {p["prefix"]: p["region"] for p in steering["prefixes"]}
    assert dots["198.51.100.0/24"] == "eu-west-1" and dots["203.0.113.0/24"] == "ap-southeast-1"
    # the Route 53 plan (gslb.route53_plan) answers for every prefix, here as the Engine does
    assert set(steering["plan"]) == set(dots)
    assert steering["plan"]["198.51.100.0/24"] == "eu-west-1"
    _, _, latency = get(app, "/_edgeway/api/latency")
    frankfurt = next(a for a in latency["areas"] if a["area"] == "Frankfurt DE")
    assert min(frankfurt["rtt"], key=lambda r: frankfurt["rtt"][r]["ms"]) == "eu-west-1"
    assert {c["source"] for c in frankfurt["rtt"].values()} == {"distance"}


def test_consumers_say_what_usage_all_says(app: ConsoleApp, aws: Any, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    from edgeway.ratelimit.arithmetic import window

    day, month = window("day", time.time()).id, window("month", time.time()).id
    for consumer, count in (("alice", 3), ("bob", 1000)):
        aws.put_item(TableName=TABLES["EDGEWAY_COUNTERS_TABLE"], Item={
            "pk": {"S": f"rl#{consumer}"}, "sk": {"S": "s0"}, "d": {"S": day},
            "dc": {"N": str(count)}, "m": {"S": month}, "mc": {"N": str(count)}})
    aws.put_item(TableName=TABLES["EDGEWAY_COUNTERS_TABLE"], Item={
        "pk": {"S": "rl#carol"}, "sk": {"S": "s0"}, "d": {"S": "2020-01-01"}, "dc": {"N": "999"}})
    from edgeway.auth.keyformat import consumer_item

    aws.put_item(TableName=TABLES["EDGEWAY_KEYS_TABLE"], Item=consumer_item("alice", "trial"))
    status, _, page = get(app, "/_edgeway/api/consumers")
    assert status == 200
    # alice is on the trial plan (10 a day, her record says so); carol's day rolled over
    assert [(c["consumer"], c["plan"], c["day"]["used"], c["day"]["limit"])
            for c in page["consumers"]] == [
        ("bob", "free", 1000, 1000), ("alice", "trial", 3, 10), ("carol", "free", 0, 1000)]
    assert page["at_limit"] == ["bob"]
    assert cli.main(["usage", "--all", "--json", "--config", str(tmp_path / "gateway.yaml"),
                     "--table", TABLES["EDGEWAY_COUNTERS_TABLE"],
                     "--keys-table", TABLES["EDGEWAY_KEYS_TABLE"], "--region", "us-east-1"]) == 0
    assert {k: v for k, v in page.items() if k != "problems"} == json.loads(capsys.readouterr().out)


def test_traffic_reads_what_the_emf_lines_put(app: ConsoleApp) -> None:
    from edgeway_console.traffic import TrafficReader
    from edgeway_local.emf import metric_data

    cloudwatch = boto3.client("cloudwatch", region_name="us-east-1")
    # moto computes no percentiles (in-process it even fails to serialise them)
    app.data.traffic_reader = TrafficReader(cloudwatch, percentiles=False)
    stamp = int(time.time() * 1000)
    for status, latency in (("200", 12.0), ("200", 30.0), ("502", 5.0)):
        line = json.dumps({"_aws": {"Timestamp": stamp, "CloudWatchMetrics": [{
            "Namespace": "Edgeway", "Dimensions": [["route", "status", "service"]],
            "Metrics": [{"Name": "Requests", "Unit": "Count"},
                        {"Name": "Latency", "Unit": "Milliseconds"}]}]},
            "route": "users.get", "status": status, "service": "edgeway-gateway",
            "Requests": [1.0], "Latency": [latency]})
        for call in metric_data("GatewayFunction | " + line):
            cloudwatch.put_metric_data(**call)
    status, _, body = get(app, "/_edgeway/api/traffic")
    assert status == 200
    (row,) = body["routes"]
    assert (row["route"], row["requests"], row["errors"], row["avg_ms"]) == ("users.get", 3, 1, 21.0)
    assert sum(body["series"]["requests"]) == 3 and sum(body["series"]["errors"]) == 1
    assert row["p50_ms"] is None and "no percentiles" in body["problems"][0]


def test_traffic_without_percentiles_still_answers(app: ConsoleApp) -> None:
    """A CloudWatch refusing percentile statistics (moto server: HTTP 500) costs only p50/p99."""
    from botocore.exceptions import ClientError

    from edgeway_console.traffic import TrafficReader

    real = boto3.client("cloudwatch", region_name="us-east-1")
    real.put_metric_data(Namespace="Edgeway", MetricData=[{
        "MetricName": name, "Value": value, "Dimensions": [
            {"Name": "route", "Value": "orders.list"}, {"Name": "status", "Value": "200"}]}
        for name, value in (("Requests", 1.0), ("Latency", 8.0))])

    class NoPercentiles:
        def get_paginator(self, op: str) -> Any:
            paginator = real.get_paginator(op)
            if op != "get_metric_data":
                return paginator

            class Refusing:
                def paginate(self, **kwargs: Any) -> Any:
                    if any(q["MetricStat"]["Stat"].startswith("p") for q in kwargs["MetricDataQueries"]):
                        raise ClientError({"Error": {"Code": "InternalFailure"}}, "GetMetricData")
                    return paginator.paginate(**kwargs)
            return Refusing()

    app.data.traffic_reader = TrafficReader(NoPercentiles())
    status, _, body = get(app, "/_edgeway/api/traffic")
    assert status == 200
    (row,) = body["routes"]
    assert (row["requests"], row["avg_ms"], row["p99_ms"]) == (1, 8.0, None)
    assert "no percentiles" in body["problems"][0]


def test_a_store_that_is_down_is_a_503_for_its_section_only(app: ConsoleApp, aws: Any) -> None:
    aws.delete_table(TableName=TABLES["EDGEWAY_COUNTERS_TABLE"])
    status, headers, body = get(app, "/_edgeway/api/consumers")
    assert status == 503 and "counters table cannot be read" in body["detail"]
    assert headers["retry-after"] == "5"
    assert get(app, "/_edgeway/api/regions")[0] == 200
    assert get(app, "/_edgeway/api/resolve", query={"ip": "192.0.2.1"})[0] == 200


def test_an_operator_signs_in_with_the_keys_table_down(app: ConsoleApp, aws: Any) -> None:
    # The console limits no rate, so it never needs the operator's consumer plan: a
    # DynamoDB outage is when the console is wanted most.
    aws.delete_table(TableName=TABLES["EDGEWAY_KEYS_TABLE"])
    assert get(app, "/_edgeway/api/regions")[0] == 200
    assert get(app, "/_edgeway/api/resolve", query={"ip": "192.0.2.1"})[0] == 200
    assert get(app, "/_edgeway/api/regions", scope="orders:read")[0] == 403


def test_emf_lines_and_other_lines() -> None:
    from edgeway_local.emf import metric_data

    assert metric_data("START RequestId: 1") == []
    assert metric_data('{"_aws": "not a dict"}') == []
    (call,) = metric_data('X | {"_aws":{"Timestamp":1000,"CloudWatchMetrics":[{"Namespace":"N",'
                          '"Dimensions":[["a"]],"Metrics":[{"Name":"M","Unit":"Count"}]}]},'
                          '"a":"x","M":[1,2]}')
    (datum,) = call["MetricData"]
    assert call["Namespace"] == "N" and datum["Values"] == [1.0, 2.0]
    assert datum["Dimensions"] == [{"Name": "a", "Value": "x"}] and datum["Unit"] == "Count"
