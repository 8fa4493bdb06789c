"""The older Route 53 geolocation records (``sync-route53 --geolocation``, an explicit opt-in;
CIDR routing, ``gslb.route53_plan`` and ``gslb.route53_sync``, is the default).

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
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from gslb import route53_health
from gslb.engine import Resolver
from gslb.route53_sync import list_records, record_changes

OWNER_PREFIX = "edgeway-geo-"


@dataclass(frozen=True, slots=True)
class SyncResult:
    changes: tuple[dict[str, Any], ...]      # exactly what was (or would be) sent
    unchanged: int
    applied: bool
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


def plan(engine: Resolver, *, health_checks: dict[str, str] | None = None
         ) -> tuple[dict[str, Any], ...]:
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
    for (kind, code), region_name in sorted(chosen.items()):
        region = regions[region_name]
        check = None if code == "*" else (health_checks or {}).get(region_name)
        for rtype, values in (("A", region.ipv4), ("AAAA", region.ipv6)):
            if values:
                records.append({"Name": name, "Type": rtype,
                                "SetIdentifier": _set_id(kind, code, rtype),
                                "GeoLocation": {kind: code}, "TTL": int(engine.config.dns.ttl),
                                "ResourceRecords": [{"Value": v} for v in sorted(values)],
                                **({"HealthCheckId": check} if check else {})})
    return tuple(records)


def _set_id(kind: str, code: str, rtype: str) -> str:
    if code == "*":
        return f"{OWNER_PREFIX}default-{rtype}"
    # Continent and country codes overlap (SA: South America, Saudi Arabia).
    return f"{OWNER_PREFIX}{'continent' if kind == 'ContinentCode' else 'country'}-{code}-{rtype}"


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
    owned = [r for r in list_records(client, zone_id, engine.config.dns.zone.rstrip(".") + ".")
             if str(r.get("SetIdentifier", "")).startswith(OWNER_PREFIX)]
    changes = record_changes({r["SetIdentifier"]: r for r in desired},
                             {r["SetIdentifier"]: r for r in owned})
    unchanged = len(desired) - sum(c["Action"] == "UPSERT" for c in changes)
    if not dry_run:
        # Route 53 applies a batch atomically; 1000 changes per batch is its limit.
        for start in range(0, len(changes), 500):
            client.change_resource_record_sets(
                HostedZoneId=zone_id,
                ChangeBatch={"Comment": "edgeway gslb sync-route53",
                             "Changes": changes[start:start + 500]})
        # Health checks go only once no record points at them any more.
        for check_id in stale:
            client.delete_health_check(HealthCheckId=check_id)
    return SyncResult(tuple(changes), unchanged, applied=bool(changes) and not dry_run,
                      health_checks_created=tuple(created), health_checks_deleted=tuple(stale),
                      health_checks_skipped=tuple(skipped))


__all__ = ["SyncResult", "continent_of", "country_of", "majority", "plan", "sync"]
