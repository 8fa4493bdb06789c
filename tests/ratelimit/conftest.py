"""Fixtures of the rate-limit tests (tests/ratelimit_support.py): a moto server per
session, a fresh counters table per test, a stub Lambda backend."""

from __future__ import annotations

from tests.ratelimit_support import moto, moto_server, stub_backend  # noqa: F401
