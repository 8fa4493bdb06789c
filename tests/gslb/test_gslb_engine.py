"""The Engine facade: decisions, placement prefixes, generations, TTLs near a change."""

from __future__ import annotations

import ipaddress
import random

import pytest

from gslb.config import GslbConfig, HealthConfig, Location, RegionConfig
from gslb.engine import Decision, Engine, decision_as_dict
from gslb.health import Health
from gslb.networks import Network, NetworkTable
from gslb.observations import Observation

from tests.fakes import FakeClock as Clock

REGIONS = (
    RegionConfig("us-east-1", "http://127.0.0.1:3000", ("192.0.2.10",), ("2001:db8:1::10",), Location(38.9, -77.0)),
    RegionConfig("eu-west-1", "http://127.0.0.1:3002", ("198.51.100.10",), ("2001:db8:2::10",), Location(53.3, -6.3)),
    RegionConfig("ap-southeast-1", "http://127.0.0.1:3003", ("203.0.113.10",), (), Location(1.3, 103.8)),
)
NETWORKS = NetworkTable([
    Network(ipaddress.ip_network("198.51.100.0/24"), 50.11, 8.68, "Frankfurt"),
    Network(ipaddress.ip_network("2001:db8:200::/48"), 50.11, 8.68, "Frankfurt"),
    Network(ipaddress.ip_network("100.64.1.0/24"), 25.76, -80.19, "Miami"),
    Network(ipaddress.ip_network("100.64.2.0/24"), 26.1, -80.1, "Fort Lauderdale"),
    Network(ipaddress.ip_network("100.64.3.0/24"), 25.5, -80.4, "Homestead"),
])


@pytest.fixture()
def clock() -> Clock:
    return Clock(1_000.0)


@pytest.fixture()
def engine(clock: Clock) -> Engine:
    config = GslbConfig(REGIONS, health=HealthConfig(interval_s=1, rise=2, fall=3, stale_after_s=10,
                                                     settle_s=30))
    return Engine(config, networks=NETWORKS, clock=clock)


def all_probes(engine: Engine, clock: Clock, *, failing: tuple[str, ...] = ()) -> None:
    clock.now += 1
    for vantage in engine.config.region_names:
        for region in engine.config.region_names:
            engine.observe_probe(vantage, region, region not in failing)


def test_decision_carries_region_alternatives_prefix_and_ttl(engine: Engine) -> None:
    d = engine.resolve("198.51.100.77")
    assert isinstance(d, Decision)
    assert d.region.name == "eu-west-1" and d.region.ipv4 == ("198.51.100.10",)
    assert [a.name for a in d.alternatives] == ["us-east-1", "ap-southeast-1"]
    assert d.prefix == ipaddress.ip_network("198.51.100.0/24")
    assert d.ttl == engine.config.dns.ttl
    assert "eu-west-1" in d.reason and "\n" not in d.reason
    assert engine.resolve("2001:db8:200::5").region.name == "eu-west-1"
    # an unknown client still gets an answer, for the widest block around it that
    # holds no table prefix (at most a /8 or a /16)
    assert engine.resolve("203.0.113.9").prefix == ipaddress.ip_network("203.0.0.0/8")
    assert engine.resolve("100.64.0.9").prefix == ipaddress.ip_network("100.64.0.0/24")
    assert engine.resolve("100.64.4.9").prefix == ipaddress.ip_network("100.64.4.0/22")
    assert engine.resolve("2001:db8:9:9::1").prefix == ipaddress.ip_network("2001:db8::/39")
    as_json = decision_as_dict(d, "198.51.100.77")
    assert as_json["region"] == "eu-west-1" and as_json["addresses"] == ["198.51.100.10", "2001:db8:2::10"]


def test_malformed_client_is_a_value_error(engine: Engine) -> None:
    with pytest.raises(ValueError):
        engine.resolve("not-an-ip")


def test_generation_bumps_on_health_change_not_on_every_probe(engine: Engine, clock: Clock) -> None:
    start = engine.generation
    all_probes(engine, clock)
    assert engine.generation == start  # first passes: still UNKNOWN everywhere
    all_probes(engine, clock)
    up = engine.generation
    assert up > start and engine.health()["eu-west-1"].state is Health.UP
    for _ in range(5):
        all_probes(engine, clock)
    assert engine.generation == up  # steady state: answers unchanged, caches kept


def test_failover_short_ttl_then_settles(engine: Engine, clock: Clock) -> None:
    for _ in range(3):
        all_probes(engine, clock)
    assert engine.resolve("198.51.100.1").ttl == engine.config.dns.ttl_near_change  # just came UP
    for _ in range(31):
        all_probes(engine, clock)
    assert engine.resolve("198.51.100.1").ttl == engine.config.dns.ttl
    for _ in range(3):
        all_probes(engine, clock, failing=("eu-west-1",))
    d = engine.resolve("198.51.100.1")
    assert d.region.name == "us-east-1"
    assert d.ttl == engine.config.dns.ttl_near_change
    assert d.alternatives[-1].name == "eu-west-1"  # down regions last
    gen = engine.generation
    for _ in range(35):  # keep probing: the settle window ends, TTLs grow back
        all_probes(engine, clock, failing=("eu-west-1",))
    assert engine.generation == gen + 1
    assert engine.resolve("198.51.100.1").ttl == engine.config.dns.ttl


def test_stale_observations_make_regions_unknown_on_tick(engine: Engine, clock: Clock) -> None:
    for _ in range(3):
        all_probes(engine, clock, failing=("eu-west-1",))
    assert engine.health()["eu-west-1"].state is Health.DOWN
    gen = engine.generation
    clock.now += 11
    assert engine.tick() is True and engine.generation > gen
    assert engine.health()["eu-west-1"].state is Health.UNKNOWN
    assert engine.resolve("198.51.100.1").region.name == "eu-west-1"  # unknown is served


def test_all_down_fails_open_to_last_known_good(engine: Engine, clock: Clock) -> None:
    for _ in range(3):
        all_probes(engine, clock, failing=("ap-southeast-1",))
    for _ in range(3):
        all_probes(engine, clock, failing=engine.config.region_names)
    d = engine.resolve("198.51.100.1")
    assert d.region.name == "eu-west-1" and "fail open" in d.reason
    assert d.ttl == engine.config.dns.ttl_near_change


def test_observations_beat_map_distance_for_unmeasured_neighbours(engine: Engine) -> None:
    """Miami is nearest to us-east-1 on the map, but its neighbours measured eu-west-1 faster."""
    assert engine.resolve("100.64.1.5").region.name == "us-east-1"
    gen = engine.generation
    used = engine.ingest([
        Observation("100.64.2.0/24", "us-east-1", 95.0), Observation("100.64.2.1", "eu-west-1", 60.0),
        Observation("100.64.3.7", "us-east-1", 99.0), Observation("100.64.3.8", "eu-west-1", 64.0),
        Observation("100.64.3.9", "nowhere-1", 1.0),
    ])
    assert used == 4 and engine.generation == gen + 1
    d = engine.resolve("100.64.1.5")  # Miami itself was never measured
    assert d.region.name == "eu-west-1" and "(learned)" in d.reason
    measured = engine.resolve("100.64.3.200")
    assert measured.region.name == "eu-west-1" and "(measured)" in measured.reason


def test_forced_down_for_what_if(engine: Engine) -> None:
    engine.set_down(["eu-west-1"])
    d = engine.resolve("198.51.100.1")
    assert d.region.name == "us-east-1" and d.alternatives[-1].name == "eu-west-1"
    assert "forced" in d.alternatives[-1].reason


def test_reingesting_the_same_store_contents_changes_nothing(engine: Engine) -> None:
    rows = [Observation("198.51.100.0/24", "eu-west-1", 21.0, at=990.0),
            Observation("198.51.100.9", "us-east-1", 95.0, at=991.0)]
    assert engine.ingest(rows) == 2
    gen = engine.generation
    assert engine.ingest(rows) == 0 and engine.generation == gen
    assert engine.ingest(rows + [Observation("198.51.100.9", "us-east-1", 97.0, at=995.0)]) == 1
    assert engine.generation == gen + 1


def test_loads_matter_only_with_a_capacity_and_only_when_they_move(clock: Clock) -> None:
    regions = (REGIONS[0], RegionConfig("eu-west-1", "http://127.0.0.1:3002", ("198.51.100.10",), (),
                                        Location(53.3, -6.3), capacity=100.0), REGIONS[2])
    frankfurt = NetworkTable(Network(ipaddress.ip_network(f"10.{i}.0.0/16"), 50.11, 8.68) for i in range(200))
    engine = Engine(GslbConfig(regions), networks=frankfurt, clock=clock)
    gen = engine.generation
    assert not engine.set_load("us-east-1", 1e6)       # no capacity: load is not a signal
    assert engine.set_load("eu-west-1", 150.0)          # a third of eu-west-1's clients must spill
    assert not engine.set_load("eu-west-1", 152.0)      # noise: no new generation, caches kept
    assert engine.generation == gen + 1
    picks = [engine.resolve(f"10.{i}.0.1").region.name for i in range(200)]
    assert 40 < picks.count("us-east-1") < 95 and picks.count("eu-west-1") + picks.count("us-east-1") == 200
    spilled = next(engine.resolve(f"10.{i}.0.1") for i in range(200) if picks[i] == "us-east-1")
    assert "spill from eu-west-1" in spilled.reason


def test_an_unknown_block_never_holds_a_table_prefix_or_a_measured_one(engine: Engine) -> None:
    engine.ingest([Observation("100.64.9.20", "ap-southeast-1", 30.0)])  # unplaced, measured
    measured = engine.resolve("100.64.9.1")
    assert measured.prefix == ipaddress.ip_network("100.64.9.0/24")
    assert measured.region.name == "ap-southeast-1" and "measured" in measured.reason
    block = engine.resolve("100.64.10.1").prefix
    assert block == ipaddress.ip_network("100.64.10.0/23")
    table = [n.prefix for n in NETWORKS]
    rng = random.Random(5)
    for _ in range(300):
        address = ipaddress.IPv4Address(rng.randrange(0x64400000, 0x64410000))  # 100.64.0.0/16
        decision = engine.resolve(address)
        assert address in decision.prefix
        if NETWORKS.lookup(address) is None and address not in measured.prefix:
            assert not any(decision.prefix.overlaps(p) for p in [*table, measured.prefix])
            # every address of the block gets the very same decision
            other = decision.prefix[rng.randrange(decision.prefix.num_addresses)]
            assert engine.resolve(other) == decision


def test_one_generation_gives_one_decision_and_hysteresis_uses_the_one_before(clock: Clock) -> None:
    # The second region a little farther from Frankfurt (within the margin) but heavier.
    near = (RegionConfig("a", "http://a", ("192.0.2.1",), (), Location(50.1, 8.7)),
            RegionConfig("b", "http://b", ("192.0.2.2",), (), Location(50.0, 10.0), weight=2.0))
    engine = Engine(GslbConfig(near), networks=NETWORKS, clock=clock)
    first = engine.resolve("198.51.100.1")
    assert first.region.name == "b" and "weight 2" in first.region.reason
    # Asked again (another client of the prefix, another container's cache miss): the same answer,
    # word for word, though "b" is now this prefix's previous region.
    assert engine.resolve("198.51.100.200") == first
    engine.set_load("a", 0.0)    # no capacity configured: not news
    engine.set_down([])          # a new generation, nothing down
    kept = engine.resolve("198.51.100.1")
    assert kept.region.name == "b" and kept.region.reason.startswith("kept:")
    assert engine.resolve("198.51.100.2") == kept
