"""The `regions` and `gslb` sections of gateway.yaml, as one typed, validated object.

The gateway core's schema treats both sections as opaque; they are validated
here, and every error names the file, the key (``regions[1].location.lat``) and
the line (taken from the YAML node marks). A file holding only these two
sections is accepted as well as the full gateway.yaml.
"""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import Enum
from pathlib import Path
from typing import Any

from edgeway.errors import ConfigError
from edgeway.yamlsource import line_of, load_document, parse_key

__all__ = [
    "DnsConfig", "FailOpen", "GslbConfig", "HealthConfig", "Location", "ObservationsConfig",
    "RegionConfig", "SelectionConfig", "load_gslb_config", "parse_gslb_config", "with_endpoints",
]


@dataclass(frozen=True, slots=True)
class Location:
    lat: float
    lon: float


@dataclass(frozen=True, slots=True)
class RegionConfig:
    name: str
    endpoint: str                   # base URL; the prober GETs {endpoint}/health
    ipv4: tuple[str, ...]           # answered in A records
    ipv6: tuple[str, ...]           # answered in AAAA records
    location: Location
    weight: float = 1.0             # breaks ties within the selection margin
    capacity: float | None = None   # load units the region should take; None = unlimited


@dataclass(frozen=True, slots=True)
class DnsConfig:
    zone: str = "api.edgeway.test"
    ttl: int = 30                   # seconds, in steady state
    ttl_near_change: int = 5        # seconds, for `settle_s` after a health change
    nameservers: tuple[str, ...] = ("ns1.api.edgeway.test",)
    hostmaster: str = "hostmaster.api.edgeway.test"
    port: int = 5353


@dataclass(frozen=True, slots=True)
class HealthConfig:
    interval_s: float = 1.0         # probe period per (vantage, region)
    timeout_s: float = 0.8          # per probe; must be below the interval
    rise: int = 2                   # consecutive passes to become UP
    fall: int = 5                   # consecutive failures to become DOWN
    quorum: int | None = None       # vantage points that must agree; None = majority
    stale_after_s: float = 10.0     # a vantage point silent this long counts as UNKNOWN
    settle_s: float = 30.0          # short TTLs for this long after a health change


class FailOpen(str, Enum):
    """What to answer when no region is healthy (never an empty answer)."""

    LAST_KNOWN_GOOD = "last_known_good"  # the regions healthy most recently, else all
    ALL = "all"                          # every region, nearest first


@dataclass(frozen=True, slots=True)
class SelectionConfig:
    margin_ms: float = 10.0         # a gain below this does not move a client
    fail_open: FailOpen = FailOpen.LAST_KNOWN_GOOD


@dataclass(frozen=True, slots=True)
class ObservationsConfig:
    path: str | None = None         # optional CSV client,region,rtt_ms loaded at start
    window: int = 15                # samples kept per (client prefix, region); median of them
    max_age_s: float = 7 * 86400.0  # samples older than this are forgotten


@dataclass(frozen=True, slots=True)
class GslbConfig:
    regions: tuple[RegionConfig, ...]
    dns: DnsConfig = DnsConfig()
    health: HealthConfig = HealthConfig()
    selection: SelectionConfig = SelectionConfig()
    networks: str | None = None     # CSV prefix table; None = the table shipped in gslb/data
    observations: ObservationsConfig = ObservationsConfig()
    source: str = "<config>"

    def region(self, name: str) -> RegionConfig:
        for region in self.regions:
            if region.name == name:
                return region
        raise KeyError(name)

    @property
    def region_names(self) -> tuple[str, ...]:
        return tuple(r.name for r in self.regions)

    @property
    def effective_quorum(self) -> int:
        """Vantage points are the regions themselves: every region probes every region."""
        return self.health.quorum or len(self.regions) // 2 + 1


def with_endpoints(config: GslbConfig, endpoints: Mapping[str, str]) -> GslbConfig:
    """The config with some regions' endpoints replaced (per-deployment API URLs)."""
    unknown = sorted(set(endpoints) - set(config.region_names))
    if unknown:
        raise ConfigError(f"unknown region(s) {', '.join(unknown)}", file="<environment>",
                          key="EDGEWAY_REGION_ENDPOINTS")
    regions = tuple(replace(r, endpoint=endpoints.get(r.name, r.endpoint)) for r in config.regions)
    return replace(config, regions=regions)


def load_gslb_config(path: str | Path) -> GslbConfig:
    """Read and validate the `regions` and `gslb` sections of a YAML file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read: {exc.strerror or exc}", file=str(path)) from exc
    return parse_gslb_config(text, source=str(path))


def parse_gslb_config(text: str, *, source: str = "<config>") -> GslbConfig:
    # Lines are looked up only when something is wrong (edgeway.yamlsource.line_of).
    return _Validator(source, text).config(load_document(text, source))


class _Validator:
    """Turns the loaded YAML into GslbConfig; every failure names file, key and line."""

    def __init__(self, source: str, text: str) -> None:
        self.source = source
        self.text = text

    def fail(self, key: str, reason: str) -> ConfigError:
        # line_of falls back to the nearest enclosing key that exists.
        return ConfigError(reason, file=self.source, key=key,
                           line=line_of(self.text, parse_key(key)))

    # -- scalars ---------------------------------------------------------------------------
    def mapping(self, value: Any, key: str, allowed: set[str]) -> dict[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise self.fail(key, "must be a mapping")
        for k in value:
            if k not in allowed:
                raise self.fail(f"{key}.{k}", f"unknown key (allowed: {', '.join(sorted(allowed))})")
        return value

    def number(self, value: Any, key: str, *, lo: float | None = None, hi: float | None = None,
               lo_open: bool = False, integer: bool = False) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise self.fail(key, "must be a number")
        if integer and int(value) != value:
            raise self.fail(key, "must be a whole number")
        if lo is not None and (value <= lo if lo_open else value < lo):
            raise self.fail(key, f"must be {'>' if lo_open else '>='} {lo:g}, got {value}")
        if hi is not None and value > hi:
            raise self.fail(key, f"must be <= {hi:g}, got {value}")
        return int(value) if integer else float(value)

    def string(self, value: Any, key: str) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.fail(key, "must be a non-empty string")
        return value.strip()

    def strings(self, value: Any, key: str) -> tuple[str, ...]:
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            raise self.fail(key, "must be a list of strings")
        return tuple(self.string(v, f"{key}[{i}]") for i, v in enumerate(value))

    # -- sections --------------------------------------------------------------------------
    def config(self, data: Any) -> GslbConfig:
        if not isinstance(data, dict):
            raise self.fail("", "the file must be a YAML mapping with `regions` and `gslb`")
        if "regions" not in data:
            raise self.fail("regions", "missing: declare at least one region")
        regions = self.regions(data["regions"])
        gslb = self.mapping(data.get("gslb"), "gslb",
                            {"dns", "health", "selection", "networks", "observations"})
        networks = gslb.get("networks")
        if networks is not None:
            networks = self._path(self.string(networks, "gslb.networks"))
        config = GslbConfig(
            regions=regions,
            dns=self.dns(gslb.get("dns")),
            health=self.health(gslb.get("health")),
            selection=self.selection(gslb.get("selection")),
            networks=networks,
            observations=self.observations(gslb.get("observations")),
            source=self.source,
        )
        if config.health.quorum is not None and config.health.quorum > len(regions):
            raise self.fail("gslb.health.quorum",
                            f"must not exceed the number of vantage points ({len(regions)} regions)")
        return config

    def regions(self, value: Any) -> tuple[RegionConfig, ...]:
        if not isinstance(value, list) or not value:
            raise self.fail("regions", "must be a non-empty list of regions")
        out: list[RegionConfig] = []
        for i, item in enumerate(value):
            region = self.region(item, f"regions[{i}]")
            if any(r.name == region.name for r in out):
                raise self.fail(f"regions[{i}].name", f"duplicate region name {region.name!r}")
            out.append(region)
        return tuple(out)

    def region(self, value: Any, key: str) -> RegionConfig:
        item = self.mapping(value, key, {"name", "endpoint", "ipv4", "ipv6", "location",
                                         "weight", "capacity"})
        for required in ("name", "endpoint", "location"):
            if required not in item:
                raise self.fail(f"{key}.{required}", "missing")
        name = self.string(item["name"], f"{key}.name")
        endpoint = self.string(item["endpoint"], f"{key}.endpoint")
        if not endpoint.startswith(("http://", "https://")):
            raise self.fail(f"{key}.endpoint", "must be an http:// or https:// URL")
        ipv4 = self.addresses(item.get("ipv4", []), f"{key}.ipv4", ipaddress.IPv4Address)
        ipv6 = self.addresses(item.get("ipv6", []), f"{key}.ipv6", ipaddress.IPv6Address)
        if not ipv4 and not ipv6:
            raise self.fail(f"{key}.ipv4", f"region {name!r} has no address: give ipv4 and/or ipv6")
        loc = self.mapping(item["location"], f"{key}.location", {"lat", "lon"})
        for axis in ("lat", "lon"):
            if axis not in loc:
                raise self.fail(f"{key}.location.{axis}", "missing")
        location = Location(
            lat=self.number(loc["lat"], f"{key}.location.lat", lo=-90, hi=90),
            lon=self.number(loc["lon"], f"{key}.location.lon", lo=-180, hi=180),
        )
        weight = self.number(item.get("weight", 1), f"{key}.weight", lo=0, lo_open=True)
        capacity = item.get("capacity")
        if capacity is not None:
            capacity = self.number(capacity, f"{key}.capacity", lo=0, lo_open=True)
        return RegionConfig(name, endpoint.rstrip("/"), ipv4, ipv6, location, weight, capacity)

    def addresses(self, value: Any, key: str, kind: type) -> tuple[str, ...]:
        out = []
        for i, text in enumerate(self.strings(value, key)):
            try:
                addr = ipaddress.ip_address(text)
            except ValueError:
                raise self.fail(f"{key}[{i}]", f"not an IP address: {text!r}") from None
            if not isinstance(addr, kind):
                raise self.fail(f"{key}[{i}]", f"{text!r} is not an {kind.__name__[:4]} address")
            out.append(str(addr))
        return tuple(out)

    def dns(self, value: Any) -> DnsConfig:
        d = self.mapping(value, "gslb.dns", {"zone", "ttl", "ttl_near_change", "nameservers",
                                             "hostmaster", "port"})
        base = DnsConfig()
        zone = self.string(d.get("zone", base.zone), "gslb.dns.zone").rstrip(".").lower()
        ttl = self.number(d.get("ttl", base.ttl), "gslb.dns.ttl", lo=0, hi=86400, integer=True)
        near = self.number(d.get("ttl_near_change", base.ttl_near_change),
                           "gslb.dns.ttl_near_change", lo=0, hi=ttl, integer=True)
        nameservers = (self.strings(d["nameservers"], "gslb.dns.nameservers")
                       if "nameservers" in d else (f"ns1.{zone}",))
        hostmaster = self.string(d.get("hostmaster", f"hostmaster.{zone}"), "gslb.dns.hostmaster")
        port = self.number(d.get("port", base.port), "gslb.dns.port", lo=1, hi=65535, integer=True)
        return DnsConfig(zone, int(ttl), int(near), nameservers, hostmaster, int(port))

    def health(self, value: Any) -> HealthConfig:
        h = self.mapping(value, "gslb.health", {"interval_s", "timeout_s", "rise", "fall", "quorum",
                                                "stale_after_s", "settle_s"})
        base = HealthConfig()
        interval = self.number(h.get("interval_s", base.interval_s), "gslb.health.interval_s",
                               lo=0, lo_open=True)
        timeout = self.number(h.get("timeout_s", min(base.timeout_s, interval)),
                              "gslb.health.timeout_s", lo=0, lo_open=True)
        if timeout > interval:
            raise self.fail("gslb.health.timeout_s", "must not exceed interval_s")
        rise = self.number(h.get("rise", base.rise), "gslb.health.rise", lo=1, integer=True)
        fall = self.number(h.get("fall", base.fall), "gslb.health.fall", lo=1, integer=True)
        quorum = h.get("quorum")
        if quorum == "majority":
            quorum = None
        elif quorum is not None:
            quorum = int(self.number(quorum, "gslb.health.quorum", lo=1, integer=True))
        stale = self.number(h.get("stale_after_s", max(base.stale_after_s, 3 * interval)),
                            "gslb.health.stale_after_s", lo=0, lo_open=True)
        if stale <= interval:
            raise self.fail("gslb.health.stale_after_s", "must exceed interval_s")
        settle = self.number(h.get("settle_s", base.settle_s), "gslb.health.settle_s", lo=0)
        return HealthConfig(interval, timeout, int(rise), int(fall), quorum, stale, settle)

    def selection(self, value: Any) -> SelectionConfig:
        s = self.mapping(value, "gslb.selection", {"margin_ms", "fail_open"})
        margin = self.number(s.get("margin_ms", SelectionConfig().margin_ms), "gslb.selection.margin_ms",
                             lo=0)
        policy = s.get("fail_open", FailOpen.LAST_KNOWN_GOOD.value)
        try:
            fail_open = FailOpen(policy)
        except ValueError:
            raise self.fail("gslb.selection.fail_open",
                            f"must be one of {', '.join(p.value for p in FailOpen)}") from None
        return SelectionConfig(margin, fail_open)

    def observations(self, value: Any) -> ObservationsConfig:
        o = self.mapping(value, "gslb.observations", {"path", "window", "max_age_s"})
        base = ObservationsConfig()
        path = o.get("path")
        if path is not None:
            path = self._path(self.string(path, "gslb.observations.path"))
        window = self.number(o.get("window", base.window), "gslb.observations.window", lo=1,
                             hi=1000, integer=True)
        max_age = self.number(o.get("max_age_s", base.max_age_s), "gslb.observations.max_age_s",
                              lo=0, lo_open=True)
        return ObservationsConfig(path, int(window), max_age)

    def _path(self, value: str) -> str:
        """Relative paths are relative to the config file, not the working directory."""
        if self.source.startswith("<") or Path(value).is_absolute():
            return value
        return str(Path(self.source).parent / value)
