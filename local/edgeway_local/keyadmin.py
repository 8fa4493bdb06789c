"""Create, list and revoke API keys in KeysTable (the CLI and the local stack's banner).

The key is returned once by ``create_key`` and never stored: the table gets
its hash (see ``edgeway.auth.keyformat``). Revoking flips the status; the
gateway notices within ``auth.api_keys.cache_ttl_s``.

The plan is the consumer's: the first key of a consumer records the consumer's
plan, later keys inherit it (asking for another plan is an error), and
``set_plan`` moves the consumer and every key of it to another plan at once.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from edgeway.auth.keyformat import (
    CONSUMER_SK,
    SK,
    KeyRecord,
    KeyStatus,
    consumer_item,
    consumer_pk,
    generate_key,
    hash_key,
    pk,
)

DAY_S = 86_400


class KeyAdminError(Exception):
    """A key operation failed in a way the user must hear about (unknown id, no table)."""


def _client_error(exc: Exception, table: str) -> KeyAdminError:
    code = getattr(exc, "response", {}).get("Error", {}).get("Code", "")
    if code == "ResourceNotFoundException":
        return KeyAdminError(f"the keys table {table!r} does not exist (is `edgeway serve` "
                             "running, or pass --table)")
    return KeyAdminError(f"DynamoDB refused the request: {exc}")


def consumer_plan(dynamodb: Any, table: str, consumer: str) -> str | None:
    """The plan recorded for ``consumer``, or None for a consumer with no record yet."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        item = dynamodb.get_item(TableName=table, ConsistentRead=True, Key={
            "pk": {"S": consumer_pk(consumer)}, "sk": {"S": CONSUMER_SK}}).get("Item")
    except ClientError as exc:
        raise _client_error(exc, table) from exc
    except BotoCoreError as exc:
        raise KeyAdminError(f"cannot reach DynamoDB: {exc}") from exc
    return str(item["plan"]["S"]) if item and "plan" in item else None


def _consumer_of(dynamodb: Any, table: str, consumer: str, plan: str | None) -> str:
    """The consumer's plan, recording ``plan`` for a new consumer; refuses another plan."""
    from botocore.exceptions import BotoCoreError, ClientError

    for _ in range(3):  # a concurrent first key for the same consumer: read it back
        current = consumer_plan(dynamodb, table, consumer)
        if current is not None:
            if plan is not None and plan != current:
                raise KeyAdminError(
                    f"consumer {consumer!r} is on plan {current!r}: every key and token of a "
                    f"consumer shares its plan and counters. Leave out --plan to inherit it, or "
                    f"move the consumer with `edgeway keys plan --consumer {consumer} "
                    f"--plan {plan}`")
            return current
        if plan is None:
            raise KeyAdminError(f"consumer {consumer!r} has no plan yet: give --plan")
        try:
            dynamodb.put_item(TableName=table, Item=consumer_item(consumer, plan),
                              ConditionExpression="attribute_not_exists(pk)")
            return plan
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise _client_error(exc, table) from exc
        except BotoCoreError as exc:
            raise KeyAdminError(f"cannot reach DynamoDB: {exc}") from exc
    raise KeyAdminError(f"could not record the plan of consumer {consumer!r}")


def create_key(dynamodb: Any, table: str, *, consumer: str, plan: str | None,
               scopes: Iterable[str] = (), expires_in_days: float | None = None,
               pepper: bytes | None = None, now: float | None = None) -> tuple[str, KeyRecord]:
    """A new key for ``consumer`` on the consumer's plan (``plan`` for a new consumer)."""
    from botocore.exceptions import BotoCoreError, ClientError

    plan = _consumer_of(dynamodb, table, consumer, plan)
    created = int(now if now is not None else time.time())
    for _ in range(5):  # a 50-bit id collides essentially never; bounded anyway
        key, key_id = generate_key()
        hash_alg, digest = hash_key(key, pepper)
        record = KeyRecord(
            key_id=key_id, key_hash=digest, hash_alg=hash_alg, consumer=consumer, plan=plan,
            status=KeyStatus.ACTIVE, created=created,
            expires=created + int(expires_in_days * DAY_S) if expires_in_days else None,
            scopes=frozenset(scopes))
        try:
            dynamodb.put_item(TableName=table, Item=record.to_item(),
                              ConditionExpression="attribute_not_exists(pk)")
            return key, record
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise _client_error(exc, table) from exc
        except BotoCoreError as exc:
            raise KeyAdminError(f"cannot reach DynamoDB: {exc}") from exc
    raise KeyAdminError("could not allocate a unique key id")


def list_keys(dynamodb: Any, table: str) -> list[KeyRecord]:
    from botocore.exceptions import BotoCoreError, ClientError

    records = []
    kwargs: dict[str, Any] = {
        "TableName": table, "FilterExpression": "sk = :sk",
        "ExpressionAttributeValues": {":sk": {"S": SK}},
    }
    try:
        for _ in range(10_000):  # bounded pagination
            page = dynamodb.scan(**kwargs)
            for item in page.get("Items", []):
                try:
                    records.append(KeyRecord.from_item(item))
                except (KeyError, ValueError, TypeError):
                    continue
            if "LastEvaluatedKey" not in page:
                break
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    except ClientError as exc:
        raise _client_error(exc, table) from exc
    except BotoCoreError as exc:
        raise KeyAdminError(f"cannot reach DynamoDB: {exc}") from exc
    return sorted(records, key=lambda r: (r.created, r.key_id))


def revoke_key(dynamodb: Any, table: str, key_id: str, *, now: float | None = None) -> KeyRecord:
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        result = dynamodb.update_item(
            TableName=table, Key={"pk": {"S": pk(key_id)}, "sk": {"S": SK}},
            UpdateExpression="SET #st = :revoked, revoked_at = :now",
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeNames={"#st": "status"},
            ExpressionAttributeValues={":revoked": {"S": KeyStatus.REVOKED.value},
                                       ":now": {"N": str(int(now or time.time()))}},
            ReturnValues="ALL_NEW")
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
            raise KeyAdminError(f"no API key with id {key_id!r}") from exc
        raise _client_error(exc, table) from exc
    except BotoCoreError as exc:
        raise KeyAdminError(f"cannot reach DynamoDB: {exc}") from exc
    return KeyRecord.from_item(result["Attributes"])


def set_plan(dynamodb: Any, table: str, consumer: str, plan: str) -> list[KeyRecord]:
    """Move ``consumer`` and every key of it to ``plan``; the keys it moved.

    The consumer's record first (tokens follow it), then each key; a gateway sees
    the change within ``auth.api_keys.cache_ttl_s``. Counters stay: one consumer,
    one set of counters, now measured against the new plan's limits.
    """
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        dynamodb.put_item(TableName=table, Item=consumer_item(consumer, plan))
        moved = []
        for record in list_keys(dynamodb, table):
            if record.consumer != consumer or record.plan == plan:
                continue
            result = dynamodb.update_item(
                TableName=table, Key={"pk": {"S": pk(record.key_id)}, "sk": {"S": SK}},
                UpdateExpression="SET #plan = :plan", ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeNames={"#plan": "plan"},
                ExpressionAttributeValues={":plan": {"S": plan}}, ReturnValues="ALL_NEW")
            moved.append(KeyRecord.from_item(result["Attributes"]))
    except ClientError as exc:
        raise _client_error(exc, table) from exc
    except BotoCoreError as exc:
        raise KeyAdminError(f"cannot reach DynamoDB: {exc}") from exc
    return moved


def copy_record(dynamodb: Any, table: str, record: KeyRecord) -> None:
    """Write an existing record, and its consumer's plan, to another table (another
    local region's KeysTable)."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        dynamodb.put_item(TableName=table, Item=consumer_item(record.consumer, record.plan))
        dynamodb.put_item(TableName=table, Item=record.to_item())
    except (ClientError, BotoCoreError) as exc:
        raise KeyAdminError(f"cannot copy key {record.key_id} to {table}: {exc}") from exc
