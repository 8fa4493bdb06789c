"""How a part ended. Failures are values here, never lost exceptions."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any


class PartFailure(enum.Enum):
    TIMEOUT = "timeout"            # no answer within the part's time budget
    STATUS = "status"              # answered, with a non-2xx status
    INVALID_JSON = "invalid_json"  # answered a body that is not JSON
    TOO_LARGE = "too_large"        # answered more than the part's size limit
    UNAVAILABLE = "unavailable"    # throttled, or its circuit is open
    ERROR = "error"                # the call itself failed (invoke error, bad template value)
    SKIPPED = "skipped"            # not called: a part it depends on failed


@dataclass(frozen=True, slots=True)
class PartError:
    """Why one part of an aggregate failed, as the response's errors list reports it."""
    part: str
    reason: PartFailure
    detail: str
    required: bool
    status: int | None = None  # the backend's status, for STATUS

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"part": self.part, "reason": self.reason.value,
                               "detail": self.detail, "required": self.required}
        if self.status is not None:
            out["status"] = self.status
        return out
