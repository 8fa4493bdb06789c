"""Great-circle geometry on a spherical Earth (good to ~0.5%, plenty for latency)."""

from __future__ import annotations

import math

EARTH_RADIUS_KM = 6371.0088


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Haversine distance between two points given in degrees."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def unit_vector(lat: float, lon: float) -> tuple[float, float, float]:
    """A point as a 3-D unit vector: nearest-neighbour search becomes a dot product."""
    p, l = math.radians(lat), math.radians(lon)
    return (math.cos(p) * math.cos(l), math.cos(p) * math.sin(l), math.sin(p))


def chord_to_km(dot: float) -> float:
    """Great-circle distance for the dot product of two unit vectors."""
    return EARTH_RADIUS_KM * math.acos(max(-1.0, min(1.0, dot)))
