"""AWS clients, created once per container and shared by every stage.

Clients are made lazily on first use (a route that never calls Lambda never
pays for a Lambda client) and then kept for the life of the container. botocore
clients are thread-safe, so fan-out threads share them.

They come from botocore directly, from one botocore session per container: a
boto3 low-level client is this same object, and importing boto3 (its resource
layer and s3transfer, which pulls in multiprocessing) would cost about a sixth
of a cold start for nothing the gateway uses.
"""

from __future__ import annotations

import threading
from typing import Any


class Clients:
    def __init__(self, region: str, session: Any = None) -> None:
        self.region = region
        self._session = session  # a botocore session; tests pass one to hook its events
        self._clients: dict[tuple[str, float | None, str, int], Any] = {}
        self._lock = threading.Lock()

    def get(self, service: str, *, read_timeout: float | None = None,
            region: str | None = None, attempts: int = 1) -> Any:
        """The client for ``service`` (in ``region``, default this container's region).

        ``attempts`` counts the first try. A request path keeps the default, 1:
        retries there are the gateway's policy (budgeted, idempotent only), not
        botocore's. A scheduled job that no client waits for may let botocore retry.
        """
        key = (service, read_timeout, region or self.region, attempts)
        client = self._clients.get(key)
        if client is None:
            with self._lock:
                client = self._clients.get(key)
                if client is None:
                    client = self._clients[key] = self._create(service, read_timeout, key[2],
                                                               attempts)
        return client

    def _create(self, service: str, read_timeout: float | None, region: str,
                attempts: int = 1) -> Any:
        import botocore.session
        from botocore.config import Config

        config = Config(
            connect_timeout=2,
            read_timeout=read_timeout or 30,
            # total_max_attempts counts the first try; botocore's max_attempts counts retries
            # only, so max_attempts=1 would still send a failed write twice.
            retries={"total_max_attempts": attempts, "mode": "standard"},
            max_pool_connections=32,
        )
        if self._session is None:  # under the lock: a session is not thread-safe to build
            self._session = botocore.session.get_session()
        return self._session.create_client(service, region_name=region, config=config)
