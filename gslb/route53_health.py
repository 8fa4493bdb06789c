"""Route 53 health checks per region, so Route 53 can fail over between syncs.

`edgeway gslb sync-route53 --health-checks` creates one Route 53 health check
per region (GET {endpoint}/health) and attaches it to that region's continent
and country records. When a check fails, Route 53 stops answering those records
and falls back to the default record (``CountryCode: *``), which carries no
check, so some answer is always given (the GSLB's fail-open rule). The next
sync then writes what the Engine decides.

Checks are ours when their CallerReference starts ``edgeway-gslb-``; the
reference ends in a digest of the check's config, so a changed endpoint gets a
new check and the old one is deleted once no record uses it.
"""

from __future__ import annotations

import hashlib
import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

OWNER_PREFIX = "edgeway-gslb-"


@dataclass(frozen=True, slots=True)
class HealthCheckSpec:
    region: str
    kind: str           # "HTTP" | "HTTPS"
    host: str
    port: int
    path: str

    @property
    def caller_reference(self) -> str:
        digest = hashlib.sha256(f"{self.kind}|{self.host}|{self.port}|{self.path}".encode())
        return f"{OWNER_PREFIX}{self.region}-{digest.hexdigest()[:16]}"

    def config(self) -> dict[str, Any]:
        return {"Type": self.kind, "FullyQualifiedDomainName": self.host, "Port": self.port,
                "ResourcePath": self.path, "RequestInterval": 10, "FailureThreshold": 3,
                **({"EnableSNI": True} if self.kind == "HTTPS" else {})}


def specs(regions: Iterable[Any]) -> tuple[dict[str, HealthCheckSpec], list[str]]:
    """One check per region with a public endpoint; the others are named in the
    second value (Route 53 cannot probe loopback or private addresses)."""
    out, skipped = {}, []
    for region in regions:
        url = urlsplit(region.endpoint)
        host = url.hostname or ""
        try:
            literal = ipaddress.ip_address(host)
        except ValueError:
            literal = None
        if not host or (literal is not None and not literal.is_global):
            skipped.append(region.name)
            continue
        kind = "HTTPS" if url.scheme == "https" else "HTTP"
        port = url.port or (443 if kind == "HTTPS" else 80)
        out[region.name] = HealthCheckSpec(region.name, kind, host, port,
                                           url.path.rstrip("/") + "/health")
    return out, skipped


def owned(client: Any) -> dict[str, str]:
    """CallerReference -> Id of every health check we created."""
    checks: dict[str, str] = {}
    kwargs: dict[str, Any] = {}
    while True:
        page = client.list_health_checks(**kwargs)
        for check in page["HealthChecks"]:
            if check.get("CallerReference", "").startswith(OWNER_PREFIX):
                checks[check["CallerReference"]] = check["Id"]
        if not page.get("IsTruncated"):
            return checks
        kwargs = {"Marker": page["NextMarker"]}


def ensure(client: Any, wanted: dict[str, HealthCheckSpec], *, dry_run: bool
           ) -> tuple[dict[str, str], list[str], list[str]]:
    """(region -> check id, created references, stale check ids to delete later)."""
    existing = owned(client)
    ids, created = {}, []
    for region, spec in sorted(wanted.items()):
        check_id = existing.get(spec.caller_reference)
        if check_id is None:
            created.append(spec.caller_reference)
            check_id = f"(new {region})" if dry_run else client.create_health_check(
                CallerReference=spec.caller_reference, HealthCheckConfig=spec.config())["HealthCheck"]["Id"]
        ids[region] = check_id
    references = {spec.caller_reference for spec in wanted.values()}
    stale = [check_id for ref, check_id in sorted(existing.items()) if ref not in references]
    return ids, created, stale
