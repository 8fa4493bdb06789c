"""The innermost handler: call the route's backend within its time budget."""

from __future__ import annotations

from edgeway.backends import Backend
from edgeway.context import BuildContext
from edgeway.errors import BackendTimeout
from edgeway.http import Request, Response, routed

# Time kept back from the Lambda's remaining time to turn a late backend into a
# clean 504 instead of being killed by the Lambda timeout mid-answer.
ANSWER_MARGIN_MS = 250


class Dispatch:
    def __init__(self, ctx: BuildContext) -> None:
        # Every route's backend, wired to its clients once (the build).
        self.backends: dict[str, Backend] = {rc.id: rc.backend.build(ctx)
                                             for rc in ctx.config.routes}

    def __call__(self, request: Request) -> Response:
        route = routed(request)
        timeout_s = min(route.timeout_ms, request.remaining_ms() - ANSWER_MARGIN_MS) / 1000
        if timeout_s <= 0:
            raise BackendTimeout("no time left in this invocation to call the backend")
        return self.backends[route.id](request, timeout_s=timeout_s)
