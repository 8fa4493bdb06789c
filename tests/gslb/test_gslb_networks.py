"""The networks table: longest-prefix match over IPv4 and IPv6, and CSV errors with file and line."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest

from edgeway.errors import ConfigError
from gslb.networks import DEFAULT_NETWORKS, Network, NetworkTable, load_networks

TABLE = """\
# comment lines and a header are allowed
prefix,lat,lon,label
10.0.0.0/8,1,1,wide
10.1.0.0/16,2,2,narrower
10.1.2.0/24,3,3,narrowest
2001:db8::/32,4,4,v6 wide
2001:db8:aa::/48,5,5,v6 narrow
0.0.0.0/0,0,0
"""


def table(tmp_path: Path, text: str = TABLE) -> Path:
    path = tmp_path / "networks.csv"
    path.write_text(text)
    return path


def test_longest_prefix_wins_v4_and_v6(tmp_path: Path) -> None:
    nets = load_networks(table(tmp_path))
    assert len(nets) == 6
    assert nets.lookup("10.1.2.3").label == "narrowest"
    assert nets.lookup("10.1.9.9").label == "narrower"
    assert nets.lookup("10.200.0.1").label == "wide"
    assert nets.lookup("11.0.0.1").label == ""  # the default route
    assert nets.lookup("2001:db8:aa:1::1").label == "v6 narrow"
    assert nets.lookup("2001:db8:bb::1").label == "v6 wide"
    assert nets.lookup("2001:db9::1") is None  # no IPv6 default: an IPv4 route never matches v6
    assert nets.lookup("::ffff:10.1.2.3").label == "narrowest"  # v4-mapped v6 is the v4 client


def test_placement_prefix_is_the_table_prefix_else_24_or_56() -> None:
    nets = NetworkTable([Network(ipaddress.ip_network("198.51.100.0/24"), 50.1, 8.7, "Frankfurt")])
    assert nets.placement("198.51.100.77")[0] == ipaddress.ip_network("198.51.100.0/24")
    prefix, net = nets.placement("203.0.113.77")
    assert net is None and prefix == ipaddress.ip_network("203.0.113.0/24")
    prefix, net = nets.placement("2001:db8:1:2:3::1")
    assert net is None and prefix == ipaddress.ip_network("2001:db8:1::/56")


def test_lookup_does_not_scan_the_table() -> None:
    # 65,536 prefixes: a linear scan would be visibly slow; a per-length dict answers at once
    nets = NetworkTable(Network(ipaddress.ip_network(f"10.{i >> 8}.{i & 255}.0/24"), 0, 0, str(i))
                        for i in range(65_536))
    assert all(nets.lookup(f"10.{i >> 8}.{i & 255}.9").label == str(i) for i in range(0, 65_536, 97))


def test_default_table_places_the_demo_european_client() -> None:
    nets = load_networks(DEFAULT_NETWORKS)
    frankfurt = nets.lookup("198.51.100.7")
    assert frankfurt is not None and "Frankfurt" in frankfurt.label
    assert "Frankfurt" in nets.lookup("2001:db8:200::7").label
    continents = {n.label for n in nets}
    for city in ("Sao Paulo", "Lagos", "Sydney", "Tokyo", "New York", "Mumbai", "London"):
        assert any(city in label for label in continents), city


@pytest.mark.parametrize("row, key, fragment", [
    ("10.0.0.0/33,1,1", "prefix", "not an IP prefix"),
    ("10.0.0.0/8,91,1", "lat", "outside"),
    ("10.0.0.0/8,1,-181", "lon", "outside"),
    ("10.0.0.0/8,north,1", "lat", "not a number"),
    ("10.0.0.0/8,1", None, "expected prefix,lat,lon"),
])
def test_bad_row_names_file_and_line(tmp_path: Path, row: str, key: str | None, fragment: str) -> None:
    path = table(tmp_path, "prefix,lat,lon\n192.0.2.0/24,1,1\n\n" + row + "\n")
    with pytest.raises(ConfigError) as info:
        load_networks(path)
    assert info.value.file == str(path) and info.value.line == 4 and info.value.key == key
    assert fragment in info.value.reason
    assert f"{path}:4" in str(info.value)


def test_other_headers_and_extra_columns_are_accepted(tmp_path: Path) -> None:
    nets = load_networks(table(tmp_path, "cidr,latitude,longitude,city,country\n10.0.0.0/8,1,2,Lagos,NG\n"))
    assert nets.lookup("10.1.1.1") == Network(ipaddress.ip_network("10.0.0.0/8"), 1.0, 2.0, "Lagos,NG")


def test_duplicate_prefix_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_networks(table(tmp_path, "10.0.0.0/8,1,1\n10.0.0.0/8,2,2\n"))
    assert info.value.line == 2 and "first on line 1" in info.value.reason


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_networks(tmp_path / "nope.csv")
    assert info.value.file == str(tmp_path / "nope.csv")
