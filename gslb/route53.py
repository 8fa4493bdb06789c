"""Make Route 53 serve the GSLB's current decisions, changing only what changed.

At internet scale the answers should come from Route 53 itself, not from our
DNS server. Route 53 offers two ways to answer per client network:

* CIDR routing (CIDR collections + ``CidrRoutingConfig`` records) would carry
  our networks table exactly, but moto (our offline AWS) implements neither
  the collection API nor the record field, so it could not be tested here;
* **geolocation routing** (``GeoLocation`` records) is implemented by moto and
  is what this module writes.

The plan (pure): every networks-table prefix is resolved by the Engine; the
prefixes are grouped by continent (from lat/lon) and by country (the ISO code
that ends the table's label, e.g. ``London GB``). Each continent gets the
region most of its prefixes chose; a country gets its own record only where
its majority differs from its continent's; the default record (``*``) is the
majority over the whole table. One A and one AAAA record set per location,
with the steady-state TTL (``gslb.dns.ttl``): the sync runs periodically, and
following the short TTL near a health change would rewrite every record twice
per change for no gain.

The sync (thin I/O): list the record sets we own (``SetIdentifier`` starting
with ``edgeway-geo-`` at the zone name), UPSERT the ones that differ, DELETE
the ones no longer wanted, and nothing else: a second run changes nothing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from gslb import route53_health
from gslb.engine import Resolver
from gslb.route53_sync import list_records

OWNER_PREFIX = "edgeway-geo-"


@dataclass(frozen=True, slots=True)
class GeoRecord:
    """One geolocation record set, in a form that compares by value."""

    name: str                          # absolute, with the trailing dot
    rtype: str                         # "A" | "AAAA"
    location: tuple[str, str]          # ("ContinentCode", "EU") | ("CountryCode", "DE" | "*")
    ttl: int
    values: tuple[str, ...]            # sorted
    health_check_id: str | None = None

    @property
    def set_identifier(self) -> str:
        kind, code = self.location
        if code == "*":
            return f"{OWNER_PREFIX}default-{self.rtype}"
        # Continent and country codes overlap (SA: South America, Saudi Arabia).
        return f"{OWNER_PREFIX}{'continent' if kind == 'ContinentCode' else 'country'}-{code}-{self.rtype}"

    def to_api(self) -> dict[str, Any]:
        record: dict[str, Any] = {
            "Name": self.name, "Type": self.rtype, "SetIdentifier": self.set_identifier,
            "GeoLocation": {self.location[0]: self.location[1]}, "TTL": self.ttl,
            "ResourceRecords": [{"Value": v} for v in self.values]}
        if self.health_check_id:
            record["HealthCheckId"] = self.health_check_id
        return record

    @classmethod
    def from_api(cls, record: dict[str, Any]) -> GeoRecord | None:
        geo = record.get("GeoLocation") or {}
        if len(geo) != 1 or "TTL" not in record:
            return None
        ((key, value),) = geo.items()
        return cls(record["Name"], record["Type"], (key, value), int(record["TTL"]),
                   tuple(sorted(r["Value"] for r in record.get("ResourceRecords", []))),
                   record.get("HealthCheckId"))


@dataclass(frozen=True, slots=True)
class SyncResult:
    changes: tuple[dict[str, Any], ...]      # exactly what was (or would be) sent
    unchanged: int
    applied: bool
    plan: tuple[GeoRecord, ...] = field(default=())
    health_checks_created: tuple[str, ...] = ()     # CallerReferences
    health_checks_deleted: tuple[str, ...] = ()     # ids
    health_checks_skipped: tuple[str, ...] = ()     # regions Route 53 cannot probe

    def summary(self) -> dict[str, Any]:
        return {"applied": self.applied, "unchanged": self.unchanged,
                "health_checks": {"created": list(self.health_checks_created),
                                  "deleted": list(self.health_checks_deleted),
                                  "skipped": list(self.health_checks_skipped)},
                "changes": [{"action": c["Action"], "set": c["ResourceRecordSet"]["SetIdentifier"],
                             "values": [r["Value"] for r in
                                        c["ResourceRecordSet"].get("ResourceRecords", [])]}
                            for c in self.changes]}


def continent_of(lat: float, lon: float) -> str:
    """A coarse continent for a point (Route 53 continent codes); boxes, not borders."""
    if lat < -60:
        return "AN"
    if lon < -30:
        return "SA" if lat < 12.5 and lon > -82 else "NA"
    if lat < -10 and lon > 110 or lon > 150 or lon < -150:
        return "OC"
    if lat >= 35 and lon < 45 and not (lon > 26 and lat < 42):
        return "EU"
    if lat < 37.5 and lon < 52 and not (lon > 34 and lat > 12):
        return "AF"
    return "AS"


def country_of(label: str | None) -> str | None:
    """The ISO country code that ends a networks-table label (``Dublin IE``)."""
    if not label:
        return None
    last = label.split()[-1].strip("()")
    return last if len(last) == 2 and last.isalpha() and last.isupper() else None


def majority(tally: Counter[str], order: Mapping[str, int]) -> str:
    """The most counted region (or ranking, ``"a,b"``: by its first region); ties go to the
    configured region order, so a plan is the same every run."""
    return min(tally, key=lambda r: (-tally[r], order.get(r.split(",", 1)[0], 0), r))


def plan(engine: Resolver, *, health_checks: dict[str, str] | None = None) -> tuple[GeoRecord, ...]:
    """The geolocation records that serve the Engine's current decisions.

    ``health_checks`` (region -> Route 53 health check id) are attached to the
    continent and country records; never to the default, the last resort.
    """
    name = engine.config.dns.zone.rstrip(".") + "."
    regions = {r.name: r for r in engine.config.regions}
    order = {r.name: i for i, r in enumerate(engine.config.regions)}
    counts: dict[tuple[str, str], Counter[str]] = {}
    continents_of: dict[str, set[str]] = {}     # country -> the continents its prefixes lie in
    for net in engine.networks:
        if net.prefix.is_private or net.prefix.is_loopback:
            continue                  # never seen by Route 53 as a client location
        decision = engine.resolve(net.prefix.network_address)
        continent = ("ContinentCode", continent_of(net.lat, net.lon))
        locations = [continent, ("CountryCode", "*")]
        country = country_of(net.label)
        if country:
            locations.append(("CountryCode", country))
            continents_of.setdefault(country, set()).add(continent[1])
        for location in locations:
            counts.setdefault(location, Counter())[decision.region.name] += 1
    if not counts:
        return ()
    chosen = {location: majority(tally, order) for location, tally in counts.items()
              if location[0] == "ContinentCode" or location[1] == "*"}
    for country, continents in continents_of.items():
        pick = majority(counts[("CountryCode", country)], order)
        # A country that agrees with its continent adds nothing but a record.
        if any(chosen[("ContinentCode", c)] != pick for c in continents):
            chosen[("CountryCode", country)] = pick
    records = []
    for location, region_name in sorted(chosen.items()):
        region = regions[region_name]
        ttl = int(engine.config.dns.ttl)
        check = None if location[1] == "*" else (health_checks or {}).get(region_name)
        for rtype, values in (("A", region.ipv4), ("AAAA", region.ipv6)):
            if values:
                records.append(GeoRecord(name, rtype, location, ttl, tuple(sorted(values)), check))
    return tuple(records)


def diff(desired: Iterable[GeoRecord], existing: Sequence[dict[str, Any]]) -> tuple[list[dict[str, Any]], int]:
    """(changes, unchanged count): UPSERT what differs, DELETE owned records not wanted."""
    wanted = {r.set_identifier: r for r in desired}
    owned = {r["SetIdentifier"]: r for r in existing
             if str(r.get("SetIdentifier", "")).startswith(OWNER_PREFIX)}
    changes: list[dict[str, Any]] = []
    unchanged = 0
    for set_id, record in sorted(wanted.items()):
        current = owned.get(set_id)
        if current is not None and GeoRecord.from_api(current) == record:
            unchanged += 1
            continue
        changes.append({"Action": "UPSERT", "ResourceRecordSet": record.to_api()})
    for set_id, current in sorted(owned.items()):
        if set_id not in wanted:
            # A DELETE must repeat the record exactly as Route 53 holds it.
            changes.append({"Action": "DELETE", "ResourceRecordSet": current})
    return changes, unchanged


def sync(client: Any, zone_id: str, engine: Any, *, dry_run: bool = False,
         health_checks: bool = False) -> SyncResult:
    checks: dict[str, str] = {}
    created: list[str] = []
    stale: list[str] = []
    skipped: list[str] = []
    if health_checks:
        wanted, skipped = route53_health.specs(engine.config.regions)
        checks, created, stale = route53_health.ensure(client, wanted, dry_run=dry_run)
    desired = plan(engine, health_checks=checks)
    name = engine.config.dns.zone.rstrip(".") + "."
    changes, unchanged = diff(desired, list_records(client, zone_id, name))
    if changes and not dry_run:
        # Route 53 applies a batch atomically; 1000 changes per batch is its limit.
        for start in range(0, len(changes), 500):
            client.change_resource_record_sets(
                HostedZoneId=zone_id,
                ChangeBatch={"Comment": "edgeway gslb sync-route53",
                             "Changes": changes[start:start + 500]})
    if health_checks and not dry_run:
        # Only once no record points at them any more.
        for check_id in stale:
            client.delete_health_check(HealthCheckId=check_id)
    return SyncResult(tuple(changes), unchanged, applied=bool(changes) and not dry_run,
                      plan=desired, health_checks_created=tuple(created),
                      health_checks_deleted=tuple(stale if health_checks else ()),
                      health_checks_skipped=tuple(skipped))


__all__ = ["GeoRecord", "SyncResult", "continent_of", "country_of", "diff", "majority", "plan", "sync"]
