"""The optional-service registry of `edgeway serve`, driven in-process."""

from __future__ import annotations

import sys
import types
from pathlib import Path

import pytest

from edgeway.errors import ConfigError
from edgeway_local.banner import banner
from edgeway_local.errors import StackError
from edgeway_local.ports import free_port
from edgeway_local.serve import LocalStack, ServeOptions
from edgeway_local.services import StackInfo

from . import fake_service
from .conftest import CONFIG, TEMPLATE


def _options(**changes: object) -> ServeOptions:
    base = dict(config=CONFIG, template=TEMPLATE, port=free_port(),
                region_ports={"eu-west-1": free_port()}, invoke_port=free_port(),
                moto_port=free_port(), dns_port=free_port(), quiet=True)
    return ServeOptions(**{**base, **changes})  # type: ignore[arg-type]


def test_service_starters_get_the_stack_and_are_stopped() -> None:
    fake_service.STARTED.clear()
    options = _options(services=("tests.local.fake_service:start",
                                 "tests.local.fake_service:start_nothing"))
    stack = LocalStack(options).start()
    try:
        (service,) = fake_service.STARTED
        info = service.stack
        assert info.region_urls == {"us-east-1": f"http://127.0.0.1:{options.port}",
                                    "eu-west-1": f"http://127.0.0.1:{options.region_ports['eu-west-1']}"}
        assert info.dns_port == options.dns_port
        assert info.table_names["KeysTable"] == "edgeway-local-KeysTable"
        # Its client reaches moto, where the tables exist in every served region.
        assert set(service.tables) == {"edgeway-local-KeysTable", "edgeway-local-named",
                                       "fixture-test-shared"}
        text = "\n".join(banner(stack))
        assert "Fake service        regions=us-east-1,eu-west-1" in text
        assert "fake_service: not started" in text  # start_nothing returned None
    finally:
        stack.stop()
    assert service.stopped


def test_a_failing_service_stops_what_had_started(tmp_path: Path) -> None:
    options = _options(services=("tests.local.fake_service:no_such_starter",))
    with pytest.raises(StackError, match="no_such_starter"):
        LocalStack(options).start()
    # Everything it started was stopped: the same ports can be used again at once.
    LocalStack(_options(port=options.port, moto_port=options.moto_port,
                        invoke_port=options.invoke_port, services=())).start().stop()


def test_the_gslb_starter_is_registered_and_optional() -> None:
    from edgeway_local.services import SERVICE_STARTERS, load_starter

    assert "edgeway_local.services.gslb:start" in SERVICE_STARTERS
    assert callable(load_starter("edgeway_local.services.gslb:start"))


def test_a_missing_config_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        LocalStack(_options(config=tmp_path / "nope.yaml")).start()
    assert info.value.file == str(tmp_path / "nope.yaml")


def _info(config: Path, tables: dict[str, str]) -> StackInfo:
    return StackInfo(host="127.0.0.1", config_path=config, template_path=TEMPLATE,
                     home_region="us-east-1",
                     region_urls={"us-east-1": "http://127.0.0.1:4000",
                                  "eu-west-1": "http://127.0.0.1:4002"},
                     invoke_url="http://127.0.0.1:4001", moto_url="http://127.0.0.1:4005",
                     dns_port=4053, table_names=tables,
                     client_factory=lambda service, region: f"{service}@{region}")


def test_the_gslb_starter_hands_the_stack_to_gslb_local(monkeypatch: pytest.MonkeyPatch,
                                                        tmp_path: Path) -> None:
    calls: list[tuple[tuple[object, ...], dict[str, object]]] = []
    fake = types.ModuleType("edgeway_local.gslb_local")
    fake.start_local_gslb = lambda *args, **kwargs: calls.append((args, kwargs)) or "handle"  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "edgeway_local.gslb_local", fake)
    from edgeway_local.services.gslb import start

    assert start(_info(CONFIG, {"GslbTable": "edgeway-local-GslbTable"})) == "handle"
    (args, kwargs), = calls
    assert args == (str(CONFIG),)
    assert kwargs == {"region_urls": {"us-east-1": "http://127.0.0.1:4000",
                                      "eu-west-1": "http://127.0.0.1:4002"},
                      "dns_port": 4053, "gslb_table": "edgeway-local-GslbTable",
                      "dynamodb_client": "dynamodb@us-east-1"}
    # A config without regions has nothing to balance: the GSLB is not started.
    single = tmp_path / "gateway.yaml"
    single.write_text("version: 1\nroutes: []\n")
    assert start(_info(single, {})) is None and len(calls) == 1
