"""What every backend is: a callable from Request to Response, built once."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

from edgeway.context import BuildContext
from edgeway.http import Request, Response


class Backend(Protocol):
    """Calls the upstream for one request.

    ``timeout_s`` is the time this call may take (already cut to the route
    timeout and the Lambda's remaining time). Raises BackendError (502),
    BackendTimeout (504) or ServiceUnavailable (503); never anything foreign.
    """

    name: str

    def __call__(self, request: Request, *, timeout_s: float) -> Response: ...


BackendFactory = Callable[[Mapping[str, Any], BuildContext], Backend]
