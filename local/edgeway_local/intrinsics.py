"""Resolve CloudFormation intrinsic functions the way a local stack needs them.

Only values the local stack actually uses are resolved (function environment,
layer references, table names), so an intrinsic we cannot emulate elsewhere in
the template (an IAM policy, an Output) does no harm. What we resolve:

- ``Ref``: pseudo parameters (``AWS::Region`` is the region being served),
  template Parameters (their ``Default``), resources (a table -> its local table
  name -- its resolved ``TableName`` when it has one --, a function -> its
  logical id, anything else -> its logical id);
- ``Fn::GetAtt`` ``.Arn`` (and a table's ``.StreamArn``) as local ARNs;
- ``Fn::Sub``, ``Fn::Join``, ``Fn::Select``, ``Fn::Split``, ``Fn::If`` with
  ``Conditions``, ``Fn::Equals/Not/And/Or``, ``Fn::FindInMap``, ``Fn::Base64``,
  ``Fn::ToJsonString``, ``Fn::GetAZs``.
Anything else is a ``ConfigError`` naming the file, the key and the reason.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from edgeway.errors import ConfigError

ACCOUNT_ID = "123456789012"
STACK_NAME = "edgeway-local"
TABLE_PREFIX = "edgeway-local-"
# Everything that is a DynamoDB table locally: a global table is one table per
# served region (see ``edgeway_local.resources``).
TABLE_TYPES = ("AWS::DynamoDB::Table", "AWS::DynamoDB::GlobalTable", "AWS::Serverless::SimpleTable")

_NO_VALUE = object()  # AWS::NoValue: the enclosing key or item disappears
_SUB_VAR = re.compile(r"\$\{([^}]*)\}")


def local_table_name(logical_id: str, properties: Mapping[str, Any]) -> str:
    """A table's name locally: its (resolved) TableName, else a stable prefix + logical id."""
    name = properties.get("TableName")
    return name if isinstance(name, str) else f"{TABLE_PREFIX}{logical_id}"


def local_queue_name(logical_id: str, properties: Mapping[str, Any]) -> str:
    name = properties.get("QueueName")
    if isinstance(name, str):
        return name
    fifo = str(properties.get("FifoQueue")).lower() == "true"  # FIFO names must end .fifo
    return f"{TABLE_PREFIX}{logical_id}" + (".fifo" if fifo else "")


def local_bus_name(logical_id: str, properties: Mapping[str, Any]) -> str:
    name = properties.get("Name")
    return name if isinstance(name, str) else f"{TABLE_PREFIX}{logical_id}"


@dataclass(frozen=True)
class Resolver:
    file: str
    region: str
    parameters: Mapping[str, Any] = field(default_factory=dict)
    conditions: Mapping[str, Any] = field(default_factory=dict)
    mappings: Mapping[str, Any] = field(default_factory=dict)
    resources: Mapping[str, Any] = field(default_factory=dict)

    # -- entry point ------------------------------------------------------

    def resolve(self, value: Any, key: str) -> Any:
        """Resolve every intrinsic inside ``value``; ``key`` names it in errors."""
        out = self._resolve(value, key)
        return None if out is _NO_VALUE else out

    def _resolve(self, value: Any, key: str) -> Any:
        if isinstance(value, list):
            items = (self._resolve(v, f"{key}[{i}]") for i, v in enumerate(value))
            return [v for v in items if v is not _NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            (name, arg), = value.items()
            if name == "Ref":
                return self._ref(arg, key)
            if name == "Condition" and isinstance(arg, str):
                return self.condition(arg, key)
            if name.startswith("Fn::"):
                method = getattr(self, "_fn_" + name[4:].lower(), None)
                if method is None:
                    raise self._error(f"{name} is not supported by the local stack", key)
                return method(arg, f"{key}.{name}")
        resolved = {k: self._resolve(v, f"{key}.{k}") for k, v in value.items()}
        return {k: v for k, v in resolved.items() if v is not _NO_VALUE}

    def _error(self, reason: str, key: str) -> ConfigError:
        return ConfigError(reason, file=self.file, key=key)

    def _args(self, arg: Any, key: str, usage: str, count: int | range) -> list[Any]:
        """``arg`` as the list an intrinsic takes, or a ConfigError showing its usage."""
        counts = count if isinstance(count, range) else range(count, count + 1)
        if not (isinstance(arg, list) and len(arg) in counts):
            raise self._error(f"{usage}, got {arg!r}", key)
        return arg

    # -- Ref / GetAtt -----------------------------------------------------

    def _ref(self, name: Any, key: str) -> Any:
        pseudo = {
            "AWS::Region": self.region,
            "AWS::AccountId": ACCOUNT_ID,
            "AWS::StackName": STACK_NAME,
            "AWS::StackId": f"arn:aws:cloudformation:{self.region}:{ACCOUNT_ID}:stack/{STACK_NAME}/local",
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::NotificationARNs": [],
        }
        if not isinstance(name, str):
            raise self._error(f"Ref takes the name of a parameter or resource, got {name!r}", key)
        if name == "AWS::NoValue":
            return _NO_VALUE
        if name in pseudo:
            return pseudo[name]
        if name in self.parameters:
            spec = self.parameters[name] or {}
            if "Default" not in spec:
                raise self._error(f"parameter {name!r} has no Default to use locally", key)
            return self._resolve(spec["Default"], f"Parameters.{name}.Default")
        resource = self.resources.get(name)
        if resource is None:
            raise self._error(f"!Ref to {name!r}, which is neither a parameter nor a resource", key)
        rtype = resource.get("Type", "")
        props = resource.get("Properties") or {}
        if rtype in TABLE_TYPES:
            return local_table_name(name, self._named(name, props, "TableName"))
        if rtype == "AWS::SQS::Queue":  # a queue's Ref is its URL
            queue = local_queue_name(name, self._named(name, props, "QueueName", "FifoQueue"))
            return f"https://sqs.{self.region}.amazonaws.com/{ACCOUNT_ID}/{queue}"
        if rtype == "AWS::Events::EventBus":
            return local_bus_name(name, self._named(name, props, "Name"))
        if rtype in ("AWS::Serverless::Function", "AWS::Lambda::Function"):
            # A function's Ref is its name: an explicit FunctionName, else (locally) its logical id.
            explicit = self.resolve(props.get("FunctionName"), f"Resources.{name}.Properties.FunctionName")
            return explicit if isinstance(explicit, str) else name
        if rtype in ("AWS::Serverless::LayerVersion", "AWS::Lambda::LayerVersion"):
            return f"arn:aws:lambda:{self.region}:{ACCOUNT_ID}:layer:{name}:1"
        return name

    def _named(self, name: str, props: Mapping[str, Any], *keys: str) -> dict[str, Any]:
        """Only the properties a resource's local name depends on, resolved."""
        return {k: self.resolve(props.get(k), f"Resources.{name}.Properties.{k}") for k in keys}

    def _fn_getatt(self, arg: Any, key: str) -> Any:
        if isinstance(arg, str):
            arg = arg.split(".", 1)
        if not (isinstance(arg, list) and len(arg) == 2):
            raise self._error("Fn::GetAtt takes [Resource, Attribute]", key)
        name, attr = arg[0], self._resolve(arg[1], key)
        resource = self.resources.get(name) if isinstance(name, str) else None
        if resource is None:
            raise self._error(f"!GetAtt of unknown resource {name!r}", key)
        rtype = resource.get("Type", "")
        table = rtype in TABLE_TYPES
        if table and attr in ("Arn", "StreamArn"):
            arn = f"arn:aws:dynamodb:{self.region}:{ACCOUNT_ID}:table/{self._ref(name, key)}"
            return arn + "/stream/local" if attr == "StreamArn" else arn
        if rtype == "AWS::SQS::Queue" and attr in ("Arn", "QueueName", "QueueUrl"):
            url = self._ref(name, key)
            queue = url.rsplit("/", 1)[-1]
            return {"Arn": f"arn:aws:sqs:{self.region}:{ACCOUNT_ID}:{queue}",
                    "QueueName": queue, "QueueUrl": url}[attr]
        if rtype == "AWS::Events::EventBus" and attr in ("Arn", "Name"):
            bus = self._ref(name, key)
            return bus if attr == "Name" else f"arn:aws:events:{self.region}:{ACCOUNT_ID}:event-bus/{bus}"
        if rtype in ("AWS::Serverless::Function", "AWS::Lambda::Function") and attr == "Arn":
            return f"arn:aws:lambda:{self.region}:{ACCOUNT_ID}:function:{self._ref(name, key)}"
        raise self._error(f"!GetAtt {name}.{attr} cannot be emulated locally", key)

    # -- string functions -------------------------------------------------

    def _fn_sub(self, arg: Any, key: str) -> str:
        variables: dict[str, Any] = {}
        if isinstance(arg, list):
            template, given = self._args(arg, key, "Fn::Sub takes a string or [string, {variables}]", 2)
            if not isinstance(given, Mapping):
                raise self._error(f"Fn::Sub variables must be a mapping, got {given!r}", key)
            variables = {k: self._resolve(v, f"{key}.{k}") for k, v in given.items()}
        else:
            template = arg
        if not isinstance(template, str):
            raise self._error("Fn::Sub takes a string or [string, {variables}]", key)

        def substitute(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in variables:
                return str(variables[name])
            if "." in name and not name.startswith("AWS::"):
                return str(self._fn_getatt(name.split(".", 1), key))
            return str(self._ref(name, key))

        return _SUB_VAR.sub(substitute, template)

    def _fn_join(self, arg: Any, key: str) -> str:
        if not (isinstance(arg, list) and len(arg) == 2):
            raise self._error("Fn::Join takes [delimiter, [values]]", key)
        items = self._resolve(arg[1], key)
        if not isinstance(items, list):
            raise self._error("Fn::Join needs a list of values", key)
        return str(arg[0]).join(str(v) for v in items)

    def _fn_select(self, arg: Any, key: str) -> Any:
        arg = self._args(arg, key, "Fn::Select takes [index, [values]]", 2)
        index, items = self._resolve(arg[0], key), self._resolve(arg[1], key)
        try:
            return items[int(index)]
        except (IndexError, ValueError, TypeError) as exc:
            raise self._error(f"Fn::Select index {index!r} out of range", key) from exc

    def _fn_split(self, arg: Any, key: str) -> list[str]:
        arg = self._args(arg, key, "Fn::Split takes [delimiter, string]", 2)
        return str(self._resolve(arg[1], key)).split(str(arg[0]))

    def _fn_base64(self, arg: Any, key: str) -> str:
        return base64.b64encode(str(self._resolve(arg, key)).encode()).decode()

    def _fn_tojsonstring(self, arg: Any, key: str) -> str:
        return json.dumps(self._resolve(arg, key), separators=(",", ":"))

    def _fn_getazs(self, arg: Any, key: str) -> list[str]:
        return [f"{self.region}{zone}" for zone in "abc"]

    def _fn_findinmap(self, arg: Any, key: str) -> Any:
        arg = self._args(arg, key, "Fn::FindInMap takes [map, top-level key, second-level key]", 3)
        names = [self._resolve(a, key) for a in arg]
        try:
            return self.mappings[names[0]][names[1]][names[2]]
        except (KeyError, TypeError) as exc:
            raise self._error(f"Fn::FindInMap {names} not found in Mappings", key) from exc

    # -- conditions -------------------------------------------------------

    def condition(self, name: Any, key: str) -> bool:
        if not isinstance(name, str) or name not in self.conditions:
            raise self._error(f"unknown condition {name!r}", key)
        return bool(self._resolve(self.conditions[name], f"Conditions.{name}"))

    def _fn_if(self, arg: Any, key: str) -> Any:
        if not (isinstance(arg, list) and len(arg) == 3):
            raise self._error("Fn::If takes [condition, value_if_true, value_if_false]", key)
        chosen = arg[1] if self.condition(arg[0], key) else arg[2]
        return self._resolve(chosen, key)

    def _fn_equals(self, arg: Any, key: str) -> bool:
        arg = self._args(arg, key, "Fn::Equals takes [value, value]", 2)
        left, right = (self._resolve(a, key) for a in arg)
        return str(left) == str(right)

    def _fn_not(self, arg: Any, key: str) -> bool:
        arg = self._args(arg, key, "Fn::Not takes [condition]", 1)
        return not self._resolve(arg[0], key)

    def _fn_and(self, arg: Any, key: str) -> bool:
        arg = self._args(arg, key, "Fn::And takes [condition, ...] (2 to 10)", range(2, 11))
        return all(self._resolve(a, key) for a in arg)

    def _fn_or(self, arg: Any, key: str) -> bool:
        arg = self._args(arg, key, "Fn::Or takes [condition, ...] (2 to 10)", range(2, 11))
        return any(self._resolve(a, key) for a in arg)
