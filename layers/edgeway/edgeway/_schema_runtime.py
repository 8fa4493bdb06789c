"""What the generated config validator (``_schema_validator.py``) needs at run time.

fastjsonschema's generated code imports its exception classes from the
fastjsonschema package, whose import also loads every draft's code generator;
``make schema`` points that import here instead, so a cold start loads neither
the generators nor regexes and sub-schemas the config never reaches.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any


class JsonSchemaValueException(ValueError):
    """A value the schema refuses, as fastjsonschema reports it: ``message``,
    ``value``, ``name`` (``data.routes[0].path``), ``definition``, ``rule``."""

    def __init__(self, message: str, value: Any = None, name: str | None = None,
                 definition: Callable[[], Any] | None = None, rule: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.value = value
        self.name = name
        self.rule = rule
        self._definition = definition

    @property
    def definition(self) -> Any:
        """The sub-schema the value breaks, looked up when read.

        The validator raises and catches these while it tries the branches of a
        ``oneOf`` even for a valid config; looking the sub-schema up there would
        parse the whole table of them on every cold start.
        """
        return self._definition() if self._definition is not None else None


# fastjsonschema raises its JsonSchemaValuesException only with fast_fail off,
# which the generated validator never is; its except clauses name both.
JsonSchemaValuesException = JsonSchemaValueException


class Patterns(dict[str, "re.Pattern[str]"]):
    """The schema's regexes by pattern, each compiled on its first lookup."""

    def __init__(self, sources: Mapping[str, str]) -> None:
        super().__init__()
        self._sources = sources

    def __missing__(self, pattern: str) -> re.Pattern[str]:
        compiled = self[pattern] = re.compile(self._sources[pattern])
        return compiled
