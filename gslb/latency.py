"""The latency model: measured RTTs, a learned estimate near them, and plain distance.

For a client prefix and a region, in order of preference:

1. **measured** -- the median of the last ``window`` samples of that prefix to
   that region younger than ``max_age_s``. A median, not a mean: one congested
   probe must not move a client.
2. **learned** -- when other prefixes were measured. Per region, a line
   ``rtt = a + b * distance`` is fitted to every measured prefix (Huber-weighted
   and pulled towards the physical prior below, so a handful of points cannot
   bend it into nonsense). What the line misses -- routes that detour through a
   cable landing, a well- or badly-peered country -- is spatially correlated, so
   the residuals of the nearest measured prefixes are carried over by simple
   kriging with an exponential covariance of range ``CORRELATION_KM`` (far
   neighbours count for little, a tight cluster of neighbours counts as one,
   and with no neighbour nearby the estimate falls back to the line). A client
   that has measurements to some regions lends its own offset (a slow last mile
   slows every region) to the others.
3. **distance** -- nothing measured anywhere for that region: the prior line,
   ``BASE_RTT_MS + distance * 2 * PATH_INFLATION / FIBRE_KM_PER_MS``.

No estimate is ever below the speed of light in fibre over the great circle.
Pure: the caller passes ``now``; nothing here reads a clock or a socket.
"""

from __future__ import annotations

import heapq
import math
import statistics
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import Enum

from .geo import chord_to_km, distance_km, unit_vector
from .networks import IPNetwork

# Light in fibre covers ~204 km per ms (c / refractive index 1.47).
FIBRE_KM_PER_MS = 204.0
# Internet paths are longer than the great circle: ~1.5x is the usual measured inflation.
PATH_INFLATION = 1.5
# Last mile, queueing and the region's own front door.
BASE_RTT_MS = 5.0
PRIOR_MS_PER_KM = 2.0 * PATH_INFLATION / FIBRE_KM_PER_MS   # ~0.0147 ms of RTT per km
LIGHT_MS_PER_KM = 2.0 / FIBRE_KM_PER_MS                    # the physical floor

# The learned estimate. Chosen for physical plausibility, not fitted to a data set.
CORRELATION_KM = 800.0     # residuals of prefixes this far apart are ~37% correlated
NEIGHBOURS = 12            # measured prefixes considered per estimate
NUGGET_FRACTION = 0.25     # share of residual variance that is local noise, not geography
PRIOR_POINTS = 3.0         # the prior line weighs like this many measured prefixes
HUBER_MS = 10.0            # residuals beyond this are down-weighted in the line fit
OFFSET_SHRINK = 1.0        # a prefix's own offset counts as n / (n + this) of itself
UNPLACED_RTT_MS = 150.0    # a client we cannot place, and nothing measured: a neutral guess

Location = tuple[float, float]


class Source(str, Enum):
    MEASURED = "measured"    # this prefix was measured to this region
    LEARNED = "learned"      # fitted line + residuals of measured prefixes near it
    DISTANCE = "distance"    # great-circle distance with the physical prior only
    UNPLACED = "unplaced"    # the client has no location and no measurement


@dataclass(frozen=True, slots=True)
class Estimate:
    rtt_ms: float
    source: Source


@dataclass(frozen=True, slots=True)
class _Line:
    a: float
    b: float
    sill: float   # variance of what the line misses (ms^2)
    median_rtt: float


@dataclass(frozen=True, slots=True)
class _Point:
    prefix: IPNetwork
    xyz: tuple[float, float, float]
    distances: Mapping[str, float]      # km to each region
    rtts: Mapping[str, float]           # measured medians
    residuals: Mapping[str, float]      # measured - line


class LatencyModel:
    """Samples per (prefix, region) and the fitted model they imply at a given time."""

    def __init__(self, regions: Mapping[str, Location], *, window: int = 15,
                 max_age_s: float = 7 * 86400.0) -> None:
        self.regions = dict(regions)
        self.window = window
        self.max_age_s = max_age_s
        self._samples: dict[tuple[IPNetwork, str], deque[tuple[float, float]]] = {}
        self._locations: dict[IPNetwork, Location] = {}
        self._fitted: _Fitted | None = None

    def add(self, prefix: IPNetwork, location: Location | None, region: str, rtt_ms: float,
            at: float) -> None:
        if region not in self.regions:
            return
        key = (prefix, region)
        samples = self._samples.get(key)
        if samples is None:
            samples = self._samples[key] = deque(maxlen=self.window)
        samples.append((at, rtt_ms))
        if location is not None:
            self._locations[prefix] = location
        self._fitted = None

    def expire(self, now: float) -> int:
        """Forget samples older than max_age_s; returns how many series emptied."""
        cutoff = now - self.max_age_s
        emptied = 0
        for key in list(self._samples):
            samples = self._samples[key]
            while samples and samples[0][0] < cutoff:
                samples.popleft()
            if not samples:
                del self._samples[key]
                emptied += 1
        if emptied:
            self._fitted = None
        return emptied

    def __len__(self) -> int:
        return len(self._samples)

    def measured(self) -> dict[IPNetwork, dict[str, float]]:
        out: dict[IPNetwork, dict[str, float]] = {}
        for (prefix, region), samples in self._samples.items():
            if samples:
                out.setdefault(prefix, {})[region] = statistics.median(s[1] for s in samples)
        return out

    def fitted(self) -> _Fitted:
        if self._fitted is None:
            self._fitted = _Fitted(self.regions, self.measured(), self._locations)
        return self._fitted

    def estimate(self, prefix: IPNetwork, location: Location | None) -> dict[str, Estimate]:
        return self.fitted().estimate(prefix, location)


class _Fitted:
    """An immutable fit, rebuilt only when samples change; estimate() is read-only."""

    def __init__(self, regions: Mapping[str, Location], measured: Mapping[IPNetwork, Mapping[str, float]],
                 locations: Mapping[IPNetwork, Location]) -> None:
        self.regions = regions
        self.measured = measured
        points: list[tuple[IPNetwork, Location, Mapping[str, float]]] = [
            (p, locations[p], rtts) for p, rtts in measured.items() if p in locations]
        self.lines: dict[str, _Line] = {}
        for name, (rlat, rlon) in regions.items():
            xs = [(distance_km(lat, lon, rlat, rlon), rtts[name])
                  for _, (lat, lon), rtts in points if name in rtts]
            self.lines[name] = _fit_line(xs)
        self.points: list[_Point] = []
        for prefix, (lat, lon), rtts in points:
            dist = {n: distance_km(lat, lon, rl, rn) for n, (rl, rn) in regions.items()}
            res = {n: rtt - self._line(n, dist[n]) for n, rtt in rtts.items()}
            self.points.append(_Point(prefix, unit_vector(lat, lon), dist, rtts, res))

    def _line(self, region: str, km: float) -> float:
        line = self.lines[region]
        return line.a + line.b * km

    def estimate(self, prefix: IPNetwork, location: Location | None) -> dict[str, Estimate]:
        own = self.measured.get(prefix, {})
        out = {n: Estimate(rtt, Source.MEASURED) for n, rtt in own.items()}
        missing = [n for n in self.regions if n not in out]
        if not missing:
            return out
        if location is None:
            for name in missing:
                line = self.lines[name]
                guess = line.median_rtt if line.median_rtt > 0 else UNPLACED_RTT_MS
                out[name] = Estimate(guess, Source.UNPLACED)
            return out
        lat, lon = location
        xyz = unit_vector(lat, lon)
        near = self._neighbours(xyz, prefix)
        offset = self._own_offset(prefix, own, location)
        for name in missing:
            rlat, rlon = self.regions[name]
            km = distance_km(lat, lon, rlat, rlon)
            floor = km * LIGHT_MS_PER_KM
            line = self.lines[name]
            if line.median_rtt <= 0:  # nothing measured to this region anywhere
                out[name] = Estimate(max(floor, BASE_RTT_MS + km * PRIOR_MS_PER_KM), Source.DISTANCE)
                continue
            value = self._line(name, km) + self._krige(name, near, line.sill) + offset
            out[name] = Estimate(max(floor, value), Source.LEARNED)
        return out

    def _neighbours(self, xyz: tuple[float, float, float], prefix: IPNetwork) -> list[tuple[float, _Point]]:
        """The nearest measured prefixes as (km, point), nearest first."""
        x, y, z = xyz
        best = heapq.nlargest(NEIGHBOURS * 2, (
            (px * x + py * y + pz * z, i) for i, p in enumerate(self.points)
            if p.prefix != prefix for px, py, pz in (p.xyz,)))
        return [(chord_to_km(dot), self.points[i]) for dot, i in best]

    def _krige(self, region: str, near: list[tuple[float, _Point]], sill: float) -> float:
        pts = [p for _, p in near if region in p.residuals][:NEIGHBOURS]
        if not pts or sill <= 0:
            return 0.0
        dists = [d for d, p in near if region in p.residuals][:NEIGHBOURS]
        nugget = NUGGET_FRACTION * sill
        partial = sill - nugget
        n = len(pts)
        cov = [[(partial * _corr(_km(pts[i].xyz, pts[j].xyz)) + (nugget if i == j else 0.0))
                for j in range(n)] for i in range(n)]
        k = [partial * _corr(d) for d in dists]
        weights = _solve(cov, k)
        return sum(w * p.residuals[region] for w, p in zip(weights, pts))

    def _own_offset(self, prefix: IPNetwork, own: Mapping[str, float], location: Location) -> float:
        """How much slower than modelled this prefix is to the regions it was measured to."""
        if not own:
            return 0.0
        lat, lon = location
        deltas = []
        for name, rtt in own.items():
            if self.lines[name].median_rtt <= 0:
                continue
            rlat, rlon = self.regions[name]
            deltas.append(rtt - self._line(name, distance_km(lat, lon, rlat, rlon)))
        if not deltas:
            return 0.0
        return statistics.median(deltas) * len(deltas) / (len(deltas) + OFFSET_SHRINK)


def _fit_line(xs: list[tuple[float, float]]) -> _Line:
    """Ridge + Huber fit of rtt = a + b*km towards the physical prior."""
    if not xs:
        return _Line(BASE_RTT_MS, PRIOR_MS_PER_KM, 0.0, 0.0)
    scale = 5000.0  # km; puts a and b*scale on the same footing for the prior
    a, b = BASE_RTT_MS, PRIOR_MS_PER_KM
    weights = [1.0] * len(xs)
    for _ in range(5):
        # normal equations with prior pseudo-observations (a0, b0)
        saa = PRIOR_POINTS + sum(weights)
        sab = sum(w * d for w, (d, _) in zip(weights, xs))
        sbb = PRIOR_POINTS * scale ** 2 + sum(w * d * d for w, (d, _) in zip(weights, xs))
        ya = PRIOR_POINTS * BASE_RTT_MS + sum(w * y for w, (_, y) in zip(weights, xs))
        yb = PRIOR_POINTS * scale ** 2 * PRIOR_MS_PER_KM + sum(w * d * y for w, (d, y) in zip(weights, xs))
        det = saa * sbb - sab * sab
        a = (ya * sbb - yb * sab) / det
        b = (saa * yb - sab * ya) / det
        b = max(LIGHT_MS_PER_KM * 0.5, b)
        weights = [min(1.0, HUBER_MS / max(1e-9, abs(y - a - b * d))) for d, y in xs]
    residuals = [y - a - b * d for d, y in xs]
    # robust spread (MAD) so one wild point does not inflate the residual variance
    mad = statistics.median(abs(r) for r in residuals) * 1.4826
    sill = max(1.0, mad * mad)
    return _Line(a, b, sill, statistics.median(y for _, y in xs))


def _corr(km: float) -> float:
    return math.exp(-km / CORRELATION_KM)


def _km(p: tuple[float, float, float], q: tuple[float, float, float]) -> float:
    return chord_to_km(p[0] * q[0] + p[1] * q[1] + p[2] * q[2])


def _solve(matrix: list[list[float]], rhs: list[float]) -> list[float]:
    """Gaussian elimination with partial pivoting (the systems are at most NEIGHBOURS wide)."""
    n = len(rhs)
    m = [row[:] + [rhs[i]] for i, row in enumerate(matrix)]
    for col in range(n):
        pivot = max(range(col, n), key=lambda r: abs(m[r][col]))
        if abs(m[pivot][col]) < 1e-12:
            return [0.0] * n
        m[col], m[pivot] = m[pivot], m[col]
        for r in range(col + 1, n):
            f = m[r][col] / m[col][col]
            if f:
                for c in range(col, n + 1):
                    m[r][c] -= f * m[col][c]
    out = [0.0] * n
    for r in range(n - 1, -1, -1):
        out[r] = (m[r][n] - sum(m[r][c] * out[c] for c in range(r + 1, n))) / m[r][r]
    return out


def observed_regions(points: Iterable[Mapping[str, float]]) -> set[str]:
    return {name for rtts in points for name in rtts}
