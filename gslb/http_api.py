"""The GSLB over HTTP: ``GET /gslb/resolve`` and ``POST /gslb/observations``.

Pure request -> response functions around an Engine; the Lambda handler
(functions/gslb_resolver/app.py) only builds the objects once per container
and serves ``GslbHttpApi.handle`` through the one edge (``edgeway.edge.Edge``).

    GET  /gslb/resolve[?ip=ADDRESS]   the decision for ADDRESS (default: the caller)
    GET  /gslb/resolve?ip=A&via=route53   what Route 53 CIDR routing answers A under the
                                      current plan (gslb.route53_plan)
    POST /gslb/observations           {"observations": [{"client", "region", "rtt_ms"[, "at"]}]}

The edge gives every response ``x-request-id`` and ``x-edgeway-region`` and
renders every error as application/problem+json (RFC 9457) with ``instance`` =
the request id.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from edgeway.errors import (BadRequest, MethodNotAllowed, NotFound, PayloadTooLarge,
                            UnsupportedMediaType, ValidationFailed)
from edgeway.http import Request, Response
from edgeway.observability import bind
from gslb.engine import Decision, Engine, decision_as_dict
from gslb.networks import IPAddress, parse_address
from gslb.observations import parse_observation

if TYPE_CHECKING:
    from gslb.store import GslbStore

log = logging.getLogger(__name__)

MAX_BODY = 1 << 20              # bytes; a batch of observations, not a data set upload
MAX_OBSERVATIONS = 5_000        # per request
FIELDS = ("client", "region", "rtt_ms", "at")  # of one observation
ROUTES = {"/gslb/resolve": ("GET", "HEAD"), "/gslb/observations": ("POST",)}


class StateFeed:
    """Keeps a container's Engine in step with the GslbTable, re-reading at most
    every ``health_every_s`` (health) and ``observations_every_s`` (latency).

    Health is re-read every second: the failover target is fall x interval + 1 s
    (5 s in the demo), and a longer cache would add its whole length to it; three
    small DynamoDB queries a second per warm container is a fair price.

    A failing read is logged and the last known state kept: a resolver that
    cannot reach the table still answers.
    """

    def __init__(self, engine: Engine, store: GslbStore, *, health_every_s: float = 1.0,
                 observations_every_s: float = 60.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        regions = engine.config.region_names
        self._reads: list[tuple[Callable[[], object], float]] = [
            (lambda: engine.load_health(store.read_health(regions, now=time.time())),
             health_every_s),
            (lambda: engine.ingest(store.read_observations(now=time.time())), observations_every_s)]
        self._next = [0.0, 0.0]
        self.clock = clock

    def refresh(self) -> None:
        now = self.clock()
        for i, (read, every) in enumerate(self._reads):
            if now < self._next[i]:
                continue
            self._next[i] = now + every
            try:
                read()
            except Exception:  # noqa: BLE001 - keep answering from the last known state
                log.exception("GSLB state refresh failed; answering from the last known state")


@dataclass
class GslbHttpApi:
    engine: Engine
    feed: StateFeed | None = None
    store: GslbStore | None = None
    _plan: tuple[int, Any] | None = field(default=None, init=False, repr=False)

    def handle(self, request: Request) -> Response:
        path = request.path.rstrip("/") or "/"
        allowed = ROUTES.get(path)
        if allowed is None:
            raise NotFound(f"no GSLB route {request.path}")
        bind(route=path)
        if request.method not in allowed:
            raise MethodNotAllowed(list(allowed))
        if path == "/gslb/resolve":
            return self.resolve(request)
        return self.observations(request)

    # -- GET /gslb/resolve ------------------------------------------------------------------

    def resolve(self, request: Request) -> Response:
        values = request.query.get("ip")
        if values is not None and len(values) != 1:
            raise BadRequest("give the ip parameter once")
        text = (values[0] if values else request.source_ip).strip()
        try:
            client = parse_address(text)      # ::ffff:a.b.c.d is the IPv4 client a.b.c.d
        except ValueError:
            what = "the ip parameter" if values else "the caller's source address"
            raise BadRequest(f"{what} is not an IPv4 or IPv6 address: {text[:64]!r}") from None
        via = request.query.get("via")
        if via is not None and list(via) != ["route53"]:
            raise BadRequest("via may only be route53")
        if self.feed is not None:
            self.feed.refresh()
        decision = self.engine.resolve(client)
        # The answer depends on who asks when ip= is absent: never a shared cache.
        scope = "public" if values else "private"
        cache = {"cache-control": f"{scope}, max-age={int(decision.ttl)}"}
        if via is not None:
            return Response.json(self._via_route53(client, decision), headers=cache)
        body = {**decision_as_dict(decision), "client": str(client)}
        response = Response.json(body, headers=cache)
        if request.method == "HEAD":
            response.body = b""
        return response

    def _via_route53(self, client: IPAddress, decision: Decision) -> dict[str, Any]:
        from gslb.route53_plan import plan

        generation = self.engine.generation
        if self._plan is None or self._plan[0] != generation:
            self._plan = (generation, plan(self.engine))     # one plan per Engine state
        answer = self._plan[1].answer(client)
        return {"via": "route53", "client": str(client), "location": answer.location,
                "region": answer.region, "engine_region": decision.region.name,
                "blocks": {r: len(b) for r, b in self._plan[1].locations.items()}}

    # -- POST /gslb/observations ------------------------------------------------------------

    def observations(self, request: Request) -> Response:
        media = (request.header("content-type") or "").split(";")[0].strip().lower()
        if media != "application/json" and not media.endswith("+json"):
            raise UnsupportedMediaType("send the observations as application/json")
        if len(request.body) > MAX_BODY:
            raise PayloadTooLarge(f"body over {MAX_BODY} bytes; send smaller batches")
        try:
            payload = json.loads(request.body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise BadRequest(f"body is not JSON: {exc}") from None
        items = payload.get("observations") if isinstance(payload, dict) else None
        if not isinstance(items, list) or not items:
            raise ValidationFailed([{"pointer": "/observations",
                                     "detail": "must be a non-empty array"}])
        if len(items) > MAX_OBSERVATIONS:
            raise PayloadTooLarge(f"{len(items)} observations; at most {MAX_OBSERVATIONS} per request")
        regions = {r.name for r in self.engine.config.regions}
        accepted, errors = [], []
        for i, item in enumerate(items):
            pointer = f"/observations/{i}"
            if not isinstance(item, dict):
                errors.append({"pointer": pointer, "detail": "must be an object"})
                continue
            unknown = sorted(set(item) - set(FIELDS))
            if unknown:
                errors.append({"pointer": f"{pointer}/{unknown[0]}", "detail": "unknown field"})
                continue
            try:
                observation = parse_observation(*(item.get(name) for name in FIELDS))
            except ValueError as exc:
                field = next((f for f in FIELDS if str(exc).startswith(f)), "")
                errors.append({"pointer": f"{pointer}/{field}", "detail": str(exc)})
                continue
            if observation.region not in regions:
                errors.append({"pointer": f"{pointer}/region",
                               "detail": f"unknown region {observation.region!r}; "
                                         f"one of {', '.join(sorted(regions))}"})
                continue
            accepted.append(observation)
        if errors:
            # All or nothing: a client fixing its batch must not double-send the good half.
            raise ValidationFailed(errors, f"{len(errors)} of {len(items)} observations are invalid")
        if self.store is not None:
            self.store.put_observations(accepted, now=time.time(),
                                        max_age_s=self.engine.config.observations.max_age_s)
        self.engine.ingest(accepted)          # this container sees them at once
        return Response.json({"accepted": len(accepted), "stored": self.store is not None},
                             status=202)

