"""Which regions the local stack serves, on which ports."""

from __future__ import annotations

from pathlib import Path

import pytest

from edgeway.errors import ConfigError
from edgeway_local.regions import RegionListener, RegionStates, regions_from_config


def _config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "gateway.yaml"
    path.write_text(text)
    return path


def test_no_regions_section_serves_us_east_1_on_3000(tmp_path: Path) -> None:
    path = _config(tmp_path, "version: 1\nroutes: []\n")
    assert regions_from_config(path) == (RegionListener("us-east-1", 3000),)
    assert regions_from_config(path, home_port=4000) == (RegionListener("us-east-1", 4000),)


def test_ports_come_from_local_endpoints_else_the_documented_defaults(tmp_path: Path) -> None:
    path = _config(tmp_path, """regions:
  - {name: eu-west-1, endpoint: "http://127.0.0.1:4002"}
  - {name: us-east-1, endpoint: "https://abc.execute-api.us-east-1.amazonaws.com"}
  - {name: ap-southeast-1}
  - {name: sa-east-1, endpoint: "https://example.com"}
""")
    assert regions_from_config(path) == (
        RegionListener("eu-west-1", 4002), RegionListener("us-east-1", 3000),
        RegionListener("ap-southeast-1", 3003), RegionListener("sa-east-1", 3004))
    moved = regions_from_config(path, home_port=5002, ports={"sa-east-1": 5004})
    assert [r.port for r in moved] == [5002, 3000, 3003, 5004]


@pytest.mark.parametrize(("text", "key"), [
    ("regions: 7\n", "regions"),
    ("regions:\n  - {endpoint: 'http://127.0.0.1:1'}\n", "regions[0].name"),
    ("regions:\n  - {name: a, endpoint: 'http://127.0.0.1:x'}\n", "regions[0].endpoint"),
    ("regions:\n  - {name: a}\n  - {name: a}\n", "regions"),
])
def test_bad_regions_name_file_and_key(tmp_path: Path, text: str, key: str) -> None:
    path = _config(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        regions_from_config(path)
    assert (info.value.file, info.value.key) == (str(path), key)


def test_moving_a_region_the_config_lacks_is_refused(tmp_path: Path) -> None:
    path = _config(tmp_path, "regions:\n  - {name: us-east-1}\n")
    with pytest.raises(ConfigError, match="mars-north-1"):
        regions_from_config(path, ports={"mars-north-1": 1})


def test_region_states_flip_and_reject_unknown_names() -> None:
    states = RegionStates({"us-east-1": "http://127.0.0.1:3000"})
    assert states.set_down("us-east-1", True).down and states.is_down("us-east-1")
    assert not states.set_down("us-east-1", False).down
    with pytest.raises(KeyError):
        states.set_down("nowhere", True)
