"""Fixtures of the gateway tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def aws(fake_aws: None) -> None:
    """moto in-process behind every AWS call the gateway makes (tests/conftest.py ``fake_aws``)."""
