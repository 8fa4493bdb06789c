"""What every publisher of the Engine's decisions shares (Route 53 CIDR and geolocation
records, the edge's KeyValueStore): the seam the scheduled sync calls, the diff of a
desired state against the live one, the pages of a list call, and the retry of a call
the service refused for now. Each publisher keeps its own plan, its own read of the
live state and its own rule for an empty set."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Mapping
from typing import Any, Protocol, TypeVar

from botocore.exceptions import BotoCoreError, ClientError

from edgeway.errors import aws_error_code

K = TypeVar("K", str, tuple[str, str, str])     # a key orders the changes sent
T = TypeVar("T")


class Publisher(Protocol):
    """Something the scheduled sync keeps in step with the Engine's decisions."""

    name: str

    def publish(self, engine: Any, *, dry_run: bool) -> Mapping[str, Any]: ...


def changed(desired: Mapping[K, object], live: Mapping[K, object]) -> tuple[list[K], list[K]]:
    """(keys to write: missing or different, keys to delete: live but not desired), sorted."""
    return (sorted(k for k, v in desired.items() if live.get(k) != v),
            sorted(k for k in live if k not in desired))


def with_retries(call: Callable[[], T], codes: Collection[str], *, attempts: int,
                 pause: Callable[[int], object]) -> T:
    """``call()``, made again after ``pause(attempt)`` while it fails with one of the AWS
    error ``codes``, ``attempts`` times in all; the last failure is raised as it came."""
    for attempt in range(attempts - 1):
        try:
            return call()
        except (ClientError, BotoCoreError) as exc:
            if aws_error_code(exc) not in codes:
                raise
        pause(attempt)
    return call()


def pages(call: Callable[..., Mapping[str, Any]], **kwargs: Any) -> Iterator[Mapping[str, Any]]:
    """Every page of an AWS list call paged by ``NextToken``, fetched as they are read."""
    while True:
        page = call(**kwargs)
        yield page
        if not page.get("NextToken"):
            return
        kwargs["NextToken"] = page["NextToken"]
