"""A CloudFront KeyValueStore stand-in: the one fake the tests and the local stack use.

moto does not implement the ``cloudfront-keyvaluestore`` API, so this keeps its
semantics in one place (AWS API reference, docs/edge.md "The decision store"):

* every write carries ``IfMatch``, the store's current ETag; a stale ETag is a
  ``ConflictException`` (409) and nothing is written; a success returns a new ETag;
* ``UpdateKeys`` is all-or-nothing;
* a key is 1..512 bytes here (the service's documented key limit; its API model
  allows 1024 characters), a value at most 1 KB, and the store at most 5 MB in
  total (keys + values): a write that would pass them is refused whole
  (``ValidationException`` / ``ServiceQuotaExceededException``);
* ``ListKeys`` pages with ``NextToken``; ``GetKey`` of a missing key is
  ``ResourceNotFoundException``.

Errors are botocore ``ClientError``s shaped as botocore raises them, so code
under test handles the fake and the real client alike. With ``path`` the
store lives in a JSON file (``{"arn", "etag", "items"}``): that is how the
local stack's sync and ``edgeway edge decide`` (node) share it.
"""

from __future__ import annotations

import json
import secrets
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from gslb.edge_export import MAX_KEY_BYTES, MAX_STORE_BYTES, MAX_VALUE_BYTES, store_size

LOCAL_ARN = "arn:aws:cloudfront::000000000000:key-value-store/edgeway-local-decisions"
DEFAULT_PATH = Path(".edgeway") / "edge-kvs.json"


class FakeKeyValueStore:
    def __init__(self, arn: str = LOCAL_ARN, *, path: Path | None = None,
                 max_store_bytes: int = MAX_STORE_BYTES) -> None:
        self.arn = arn
        self.path = path
        self.max_store_bytes = max_store_bytes
        self.items: dict[str, str] = {}
        self.etag = _etag()
        self.modified = datetime.now(timezone.utc)
        if path is not None and path.exists():
            data = json.loads(path.read_text(encoding="utf-8"))
            self.items = dict(data.get("items", {}))
            self.etag = str(data.get("etag") or self.etag)

    # -- the API (boto3 method names and shapes) -----------------------------------------
    def describe_key_value_store(self, *, KvsARN: str) -> dict[str, Any]:
        self._arn(KvsARN, "DescribeKeyValueStore")
        return {"KvsARN": self.arn, "ETag": self.etag, "ItemCount": len(self.items),
                "TotalSizeInBytes": store_size(self.items), "Status": "READY",
                "Created": self.modified, "LastModified": self.modified}

    def list_keys(self, *, KvsARN: str, NextToken: str | None = None,
                  MaxResults: int = 50) -> dict[str, Any]:
        self._arn(KvsARN, "ListKeys")
        keys = sorted(self.items)
        start = int(NextToken) if NextToken else 0
        page = keys[start:start + MaxResults]
        out: dict[str, Any] = {"Items": [{"Key": k, "Value": self.items[k]} for k in page]}
        if start + MaxResults < len(keys):
            out["NextToken"] = str(start + MaxResults)
        return out

    def get_key(self, *, KvsARN: str, Key: str) -> dict[str, Any]:
        self._arn(KvsARN, "GetKey")
        if Key not in self.items:
            raise _error("ResourceNotFoundException", 404, f"key {Key} not found", "GetKey")
        return {"Key": Key, "Value": self.items[Key], "ItemCount": len(self.items),
                "TotalSizeInBytes": store_size(self.items)}

    def update_keys(self, *, KvsARN: str, IfMatch: str, Puts: list[dict[str, str]] | None = None,
                    Deletes: list[dict[str, str]] | None = None) -> dict[str, Any]:
        op = "UpdateKeys"
        self._arn(KvsARN, op)
        if IfMatch != self.etag:
            raise _error("ConflictException", 409, "the ETag does not match the store's "
                         "current version (another writer came first)", op)
        staged = dict(self.items)
        for put in Puts or ():
            key, value = put["Key"], put["Value"]
            if not 1 <= len(key.encode()) <= MAX_KEY_BYTES:
                raise _error("ValidationException", 400, f"key length must be 1..{MAX_KEY_BYTES} bytes", op)
            if len(value.encode()) > MAX_VALUE_BYTES:
                raise _error("ValidationException", 400,
                             f"value of {key} is over {MAX_VALUE_BYTES} bytes", op)
            staged[key] = value
        for delete in Deletes or ():
            staged.pop(delete["Key"], None)
        size = store_size(staged)
        if size > self.max_store_bytes:
            raise _error("ServiceQuotaExceededException", 402,
                         f"the store would hold {size} bytes, over {self.max_store_bytes}", op)
        self.items = staged
        self.etag = _etag()
        self.modified = datetime.now(timezone.utc)
        self._save()
        return {"ItemCount": len(self.items), "TotalSizeInBytes": size, "ETag": self.etag}

    # -- internals -------------------------------------------------------------------------
    def _arn(self, arn: str, op: str) -> None:
        if arn != self.arn:
            raise _error("ResourceNotFoundException", 404, f"no key value store {arn}", op)

    def _save(self) -> None:
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"arn": self.arn, "etag": self.etag, "items": self.items},
                                  indent=1, sort_keys=True), encoding="utf-8")
        tmp.replace(self.path)


def _etag() -> str:
    return "KV" + secrets.token_hex(8).upper()


def _error(code: str, status: int, message: str, op: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message},
                        "ResponseMetadata": {"HTTPStatusCode": status}}, op)


__all__ = ["DEFAULT_PATH", "FakeKeyValueStore", "LOCAL_ARN"]
