"""The latency model: measured beats learned beats distance, robust to outliers, aged out."""

from __future__ import annotations

import ipaddress
import random

from gslb.geo import distance_km, unit_vector
from gslb.latency import LIGHT_MS_PER_KM, LatencyModel, Source

REGIONS = {"east": (38.9, -77.0), "west": (45.8, -119.7)}


def net(i: int) -> ipaddress.IPv4Network:
    return ipaddress.ip_network(f"10.0.{i}.0/24")


def test_measured_is_the_median_of_recent_samples() -> None:
    model = LatencyModel(REGIONS, window=5)
    for at, rtt in enumerate([20.0, 21.0, 22.0, 400.0]):  # one congested outlier
        model.add(net(1), (40.0, -75.0), "east", rtt, float(at))
    est = model.estimate(net(1), (40.0, -75.0))
    assert est["east"].source is Source.MEASURED and est["east"].rtt_ms == 21.5
    assert est["west"].source is Source.DISTANCE  # nobody was ever measured to "west"
    for at in range(5):  # the window keeps only the last five samples
        model.add(net(1), (40.0, -75.0), "east", 30.0, 10.0 + at)
    assert model.estimate(net(1), (40.0, -75.0))["east"].rtt_ms == 30.0


def test_samples_age_out() -> None:
    model = LatencyModel(REGIONS, max_age_s=100)
    model.add(net(1), (40.0, -75.0), "east", 20.0, at=0.0)
    assert model.expire(now=50.0) == 0
    assert model.estimate(net(1), None)["east"].source is Source.MEASURED
    assert model.expire(now=101.0) == 1
    est = model.estimate(net(1), (40.0, -75.0))
    assert est["east"].source is Source.DISTANCE  # nothing measured anywhere any more


def test_distance_estimate_respects_the_speed_of_light() -> None:
    est = LatencyModel(REGIONS).estimate(net(1), (51.5, -0.1))
    km = distance_km(51.5, -0.1, *REGIONS["east"])
    assert est["east"].source is Source.DISTANCE
    assert est["east"].rtt_ms >= km * LIGHT_MS_PER_KM
    assert est["east"].rtt_ms < est["west"].rtt_ms


def test_unplaced_client_gets_a_neutral_estimate() -> None:
    est = LatencyModel(REGIONS).estimate(net(9), None)
    assert {e.source for e in est.values()} == {Source.UNPLACED}


def test_learned_estimate_carries_a_local_detour_to_unmeasured_neighbours() -> None:
    """Clients around (30, -90) reach `east` through a detour (+40 ms); the model must learn it."""
    rng = random.Random(3)
    model = LatencyModel(REGIONS)

    def truth(lat: float, lon: float, region: str) -> float:
        rtt = 4.0 + 0.016 * distance_km(lat, lon, *REGIONS[region])
        if region == "east" and distance_km(lat, lon, 30.0, -90.0) < 600:
            rtt += 40.0
        return rtt

    points = [(rng.uniform(25, 48), rng.uniform(-120, -72)) for _ in range(150)]
    for i, (lat, lon) in enumerate(points):
        for region in REGIONS:
            model.add(net(i), (lat, lon), region, truth(lat, lon, region) + rng.gauss(0, 1), 0.0)
    held_out = (30.5, -89.5)
    est = model.estimate(ipaddress.ip_network("10.9.9.0/24"), held_out)
    assert est["east"].source is Source.LEARNED
    assert abs(est["east"].rtt_ms - truth(*held_out, "east")) < 10
    # far from the detour the estimate stays close to the plain line
    far = (44.0, -75.0)
    assert abs(model.estimate(ipaddress.ip_network("10.9.8.0/24"), far)["east"].rtt_ms
               - truth(*far, "east")) < 6


def test_neighbour_index_finds_exactly_the_nearest_prefixes() -> None:
    """The latitude-band index must return what a full scan would, poles and antimeridian included."""
    rng = random.Random(3)
    model = LatencyModel({"r": (0.0, 0.0)})
    for i in range(2000):
        lat = rng.choice([rng.uniform(-90, 90), rng.uniform(84, 90), rng.uniform(-90, -85), rng.uniform(40, 55)])
        model.add(ipaddress.ip_network(((10 << 24) + (i << 8), 24)), (lat, rng.uniform(-180, 180)), "r", 10.0, 0.0)
    fitted = model.fitted()
    for _ in range(300):
        lat, lon = rng.uniform(-90, 90), rng.choice([rng.uniform(-180, 180), 179.9, -179.9])
        x, y, z = unit_vector(lat, lon)
        found = [i for _, i in fitted._neighbours(lat, (x, y, z), None)]
        scan = sorted(range(len(fitted.points)), reverse=True,
                      key=lambda i: x * fitted.points[i].xyz[0] + y * fitted.points[i].xyz[1]
                      + z * fitted.points[i].xyz[2])[:len(found)]
        assert set(found) == set(scan)


def test_neighbours_that_predict_nothing_are_not_trusted() -> None:
    """Residuals with no spatial structure at all: the estimate stays near the fitted line."""
    rng = random.Random(11)
    model = LatencyModel(REGIONS)
    for i in range(200):
        lat, lon = rng.uniform(25, 48), rng.uniform(-120, -72)
        for region in REGIONS:
            rtt = 4.0 + 0.016 * distance_km(lat, lon, *REGIONS[region]) + rng.choice([0.0, 60.0])
            model.add(net(i), (lat, lon), region, rtt, 0.0)
    assert model.fitted().trust < 0.3
