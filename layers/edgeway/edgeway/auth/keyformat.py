"""API keys: their format, their hash, and their record in KeysTable.

A key is ``ewk_<id>_<secret>``: ``id`` is 10 base32 characters (public: it names
the key in ``edgeway keys list`` and ``revoke`` and in logs), ``secret`` is 32
random bytes in base64url (256 bits). The table holds only a hash of the whole
key, under ``pk = "apikey#<id>"``, ``sk = "apikey"``; the gateway reads the
record by id and compares hashes in constant time.

Hash: HMAC-SHA256 with a pepper when ``auth.api_keys.pepper`` is configured,
else plain SHA-256. The keys are random and 256 bits long, so neither hash can
be reversed or brute-forced from a leaked table (slow password hashes exist for
low-entropy secrets; these are not). The pepper, kept in SSM and never in the
table, adds that a copy of the table alone does not even let anyone check a
candidate key. Changing the pepper invalidates every key.

A consumer's plan is the consumer's, not a key's: it lives once, under
``pk = "consumer#<consumer>"``, ``sk = "consumer"`` (attribute ``plan``). Every
key of the consumer carries the same plan (``edgeway keys`` keeps them equal),
and a JWT whose subject names the consumer gets it too, so switching
credentials never switches plans (docs/ratelimit.md, "One consumer, one plan").
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

PREFIX = "ewk_"
_KEY = re.compile(r"ewk_([a-z2-7]{10})_[A-Za-z0-9_-]{43}")
_ID = re.compile(r"[a-z2-7]{10}")
SK = "apikey"
CONSUMER_SK = "consumer"


class KeyStatus(str, Enum):
    ACTIVE = "active"  # accepted until its expiry, if any
    REVOKED = "revoked"  # refused; kept in the table for the audit trail


def generate_key() -> tuple[str, str]:
    """A new (key, key_id). The key is shown once and never stored."""
    key_id = base64.b32encode(secrets.token_bytes(10)).decode().lower()[:10]
    secret = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("=")
    return f"{PREFIX}{key_id}_{secret}", key_id


def key_id_of(key: str) -> str | None:
    """The id of a well-formed key, None for anything else (checked before any lookup)."""
    match = _KEY.fullmatch(key)
    return match.group(1) if match else None


def normalise_id(text: str) -> str | None:
    """Accept ``abcdefghij``, ``ewk_abcdefghij`` or a whole key; None if none of them."""
    text = text.strip()
    if text.startswith(PREFIX):
        text = text[len(PREFIX):len(PREFIX) + 10]
    return text if _ID.fullmatch(text) else None


def hash_key(key: str, pepper: bytes | None) -> tuple[str, str]:
    """(hash_alg, hex digest) of ``key``."""
    if pepper:
        return "hmac-sha256", hmac.new(pepper, key.encode(), hashlib.sha256).hexdigest()
    return "sha256", hashlib.sha256(key.encode()).hexdigest()


def pk(key_id: str) -> str:
    return f"apikey#{key_id}"


def consumer_pk(consumer: str) -> str:
    return f"consumer#{consumer}"


def consumer_item(consumer: str, plan: str) -> dict[str, Any]:
    """The consumer's record: its plan, shared by all its credentials."""
    return {"pk": {"S": consumer_pk(consumer)}, "sk": {"S": CONSUMER_SK},
            "consumer": {"S": consumer}, "plan": {"S": plan}}


@dataclass(frozen=True, slots=True)
class KeyRecord:
    """An API key as stored: its hash (never the key), owner, plan, status and dates."""
    key_id: str
    key_hash: str
    hash_alg: str
    consumer: str
    plan: str
    status: KeyStatus
    created: int  # epoch seconds
    expires: int | None = None  # epoch seconds; None: never
    scopes: frozenset[str] = frozenset()

    @property
    def prefix(self) -> str:
        return f"{PREFIX}{self.key_id}"

    def matches(self, hash_alg: str, digest: str) -> bool:
        return hash_alg == self.hash_alg and hmac.compare_digest(digest, self.key_hash)

    def to_item(self) -> dict[str, Any]:
        item: dict[str, Any] = {
            "pk": {"S": pk(self.key_id)}, "sk": {"S": SK},
            "key_id": {"S": self.key_id}, "hash": {"S": self.key_hash},
            "hash_alg": {"S": self.hash_alg}, "consumer": {"S": self.consumer},
            "plan": {"S": self.plan}, "status": {"S": self.status.value},
            "created": {"N": str(self.created)},
        }
        if self.expires is not None:
            item["expires"] = {"N": str(self.expires)}
        if self.scopes:
            item["scopes"] = {"SS": sorted(self.scopes)}
        return item

    @classmethod
    def from_item(cls, item: Mapping[str, Any]) -> KeyRecord:
        """A record from a DynamoDB item; ValueError/KeyError when it is not one."""
        def s(name: str) -> str:
            return str(item[name]["S"])

        expires = item.get("expires")
        return cls(
            key_id=s("key_id"), key_hash=s("hash"), hash_alg=s("hash_alg"),
            consumer=s("consumer"), plan=s("plan"), status=KeyStatus(s("status")),
            created=int(item["created"]["N"]),
            expires=int(expires["N"]) if expires else None,
            scopes=frozenset(item.get("scopes", {}).get("SS", ())),
        )

    def to_public(self) -> dict[str, Any]:
        """What `edgeway keys list` shows: never the hash, never the key."""
        return {"id": self.key_id, "prefix": self.prefix, "consumer": self.consumer,
                "plan": self.plan, "status": self.status.value, "created": self.created,
                "expires": self.expires, "scopes": sorted(self.scopes)}
