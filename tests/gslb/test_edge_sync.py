"""The sync of the edge's decision store: against botocore's model (Stubber) and the one fake."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.stub import Stubber

from edgeway_local.fake_kvs import FakeKeyValueStore
from gslb.edge_export import EdgeDecisions, EdgeStoreTooLarge, export
from gslb.edge_sync import EdgeSyncError, Published, diff, sync
from gslb.engine import build_engine

ROOT = Path(__file__).resolve().parents[2]
ARN = "arn:aws:cloudfront::123456789012:key-value-store/0a1b2c3d-edgeway"


def _decisions(**items: str) -> EdgeDecisions:
    return EdgeDecisions({k.replace("_", ":", 1) if k.startswith(("p4_", "c_")) else k: v
                          for k, v in items.items()}, prefixes=1)


def _client() -> Any:
    # The service signs with SigV4A (awscrt); the Stubber answers before signing, but
    # botocore checks the signer first, so the stubbed client is an unsigned one.
    return boto3.client("cloudfront-keyvaluestore", region_name="us-east-1",
                        config=Config(signature_version=UNSIGNED))


def test_calls_match_the_service_model() -> None:
    client = _client()
    desired = EdgeDecisions({"down": "eu-west-1", "4:198.51.100.0/24": "us-east-1,eu-west-1"}, 1)
    with Stubber(client) as stub:
        stub.add_response("describe_key_value_store", {
            "ItemCount": 2, "TotalSizeInBytes": 60, "KvsARN": ARN, "ETag": "E1",
            "Created": "2026-12-04T00:00:00Z"}, {"KvsARN": ARN})
        stub.add_response("list_keys", {"Items": [
            {"Key": "4:198.51.100.0/24", "Value": "eu-west-1,us-east-1"},
            {"Key": "4:203.0.113.0/24", "Value": "ap-southeast-1"}]},
            {"KvsARN": ARN, "MaxResults": 50})
        stub.add_response("update_keys", {"ItemCount": 2, "TotalSizeInBytes": 58, "ETag": "E2"}, {
            "KvsARN": ARN, "IfMatch": "E1",
            "Puts": [{"Key": "down", "Value": "eu-west-1"},
                     {"Key": "4:198.51.100.0/24", "Value": "us-east-1,eu-west-1"}],
            "Deletes": [{"Key": "4:203.0.113.0/24"}]})
        result = sync(client, ARN, desired)
        stub.assert_no_pending_responses()
    assert result.applied and result.etag == "E2" and result.calls == 1


def test_a_service_error_is_an_edge_sync_error_with_the_cause() -> None:
    client = _client()
    with Stubber(client) as stub:
        stub.add_client_error("describe_key_value_store", "AccessDeniedException", "no", 403)
        with pytest.raises(EdgeSyncError, match="reading the edge decision store") as err:
            sync(client, ARN, _decisions(default="us-east-1"))
    assert err.value.__cause__ is not None


def test_a_second_sync_changes_nothing() -> None:
    store = FakeKeyValueStore(ARN)
    decisions = export(build_engine(ROOT / "gateway.yaml"))
    first = sync(store, ARN, decisions)
    assert first.applied and len(first.changes) == len(decisions.items)
    assert first.calls == -(-len(decisions.items) // 50)
    second = sync(store, ARN, decisions)
    assert second.changes == () and not second.applied
    assert second.unchanged == len(decisions.items)
    assert store.items == dict(decisions.items)


def test_dry_run_shows_the_changes_and_writes_nothing() -> None:
    store = FakeKeyValueStore(ARN)
    sync(store, ARN, _decisions(default="eu-west-1", down=""))
    etag = store.etag
    result = sync(store, ARN, _decisions(default="us-east-1", down="eu-west-1"), dry_run=True)
    assert [(c.key, c.old, c.new) for c in result.changes] == [
        ("down", "", "eu-west-1"), ("default", "eu-west-1", "us-east-1")]
    assert store.etag == etag and store.items["default"] == "eu-west-1"


def test_an_empty_decision_set_keeps_the_last_good_one() -> None:
    store = FakeKeyValueStore(ARN)
    sync(store, ARN, _decisions(default="eu-west-1"))
    result = sync(store, ARN, EdgeDecisions({}, 0))
    assert not result.applied and "empty networks table" in (result.kept_last_good or "")
    assert store.items == {"default": "eu-west-1"}


def test_region_down_goes_first_when_a_change_needs_several_calls() -> None:
    store = FakeKeyValueStore(ARN)
    calls: list[list[str]] = []
    real = store.update_keys

    def recording(**kwargs: Any) -> dict[str, Any]:
        calls.append([p["Key"] for p in kwargs.get("Puts", [])])
        return real(**kwargs)

    store.update_keys = recording  # type: ignore[method-assign]
    items = {f"4:10.0.{i}.0/24": "eu-west-1" for i in range(120)}
    sync(store, ARN, EdgeDecisions({**items, "down": ""}, 120))
    calls.clear()
    moved = {k: "us-east-1" for k in items}
    result = sync(store, ARN, EdgeDecisions({**moved, "down": "eu-west-1"}, 120))
    assert result.calls == 3 and calls[0][0] == "down"


def test_a_concurrent_writer_is_detected_and_the_sync_retries_once() -> None:
    store = FakeKeyValueStore(ARN)
    sync(store, ARN, _decisions(default="eu-west-1"))
    real_describe = store.describe_key_value_store
    raced = []

    def racing_describe(**kwargs: Any) -> dict[str, Any]:
        out = real_describe(**kwargs)
        if not raced:   # another writer lands between our read and our write
            raced.append(True)
            store.update_keys(KvsARN=ARN, IfMatch=store.etag, Puts=[{"Key": "x", "Value": "1"}])
        return out

    store.describe_key_value_store = racing_describe  # type: ignore[method-assign]
    result = sync(store, ARN, _decisions(default="us-east-1"))
    assert result.applied and store.items == {"default": "us-east-1"}


def test_the_store_refusing_its_size_limit_is_reported_as_too_large() -> None:
    store = FakeKeyValueStore(ARN, max_store_bytes=100)
    with pytest.raises(EdgeStoreTooLarge, match="refused the update"):
        sync(store, ARN, EdgeDecisions({f"4:10.0.{i}.0/24": "eu-west-1" for i in range(10)}, 10))
    assert store.items == {}


# -- the fake keeps the service's semantics ------------------------------------------------------
def test_fake_rejects_a_stale_etag_and_writes_nothing() -> None:
    store = FakeKeyValueStore(ARN)
    etag = store.etag
    store.update_keys(KvsARN=ARN, IfMatch=etag, Puts=[{"Key": "a", "Value": "1"}])
    with pytest.raises(Exception) as err:
        store.update_keys(KvsARN=ARN, IfMatch=etag, Puts=[{"Key": "a", "Value": "2"}])
    assert err.value.response["Error"]["Code"] == "ConflictException"  # type: ignore[attr-defined]
    assert store.items == {"a": "1"}


def test_fake_update_is_all_or_nothing() -> None:
    store = FakeKeyValueStore(ARN)
    with pytest.raises(Exception) as err:
        store.update_keys(KvsARN=ARN, IfMatch=store.etag,
                          Puts=[{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "x" * 1025}])
    assert err.value.response["Error"]["Code"] == "ValidationException"  # type: ignore[attr-defined]
    assert store.items == {}


def test_fake_pages_list_keys_and_persists_to_its_file(tmp_path: Path) -> None:
    path = tmp_path / "kvs.json"
    store = FakeKeyValueStore(ARN, path=path)
    store.update_keys(KvsARN=ARN, IfMatch=store.etag,
                      Puts=[{"Key": f"k{i:03}", "Value": str(i)} for i in range(120)])
    page = store.list_keys(KvsARN=ARN, MaxResults=50)
    assert len(page["Items"]) == 50 and page["NextToken"]
    again = FakeKeyValueStore(ARN, path=path)
    assert again.items == store.items and again.etag == store.etag


def test_diff_puts_meta_keys_first_then_deletes() -> None:
    changes = diff({"4:a": "x", "default": "y", "down": "r"}, {"4:b": "z", "down": ""})
    assert [(c.action, c.key) for c in changes] == [
        ("put", "down"), ("put", "default"), ("put", "4:a"), ("delete", "4:b")]


def test_a_scheduled_sync_that_remembers_its_last_publish_calls_nothing_when_nothing_changed() -> None:
    client = _client()
    desired = EdgeDecisions({"default": "eu-west-1", "down": ""}, 1)
    store = FakeKeyValueStore(ARN)
    first = sync(store, ARN, desired)
    assert first.published is not None
    with Stubber(client) as stub:          # no response queued: any call would fail the test
        again = sync(client, ARN, desired, last=first.published)
        stub.assert_no_pending_responses()
    assert again.changes == () and again.published == first.published


def _describe(stub: Stubber, etag: str) -> None:
    """The store's DescribeKeyValueStore answer: two keys, at ``etag``."""
    stub.add_response("describe_key_value_store", {
        "ItemCount": 2, "TotalSizeInBytes": 30, "KvsARN": ARN, "ETag": etag,
        "Created": "2026-12-04T00:00:00Z"}, {"KvsARN": ARN})


def test_with_its_own_etag_in_the_store_the_sync_skips_list_keys() -> None:
    client = _client()
    last = Published("E1", {"default": "eu-west-1", "down": ""})
    with Stubber(client) as stub:
        _describe(stub, "E1")
        stub.add_response("update_keys", {"ItemCount": 2, "TotalSizeInBytes": 30, "ETag": "E2"}, {
            "KvsARN": ARN, "IfMatch": "E1", "Puts": [{"Key": "down", "Value": "eu-west-1"},
                                                     {"Key": "default", "Value": "us-east-1"}]})
        result = sync(client, ARN, EdgeDecisions({"default": "us-east-1", "down": "eu-west-1"}, 1),
                      last=last)
        stub.assert_no_pending_responses()
    assert result.published == Published("E2", {"default": "us-east-1", "down": "eu-west-1"})


def test_the_scheduled_sync_publishes_to_the_edge_as_one_more_publisher() -> None:
    from gslb.edge_sync import EdgeStorePublisher

    store = FakeKeyValueStore(ARN)
    publisher = EdgeStorePublisher(store, ARN)
    engine = build_engine(ROOT / "gateway.yaml")
    first = publisher.publish(engine, dry_run=False)
    assert first["applied"] and first["changes"] == len(store.items)
    calls: list[str] = []
    store.describe_key_value_store = lambda **kw: calls.append("describe")  # type: ignore[method-assign]
    again = publisher.publish(engine, dry_run=False)
    assert again["changes"] == 0 and calls == []          # unchanged: not a single API call
    broken = EdgeStorePublisher(FakeKeyValueStore("arn:other"), ARN)
    assert "error" in broken.publish(engine, dry_run=False)


def test_when_another_writer_moved_the_etag_the_sync_reads_the_keys_after_one_describe() -> None:
    client = _client()
    last = Published("E1", {"default": "eu-west-1", "down": ""})
    with Stubber(client) as stub:
        _describe(stub, "E9")
        stub.add_response("list_keys", {"Items": [{"Key": "default", "Value": "us-east-1"},
                                                  {"Key": "down", "Value": ""}]},
                          {"KvsARN": ARN, "MaxResults": 50})
        stub.add_response("update_keys", {"ItemCount": 2, "TotalSizeInBytes": 30, "ETag": "E10"}, {
            "KvsARN": ARN, "IfMatch": "E9", "Puts": [{"Key": "default", "Value": "ap-southeast-1"}]})
        result = sync(client, ARN, EdgeDecisions({"default": "ap-southeast-1", "down": ""}, 1),
                      last=last)
        stub.assert_no_pending_responses()
    assert result.applied and result.etag == "E10" and result.unchanged == 1
