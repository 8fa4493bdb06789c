"""Health and latency observations in DynamoDB (the GslbTable: pk/sk strings, TTL `expires_at`).

Items:

    pk = "health#<region>"   sk = "vantage#<vantage>"     one per (vantage, region), overwritten
        state, passes, failures, last_at, changed_at, ok, status, elapsed_ms, expires_at
    pk = "rtt#<client>"      sk = "<region>#<at>#<nonce>"  one per latency sample
        client, region, rtt_ms, at, expires_at

DynamoDB deletes expired items late (up to days), so every read drops items whose
`expires_at` has passed. A health write is conditional on being newer than what is
stored, so a slow checker cannot overwrite a fresher verdict. botocore errors are
mapped to StoreError here, with the cause kept.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from edgeway.errors import StoreError, aws_error_code

from .health import Health, VantageHealth
from .observations import Observation
from .prober import ProbeResult

HEALTH = "health#"
RTT = "rtt#"
BATCH = 25  # BatchWriteItem's limit


class GslbStore:
    def __init__(self, table: str, client: Any) -> None:
        self.table = table
        self.client = client  # a boto3 DynamoDB client, created once by the caller

    # -- health ----------------------------------------------------------------------------
    def put_health(self, vantage: str, region: str, cell: VantageHealth, *, ttl_s: float,
                   probe: ProbeResult | None = None) -> bool:
        """Store the latest state; False if a newer one was already there."""
        at = cell.last_at or 0.0
        item: dict[str, Any] = {
            "pk": {"S": HEALTH + region}, "sk": {"S": "vantage#" + vantage},
            "vantage": {"S": vantage}, "region": {"S": region},
            "state": {"S": cell.state.value}, "passes": {"N": str(cell.passes)},
            "failures": {"N": str(cell.failures)}, "last_at": {"N": _num(at)},
            "expires_at": {"N": str(int(at + ttl_s))},
        }
        if cell.changed_at is not None:
            item["changed_at"] = {"N": _num(cell.changed_at)}
        if probe is not None:
            item["ok"] = {"BOOL": probe.ok}
            item["elapsed_ms"] = {"N": _num(probe.elapsed_ms)}
            if probe.status is not None:
                item["status"] = {"N": str(probe.status)}
            if probe.error:
                item["error"] = {"S": probe.error[:200]}
            if probe.load is not None:
                item["load"] = {"N": _num(probe.load)}
        try:
            self.client.put_item(
                TableName=self.table, Item=item,
                ConditionExpression="attribute_not_exists(last_at) OR last_at <= :at",
                ExpressionAttributeValues={":at": {"N": _num(at)}})
        except (ClientError, BotoCoreError) as exc:
            if aws_error_code(exc) == "ConditionalCheckFailedException":
                return False
            raise StoreError(f"writing health of {region} from {vantage}: {exc}") from exc
        return True

    def read_health(self, regions: Sequence[str], *, now: float) -> list[tuple[str, str, VantageHealth]]:
        """(vantage, region, state) of every unexpired item for these regions."""
        out = []
        for region in regions:
            for item in self._query(HEALTH + region):
                if _expired(item, now):
                    continue
                try:
                    cell = VantageHealth(
                        state=Health(item["state"]["S"]),
                        passes=int(item["passes"]["N"]), failures=int(item["failures"]["N"]),
                        last_at=float(item["last_at"]["N"]),
                        changed_at=float(item["changed_at"]["N"]) if "changed_at" in item else None)
                except (KeyError, ValueError):
                    continue  # a foreign or half-written item is no evidence either way
                out.append((item["vantage"]["S"], region, cell))
        return out

    def read_loads(self, regions: Sequence[str], *, now: float) -> dict[str, float]:
        """The freshest `load` reported by each region's /health, when it reports one."""
        latest: dict[str, tuple[float, float]] = {}
        for region in regions:
            for item in self._query(HEALTH + region):
                if _expired(item, now) or "load" not in item:
                    continue
                at = float(item["last_at"]["N"])
                if region not in latest or at > latest[region][0]:
                    latest[region] = (at, float(item["load"]["N"]))
        return {r: v for r, (_, v) in latest.items()}

    # -- latency ---------------------------------------------------------------------------
    def put_observations(self, observations: Iterable[Observation], *, now: float,
                         max_age_s: float) -> int:
        requests = []
        for obs in observations:
            at = obs.at if obs.at is not None else now
            requests.append({"PutRequest": {"Item": {
                "pk": {"S": RTT + obs.client}, "sk": {"S": f"{obs.region}#{at:.3f}#{secrets.token_hex(4)}"},
                "client": {"S": obs.client}, "region": {"S": obs.region},
                "rtt_ms": {"N": _num(obs.rtt_ms)}, "at": {"N": _num(at)},
                "expires_at": {"N": str(int(at + max_age_s))},
            }}})
        for start in range(0, len(requests), BATCH):
            self._batch_write(requests[start:start + BATCH])
        return len(requests)

    def read_observations(self, *, now: float) -> list[Observation]:
        out = []
        for item in self._scan(RTT):
            if _expired(item, now):
                continue
            try:
                out.append(Observation(item["client"]["S"], item["region"]["S"],
                                       float(item["rtt_ms"]["N"]), float(item["at"]["N"])))
            except (KeyError, ValueError):
                continue
        return out

    # -- plumbing --------------------------------------------------------------------------
    def _query(self, pk: str) -> Iterator[dict[str, Any]]:
        kwargs: dict[str, Any] = {"TableName": self.table, "KeyConditionExpression": "pk = :pk",
                                  "ExpressionAttributeValues": {":pk": {"S": pk}}}
        yield from self._pages("query", kwargs)

    def _scan(self, prefix: str) -> Iterator[dict[str, Any]]:
        kwargs: dict[str, Any] = {"TableName": self.table, "FilterExpression": "begins_with(pk, :p)",
                                  "ExpressionAttributeValues": {":p": {"S": prefix}}}
        yield from self._pages("scan", kwargs)

    def _pages(self, op: str, kwargs: dict[str, Any]) -> Iterator[dict[str, Any]]:
        while True:
            try:
                page = getattr(self.client, op)(**kwargs)
            except (ClientError, BotoCoreError) as exc:
                raise StoreError(f"reading {self.table}: {exc}") from exc
            yield from page.get("Items", [])
            if "LastEvaluatedKey" not in page:
                return
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def _batch_write(self, requests: list[dict[str, Any]]) -> None:
        pending = {self.table: requests}
        for _ in range(8):  # unprocessed items are retried a bounded number of times
            try:
                response = self.client.batch_write_item(RequestItems=pending)
            except (ClientError, BotoCoreError) as exc:
                raise StoreError(f"writing observations to {self.table}: {exc}") from exc
            pending = response.get("UnprocessedItems") or {}
            if not pending:
                return
        raise StoreError(f"writing observations to {self.table}: throttled, items left unwritten")


def _expired(item: dict[str, Any], now: float) -> bool:
    try:
        return float(item["expires_at"]["N"]) <= now
    except (KeyError, ValueError):
        return False


def _num(value: float) -> str:
    return str(Decimal(repr(float(value))))
