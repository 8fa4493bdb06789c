"""The local stack names its tables as template.yaml's functions name them, and
the CLI follows: `edgeway keys` emulates the global KeysTable across local regions."""

from __future__ import annotations

import json
import shutil
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from edgeway_local.cli import main
from edgeway_local.moto_server import MotoServer, create_resources
from edgeway_local.ports import free_port
from edgeway_local.tables import is_replicated, local_name
from edgeway_local.template import load_template

from tests.conftest import TWO_REGIONS_YAML

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"
REGIONS = ("us-east-1", "eu-west-1", "ap-southeast-1")


@pytest.mark.parametrize("region", REGIONS)
def test_every_function_names_the_tables_the_local_stack_creates(region: str) -> None:
    template = load_template(TEMPLATE, region=region)
    for function in template.functions.values():
        env = function.environment
        for logical_id, variable in [("KeysTable", "EDGEWAY_KEYS_TABLE"),
                                     ("CountersTable", "EDGEWAY_COUNTERS_TABLE"),
                                     ("CacheTable", "EDGEWAY_CACHE_TABLE"),
                                     ("GslbTable", "EDGEWAY_GSLB_TABLE")]:
            # Home-only tables too: locally every region gets them.
            assert env[variable] == template.table_name(logical_id), (function.logical_id, variable)
            assert local_name(logical_id, template=TEMPLATE, region=region) == env[variable]
        assert env["EDGEWAY_HOME_COUNTERS_TABLE"] == template.table_name("CountersTable")


def test_global_tables_are_marked_replicated_and_names_fall_back_outside_a_project(
        tmp_path: Path) -> None:
    assert is_replicated("KeysTable", template=TEMPLATE)
    assert is_replicated("GslbTable", template=TEMPLATE)
    assert not is_replicated("CountersTable", template=TEMPLATE)
    assert not is_replicated("CacheTable", template=TEMPLATE)
    missing = tmp_path / "template.yaml"
    assert local_name("KeysTable", template=missing) == "edgeway-local-KeysTable"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, MotoServer]]:
    """A project dir (template.yaml, two-region gateway.yaml) and a moto server
    holding the template's tables in both regions, as `edgeway serve` makes them."""
    for name in ("EDGEWAY_KEYS_TABLE", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    shutil.copy(TEMPLATE, tmp_path / "template.yaml")
    (tmp_path / "gateway.yaml").write_text(TWO_REGIONS_YAML)
    monkeypatch.chdir(tmp_path)
    server = MotoServer(port=free_port()).start()
    try:
        for region in ("us-east-1", "eu-west-1"):
            template = load_template(TEMPLATE, region=region)
            create_resources(server, template)
        yield tmp_path, server
    finally:
        # moto servers in one process share one state: leave no tables behind
        # for the next test's stack to find.
        urllib.request.urlopen(urllib.request.Request(f"{server.url}/moto-api/reset", method="POST"))
        server.stop()


def _keys(capsys: pytest.CaptureFixture[str], server: MotoServer, *argv: str) -> dict:
    assert main(["keys", *argv, "--endpoint-url", server.url, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def _status(server: MotoServer, region: str, key_id: str) -> list[str]:
    table = local_name("KeysTable")
    items = server.client("dynamodb", region).scan(TableName=table)["Items"]
    return [i["status"]["S"] for i in items
            if i["sk"]["S"] == "apikey" and i["key_id"]["S"] == key_id]  # not consumer records


def test_keys_create_and_revoke_reach_every_local_region_like_a_global_table(
        project: tuple[Path, MotoServer], capsys: pytest.CaptureFixture[str]) -> None:
    _, server = project
    created = _keys(capsys, server, "create", "--consumer", "c", "--plan", "p")
    assert [_status(server, r, created["id"]) for r in ("us-east-1", "eu-west-1")] \
        == [["active"], ["active"]]
    _keys(capsys, server, "revoke", created["id"])
    assert [_status(server, r, created["id"]) for r in ("us-east-1", "eu-west-1")] \
        == [["revoked"], ["revoked"]]
    # Naming a region writes only there.
    only = _keys(capsys, server, "create", "--consumer", "d", "--plan", "p",
                 "--region", "eu-west-1")
    assert (_status(server, "us-east-1", only["id"]), _status(server, "eu-west-1", only["id"])) \
        == ([], ["active"])
