"""CacheStage: answer from the cache, or call the backend once and store.

Sits after the rate limit (a cached answer still counts against the quota) and
before transforms and dispatch (what is stored is the transformed response, so
a hit skips both). Per request on a cached route::

    unsafe method            -> BYPASS (backend)
    client no-cache (if the route honours it) -> BYPASS (backend, then stored)
    layer 1, then layer 2    -> FRESH: HIT | STALE: STALE + one background refresh
    nothing usable           -> MISS: one backend call per key per container
                                (concurrent requests for the key wait for it)

The CacheTable failing never fails a request: it is logged and counted
(``CacheUnavailable`` metric), the request is served from the backend, and after
a few failures in a row the table is left alone for a while (a circuit breaker)
so that a dead table does not add its timeout to every request.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from edgeway import workers
from edgeway.cache.dynamo import DynamoCacheStore
from edgeway.cache.entry import CacheEntry, CacheStatus, Freshness
from edgeway.cache.memory import DEFAULT_MAX_BYTES, MemoryLRU
from edgeway.cache.policy import CACHEABLE_METHODS, CachePolicy
from edgeway.context import BuildContext, Handler
from edgeway.errors import CacheUnavailable, CircuitOpen, HttpError
from edgeway.http import Request, Response
from edgeway.observability import background_context, bound
from edgeway.resilience.circuit import CircuitBreaker, CircuitConfig
from edgeway.routing import canonical_path

if TYPE_CHECKING:
    from edgeway.config import GatewayConfig

T = TypeVar("T")

# The table is skipped for this long after this many failures in a row.
STORE_CIRCUIT = CircuitConfig(consecutive_failures=3, open_s=30.0)
# Layer-2 calls are on the request path: a slow table must not eat the route budget.
STORE_READ_TIMEOUT_S = 1.0


@dataclass(frozen=True, slots=True)
class CachePlan:
    """The compiled ``cache`` section and every cached route's policy, by route id."""
    policies: Mapping[str, CachePolicy]
    dynamodb: bool
    memory_max_bytes: int
    purge_check_s: float | None


def compile(config: GatewayConfig) -> CachePlan:
    policies = {rc.id: CachePolicy.from_spec(rc.id, rc.spec["cache"])
                for rc in config.routes if rc.spec.get("cache")}
    for rc in config.routes:
        if rc.id in policies and not rc.methods & {"GET", "HEAD", "ANY"}:
            raise config.error(["routes", rc.index, "cache"],
                               "only GET and HEAD responses are cached; this route allows "
                               + ", ".join(sorted(rc.methods)))
    settings = config.section("cache") or {}
    return CachePlan(policies, dynamodb=settings.get("dynamodb", True),
                     memory_max_bytes=settings.get("memory_max_bytes", DEFAULT_MAX_BYTES),
                     purge_check_s=settings.get("purge_check_s"))  # the schema's types


def build(app: Handler, ctx: BuildContext) -> Handler:
    plan = ctx.config.spec("cache", CachePlan)
    if plan is None or not plan.policies:
        return app
    store = None
    if ctx.settings.cache_table and plan.dynamodb:
        client = ctx.clients.get("dynamodb", read_timeout=STORE_READ_TIMEOUT_S)
        store = DynamoCacheStore(client, ctx.settings.cache_table)
    return CacheStage(app, plan, store=store, clock=ctx.clock, obs=ctx.obs)


class SingleFlight:
    """Request coalescing: one backend call per cold key per container.

    The first request for a key becomes the leader and calls the backend; requests
    for the same key that arrive meanwhile wait for the leader's result instead of
    calling the backend too (a thundering herd on a cold or just-expired key).
    """

    def __init__(self) -> None:
        self._calls: dict[str, Future[Any]] = {}
        self._lock = threading.Lock()

    def join(self, key: str) -> tuple[bool, Future[Any]]:
        """(True, call) for the leader, (False, call) for a follower."""
        with self._lock:
            call = self._calls.get(key)
            if call is not None:
                return False, call
            call = self._calls[key] = Future()
            return True, call

    def finish(self, key: str, call: Future[Any], *, value: Any = None,
               error: BaseException | None = None) -> None:
        with self._lock:
            if self._calls.get(key) is call:
                del self._calls[key]
        if error is not None:
            call.set_exception(error)
        else:
            call.set_result(value)


class CacheStage:
    def __init__(self, app: Handler, plan: CachePlan, *, store: DynamoCacheStore | None,
                 clock: Callable[[], float], obs: Any = None) -> None:
        self.app = app
        self.policies = plan.policies
        self.purge_check_s = plan.purge_check_s
        self.memory = MemoryLRU(plan.memory_max_bytes)
        self.store = store
        self.clock = clock
        self.obs = obs
        self.store_breaker = CircuitBreaker(STORE_CIRCUIT, clock)
        self.flight = SingleFlight()
        self.refreshing: set[str] = set()
        self._refresh_lock = threading.Lock()
        self._generations: dict[str, tuple[float, int]] = {}  # route -> (read at, generation)

    def __call__(self, request: Request) -> Response:
        route = request.route
        policy = self.policies.get(route.id) if route is not None else None
        if policy is None:
            return self.app(request)
        if request.method not in CACHEABLE_METHODS:
            return _mark(self.app(request), CacheStatus.BYPASS)
        now = self.clock()
        key = policy.key(request, self._generation(policy.route_id, now))
        bypass, no_store = policy.client_bypass(request)
        if bypass:
            response = self.app(request)
            if not no_store:
                self._store(policy, key, request, response)
            return _mark(response, CacheStatus.BYPASS)
        entry = self._lookup(policy, key, now)
        if entry is not None:
            freshness = entry.freshness(now)
            if freshness is Freshness.FRESH:
                return entry.response(now, CacheStatus.HIT)
            if freshness is Freshness.STALE:
                self._refresh(policy, key, request)
                return entry.response(now, CacheStatus.STALE)
        return self._fill(policy, key, request)

    def _generation(self, route_id: str, now: float) -> int:
        """The route's purge generation (part of every key), re-read every purge_check_s.

        ``edgeway cache purge`` bumps it, so within purge_check_s every container
        computes new keys and the purged entries in its memory are never read again
        (the LRU evicts them). Off (always 0) unless ``cache.purge_check_s`` is set.
        """
        if self.purge_check_s is None or self.store is None:
            return 0
        known = self._generations.get(route_id)
        if known is not None and now - known[0] < self.purge_check_s:
            return known[1]
        generation = self._store_call(self.store.generation, route_id)
        if generation is None:  # table unavailable: keep what we knew
            generation = known[1] if known is not None else 0
        self._generations[route_id] = (now, generation)
        return generation

    def _lookup(self, policy: CachePolicy, key: str, now: float) -> CacheEntry | None:
        entry: CacheEntry | None = self.memory.get(key)
        if entry is not None and entry.freshness(now) is not Freshness.EXPIRED:
            return entry
        if self.store is None:
            return None
        entry = self._store_call(self.store.get, policy.route_id, key, now)
        if entry is not None:
            self.memory.put(key, entry)
        return entry

    def _store(self, policy: CachePolicy, key: str, request: Request,
               response: Response) -> CacheEntry | None:
        ttl = policy.store_ttl(response)
        if ttl is None:
            return None
        entry = CacheEntry(status=response.status, headers=policy.stored_headers(response),
                           body=response.body, stored_at=self.clock(), ttl_s=ttl,
                           swr_s=policy.swr_s, path=canonical_path(request.path))
        self.memory.put(key, entry)
        if self.store is not None:
            if self.store.fits(entry):
                self._store_call(self.store.put, policy.route_id, key, entry)
            elif self.obs is not None:
                self.obs.count("CacheItemTooLarge", dimensions={"route": policy.route_id})
        return entry

    def _store_call(self, call: Callable[..., T], *args: Any) -> T | None:
        try:
            self.store_breaker.acquire()
        except CircuitOpen:
            return None
        try:
            result = call(*args)
        except CacheUnavailable as exc:
            self.store_breaker.record(failure=True)
            if self.obs is not None:
                self.obs.count("CacheUnavailable")
                self.obs.warning("cache table unavailable; serving uncached", error=str(exc))
            return None
        self.store_breaker.record(failure=False)
        return result

    def _fill(self, policy: CachePolicy, key: str, request: Request) -> Response:
        leader, call = self.flight.join(key)
        if not leader:
            try:  # the leader's backend failure is everyone's; the route's timeout at most
                wait_s = getattr(request.route, "timeout_ms", 10_000) / 1000
                shared: CacheEntry | None = call.result(wait_s)
            except TimeoutError:
                shared = None
            if shared is not None:
                return shared.response(self.clock(), CacheStatus.MISS)
            # Not shareable (a cookie, no-store...) or the leader is late: ask ourselves.
            return _mark(self.app(request), CacheStatus.MISS)
        try:
            response = self.app(request)
        except BaseException as exc:
            # A backend failure (HttpError) is everyone's; after anything else each asks itself.
            self.flight.finish(key, call, error=exc if isinstance(exc, HttpError) else None)
            raise
        entry = None
        try:
            entry = self._store(policy, key, request, response)
        finally:
            self.flight.finish(key, call, value=entry)
        return _mark(response, CacheStatus.MISS)

    def _refresh(self, policy: CachePolicy, key: str, request: Request) -> None:
        with self._refresh_lock:
            if key in self.refreshing:
                return  # one refresh per stale key at a time
            self.refreshing.add(key)
        # Off the invocation's clock and under an id of its own: the refresh may outlive the
        # request that started it (in Lambda it resumes when the container thaws for the
        # next invocation), and must not log under that one's id.
        context = background_context("refresh", parent=request.request_id)
        detached = request.evolve(lambda_context=None,
                                  request_id=context.run(bound)["request_id"])

        def refresh() -> None:
            try:
                self._store(policy, key, detached, self.app(detached))
            except Exception as exc:  # a failed refresh leaves the stale entry in place
                if self.obs is not None:
                    self.obs.warning("cache refresh failed", error=type(exc).__name__)
            finally:
                self.refreshing.discard(key)

        workers.pool().submit(context.run, refresh)


def _mark(response: Response, status: CacheStatus) -> Response:
    response.headers["x-cache"] = status.value
    return response

