"""The one DynamoDB table shape every Edgeway table has, for tests on moto."""

from __future__ import annotations

from typing import Any


def create_pk_sk_table(dynamodb: Any, name: str) -> None:
    """An on-demand table keyed by string ``pk`` (hash) and ``sk`` (range), as template.yaml's are."""
    dynamodb.create_table(
        TableName=name, BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                   {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                              {"AttributeName": "sk", "AttributeType": "S"}])
