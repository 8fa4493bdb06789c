"""The latency model: measured RTTs, a learned estimate near them, and plain distance.

For a client prefix and a region, in order of preference:

1. **measured** -- the median of the last ``window`` samples of that prefix to
   that region younger than ``max_age_s``. A median, not a mean: one congested
   probe must not move a client.
2. **learned** -- when other prefixes were measured. A line
   ``rtt = a_region + b * distance`` is fitted to every measured (prefix,
   region) pair: one slope for all regions (the physics is the same everywhere;
   a per-region slope mostly reflects which clients happened to be measured to
   that region), one intercept per region (its front door and peering), all
   Huber-weighted and pulled towards the physical prior below, so a handful of
   points cannot bend it into nonsense. What the line misses -- routes that detour through a
   cable landing, a well- or badly-peered country -- is spatially correlated, so
   the residuals of the nearest measured prefixes are carried over by simple
   kriging with an exponential covariance of range ``CORRELATION_KM`` (far
   neighbours count for little, a tight cluster of neighbours counts as one,
   and with no neighbour nearby the estimate falls back to the line). A detour
   lengthens a path in proportion to it, so a neighbour's residual is scaled by
   the square root of the ratio of the modelled RTTs here and there: a client
   next to a region does not inherit the whole detour of a distant neighbour.
   How much the neighbours are trusted at all is checked on the data itself:
   measured prefixes are predicted from neighbours at least ``HOLDOUT_KM`` away,
   and where that predicts poorly the carried-over residuals are scaled down. A client
   that has measurements to some regions lends its own offset (a slow last mile
   slows every region) to the others.
3. **distance** -- nothing measured anywhere for that region: the pooled line
   of the other regions, or with nothing measured at all the physical prior
   ``BASE_RTT_MS + distance * 2 * PATH_INFLATION / FIBRE_KM_PER_MS``.

No estimate is ever below the speed of light in fibre over the great circle.
Pure: the caller passes ``now``; nothing here reads a clock or a socket.
"""

from __future__ import annotations

import heapq
import math
import statistics
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from .geo import chord_to_km, distance_km, unit_vector
from .networks import IPNetwork, PrefixSet

# Light in fibre covers ~204 km per ms (c / refractive index 1.47).
FIBRE_KM_PER_MS = 204.0
# Internet paths are longer than the great circle: ~1.5x is the usual measured inflation.
PATH_INFLATION = 1.5
# Last mile, queueing and the region's own front door.
BASE_RTT_MS = 5.0
PRIOR_MS_PER_KM = 2.0 * PATH_INFLATION / FIBRE_KM_PER_MS   # ~0.0147 ms of RTT per km
LIGHT_MS_PER_KM = 2.0 / FIBRE_KM_PER_MS                    # the physical floor

# The learned estimate. Chosen for physical plausibility, not fitted to a data set.
CORRELATION_KM = 1000.0    # residuals of prefixes this far apart are ~37% correlated
NUGGET_FRACTION = 0.25     # share of residual variance that is local noise, not geography
NEIGHBOURS = 12            # measured prefixes considered per estimate
PRIOR_POINTS = 3.0         # the prior line weighs like this many measured prefixes
INTERCEPT_RANGE_KM = 1000.0  # clients this far from a region count ~37% towards its intercept
INTERCEPT_POINTS = 100.0   # a region's intercept weighs against the pooled one like this many prefixes
HUBER_MS = 10.0            # residuals beyond this are down-weighted in the line fit
OFFSET_SHRINK = 1.0        # a prefix's own offset counts as n / (n + this) of itself
RESIDUAL_SCALING = 0.5     # a neighbour's residual scales by (line here / line there) ** this
UNPLACED_RTT_MS = 150.0    # a client we cannot place, and nothing measured: a neutral guess
MIN_POINTS_TO_VALIDATE = 20  # fewer measured prefixes: trust the neighbours fully
VALIDATION_SAMPLE = 300    # measured prefixes predicted from their neighbours per fit
HOLDOUT_KM = 100.0         # neighbours closer than this do not help predict a prefix in validation
MAX_TRUST = 1.0            # validation may only lower the trust in neighbours, never raise it
BAND_DEG = 5.0             # latitude band width of the neighbour index
KM_PER_DEGREE = 111.19     # of latitude

Location = tuple[float, float]


class Source(StrEnum):
    """Where a modelled latency comes from (formats as its value, e.g. in reasons)."""

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
    points: int          # measured prefixes behind the fit; 0 = the prior alone
    median_rtt: float


@dataclass(frozen=True, slots=True)
class _Point:
    prefix: IPNetwork
    xyz: tuple[float, float, float]
    distances: Mapping[str, float]      # km to each region
    residuals: Mapping[str, float]      # measured median - line


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
        self._prefixes: PrefixSet | None = None  # measured_prefixes(), until samples come or go

    def add(self, prefix: IPNetwork, location: Location | None, region: str, rtt_ms: float,
            at: float) -> bool:
        """File one sample; False if it is unknown or already held (re-reading a store is idempotent)."""
        if region not in self.regions:
            return False
        key = (prefix, region)
        samples = self._samples.get(key)
        if samples is None:
            samples = self._samples[key] = deque(maxlen=self.window)
        if (at, rtt_ms) in samples:
            return False
        if not samples:
            self._prefixes = None
        samples.append((at, rtt_ms))
        if location is not None:
            self._locations[prefix] = location
        self._fitted = None
        return True

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
            self._prefixes = None
        return emptied

    def measured_prefixes(self) -> PrefixSet:
        """Every prefix with samples, for placing unknown clients around them."""
        if self._prefixes is None:
            self._prefixes = PrefixSet({prefix for prefix, _ in self._samples})
        return self._prefixes

    def fitted(self) -> _Fitted:
        if self._fitted is None:
            measured: dict[IPNetwork, dict[str, float]] = {}
            for (prefix, region), samples in self._samples.items():  # never empty: see expire()
                measured.setdefault(prefix, {})[region] = statistics.median(s[1] for s in samples)
            self._fitted = _Fitted(self.regions, measured, self._locations)
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
        per_region = {name: [(distance_km(lat, lon, rlat, rlon), rtts[name])
                             for _, (lat, lon), rtts in points if name in rtts]
                      for name, (rlat, rlon) in regions.items()}
        # one line for all regions first: the physics (km per ms) is the same everywhere, and
        # a region's own slope mostly reflects which clients happened to be measured to it
        pooled = _fit_line([x for xs in per_region.values() for x in xs])
        self.lines = {name: _fit_intercept(xs, pooled) for name, xs in per_region.items()}
        self.points: list[_Point] = []
        for prefix, (lat, lon), rtts in points:
            dist = {n: distance_km(lat, lon, rl, rn) for n, (rl, rn) in regions.items()}
            res = {n: rtt - self._line(n, dist[n]) for n, rtt in rtts.items()}
            self.points.append(_Point(prefix, unit_vector(lat, lon), dist, res))
        # latitude bands: a band whose nearest edge is farther than the k-th neighbour found so
        # far cannot hold a nearer one, so most of the world is never looked at
        self._bands: dict[int, list[int]] = {}
        for i, p in enumerate(self.points):
            lat = math.degrees(math.asin(max(-1.0, min(1.0, p.xyz[2]))))
            self._bands.setdefault(min(int((lat + 90.0) // BAND_DEG), int(180 // BAND_DEG) - 1), []).append(i)
        self.trust = self._cross_validate()

    def _cross_validate(self) -> float:
        """How much of the neighbours' residuals to carry over, learnt from the data.

        Each sampled measured prefix is predicted from its neighbours (those farther than
        HOLDOUT_KM, so a town does not lean on its own city) and the least-squares factor
        between predicted and actual residuals is the trust, clamped to [0, 1]: where routing
        quirks are local, neighbours predict little and the estimate stays near the line.
        """
        if len(self.points) < MIN_POINTS_TO_VALIDATE:
            return 1.0
        variance: dict[str, float] = {}
        for region in self.regions:
            values = [p.residuals[region] for p in self.points if region in p.residuals]
            variance[region] = max(1.0, sum(v * v for v in values) / len(values)) if values else 1.0
        num = den = 0.0
        for p in self.points[:: max(1, len(self.points) // VALIDATION_SAMPLE)]:
            lat = math.degrees(math.asin(max(-1.0, min(1.0, p.xyz[2]))))
            chosen = [(d, i) for d, i in self._neighbours(lat, p.xyz, p.prefix) if d > HOLDOUT_KM]
            chosen = chosen[:NEIGHBOURS]
            if not chosen:
                continue
            weights, ids = self._kriging_weights(chosen), [i for _, i in chosen]
            for region, actual in p.residuals.items():
                pred = self._carried(region, p.distances[region], weights, ids)
                num += pred * actual / variance[region]
                den += pred * pred / variance[region]
        return max(0.0, min(MAX_TRUST, num / den)) if den > 0 else 1.0

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
                out[name] = Estimate(self.lines[name].median_rtt, Source.UNPLACED)
            return out
        lat, lon = location
        near = self._neighbours(lat, unit_vector(lat, lon), prefix)
        offset = self._own_offset(prefix, own, location)
        weights: dict[tuple[int, ...], list[float]] = {}  # kriging weights per neighbour set
        for name in missing:
            rlat, rlon = self.regions[name]
            km = distance_km(lat, lon, rlat, rlon)
            floor = km * LIGHT_MS_PER_KM
            line = self.lines[name]
            if not line.points:  # nothing measured to this region anywhere
                # the pooled line when other regions were measured, else the physical prior
                out[name] = Estimate(max(floor, self._line(name, km) + offset), Source.DISTANCE)
                continue
            chosen = [(d, i) for d, i in near if name in self.points[i].residuals][:NEIGHBOURS]
            residual = 0.0
            if chosen:
                ids = tuple(i for _, i in chosen)
                if ids not in weights:
                    weights[ids] = self._kriging_weights(chosen)
                # weights for a unit variance: scaling covariances by a region's own variance
                # changes nothing, so one solve serves every region with these neighbours
                residual = self.trust * self._carried(name, km, weights[ids], ids)
            value = self._line(name, km) + residual + offset
            out[name] = Estimate(max(floor, value), Source.LEARNED)
        return out

    def _carried(self, region: str, km: float, weights: list[float], ids: Sequence[int]) -> float:
        """The neighbours' residuals to ``region``, kriging-weighted, scaled to a path of ``km``."""
        here = self._line(region, km)
        return sum(w * self.points[i].residuals[region]
                   * _scale(here, self._line(region, self.points[i].distances[region]))
                   for w, i in zip(weights, ids) if region in self.points[i].residuals)

    def _neighbours(self, lat: float, xyz: tuple[float, float, float],
                    prefix: IPNetwork) -> list[tuple[float, int]]:
        """The nearest measured prefixes as (km, index), nearest first (exact, band-pruned)."""
        x, y, z = xyz
        want = NEIGHBOURS * 2
        heap: list[tuple[float, int]] = []  # (dot, index): the smallest dot is the farthest kept

        def gap_km(band: int) -> float:
            lo = band * BAND_DEG - 90.0
            return max(0.0, lo - lat, lat - (lo + BAND_DEG)) * KM_PER_DEGREE

        for band in sorted(self._bands, key=gap_km):
            if len(heap) >= want and gap_km(band) > chord_to_km(heap[0][0]):
                break
            for i in self._bands[band]:
                px, py, pz = self.points[i].xyz
                dot = px * x + py * y + pz * z
                if len(heap) < want:
                    if self.points[i].prefix != prefix:
                        heapq.heappush(heap, (dot, i))
                elif dot > heap[0][0] and self.points[i].prefix != prefix:
                    heapq.heapreplace(heap, (dot, i))
        return [(chord_to_km(dot), i) for dot, i in sorted(heap, reverse=True)]

    def _kriging_weights(self, chosen: list[tuple[float, int]]) -> list[float]:
        """Simple kriging: exponential covariance, a nugget for local noise, zero mean (the line)."""
        pts = [self.points[i].xyz for _, i in chosen]
        n = len(pts)
        partial = 1.0 - NUGGET_FRACTION
        cov = [[partial * _corr(_km(pts[i], pts[j])) + (NUGGET_FRACTION if i == j else 0.0)
                for j in range(n)] for i in range(n)]
        return _solve(cov, [partial * _corr(d) for d, _ in chosen])

    def _own_offset(self, prefix: IPNetwork, own: Mapping[str, float], location: Location) -> float:
        """How much slower than modelled this prefix is to the regions it was measured to."""
        if not own:
            return 0.0
        lat, lon = location
        deltas = []
        for name, rtt in own.items():
            if not self.lines[name].points:
                continue
            rlat, rlon = self.regions[name]
            deltas.append(rtt - self._line(name, distance_km(lat, lon, rlat, rlon)))
        if not deltas:
            return 0.0
        return statistics.median(deltas) * len(deltas) / (len(deltas) + OFFSET_SHRINK)


def _fit_intercept(xs: list[tuple[float, float]], pooled: _Line) -> _Line:
    """A region's own intercept (its front door, its peering) on the pooled slope; Huber, ridge."""
    a0 = pooled.a if pooled.points else BASE_RTT_MS
    if not xs:
        return _Line(a0, pooled.b, 0, UNPLACED_RTT_MS)
    a = a0
    # clients near the region say most about its own offset: far ones mostly carry the
    # quirks of their long paths (and of which far clients happened to be measured)
    near = [math.exp(-d / INTERCEPT_RANGE_KM) for d, _ in xs]
    for _ in range(5):
        weights = [n * min(1.0, HUBER_MS / max(1e-9, abs(y - a - pooled.b * d))) for n, (d, y) in zip(near, xs)]
        a = (INTERCEPT_POINTS * a0 + sum(w * (y - pooled.b * d) for w, (d, y) in zip(weights, xs))) \
            / (INTERCEPT_POINTS + sum(weights))
    return _Line(a, pooled.b, len(xs), statistics.median(y for _, y in xs))


def _fit_line(xs: list[tuple[float, float]]) -> _Line:
    """Ridge + Huber fit of rtt = a + b*km towards the physical prior."""
    a0, b0 = BASE_RTT_MS, PRIOR_MS_PER_KM
    if not xs:
        return _Line(a0, b0, 0, UNPLACED_RTT_MS)
    scale = 5000.0  # km; puts a and b*scale on the same footing for the prior
    a, b = a0, b0
    weights = [1.0] * len(xs)
    for _ in range(5):
        # normal equations with prior pseudo-observations (a0, b0)
        saa = PRIOR_POINTS + sum(weights)
        sab = sum(w * d for w, (d, _) in zip(weights, xs))
        sbb = PRIOR_POINTS * scale ** 2 + sum(w * d * d for w, (d, _) in zip(weights, xs))
        ya = PRIOR_POINTS * a0 + sum(w * y for w, (_, y) in zip(weights, xs))
        yb = PRIOR_POINTS * scale ** 2 * b0 + sum(w * d * y for w, (d, y) in zip(weights, xs))
        det = saa * sbb - sab * sab
        a = (ya * sbb - yb * sab) / det
        b = (saa * yb - sab * ya) / det
        b = max(LIGHT_MS_PER_KM * 0.5, b)
        weights = [min(1.0, HUBER_MS / max(1e-9, abs(y - a - b * d))) for d, y in xs]
    return _Line(a, b, len(xs), statistics.median(y for _, y in xs))


def _scale(here: float, there: float) -> float:
    """How a neighbour's residual carries over: detours grow with the path they lengthen."""
    return float((max(here, 1.0) / max(there, 1.0)) ** RESIDUAL_SCALING)


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

