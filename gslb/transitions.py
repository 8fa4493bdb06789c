"""Health transitions, kept where the health state lives (the GslbTable, with a TTL).

Item (one per change of a vantage point's verdict on a region)::

    pk = "transition"   sk = "<at, 17 chars>#<vantage>#<region>"
        vantage, region, from, to, at, reason, expires_at

One partition, sorted by time: the console reads the last day with one Query.
Changes are rare (a few per incident), so one partition is far below its
write limit. Every health checker writes its own vantage point's changes; in
the cloud the global table replicates them, so every region's console shows
the same timeline, and locally the same code writes moto.

``region_timeline`` replays those per-vantage changes through the quorum rule
(``gslb.health.combine``) to find when each region's combined verdict changed:
the failovers. Pure.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from edgeway.errors import StoreError

from .health import Health, Thresholds, VantageHealth, combine

PK = "transition"
KEEP_S = 7 * 86_400


@dataclass(frozen=True, slots=True)
class Transition:
    at: float
    vantage: str
    region: str
    before: Health
    after: Health
    reason: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"at": self.at, "vantage": self.vantage, "region": self.region,
                "from": self.before.value, "to": self.after.value, "reason": self.reason}


class TransitionLog:
    def __init__(self, table: str, client: Any) -> None:
        self.table = table
        self.client = client  # a boto3 DynamoDB client, created once by the caller

    def put(self, t: Transition, *, keep_s: float = KEEP_S) -> None:
        item = {"pk": {"S": PK}, "sk": {"S": f"{t.at:017.3f}#{t.vantage}#{t.region}"},
                "vantage": {"S": t.vantage}, "region": {"S": t.region},
                "from": {"S": t.before.value}, "to": {"S": t.after.value},
                "at": {"N": f"{t.at:.3f}"}, "reason": {"S": t.reason[:200]},
                "expires_at": {"N": str(int(t.at + keep_s))}}
        try:
            self.client.put_item(TableName=self.table, Item=item)
        except (ClientError, BotoCoreError) as exc:
            raise StoreError(f"writing a transition of {t.region} from {t.vantage}: {exc}") from exc

    def read(self, *, since: float, now: float, limit: int = 500) -> list[Transition]:
        """The newest ``limit`` unexpired transitions at or after ``since``, oldest first."""
        kwargs: dict[str, Any] = {
            "TableName": self.table, "KeyConditionExpression": "pk = :pk AND sk >= :since",
            "ExpressionAttributeValues": {":pk": {"S": PK}, ":since": {"S": f"{since:017.3f}"}},
            "ScanIndexForward": False, "Limit": limit}
        try:
            items = self.client.query(**kwargs).get("Items", [])
        except (ClientError, BotoCoreError) as exc:
            raise StoreError(f"reading transitions from {self.table}: {exc}") from exc
        out = []
        for item in items:
            try:
                if float(item["expires_at"]["N"]) <= now:
                    continue
                out.append(Transition(float(item["at"]["N"]), item["vantage"]["S"],
                                      item["region"]["S"], Health(item["from"]["S"]),
                                      Health(item["to"]["S"]), item.get("reason", {}).get("S", "")))
            except (KeyError, ValueError):
                continue  # a foreign or half-written item
        out.reverse()
        return out


@dataclass(frozen=True, slots=True)
class VerdictChange:
    at: float
    region: str
    before: Health
    after: Health
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"at": self.at, "region": self.region, "from": self.before.value,
                "to": self.after.value, "reason": self.reason}


def region_timeline(transitions: Iterable[Transition], regions: Sequence[str], *, quorum: int,
                    thresholds: Thresholds) -> list[VerdictChange]:
    """Replay per-vantage changes (oldest first) through the quorum: the combined changes.

    Staleness is not replayed (a vote is taken as standing until its next change),
    so this is the timeline of what the vantage points said, not of silences.
    """
    votes: dict[str, dict[str, VantageHealth]] = {r: {} for r in regions}
    verdict = {r: Health.UNKNOWN for r in regions}
    out = []
    for t in transitions:
        if t.region not in votes:
            continue
        votes[t.region][t.vantage] = VantageHealth(state=t.after, last_at=t.at)
        combined = combine(votes[t.region], t.at, thresholds, quorum=quorum,
                           vantages=len(regions))
        if combined.state is not verdict[t.region]:
            out.append(VerdictChange(t.at, t.region, verdict[t.region], combined.state,
                                     f"{combined.describe()} after {t.vantage} saw {t.after.value}"))
            verdict[t.region] = combined.state
    return out
