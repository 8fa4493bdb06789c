"""A small in-repo Route 53 (CIDR collections, record sets, health checks) and API Gateway v2
(custom domain names) for what moto lacks: used by the tests and by the local stack.

moto answers ``CreateCidrCollection`` with 404, drops ``CidrRoutingConfig`` from stored
record sets, and its API Gateway v2 domain names lack ``ApiGatewayDomainName`` /
``HostedZoneId``. Every call here is checked against botocore's own service model
(``ParamValidator``, what ``botocore.stub.Stubber`` uses), so a parameter the real API
would refuse is refused here too, and errors are ``botocore`` ``ClientError`` with
the real error codes.

Semantics kept (AWS docs cited in docs/gslb-dns.md):
- ``ChangeCidrCollection`` checks ``CollectionVersion`` (mismatch ->
  ``CidrCollectionVersionMismatchException``), applies its changes in order and all
  or nothing, at most 1,000 blocks a request, bumps the version by one;
- ``PUT`` adds blocks to a location (created on first block); a block held by another
  location is ``CidrBlockInUseException`` (move it with ``DELETE_IF_EXISTS`` first, in
  the same request); ``DELETE_IF_EXISTS`` removes blocks; a location without blocks
  is gone; emptying a location a record set still uses is refused (assumed);
- blocks are IPv4 /1-/24 and IPv6 /1-/48; the default location ``*`` holds none;
- ``ChangeResourceRecordSets`` is atomic; a CIDR record's location must exist;
- ``answer``: longest match, else ``*``; an unhealthy record (its health check, or
  ``EvaluateTargetHealth`` on a target with no healthy record) falls to ``*``.

State lives in memory, or in a JSON file (``path``) so that the local stack's
`edgeway gslb sync-route53 --local` runs share one Route 53.
"""

from __future__ import annotations

import copy
import ipaddress
import json
import uuid
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, NoReturn

import botocore.session
from botocore.exceptions import ClientError
from botocore.validate import ParamValidator

from gslb.route53_plan import DEFAULT_LOCATION, LONGEST_BLOCK, answer_for, index_blocks

MAX_BLOCKS_PER_REQUEST = 1_000
_MODELS: dict[str, Any] = {}


def _model(service: str) -> Any:
    if service not in _MODELS:
        _MODELS[service] = botocore.session.get_session().get_service_model(service)
    return _MODELS[service]


def _check(service: str, operation: str, params: Mapping[str, Any]) -> None:
    shape = _model(service).operation_model(operation).input_shape
    report = ParamValidator().validate(dict(params), shape)
    if report.has_errors():
        _raise("ParamValidation", report.generate_report(), operation)


def _raise(code: str, message: str, operation: str) -> NoReturn:
    raise ClientError({"Error": {"Code": code, "Message": message}}, operation)


class FakeRoute53:
    """The subset of the boto3 ``route53`` client the sync uses."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path is not None else None
        self.calls: list[str] = []
        self.failures: list[tuple[str, str]] = []      # (operation, error code) to raise once, in order
        self._state: dict[str, Any] = {"zones": {}, "collections": {}, "records": {}, "checks": {},
                                       "health": {}}
        self._load()

    # -- state -------------------------------------------------------------------------------
    def _load(self) -> None:
        if self.path is not None and self.path.exists():
            self._state = json.loads(self.path.read_text(encoding="utf-8"))

    def _save(self) -> None:
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text(json.dumps(self._state, indent=1, sort_keys=True), encoding="utf-8")
            tmp.replace(self.path)

    def _call(self, operation: str, params: Mapping[str, Any]) -> None:
        _check("route53", operation, params)
        self._load()
        self.calls.append(operation)
        for i, (op, code) in enumerate(self.failures):
            if op == operation:
                del self.failures[i]
                _raise(code, f"injected {code}", operation)

    def create_hosted_zone_for_test(self, name: str, zone_id: str = "Z0EDGEWAYLOCAL") -> str:
        self._load()
        self._state["zones"][zone_id] = name.rstrip(".") + "."
        self._state["records"].setdefault(zone_id, [])
        self._save()
        return zone_id

    def set_health(self, check_id: str, healthy: bool) -> None:
        self._load()
        self._state["health"][check_id] = healthy
        self._save()

    # -- hosted zones and record sets --------------------------------------------------------
    def get_hosted_zone(self, **params: Any) -> dict[str, Any]:
        self._call("GetHostedZone", params)
        zone_id = params["Id"].split("/")[-1]
        if zone_id not in self._state["zones"]:
            _raise("NoSuchHostedZone", f"No hosted zone found with ID: {zone_id}", "GetHostedZone")
        return {"HostedZone": {"Id": f"/hostedzone/{zone_id}", "Name": self._state["zones"][zone_id],
                               "CallerReference": "local", "ResourceRecordSetCount": 0},
                "DelegationSet": {"NameServers": ["ns-local.edgeway.test"]}}

    def list_resource_record_sets(self, **params: Any) -> dict[str, Any]:
        self._call("ListResourceRecordSets", params)
        records = self._zone_records(params["HostedZoneId"], "ListResourceRecordSets")
        start = params.get("StartRecordName", "").rstrip(".").lower()
        out = [r for r in sorted(records, key=_record_key) if r["Name"].rstrip(".").lower() >= start]
        return {"ResourceRecordSets": copy.deepcopy(out), "IsTruncated": False, "MaxItems": "300"}

    def change_resource_record_sets(self, **params: Any) -> dict[str, Any]:
        self._call("ChangeResourceRecordSets", params)
        op = "ChangeResourceRecordSets"
        zone = params["HostedZoneId"].split("/")[-1]
        records = copy.deepcopy(self._zone_records(zone, op))
        for change in params["ChangeBatch"]["Changes"]:
            record, action = change["ResourceRecordSet"], change["Action"]
            key = _identity(record)
            at = next((i for i, r in enumerate(records) if _identity(r) == key), None)
            if action == "DELETE":
                if at is None or records[at] != record:
                    _raise("InvalidChangeBatch", f"record set {key} not found as given", op)
                del records[at]
                continue
            if action == "CREATE" and at is not None:
                _raise("InvalidChangeBatch", f"record set {key} already exists", op)
            self._check_record(record, op)
            if at is None:
                records.append(copy.deepcopy(record))
            else:
                records[at] = copy.deepcopy(record)
        policies: dict[tuple[str, str], set[str]] = {}
        for r in records:
            policies.setdefault((r["Name"].lower(), r["Type"]), set()).add(_policy(r))
        mixed = [k for k, v in policies.items() if len(v) > 1]
        if mixed:
            _raise("InvalidChangeBatch", f"record sets at {mixed[0]} mix routing policies", op)
        self._state["records"][zone] = records
        self._save()
        return {"ChangeInfo": {"Id": f"/change/{uuid.uuid4().hex[:12].upper()}", "Status": "PENDING",
                               "SubmittedAt": "1970-01-01T00:00:00Z"}}

    def _zone_records(self, zone_id: str, op: str) -> list[dict[str, Any]]:
        zone_id = zone_id.split("/")[-1]
        if zone_id not in self._state["zones"]:
            _raise("NoSuchHostedZone", f"No hosted zone found with ID: {zone_id}", op)
        records: list[dict[str, Any]] = self._state["records"].setdefault(zone_id, [])
        return records

    def _check_record(self, record: Mapping[str, Any], op: str) -> None:
        cidr = record.get("CidrRoutingConfig")
        if cidr is None:
            return
        collection = self._state["collections"].get(cidr["CollectionId"])
        if collection is None:
            _raise("InvalidInput", f"no CIDR collection {cidr['CollectionId']}", op)
        if cidr["LocationName"] != DEFAULT_LOCATION and cidr["LocationName"] not in collection["locations"]:
            _raise("InvalidInput", f"no location {cidr['LocationName']} in the collection", op)

    # -- CIDR collections --------------------------------------------------------------------
    def list_cidr_collections(self, **params: Any) -> dict[str, Any]:
        self._call("ListCidrCollections", params)
        return {"CidrCollections": [{"Arn": f"arn:aws:route53:::cidrcollection/{cid}", "Id": cid,
                                     "Name": c["name"], "Version": c["version"]}
                                    for cid, c in sorted(self._state["collections"].items())]}

    def create_cidr_collection(self, **params: Any) -> dict[str, Any]:
        self._call("CreateCidrCollection", params)
        if any(c["name"] == params["Name"] for c in self._state["collections"].values()):
            _raise("CidrCollectionAlreadyExistsException", f"{params['Name']} exists", "CreateCidrCollection")
        cid = str(uuid.uuid4())
        self._state["collections"][cid] = {"name": params["Name"], "version": 1, "locations": {}}
        self._save()
        return {"Collection": {"Arn": f"arn:aws:route53:::cidrcollection/{cid}", "Id": cid,
                               "Name": params["Name"], "Version": 1},
                "Location": f"https://route53.amazonaws.com/2013-04-01/cidrcollection/{cid}"}

    def list_cidr_locations(self, **params: Any) -> dict[str, Any]:
        self._call("ListCidrLocations", params)
        collection = self._collection(params["CollectionId"], "ListCidrLocations")
        return {"CidrLocations": [{"LocationName": n} for n in sorted(collection["locations"])]}

    def list_cidr_blocks(self, **params: Any) -> dict[str, Any]:
        self._call("ListCidrBlocks", params)
        collection = self._collection(params["CollectionId"], "ListCidrBlocks")
        names = [params["LocationName"]] if "LocationName" in params else sorted(collection["locations"])
        if "LocationName" in params and params["LocationName"] not in collection["locations"]:
            _raise("NoSuchCidrLocationException", f"no location {params['LocationName']}", "ListCidrBlocks")
        return {"CidrBlocks": [{"CidrBlock": b, "LocationName": n} for n in names
                               for b in collection["locations"][n]]}

    def change_cidr_collection(self, **params: Any) -> dict[str, Any]:
        self._call("ChangeCidrCollection", params)
        op = "ChangeCidrCollection"
        collection = self._collection(params["Id"], op)
        if "CollectionVersion" in params and params["CollectionVersion"] != collection["version"]:
            _raise("CidrCollectionVersionMismatchException",
                   f"version {params['CollectionVersion']} is not the current {collection['version']}", op)
        if sum(len(c["CidrList"]) for c in params["Changes"]) > MAX_BLOCKS_PER_REQUEST:
            _raise("InvalidInput", f"more than {MAX_BLOCKS_PER_REQUEST} CIDR blocks in one request", op)
        locations = {n: set(bs) for n, bs in collection["locations"].items()}
        holders = {b: n for n, bs in locations.items() for b in bs}
        for change in params["Changes"]:
            name = change["LocationName"]
            if name == DEFAULT_LOCATION:
                _raise("InvalidInput", "the default location * holds no blocks", op)
            for text in change["CidrList"]:
                block = _block(text, op)
                if change["Action"] == "PUT":
                    holder = holders.get(block)
                    if holder is not None and holder != name:
                        _raise("CidrBlockInUseException", f"{block} is in location {holder}", op)
                    locations.setdefault(name, set()).add(block)
                    holders[block] = name
                elif block in locations.get(name, set()):
                    locations[name].discard(block)
                    del holders[block]
        emptied = {n for n in collection["locations"] if not locations.get(n)}
        used = {r["CidrRoutingConfig"]["LocationName"] for rs in self._state["records"].values() for r in rs
                if r.get("CidrRoutingConfig", {}).get("CollectionId") == params["Id"]}
        if emptied & used:
            _raise("CidrBlockInUseException", f"location {sorted(emptied & used)[0]} is used by a record", op)
        collection["locations"] = {n: sorted(bs) for n, bs in locations.items() if bs}
        collection["version"] += 1
        self._save()
        return {"Id": params["Id"]}

    def _collection(self, cid: str, op: str) -> dict[str, Any]:
        collection: dict[str, Any] | None = self._state["collections"].get(cid)
        if collection is None:
            _raise("NoSuchCidrCollectionException", f"no CIDR collection {cid}", op)
        return collection

    # -- health checks -----------------------------------------------------------------------
    def list_health_checks(self, **params: Any) -> dict[str, Any]:
        self._call("ListHealthChecks", params)
        return {"HealthChecks": [copy.deepcopy(c) for c in self._state["checks"].values()],
                "IsTruncated": False, "Marker": "", "MaxItems": "100"}

    def create_health_check(self, **params: Any) -> dict[str, Any]:
        self._call("CreateHealthCheck", params)
        check_id = str(uuid.uuid5(uuid.NAMESPACE_URL, params["CallerReference"]))
        check = {"Id": check_id, "CallerReference": params["CallerReference"],
                 "HealthCheckConfig": params["HealthCheckConfig"], "HealthCheckVersion": 1}
        self._state["checks"][check_id] = check
        self._save()
        return {"HealthCheck": copy.deepcopy(check), "Location": f"/healthcheck/{check_id}"}

    def delete_health_check(self, **params: Any) -> dict[str, Any]:
        self._call("DeleteHealthCheck", params)
        self._state["checks"].pop(params["HealthCheckId"], None)
        self._save()
        return {}

    # -- what Route 53 would answer ----------------------------------------------------------
    def answer(self, zone_id: str, name: str, client: str, *, rtype: str = "A",
               latency_order: Callable[[Sequence[str]], Sequence[str]] = lambda regions: regions
               ) -> tuple[str, dict[str, Any] | None]:
        """(location, the alias record answered) for a client's address at ``name``."""
        self._load()
        records = [r for r in self._zone_records(zone_id, "answer")
                   if r["Name"].rstrip(".").lower() == name.rstrip(".").lower() and r["Type"] == rtype
                   and "CidrRoutingConfig" in r]
        if not records:
            return DEFAULT_LOCATION, None
        collection = self._state["collections"][records[0]["CidrRoutingConfig"]["CollectionId"]]
        addr = ipaddress.ip_address(client)
        location = answer_for(index_blocks(collection["locations"]), addr)
        by_location = {r["CidrRoutingConfig"]["LocationName"]: r for r in records}
        chosen = by_location.get(location)
        if chosen is None or not self._healthy(chosen):
            location, chosen = DEFAULT_LOCATION, by_location.get(DEFAULT_LOCATION)
        if chosen is None:
            return location, None
        return location, self._follow(zone_id, chosen, rtype, latency_order)

    def _healthy(self, record: Mapping[str, Any]) -> bool:
        check = record.get("HealthCheckId")
        return check is None or bool(self._state["health"].get(check, True))

    def _follow(self, zone_id: str, record: dict[str, Any], rtype: str,
                latency_order: Callable[[Sequence[str]], Sequence[str]]) -> dict[str, Any]:
        """An alias to another name in the zone: the latency set behind it, healthiest nearest."""
        target = record.get("AliasTarget", {}).get("DNSName", "").rstrip(".").lower()
        behind = [r for r in self._zone_records(zone_id, "answer")
                  if r["Name"].rstrip(".").lower() == target and r["Type"] == rtype and "Region" in r]
        if not behind:
            return record
        healthy = {r["Region"]: r for r in behind if self._healthy(r)} or {r["Region"]: r for r in behind}
        return healthy[latency_order(sorted(healthy))[0]]


class FakeApiGatewayV2:
    """``GetDomainName`` / ``GetApiMappings`` of one region, with the regional target fields."""

    def __init__(self, region: str, domains: Mapping[str, Mapping[str, Any]] | None = None) -> None:
        self.region = region
        self.domains = {k: dict(v) for k, v in (domains or {}).items()}
        self.calls: list[str] = []

    def get_domain_name(self, **params: Any) -> dict[str, Any]:
        _check("apigatewayv2", "GetDomainName", params)
        self.calls.append("GetDomainName")
        domain = self.domains.get(params["DomainName"])
        if domain is None:
            _raise("NotFoundException", f"Invalid domain name identifier specified", "GetDomainName")
        return {"DomainName": params["DomainName"], "DomainNameConfigurations": [{
            "ApiGatewayDomainName": domain["target"], "CertificateArn": domain["certificate"],
            "EndpointType": "REGIONAL", "HostedZoneId": domain["zone"], "SecurityPolicy": "TLS_1_2",
            "DomainNameStatus": "AVAILABLE"}]}

    def get_api_mappings(self, **params: Any) -> dict[str, Any]:
        _check("apigatewayv2", "GetApiMappings", params)
        self.calls.append("GetApiMappings")
        domain = self.domains.get(params["DomainName"])
        if domain is None:
            _raise("NotFoundException", "Invalid domain name identifier specified", "GetApiMappings")
        return {"Items": [{"ApiId": domain["api_id"], "ApiMappingId": "local", "Stage": "$default"}]}


def local_domains(domain: str, regions: Sequence[str], account: str = "000000000000"
                  ) -> dict[str, FakeApiGatewayV2]:
    """The local stack's custom domain in every region, as a deployed stack would have it."""
    return {r: FakeApiGatewayV2(r, {domain: {
        "target": f"d-local{i:04d}.execute-api.{r}.amazonaws.com",
        "zone": f"Z0LOCALAPIGW{i:04d}", "api_id": f"local{i:05d}",
        "certificate": f"arn:aws:acm:{r}:{account}:certificate/local-{r}"}}) for i, r in enumerate(regions)}


def _block(text: str, op: str) -> str:
    try:
        block = ipaddress.ip_network(text)
    except ValueError:
        _raise("InvalidInput", f"{text!r} is not a CIDR block (host bits must be zero)", op)
    if not 1 <= block.prefixlen <= LONGEST_BLOCK[block.version]:
        _raise("InvalidInput", f"{text}: IPv4 blocks are /1-/24, IPv6 /1-/48", op)
    return str(block)


def _identity(record: Mapping[str, Any]) -> tuple[str, str, str]:
    return record["Name"].rstrip(".").lower(), record["Type"], record.get("SetIdentifier", "")


def _record_key(record: Mapping[str, Any]) -> tuple[str, str, str]:
    return _identity(record)


def _policy(record: Mapping[str, Any]) -> str:
    for key in ("CidrRoutingConfig", "GeoLocation", "Region", "Weight", "Failover", "MultiValueAnswer"):
        if key in record:
            return key
    return "simple"
