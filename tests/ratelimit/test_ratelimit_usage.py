"""``edgeway usage``: per-route counts for billing, read back from the counters table."""

from __future__ import annotations

import json

import pytest

from edgeway_local.cli import main

from tests.ratelimit_support import TABLE, event, free_port, make_gateway
from tests.ratelimit.conftest import routes_yaml

CONFIG = routes_yaml("rl-usage", users=True) + """\
plans:
  free:
    rate: {per_second: 5, burst: 10}
    quotas: {day: 1000}
    costs: {users.get: 3}
"""


def cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["usage", *args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def billed(moto, stub_backend):
    gw = make_gateway(CONFIG, moto.url)
    for path in ["/v1/orders"] * 4 + ["/v1/users/1"] * 2:
        assert gw(event(path, consumer="acme", plan="free"), None)["statusCode"] == 200
    return moto


def test_usage_json_lists_units_per_route(billed, capsys) -> None:
    code, out, _ = cli(capsys, "--consumer", "acme", "--month", "2026-11", "--json",
                       "--table", TABLE, "--endpoint-url", billed.url, "--region", "us-east-1")
    assert code == 0
    assert json.loads(out) == {"consumer": "acme", "month": "2026-11",
                               "routes": {"orders.list": 4, "users.get": 6}, "total": 10}


def test_usage_table_for_people(billed, capsys) -> None:
    code, out, _ = cli(capsys, "--consumer", "acme", "--month", "2026-11",
                       "--table", TABLE, "--endpoint-url", billed.url)
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("usage of consumer acme in 2026-11")
    assert lines[1].split() == ["ROUTE", "UNITS"]
    assert lines[2].split() == ["orders.list", "4"] and lines[3].split() == ["users.get", "6"]
    assert lines[4].split() == ["TOTAL", "10"]


def test_another_month_has_nothing(billed, capsys) -> None:
    code, out, _ = cli(capsys, "--consumer", "acme", "--month", "2026-10",
                       "--table", TABLE, "--endpoint-url", billed.url)
    assert code == 0 and "no usage recorded" in out


def test_a_bad_month_is_refused(capsys) -> None:
    with pytest.raises(SystemExit) as info:
        main(["usage", "--consumer", "acme", "--month", "2026-13"])
    assert info.value.code == 2
    assert "YYYY-MM" in capsys.readouterr().err


def test_an_unreachable_endpoint_is_a_clear_error(capsys) -> None:
    code, _, err = cli(capsys, "--consumer", "acme", "--month", "2026-11", "--table", TABLE,
                       "--endpoint-url", f"http://127.0.0.1:{free_port()}")
    assert code == 2 and "cannot reach DynamoDB" in err and "Traceback" not in err
