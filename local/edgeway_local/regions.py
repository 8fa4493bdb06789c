"""The regions the local stack serves, and whether each one is up.

Regions come from gateway.yaml's ``regions`` section (a list of
``{name, endpoint, ...}``; gslb/config.py validates the rest of it). Locally
only the name and the port of the endpoint URL matter: each region is its own
listener. With no ``regions`` section there is one region, us-east-1 on 3000.

``RegionStates`` is the one mutable, shared thing: the control API flips a
region down or up, and that region's listener answers 503 while it is down.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from edgeway.errors import ConfigError

DEFAULT_REGION = "us-east-1"
# The documented local ports; a region whose endpoint names no local port gets one of these.
DEFAULT_PORTS = {"us-east-1": 3000, "eu-west-1": 3002, "ap-southeast-1": 3003}
_FIRST_SPARE_PORT = 3004
_LOCAL_HOSTS = {"127.0.0.1", "localhost", "0.0.0.0", "::1"}


@dataclass(frozen=True, slots=True)
class RegionListener:
    name: str
    port: int


def regions_from_config(path: str | Path | None, *, home_port: int | None = None,
                        ports: Mapping[str, int] | None = None) -> tuple[RegionListener, ...]:
    """The regions to serve, in config order (the first is the home region).

    ``home_port`` (``--port``) moves the first region; ``ports``
    (``--region-port NAME=PORT``) moves any region by name.
    """
    entries = _region_entries(path)
    overrides = dict(ports or {})
    unknown = set(overrides) - {name for name, _ in entries}
    if unknown:
        raise ConfigError(f"--region-port names regions the config does not define: "
                          f"{', '.join(sorted(unknown))}", file=str(path or "gateway.yaml"),
                          key="regions")
    listeners = []
    spare = _FIRST_SPARE_PORT
    for index, (name, port) in enumerate(entries):
        if name in overrides:
            port = overrides[name]
        elif index == 0 and home_port is not None:
            port = home_port
        if port is None and name in DEFAULT_PORTS:
            port = DEFAULT_PORTS[name]
        elif port is None:
            port, spare = spare, spare + 1
        listeners.append(RegionListener(name=name, port=port))
    return tuple(listeners)


def has_regions_section(path: str | Path | None) -> bool:
    """Whether the config declares regions (else the stack serves us-east-1 alone)."""
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8")) if path else None
    except (OSError, yaml.YAMLError):
        return False
    return isinstance(raw, dict) and bool(raw.get("regions"))


def _region_entries(path: str | Path | None) -> list[tuple[str, int | None]]:
    if path is None or not Path(path).exists():
        return [(DEFAULT_REGION, DEFAULT_PORTS[DEFAULT_REGION])]
    file = str(path)
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read regions: {exc}", file=file) from exc
    regions: Any = raw.get("regions") if isinstance(raw, dict) else None
    if not regions:
        return [(DEFAULT_REGION, DEFAULT_PORTS[DEFAULT_REGION])]
    if isinstance(regions, dict):  # tolerate the mapping form name -> {endpoint: ...}
        regions = [{"name": name, **(spec or {})} for name, spec in regions.items()]
    if not isinstance(regions, list):
        raise ConfigError("must be a list of regions", file=file, key="regions")
    entries: list[tuple[str, int | None]] = []
    for i, region in enumerate(regions):
        if not isinstance(region, dict) or not isinstance(region.get("name"), str):
            raise ConfigError("each region needs a name", file=file, key=f"regions[{i}].name")
        entries.append((region["name"], _local_port(region.get("endpoint") or region.get("url"),
                                                    file, f"regions[{i}].endpoint")))
    names = [name for name, _ in entries]
    if len(set(names)) != len(names):
        raise ConfigError("region names must be unique", file=file, key="regions")
    return entries


def _local_port(endpoint: Any, file: str, key: str) -> int | None:
    if endpoint is None:
        return None
    if not isinstance(endpoint, str):
        raise ConfigError("must be a URL", file=file, key=key)
    try:
        parts = urlsplit(endpoint)
        port = parts.port
    except ValueError as exc:
        raise ConfigError(f"not a valid URL: {exc}", file=file, key=key) from exc
    # A cloud URL (https://abc.execute-api...) names no local port: use the default one.
    return port if parts.hostname in _LOCAL_HOSTS else None


@dataclass(frozen=True, slots=True)
class RegionStatus:
    name: str
    url: str
    down: bool


class RegionStates:
    """Which served regions are down; shared by the control API and the listeners."""

    def __init__(self, urls: Mapping[str, str]) -> None:
        self._urls = dict(urls)
        self._down: set[str] = set()
        self._lock = threading.Lock()

    @property
    def names(self) -> Sequence[str]:
        return tuple(self._urls)

    def is_down(self, name: str) -> bool:
        return name in self._down

    def set_down(self, name: str, down: bool) -> RegionStatus:
        if name not in self._urls:
            raise KeyError(name)
        with self._lock:
            (self._down.add if down else self._down.discard)(name)
        return self.status(name)

    def status(self, name: str) -> RegionStatus:
        return RegionStatus(name=name, url=self._urls[name], down=name in self._down)

    def snapshot(self) -> dict[str, dict[str, Any]]:
        return {name: {"url": url, "down": name in self._down} for name, url in self._urls.items()}
