"""Publish the Route 53 plan (gslb.route53_plan): the thin I/O shell around it.

One run:
1. the hosted zone's name (the domain must lie inside it);
2. each region's alias target, found in that region (API Gateway v2 ``GetDomainName``
   and ``GetApiMappings``); a region without the custom domain is named and skipped;
3. one Route 53 health check per published region (HTTPS ``GET /health`` on the API's
   own execute-api host, with SNI: the regional target name itself would not route);
4. the CIDR collection ``edgeway-<stage>`` (created once), read with its version;
5. the plan, and what differs, sent in an order where every step is valid:
   a. DELETE the CIDR records of locations that lose all their blocks;
   b. ``ChangeCidrCollection`` with the version read in 4 (a block that moves is
      deleted and put in the same request: one transaction, no gap); more than 1,000
      blocks go in several requests, each atomic, each a consistent collection;
   c. UPSERT / DELETE of the records, in one atomic batch;
   d. health checks no record uses any more are deleted.
   A lost race (``CidrCollectionVersionMismatchException``) re-reads and recomputes;
   throttling (``Throttling``, ``PriorRequestNotComplete``) backs off and retries.

Only what Edgeway owns is touched: the collection of its stage, record sets whose
SetIdentifier starts ``edgeway-`` at the domain and at ``_latency.<domain>``, and
health checks whose CallerReference starts ``edgeway-gslb-``. A second run sends
nothing.

"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from botocore.exceptions import ClientError

from edgeway.errors import ConfigError, EdgewayError, aws_error_code
from gslb import route53_health
from gslb.publish import K, changed, pages, with_retries
from gslb.route53_plan import MAX_BLOCKS, OWNER, Route53Plan, Target, plan

__all__ = ["Route53Sync", "Route53SyncError", "SyncResult", "find_targets", "list_records",
           "record_changes"]

RETRYABLE = frozenset({"Throttling", "ThrottlingException", "PriorRequestNotComplete",
                       "TooManyRequestsException"})
VERSION_MISMATCH = "CidrCollectionVersionMismatchException"
ATTEMPTS = 5                 # races lost / throttled calls before giving up
BACKOFF_S = 0.5              # first back-off; doubles each time
BLOCKS_PER_REQUEST = 1_000   # ChangeCidrCollection's limit


class Route53SyncError(EdgewayError):
    """The sync could not complete (after retries); nothing half-applied within a step."""


@dataclass(frozen=True)
class SyncResult:
    plan: Route53Plan
    collection_changes: tuple[dict[str, Any], ...]
    record_changes: tuple[dict[str, Any], ...]
    skipped: tuple[str, ...]                 # "eu-west-1: no custom domain api.example.com ..."
    applied: bool
    calls: int
    retries: int = 0
    health_checks_created: tuple[str, ...] = ()

    def summary(self) -> dict[str, Any]:
        return {"applied": self.applied, "calls": self.calls, "retries": self.retries,
                "skipped": list(self.skipped),
                "blocks": {r: len(b) for r, b in self.plan.locations.items()},
                "dropped": len(self.plan.dropped),
                "health_checks_created": list(self.health_checks_created),
                "collection_changes": list(self.collection_changes),
                "record_changes": [{"action": c["Action"], "name": c["ResourceRecordSet"]["Name"],
                                    "type": c["ResourceRecordSet"]["Type"],
                                    "set": c["ResourceRecordSet"].get("SetIdentifier"),
                                    "target": c["ResourceRecordSet"].get("AliasTarget", {}).get("DNSName")}
                                   for c in self.record_changes]}

    @property
    def changed(self) -> bool:
        return bool(self.collection_changes or self.record_changes)


def find_targets(clients: Mapping[str, Any], domain: str
                 ) -> tuple[dict[str, Target], dict[str, str], list[str]]:
    """(region -> alias target, region -> execute-api host for health checks, skipped messages)."""
    targets: dict[str, Target] = {}
    hosts: dict[str, str] = {}
    skipped: list[str] = []
    for region, client in clients.items():
        try:
            config = client.get_domain_name(DomainName=domain)["DomainNameConfigurations"][0]
            mappings = client.get_api_mappings(DomainName=domain).get("Items", [])
        except ClientError as exc:
            if aws_error_code(exc) != "NotFoundException":
                raise
            skipped.append(f"{region}: no API Gateway custom domain {domain} (deploy the {region} "
                           "stack with DomainName, CertificateArn and HostedZoneId)")
            continue
        arn = str(config.get("CertificateArn", ""))
        cert_region = arn.split(":")[3] if arn.count(":") >= 5 else ""
        if cert_region != region:
            skipped.append(f"{region}: custom domain {domain} uses certificate {arn or '(none)'} from "
                           f"{cert_region or 'no region'}; a regional domain needs an ACM certificate "
                           f"in {region}")
            continue
        if config.get("EndpointType") != "REGIONAL" or not config.get("ApiGatewayDomainName"):
            skipped.append(f"{region}: custom domain {domain} is not a REGIONAL endpoint")
            continue
        if not mappings:
            skipped.append(f"{region}: custom domain {domain} has no API mapping")
            continue
        targets[region] = Target(region, config["ApiGatewayDomainName"].rstrip(".") + ".",
                                 config["HostedZoneId"])
        hosts[region] = f"{mappings[0]['ApiId']}.execute-api.{region}.amazonaws.com"
    return targets, hosts, skipped


@dataclass
class Route53Sync:
    route53: Any                                   # boto3 route53 client (global; API in us-east-1)
    apigateway: Mapping[str, Any]                  # region -> boto3 apigatewayv2 client of that region
    zone_id: str
    domain: str
    stage: str = "dev"
    health_checks: bool = True
    max_blocks: int = MAX_BLOCKS
    sleep: Callable[[float], None] = field(default=time.sleep)
    name: str = "route53"
    calls: int = 0
    retries: int = 0

    @property
    def collection_name(self) -> str:
        return f"edgeway-{self.stage}"

    def publish(self, engine: Any, *, dry_run: bool) -> Mapping[str, Any]:
        return self.run(engine, dry_run=dry_run).summary()

    def run(self, engine: Any, *, dry_run: bool = False) -> SyncResult:
        self.calls = self.retries = 0
        domain = self.domain.rstrip(".") + "."
        self._check_zone(domain)
        targets, hosts, skipped = find_targets(self.apigateway, self.domain.rstrip("."))
        self.calls += 2 * len(self.apigateway)
        created: list[str] = []
        stale: list[str] = []
        if self.health_checks and targets:
            specs = {r: route53_health.HealthCheckSpec(r, "HTTPS", h, 443, "/health") for r, h in hosts.items()}
            checks, created, stale = route53_health.ensure(_Counted(self), specs, dry_run=dry_run)
            targets = {r: Target(t.region, t.dns_name, t.hosted_zone_id, checks.get(r))
                       for r, t in targets.items()}

        def attempt() -> SyncResult:
            collection_id, version, current = self._read_collection(dry_run)
            wanted = plan(engine, domain=domain, collection_id=collection_id, targets=targets,
                          hosted_zone_id=self.zone_id, max_blocks=self.max_blocks)
            records = record_changes({_key(r): r for r in wanted.records},
                                     {_key(r): r for r in self._owned_records(domain)})
            moves = _collection_diff(current, wanted.locations)
            result = SyncResult(wanted, tuple(c for batch in moves for c in batch), tuple(records),
                                tuple(skipped), applied=False, calls=self.calls,
                                retries=self.retries, health_checks_created=tuple(created))
            if dry_run or not result.changed:
                return result
            self._apply(collection_id, version, current, wanted, moves, records)
            for check_id in stale:
                self._call("delete_health_check", HealthCheckId=check_id)
            return replace(result, applied=True, calls=self.calls, retries=self.retries)

        try:
            return with_retries(attempt, {VERSION_MISMATCH}, attempts=ATTEMPTS,
                                pause=self._back_off)
        except ClientError as exc:
            raise Route53SyncError(f"Route 53 sync failed: {exc}") from exc

    # -- steps -------------------------------------------------------------------------------
    def _check_zone(self, domain: str) -> None:
        zone = self._call("get_hosted_zone", Id=self.zone_id)["HostedZone"]["Name"].rstrip(".").lower()
        name = domain.rstrip(".").lower()
        if name != zone and not name.endswith("." + zone):
            raise ConfigError(f"domain {name} is not inside hosted zone {self.zone_id} ({zone}.)",
                              key="--domain")

    def _read_collection(self, dry_run: bool) -> tuple[str, int, dict[str, set[str]]]:
        route53 = _Counted(self)
        name = self.collection_name
        found = next((c for page in pages(route53.list_cidr_collections)
                      for c in page.get("CidrCollections", []) if c["Name"] == name), None)
        if found is None:
            if dry_run:
                return "(new collection)", 0, {}
            found = route53.create_cidr_collection(
                Name=name, CallerReference=f"{name}-{int(time.time())}")["Collection"]
        blocks: dict[str, set[str]] = {}
        for page in pages(route53.list_cidr_blocks, CollectionId=found["Id"]):
            for item in page.get("CidrBlocks", []):
                blocks.setdefault(item["LocationName"], set()).add(item["CidrBlock"])
        return str(found["Id"]), int(found["Version"]), blocks

    def _owned_records(self, domain: str) -> list[dict[str, Any]]:
        return [record for name in (domain, f"_latency.{domain}")
                for record in list_records(_Counted(self), self.zone_id, name)
                if str(record.get("SetIdentifier", "")).startswith(OWNER)]

    def _apply(self, collection_id: str, version: int, current: Mapping[str, set[str]],
               wanted: Route53Plan, moves: Sequence[Sequence[dict[str, Any]]],
               record_changes: Sequence[dict[str, Any]]) -> None:
        vanishing = {loc for loc, blocks in current.items() if blocks and loc not in wanted.locations}
        first = [c for c in record_changes if c["Action"] == "DELETE"
                 and c["ResourceRecordSet"].get("CidrRoutingConfig", {}).get("LocationName") in vanishing]
        if first:
            self._change_records(first)
        for batch in moves:
            self._call("change_cidr_collection", Id=collection_id, CollectionVersion=version,
                       Changes=list(batch))
            version += 1
        rest = [c for c in record_changes if c not in first]
        if rest:
            self._change_records(rest)

    def _change_records(self, changes: Sequence[dict[str, Any]]) -> None:
        self._call("change_resource_record_sets", HostedZoneId=self.zone_id,
                   ChangeBatch={"Comment": "edgeway gslb sync-route53", "Changes": list(changes)})

    # -- calls -------------------------------------------------------------------------------
    def _call(self, method: str, **kwargs: Any) -> Any:
        """One Route 53 call, counted; a throttled one backs off and is sent again."""
        def send() -> Any:
            self.calls += 1
            return getattr(self.route53, method)(**kwargs)

        return with_retries(send, RETRYABLE, attempts=ATTEMPTS, pause=self._back_off)

    def _back_off(self, attempt: int) -> None:
        self.retries += 1
        self.sleep(BACKOFF_S * 2 ** attempt)


class _Counted:
    """The route53 client as route53_health sees it: every call counted and retried."""

    def __init__(self, sync: Route53Sync) -> None:
        self._sync = sync

    def __getattr__(self, method: str) -> Callable[..., Any]:
        return lambda **kwargs: self._sync._call(method, **kwargs)


def list_records(client: Any, zone_id: str, name: str) -> list[dict[str, Any]]:
    """Every record set at ``name`` (all pages); which of them are ours is the caller's rule."""
    out: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"HostedZoneId": zone_id, "StartRecordName": name}
    while True:
        page = client.list_resource_record_sets(**kwargs)
        for record in page["ResourceRecordSets"]:
            if record["Name"].rstrip(".").lower() == name.rstrip(".").lower():
                out.append(record)
            elif out:
                return out          # sorted by name: past ours
        if not page.get("IsTruncated"):
            return out
        kwargs = {"HostedZoneId": zone_id, "StartRecordName": page["NextRecordName"],
                  "StartRecordType": page["NextRecordType"]}
        if page.get("NextRecordIdentifier"):
            kwargs["StartRecordIdentifier"] = page["NextRecordIdentifier"]


def _collection_diff(current: Mapping[str, set[str]], wanted: Mapping[str, Sequence[str]]
                     ) -> list[list[dict[str, Any]]]:
    """ChangeCidrCollection requests (at most 1,000 blocks each): a moved block's delete and
    put travel in the same request, deletes first."""
    holder = {b: loc for loc, blocks in current.items() for b in blocks}
    wanted_at = {b: loc for loc, blocks in wanted.items() for b in blocks}
    units: list[list[tuple[str, str, str]]] = []    # (block, action, location); a move is one unit
    for location, blocks in sorted(wanted.items()):
        for block in blocks:
            old = holder.get(block)
            if old != location:
                delete = [] if old is None else [(block, "DELETE_IF_EXISTS", old)]
                units.append(delete + [(block, "PUT", location)])
    units += [[(block, "DELETE_IF_EXISTS", old)] for block, old in sorted(holder.items())
              if block not in wanted_at]
    requests: list[list[tuple[str, str, str]]] = [[]]
    for unit in units:
        if len(requests[-1]) + len(unit) > BLOCKS_PER_REQUEST:
            requests.append([])
        requests[-1].extend(unit)
    out = []
    for request in requests:
        if not request:
            continue
        grouped: dict[tuple[str, str], list[str]] = {}
        for block, action, location in request:
            grouped.setdefault((action, location), []).append(block)
        order = sorted(grouped, key=lambda k: (k[0] != "DELETE_IF_EXISTS", k[1]))
        out.append([{"LocationName": loc, "Action": action, "CidrList": grouped[(action, loc)]}
                    for action, loc in order])
    return out


def _canonical(record: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(record)
    out["Name"] = record["Name"].rstrip(".").lower() + "."
    if "AliasTarget" in record:
        alias = dict(record["AliasTarget"])
        alias["DNSName"] = alias["DNSName"].rstrip(".").lower() + "."
        out["AliasTarget"] = alias
    if "ResourceRecords" in record:
        out["ResourceRecords"] = sorted(record["ResourceRecords"], key=lambda r: str(r["Value"]))
    return out


def _key(record: Mapping[str, Any]) -> tuple[str, str, str]:
    return record["Name"].rstrip(".").lower(), record["Type"], record.get("SetIdentifier", "")


def record_changes(desired: Mapping[K, dict[str, Any]], live: Mapping[K, dict[str, Any]]
                   ) -> list[dict[str, Any]]:
    """UPSERT what differs, DELETE what is live but not desired (exactly as Route 53 holds it)."""
    writes, deletes = changed({k: _canonical(r) for k, r in desired.items()},
                              {k: _canonical(r) for k, r in live.items()})
    return ([{"Action": "UPSERT", "ResourceRecordSet": _canonical(desired[k])} for k in writes]
            + [{"Action": "DELETE", "ResourceRecordSet": live[k]} for k in deletes])
