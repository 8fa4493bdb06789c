"""The one exception tree: every error class of the layer and gslb joins it."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import edgeway
import gslb
from edgeway.errors import (CircuitOpen, ConfigError, CounterUnavailable, EdgewayError, HttpError,
                            InternalError, ServiceUnavailable, Unavailable, http_error)


def _modules():
    for package in (edgeway, gslb):
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            if "._schema_" not in info.name:  # the generated validator and its runtime
                yield importlib.import_module(info.name)


def test_every_exception_class_in_the_layer_and_gslb_joins_the_tree() -> None:
    found = {}
    for module in _modules():
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, BaseException) and cls.__module__ == module.__name__:
                found[f"{module.__name__}.{name}"] = cls
    assert "edgeway.errors.CounterUnavailable" in found and len(found) > 25
    outside = sorted(name for name, cls in found.items() if not issubclass(cls, EdgewayError))
    assert outside == []


def test_the_http_mapping_of_whatever_reaches_the_edge() -> None:
    refused = ServiceUnavailable("down")
    assert http_error(refused) is refused
    unavailable = http_error(CounterUnavailable("timeout", "ReadTimeout", maybe_applied=True))
    assert unavailable.status == 503 and unavailable.headers == {"retry-after": "1"}
    assert http_error(CircuitOpen(7)).headers == {"retry-after": "7"}
    for unexpected in (KeyError("x"), ConfigError("late"), RuntimeError("boom")):
        answer = http_error(unexpected)
        assert isinstance(answer, InternalError) and answer.status == 500
        assert "boom" not in answer.detail and "late" not in answer.detail
    assert issubclass(CircuitOpen, Unavailable) and not issubclass(Unavailable, HttpError)
