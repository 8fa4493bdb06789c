"""The `regions` and `gslb` sections: a bad file is refused at start with file, key and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from edgeway.errors import ConfigError
from gslb.config import FailOpen, load_gslb_config

ROOT = Path(__file__).resolve().parents[2]

GOOD = """\
regions:
  - name: us-east-1
    endpoint: http://127.0.0.1:3000
    ipv4: [192.0.2.10]
    location: {lat: 38.9, lon: -77.0}
  - name: eu-west-1
    endpoint: http://127.0.0.1:3002
    ipv6: ["2001:db8:2::10"]
    location: {lat: 53.3, lon: -6.3}
    weight: 2
    capacity: 100
gslb:
  dns: {zone: Api.Example.Test., ttl: 20, ttl_near_change: 4}
  health: {interval_s: 2, fall: 3, quorum: 2}
  selection: {margin_ms: 5, fail_open: all}
  networks: nets.csv
"""


def write(tmp_path: Path, text: str, name: str = "gslb.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def refused(tmp_path: Path, text: str) -> ConfigError:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_gslb_config(path)
    assert info.value.file == str(path)
    return info.value


def test_demo_gateway_yaml_loads() -> None:
    config = load_gslb_config(ROOT / "gateway.yaml")
    assert config.region_names == ("us-east-1", "eu-west-1", "ap-southeast-1")
    assert config.dns.zone == "api.edgeway.test"
    assert config.effective_quorum == 2  # majority of three vantage points


def test_file_with_only_regions_and_gslb_sections(tmp_path: Path) -> None:
    config = load_gslb_config(write(tmp_path, GOOD))
    eu = config.region("eu-west-1")
    assert eu.ipv4 == () and eu.ipv6 == ("2001:db8:2::10",)
    assert eu.weight == 2 and eu.capacity == 100
    assert config.dns.zone == "api.example.test"
    assert config.health.interval_s == 2 and config.health.fall == 3 and config.effective_quorum == 2
    assert config.selection.fail_open is FailOpen.ALL
    # relative paths are relative to the config file, not the working directory
    assert config.networks == str(tmp_path / "nets.csv")


def test_full_gateway_yaml_other_sections_are_ignored(tmp_path: Path) -> None:
    text = "routes:\n  - path: /v1/users\n    backend: {lambda: UsersFunction}\nconsumers: {}\n" + GOOD
    assert len(load_gslb_config(write(tmp_path, text)).regions) == 2


def test_invalid_latitude_is_refused_with_key_and_line(tmp_path: Path) -> None:
    error = refused(tmp_path, GOOD.replace("lat: 53.3", "lat: 93.3"))
    assert error.key == "regions[1].location.lat"
    assert error.line == 9
    assert "90" in error.reason


def test_invalid_longitude_is_refused(tmp_path: Path) -> None:
    error = refused(tmp_path, GOOD.replace("lon: -77.0", "lon: -190"))
    assert error.key == "regions[0].location.lon" and error.line == 5


def test_region_without_address_is_refused(tmp_path: Path) -> None:
    error = refused(tmp_path, GOOD.replace("    ipv4: [192.0.2.10]\n", ""))
    assert error.key == "regions[0].ipv4"
    assert "no address" in error.reason and "us-east-1" in error.reason
    assert error.line == 2  # the region's own line: it has no ipv4 key to point at


@pytest.mark.parametrize("change, key", [
    (("ipv4: [192.0.2.10]", "ipv4: [192.0.2.300]"), "regions[0].ipv4[0]"),
    (("ipv4: [192.0.2.10]", "ipv4: ['2001:db8::1']"), "regions[0].ipv4[0]"),
    (("weight: 2", "weight: 0"), "regions[1].weight"),
    (("capacity: 100", "capacity: -1"), "regions[1].capacity"),
    (("endpoint: http://127.0.0.1:3000", "endpoint: 127.0.0.1:3000"), "regions[0].endpoint"),
    (("name: eu-west-1", "name: us-east-1"), "regions[1].name"),
    (("quorum: 2", "quorum: 3"), "gslb.health.quorum"),
    (("fall: 3", "fall: 0"), "gslb.health.fall"),
    (("fail_open: all", "fail_open: never"), "gslb.selection.fail_open"),
    (("margin_ms: 5", "margin_ms: fast"), "gslb.selection.margin_ms"),
    (("ttl_near_change: 4", "ttl_near_change: 40"), "gslb.dns.ttl_near_change"),
    (("  networks: nets.csv", "  networks: nets.csv\n  colour: blue"), "gslb.colour"),
])
def test_bad_values_name_the_key(tmp_path: Path, change: tuple[str, str], key: str) -> None:
    error = refused(tmp_path, GOOD.replace(*change))
    assert error.key == key
    assert error.line is not None
    assert str(error).startswith(f"{tmp_path / 'gslb.yaml'}:{error.line}: {key}: ")


def test_missing_regions_and_broken_yaml(tmp_path: Path) -> None:
    assert refused(tmp_path, "gslb: {}\n").key == "regions"
    assert refused(tmp_path, "regions: []\n").key == "regions"
    broken = refused(tmp_path, "regions:\n  - name: [unclosed\n")
    assert broken.line is not None and "YAML" in broken.reason


def test_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_gslb_config(tmp_path / "absent.yaml")
    assert info.value.file == str(tmp_path / "absent.yaml")


def test_regions_only_file_gets_documented_defaults(tmp_path: Path) -> None:
    text = GOOD.split("gslb:")[0]
    config = load_gslb_config(write(tmp_path, text))
    assert config.selection.margin_ms == 10.0 and config.selection.fail_open is FailOpen.LAST_KNOWN_GOOD
    assert config.health.rise == 2 and config.health.fall == 5 and config.effective_quorum == 2
    assert config.dns.zone == "api.edgeway.test" and config.networks is None
