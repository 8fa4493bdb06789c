"""Selection: nearest healthy by modelled latency, margin, weights, spill, fail open, never empty."""

from __future__ import annotations

import random

from gslb.config import FailOpen, Location, RegionConfig
from gslb.config import SelectionConfig as Policy
from gslb.health import Health, RegionHealth
from gslb.latency import Estimate, Source
from gslb.selection import rank


def region(name: str, *, weight: float = 1.0, capacity: float | None = None) -> RegionConfig:
    return RegionConfig(name, f"http://{name}", ("192.0.2.1",), (), Location(0, 0), weight, capacity)


A, B, C = region("a"), region("b"), region("c")


def lat(**ms: float) -> dict[str, Estimate]:
    return {k.replace("_", "-"): Estimate(v, Source.MEASURED) for k, v in ms.items()}


def health(**states: Health) -> dict[str, RegionHealth]:
    return {k: RegionHealth(v) for k, v in states.items()}


UP = health(a=Health.UP, b=Health.UP, c=Health.UP)


def names(ranked) -> list[str]:  # type: ignore[no-untyped-def]
    return [r.region.name for r in ranked]


def test_lowest_latency_healthy_region_first_with_reason() -> None:
    ranked = rank((A, B, C), UP, lat(a=80, b=20, c=50), policy=Policy(margin_ms=0))
    assert names(ranked) == ["b", "c", "a"]
    assert ranked[0].reason == "lowest modelled latency 20.0 ms (measured)"


def test_down_regions_go_last_and_unknown_is_still_served() -> None:
    h = health(a=Health.UNKNOWN, b=Health.DOWN, c=Health.UP)
    ranked = rank((A, B, C), h, lat(a=30, b=10, c=50), policy=Policy(margin_ms=0))
    assert names(ranked) == ["a", "c", "b"]
    assert [r.eligible for r in ranked] == [True, True, False]
    assert ranked[2].reason.startswith("down")


def test_margin_keeps_the_previous_region_for_a_small_gain() -> None:
    ranked = rank((A, B, C), UP, lat(a=24, b=20, c=90), policy=Policy(margin_ms=10), previous="a")
    assert names(ranked)[0] == "a" and "kept" in ranked[0].reason
    # a gain beyond the margin does move the client
    ranked = rank((A, B, C), UP, lat(a=35, b=20, c=90), policy=Policy(margin_ms=10), previous="a")
    assert names(ranked)[0] == "b"


def test_within_margin_higher_weight_wins_equal_weights_keep_lowest_latency() -> None:
    heavy = region("a", weight=3)
    assert names(rank((heavy, B, C), UP, lat(a=25, b=20, c=90), policy=Policy(margin_ms=10)))[0] == "a"
    assert names(rank((A, B, C), UP, lat(a=25, b=20, c=90), policy=Policy(margin_ms=10)))[0] == "b"
    assert names(rank((heavy, B, C), UP, lat(a=45, b=20, c=90), policy=Policy(margin_ms=10)))[0] == "b"


def test_spill_moves_a_stable_share_of_clients_off_an_over_capacity_region() -> None:
    full = region("b", capacity=60)
    loads = {"b": 100.0}  # 40% of b's clients must go
    picks = [names(rank((A, full, C), UP, lat(a=40, b=20, c=90), loads=loads, spill_key=k / 1000))[0]
             for k in range(1000)]
    assert picks.count("a") == 400 and picks.count("b") == 600
    again = [names(rank((A, full, C), UP, lat(a=40, b=20, c=90), loads=loads, spill_key=k / 1000))[0]
             for k in range(1000)]
    assert again == picks  # the same clients spill every time
    spilled = rank((A, full, C), UP, lat(a=40, b=20, c=90), loads=loads, spill_key=0.1)
    assert "spill from b" in spilled[0].reason


def test_spill_when_a_neighbour_fails() -> None:
    """b can take 100 and carries 70; when a fails, half of a's 100 (weight share) lands on b."""
    b = region("b", capacity=100)
    h = health(a=Health.DOWN, b=Health.UP, c=Health.UP)
    loads = {"a": 100.0, "b": 70.0}  # b projected at 120: one client in six must go
    picks = [names(rank((A, b, C), h, lat(a=10, b=20, c=30), loads=loads, spill_key=k / 100))[0]
             for k in range(100)]
    assert picks.count("c") == 17 and "a" not in picks
    assert names(rank((A, b, C), UP, lat(a=10, b=20, c=30), loads={"b": 70.0}, spill_key=0.0))[0] == "a"


def test_fail_open_last_known_good_then_all() -> None:
    down = health(a=Health.DOWN, b=Health.DOWN, c=Health.DOWN)
    ranked = rank((A, B, C), down, lat(a=30, b=10, c=50), last_known_good=frozenset({"a", "c"}))
    assert names(ranked) == ["a", "c", "b"] and "last known good" in ranked[0].reason
    ranked = rank((A, B, C), down, lat(a=30, b=10, c=50))
    assert names(ranked) == ["b", "a", "c"] and "every region" in ranked[0].reason
    ranked = rank((A, B, C), down, lat(a=30, b=10, c=50), last_known_good=frozenset({"a"}),
                  policy=Policy(fail_open=FailOpen.ALL))
    assert names(ranked)[0] == "b"


def test_never_empty_and_every_region_listed_once() -> None:
    rng = random.Random(5)
    regions = tuple(region(f"r{i}", weight=rng.choice([1, 2]), capacity=rng.choice([None, 50.0]))
                    for i in range(6))
    for _ in range(2000):
        h = {r.name: RegionHealth(rng.choice(list(Health))) for r in regions}
        est = {r.name: Estimate(rng.uniform(1, 300), rng.choice(list(Source))) for r in regions}
        loads = {r.name: rng.uniform(0, 100) for r in regions if rng.random() < 0.5}
        ranked = rank(regions, h, est, policy=Policy(margin_ms=rng.choice([0, 10])),
                      previous=rng.choice([None, "r1", "r4"]), loads=loads, spill_key=rng.random(),
                      last_known_good=frozenset(rng.sample([r.name for r in regions], 2)))
        assert sorted(names(ranked)) == sorted(r.name for r in regions)
        first = ranked[0]
        if any(s.state is not Health.DOWN for s in h.values()):
            assert first.eligible and h[first.region.name].state is not Health.DOWN
        assert first.reason
