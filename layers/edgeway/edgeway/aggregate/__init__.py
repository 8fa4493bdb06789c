"""Composite routes: several backend calls in one budget, merged, partial results visible."""

from __future__ import annotations

from edgeway.aggregate.backend import AggregateBackend, AggregateSpec
from edgeway.aggregate.merge import MERGE_MODES
from edgeway.aggregate.outcome import PartError, PartFailure

__all__ = ["MERGE_MODES", "AggregateBackend", "AggregateSpec", "PartError", "PartFailure"]
