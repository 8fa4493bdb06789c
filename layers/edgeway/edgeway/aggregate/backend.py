"""``AggregateBackend``: run the parts concurrently within one time budget, merge.

Budget: the Dispatch hands us ``timeout_s`` (route timeout cut to the Lambda's
remaining time minus its answer margin). We keep ``MERGE_MARGIN_S`` of it to
merge and answer; each part gets ``min(its timeout_ms, what is left)`` from the
moment it starts, so a dependent step never runs past the route's deadline.

A part that does not answer in its budget is declared timed out and the
aggregate answers without it; its worker thread is abandoned to the part's own
client timeout (the pool is bounded, see ``edgeway.workers``).

Outcome: all parts fine -> 200, ``x-edgeway-complete: true``. An optional part
failed -> 200, ``x-edgeway-complete: false``, ``errors`` in the body, and
``cache-control: no-store`` (a partial answer must not be cached). A required
part failed -> 504 if every required failure is a timeout, 404 if the required
part answered 404, else 502; the problem+json lists ``errors`` and the parts that
did succeed.
"""

from __future__ import annotations

import dataclasses
import json
import math
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, wait
from typing import Any, Literal
from urllib.parse import parse_qs

from edgeway import workers
from edgeway.backends import MAX_RESPONSE_BYTES, Site
from edgeway.context import BuildContext
from edgeway.aggregate.spec import Part, PartError, PartFailure, compile_parts
from edgeway.aggregate.templates import MissingValue
from edgeway.errors import BackendError, BackendTimeout, HttpError, NotFound, ServiceUnavailable
from edgeway.http import Request, Response

MERGE_MARGIN_S = 0.05
# Not forwarded to parts: they describe the client's connection or body, not the part call.
_DROP_HEADERS = frozenset({"content-length", "content-type", "content-encoding", "transfer-encoding",
                           "connection", "host", "expect"})


class AggregateBackend:
    """``type: aggregate``: the parts compiled (templates, order); each part's backend is
    its compiled spec until ``build`` makes an aggregate of the built backends."""

    def __init__(self, parts: tuple[Part, ...], *, mode: Literal["keyed", "deep"], obs: Any = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.parts = parts
        self.mode = mode
        self.name = "aggregate:" + ",".join(p.name for p in parts)
        self.obs = obs
        self.clock = clock

    @classmethod
    def compile(cls, raw: Mapping[str, Any], site: Site) -> AggregateBackend:
        return cls(compile_parts(raw, site), mode=raw.get("merge", "keyed"))

    def build(self, ctx: BuildContext) -> AggregateBackend:
        parts = tuple(dataclasses.replace(p, backend=p.backend.build(ctx)) for p in self.parts)
        return AggregateBackend(parts, mode=self.mode, obs=ctx.obs)

    def __call__(self, request: Request, *, timeout_s: float) -> Response:
        deadline = self.clock() + max(0.0, timeout_s - MERGE_MARGIN_S)
        bodies: dict[str, Any] = {}
        errors: dict[str, PartError] = {}
        running: dict[Future[Response], tuple[Part, float]] = {}
        waiting = list(self.parts)

        def start(part: Part) -> None:
            now = self.clock()
            budget = min(deadline - now, part.timeout_s or math.inf)
            if budget <= 0:
                errors[part.name] = part.fail(PartFailure.TIMEOUT,
                                              "no time left in the route's budget")
                return
            try:
                sub = self._sub_request(part, request, bodies)
            except MissingValue as exc:
                errors[part.name] = part.fail(PartFailure.ERROR, str(exc))
                return
            running[workers.submit(part.backend, sub, timeout_s=budget)] = (part, now + budget)

        def launch_ready() -> None:
            # To a fixed point: a part that fails at start may release its dependants.
            while ready := [p for p in waiting if any(dep in errors for dep in p.after)
                            or all(dep in bodies for dep in p.after)]:
                for part in ready:
                    waiting.remove(part)
                    failed = next((dep for dep in part.after if dep in errors), None)
                    if failed is not None:
                        errors[part.name] = part.fail(PartFailure.SKIPPED,
                                                      f"not called: part {failed!r} failed")
                    else:
                        start(part)

        launch_ready()
        # Fail fast: once a required part has failed the answer is an error whatever the
        # others do, so nobody waits for them (they finish on the pool, unread).
        while running and not any(e.required for e in errors.values()):
            now = self.clock()
            next_deadline = min(d for _, d in running.values())
            done, _ = wait(list(running), timeout=max(0.0, next_deadline - now),
                           return_when=FIRST_COMPLETED)
            for future in done:
                part, _ = running.pop(future)
                outcome = self._classify(part, future)
                if isinstance(outcome, PartError):
                    errors[part.name] = outcome
                else:
                    bodies[part.name] = outcome
            now = self.clock()
            for future, (part, part_deadline) in list(running.items()):
                if now >= part_deadline and not future.done():
                    running.pop(future)
                    future.cancel()  # only helps if it has not started yet
                    errors[part.name] = part.fail(PartFailure.TIMEOUT,
                                                  "no answer within its time budget")
            launch_ready()
        return self._answer(bodies, errors)

    def _sub_request(self, part: Part, request: Request, bodies: Mapping[str, Any]) -> Request:
        target = part.path.render(request, bodies)
        path, _, raw_query = target.partition("?")
        query = {k: tuple(v) for k, v in parse_qs(raw_query, keep_blank_values=True).items()}
        headers = {k: v for k, v in request.headers.items() if k not in _DROP_HEADERS}
        for name, template in part.headers:
            headers[name] = template.render(request, bodies)
        return request.evolve(method=part.method, path=path, raw_query=raw_query, query=query,
                              headers=headers, body=b"", route=part.route, path_params={})

    def _answer(self, bodies: dict[str, Any], errors: dict[str, PartError]) -> Response:
        ordered_errors = [errors[p.name] for p in self.parts if p.name in errors]
        problems = [e.as_json() for e in ordered_errors]
        required = [e for e in ordered_errors if e.required]
        if required:
            ext = {"errors": problems, "parts": [p.name for p in self.parts if p.name in bodies]}
            names = ", ".join(e.part for e in required)
            if all(e.reason is PartFailure.TIMEOUT for e in required):
                raise BackendTimeout(f"required part(s) timed out: {names}", extensions=ext)
            if any(e.status == 404 for e in required):
                raise NotFound(f"required part(s) not found: {names}", extensions=ext)
            raise BackendError(f"required part(s) failed: {names}", extensions=ext)
        body = merge(self.mode, [(p.name, bodies[p.name]) for p in self.parts if p.name in bodies])
        headers = {"x-edgeway-complete": "false" if problems else "true"}
        if problems:
            body["errors"] = problems
            headers["cache-control"] = "no-store"
            if self.obs is not None:
                for e in ordered_errors:
                    self.obs.count("AggregatePartFailed", dimensions={"reason": e.reason.value})
        response = Response.json(body, headers=headers)
        if len(response.body) > MAX_RESPONSE_BYTES:
            raise BackendError("the merged response is larger than 6 MB",
                               extensions={"errors": problems, "parts": sorted(bodies)})
        return response

    def _classify(self, part: Part, future: Future[Response]) -> Any:
        """The part's JSON body, or a PartError saying why there is none."""
        error = future.exception()
        if isinstance(error, BackendTimeout):
            return part.fail(PartFailure.TIMEOUT, error.detail)
        if isinstance(error, ServiceUnavailable):
            return part.fail(PartFailure.UNAVAILABLE, error.detail)
        if isinstance(error, HttpError):
            return part.fail(PartFailure.ERROR, error.detail)
        if error is not None:
            # No internal name leaves the gateway: the type is logged, not answered.
            if self.obs is not None:
                self.obs.warning("aggregate part raised", part=part.name,
                                 error=type(error).__name__)
            return part.fail(PartFailure.ERROR, "the backend call failed")
        response = future.result()
        if len(response.body) > part.max_bytes:
            return part.fail(PartFailure.TOO_LARGE, f"answered {len(response.body)} bytes "
                             f"(limit {part.max_bytes})")
        if not 200 <= response.status < 300:
            return part.fail(PartFailure.STATUS, f"answered status {response.status}",
                             response.status)
        if not response.body:
            return None
        try:
            return json.loads(response.body)
        except ValueError:
            return part.fail(PartFailure.INVALID_JSON, "answered a body that is not valid JSON")


def merge(mode: Literal["keyed", "deep"], parts: Sequence[tuple[str, Any]]) -> dict[str, Any]:
    """The part bodies as one, in declared order.

    ``keyed``  ``{"user": <user body>, "orders": <orders body>}``: no part can clobber another.
    ``deep``   objects merged recursively in part order; on a conflict between two
               non-objects the later part wins (lists are replaced, not concatenated,
               so a merge never duplicates items). A part whose body is not an object
               is placed under its own name.
    """
    if mode == "keyed":
        return dict(parts)
    out: dict[str, Any] = {}
    for name, body in parts:
        _merge_into(out, body if isinstance(body, Mapping) else {name: body})
    return out


def _merge_into(target: dict[str, Any], source: Mapping[str, Any]) -> None:
    # In place: the bodies are this call's own, fresh from json.loads, and read no more.
    for key, value in source.items():
        current = target.get(key)
        if isinstance(current, dict) and isinstance(value, Mapping):
            _merge_into(current, value)
        else:
            target[key] = value
