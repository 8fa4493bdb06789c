"""The GslbTable in DynamoDB (pk/sk strings, TTL `expires_at`): health, samples, transitions.

Items:

    pk = "health#<region>"   sk = "vantage#<vantage>"     one per (vantage, region), overwritten
        state, passes, failures, last_at, changed_at, ok, status, elapsed_ms, expires_at
    pk = "rtt#<client>"      sk = "<region>#<at>#<nonce>"  one per latency sample
        client, region, rtt_ms, at, expires_at
    pk = "transition"        sk = "<at, 17 chars>#<vantage>#<region>"  one per change of a
        vantage, region, from, to, at, reason, expires_at           vantage point's verdict

Transitions share one partition, sorted by time: the console reads the last day
with one Query. Changes are rare (a few per incident), so one partition is far
below its write limit. Every health checker writes its own vantage point's
changes; in the cloud the global table replicates them, so every region's
console shows the same timeline, and locally the same code writes moto.

DynamoDB deletes expired items late (up to days), so every read drops items whose
`expires_at` has passed. An item without a readable `expires_at` counts as unexpired
health or sample (no TTL), but as a foreign transition (we always write one): skipped.
A health write is conditional on being newer than what is stored, so a slow checker
cannot overwrite a fresher verdict. botocore errors are mapped to StoreError here,
with the cause kept.
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
from .status import Transition

HEALTH = "health#"
RTT = "rtt#"
TRANSITION = "transition"
KEEP_TRANSITIONS_S = 7 * 86_400
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
            self._call("put_item", f"writing health of {region} from {vantage}",
                       TableName=self.table, Item=item,
                       ConditionExpression="attribute_not_exists(last_at) OR last_at <= :at",
                       ExpressionAttributeValues={":at": {"N": _num(at)}})
        except StoreError as exc:
            if aws_error_code(exc.__cause__ or exc) == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def read_health(self, regions: Sequence[str], *, now: float) -> list[tuple[str, str, VantageHealth]]:
        """(vantage, region, state) of every unexpired item for these regions."""
        out = []
        for region in regions:
            query = {"KeyConditionExpression": "pk = :pk",
                     "ExpressionAttributeValues": {":pk": {"S": HEALTH + region}}}
            for item in self._pages("query", query):
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

    # -- transitions -----------------------------------------------------------------------
    def put_transition(self, t: Transition) -> None:
        item = {"pk": {"S": TRANSITION}, "sk": {"S": f"{t.at:017.3f}#{t.vantage}#{t.region}"},
                "vantage": {"S": t.vantage}, "region": {"S": t.region},
                "from": {"S": t.before.value}, "to": {"S": t.after.value},
                "at": {"N": f"{t.at:.3f}"}, "reason": {"S": t.reason[:200]},
                "expires_at": {"N": str(int(t.at + KEEP_TRANSITIONS_S))}}
        self._call("put_item", f"writing a transition of {t.region} from {t.vantage}",
                   TableName=self.table, Item=item)

    def read_transitions(self, *, since: float, now: float) -> list[Transition]:
        """The newest 500 unexpired transitions at or after ``since``, oldest first."""
        values = {":pk": {"S": TRANSITION}, ":since": {"S": f"{since:017.3f}"}}
        page = self._call("query", f"reading transitions from {self.table}", TableName=self.table,
                          KeyConditionExpression="pk = :pk AND sk >= :since",
                          ExpressionAttributeValues=values, ScanIndexForward=False, Limit=500)
        out = []
        for item in reversed(page.get("Items", [])):
            if _expired(item, now, unreadable=True):
                continue
            try:
                out.append(Transition(float(item["at"]["N"]), item["vantage"]["S"],
                                      item["region"]["S"], Health(item["from"]["S"]),
                                      Health(item["to"]["S"]), item.get("reason", {}).get("S", "")))
            except (KeyError, ValueError):
                continue  # a foreign or half-written item
        return out

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
        scan = {"FilterExpression": "begins_with(pk, :p)",
                "ExpressionAttributeValues": {":p": {"S": RTT}}}
        for item in self._pages("scan", scan):
            if _expired(item, now):
                continue
            try:
                out.append(Observation(item["client"]["S"], item["region"]["S"],
                                       float(item["rtt_ms"]["N"]), float(item["at"]["N"])))
            except (KeyError, ValueError):
                continue
        return out

    # -- plumbing --------------------------------------------------------------------------
    def _call(self, op: str, doing: str, **kwargs: Any) -> Any:
        try:
            return getattr(self.client, op)(**kwargs)
        except (ClientError, BotoCoreError) as exc:
            raise StoreError(f"{doing}: {exc}") from exc

    def _pages(self, op: str, kwargs: dict[str, Any]) -> Iterator[dict[str, Any]]:
        while True:
            page = self._call(op, f"reading {self.table}", TableName=self.table, **kwargs)
            yield from page.get("Items", [])
            if "LastEvaluatedKey" not in page:
                return
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def _batch_write(self, requests: list[dict[str, Any]]) -> None:
        pending = {self.table: requests}
        for _ in range(8):  # unprocessed items are retried a bounded number of times
            pending = self._call("batch_write_item", f"writing observations to {self.table}",
                                 RequestItems=pending).get("UnprocessedItems") or {}
            if not pending:
                return
        raise StoreError(f"writing observations to {self.table}: throttled, items left unwritten")


def _expired(item: dict[str, Any], now: float, *, unreadable: bool = False) -> bool:
    """Past its `expires_at`; an item without a readable one counts as ``unreadable``."""
    try:
        return float(item["expires_at"]["N"]) <= now
    except (KeyError, ValueError):
        return unreadable


def _num(value: float) -> str:
    return str(Decimal(repr(float(value))))
