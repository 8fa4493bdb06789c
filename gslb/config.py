"""The `regions` and `gslb` sections of gateway.yaml, as one typed, validated object.

Their shapes are described in the gateway's schema (``edgeway/schema/
gateway.schema.json``), so the gateway's config compile checks them too; this
module adds what a schema cannot say. Every error names the file, the key
(``regions[1].location.lat``) and the line. A file holding only these two
sections is accepted as well as the full gateway.yaml.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import Enum
from pathlib import Path
from typing import Any

from edgeway.errors import ConfigError
from edgeway.shapes import Problem, check, gateway_schema
from edgeway.yamlsource import format_key, line_of, load_document, parse_key

from .health import HealthBoard, HealthConfig

__all__ = [
    "DnsConfig", "FailOpen", "GslbConfig", "HealthConfig", "Location", "ObservationsConfig",
    "RegionConfig", "SelectionConfig", "load_gslb_config", "with_endpoints",
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
        return {r.name: r for r in self.regions}[name]

    @property
    def region_names(self) -> tuple[str, ...]:
        return tuple(r.name for r in self.regions)

    @property
    def effective_quorum(self) -> int:
        """Vantage points are the regions themselves: every region probes every region."""
        return self.health.quorum or len(self.regions) // 2 + 1

    def health_board(self) -> HealthBoard:
        """An empty board for this config's regions, each region one vantage point."""
        return HealthBoard(self.region_names, self.health, self.effective_quorum)


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
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read: {exc.strerror or exc}", file=source) from exc
    # Lines are looked up only when something is wrong (edgeway.yamlsource.line_of).
    return _Compiler(source, text).config(load_document(text, source))


def _schema() -> Mapping[str, Any]:
    """The gateway schema's ``regions`` and ``gslb``, as the root of a file of their own."""
    root = gateway_schema()
    return {"type": "object", "required": ["regions"], "$defs": root["$defs"],
            "properties": {"regions": {"$ref": "#/$defs/regions"}, "gslb": {"$ref": "#/$defs/gslb"}}}


class _Compiler:
    """Turns the loaded YAML into GslbConfig; every failure names file, key and line.

    Shapes (types, ranges, unknown keys) are the gateway schema's, checked by the
    same code as the rest of gateway.yaml (``edgeway.shapes``); what follows is what
    a schema cannot say: addresses, duplicates, and limits that depend on each other.
    """

    def __init__(self, source: str, text: str) -> None:
        self.source = source
        self.text = text

    def fail(self, key: str, reason: str) -> ConfigError:
        # line_of falls back to the nearest enclosing key that exists.
        return ConfigError(reason, file=self.source, key=key,
                           line=line_of(self.text, parse_key(key)))

    def config(self, data: Any) -> GslbConfig:
        if not isinstance(data, dict):
            raise self.fail("", "the file must be a YAML mapping with `regions` and `gslb`")
        if "regions" not in data:
            raise self.fail("regions", "missing: declare at least one region")
        gslb = data.get("gslb") or {}
        try:
            check({"regions": data["regions"], "gslb": gslb}, _schema())
        except Problem as exc:
            raise self.fail(format_key(exc.path), exc.reason) from exc
        regions = self.regions(data["regions"])
        health = self.health(gslb.get("health", {}))
        if health.quorum is not None and health.quorum > len(regions):
            raise self.fail("gslb.health.quorum",
                            f"must not exceed the number of vantage points ({len(regions)} regions)")
        observations, selection = gslb.get("observations", {}), gslb.get("selection", {})
        base = ObservationsConfig()
        return GslbConfig(
            regions=regions, dns=self.dns(gslb.get("dns", {})), health=health,
            selection=SelectionConfig(float(selection.get("margin_ms", SelectionConfig().margin_ms)),
                                      FailOpen(selection.get("fail_open", "last_known_good"))),
            networks=self._path(gslb.get("networks")),
            observations=ObservationsConfig(self._path(observations.get("path")),
                                            observations.get("window", base.window),
                                            float(observations.get("max_age_s", base.max_age_s))),
            source=self.source,
        )

    def regions(self, items: list[dict[str, Any]]) -> tuple[RegionConfig, ...]:
        out: list[RegionConfig] = []
        for i, item in enumerate(items):
            key, name = f"regions[{i}]", item["name"].strip()
            if any(r.name == name for r in out):
                raise self.fail(f"{key}.name", f"duplicate region name {name!r}")
            ipv4 = self.addresses(item.get("ipv4", []), f"{key}.ipv4", ipaddress.IPv4Address)
            ipv6 = self.addresses(item.get("ipv6", []), f"{key}.ipv6", ipaddress.IPv6Address)
            if not ipv4 and not ipv6:
                raise self.fail(f"{key}.ipv4", f"region {name!r} has no address: give ipv4 and/or ipv6")
            location = Location(float(item["location"]["lat"]), float(item["location"]["lon"]))
            capacity = item.get("capacity")
            out.append(RegionConfig(name, item["endpoint"].strip().rstrip("/"), ipv4, ipv6, location,
                                    float(item.get("weight", 1)),
                                    float(capacity) if capacity is not None else None))
        return tuple(out)

    def addresses(self, value: str | list[str], key: str, kind: type) -> tuple[str, ...]:
        out = []
        for i, text in enumerate([value] if isinstance(value, str) else value):
            try:
                addr = ipaddress.ip_address(text.strip())
            except ValueError:
                raise self.fail(f"{key}[{i}]", f"not an IP address: {text!r}") from None
            if not isinstance(addr, kind):
                raise self.fail(f"{key}[{i}]", f"{text!r} is not an {kind.__name__[:4]} address")
            out.append(str(addr))
        return tuple(out)

    def dns(self, d: Mapping[str, Any]) -> DnsConfig:
        base = DnsConfig()
        zone = d.get("zone", base.zone).strip().rstrip(".").lower()
        ttl = d.get("ttl", base.ttl)
        near = d.get("ttl_near_change", base.ttl_near_change)
        if near > ttl:
            raise self.fail("gslb.dns.ttl_near_change", f"must be <= ttl ({ttl}), got {near}")
        servers = d.get("nameservers", f"ns1.{zone}")
        nameservers = tuple(n.strip() for n in ([servers] if isinstance(servers, str) else servers))
        return DnsConfig(zone, ttl, near, nameservers,
                         d.get("hostmaster", f"hostmaster.{zone}").strip(), d.get("port", base.port))

    def health(self, h: Mapping[str, Any]) -> HealthConfig:
        base = HealthConfig()
        interval = float(h.get("interval_s", base.interval_s))
        timeout = float(h.get("timeout_s", min(base.timeout_s, interval)))
        if timeout > interval:
            raise self.fail("gslb.health.timeout_s", "must not exceed interval_s")
        stale = float(h.get("stale_after_s", max(base.stale_after_s, 3 * interval)))
        if stale <= interval:
            raise self.fail("gslb.health.stale_after_s", "must exceed interval_s")
        quorum = h.get("quorum")
        return HealthConfig(interval, timeout, h.get("rise", base.rise), h.get("fall", base.fall),
                            None if quorum == "majority" else quorum, stale,
                            float(h.get("settle_s", base.settle_s)))

    def _path(self, value: str | None) -> str | None:
        """Relative paths are relative to the config file, not the working directory."""
        return None if value is None else str(Path(self.source).parent / value.strip())
