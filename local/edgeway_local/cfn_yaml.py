"""A YAML loader that understands CloudFormation's short-form tags.

``!Ref X`` becomes ``{"Ref": "X"}``, ``!GetAtt A.B`` becomes
``{"Fn::GetAtt": ["A", "B"]}`` and every other ``!Tag`` becomes
``{"Fn::Tag": value}`` -- the long form CloudFormation itself works on, so the
resolver only has one shape to handle.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import yaml

# Short tags whose long form is not simply "Fn::<Tag>".
_SPECIAL = {"Ref": "Ref", "Condition": "Condition"}
_FN_TAGS = (
    "And", "Base64", "Cidr", "Equals", "FindInMap", "GetAtt", "GetAZs", "If",
    "ImportValue", "Join", "Length", "Not", "Or", "Select", "Split", "Sub",
    "ToJsonString", "Transform",
)


class CfnLoader(yaml.SafeLoader):
    """SafeLoader plus the CloudFormation tags; keeps line numbers for errors."""


def _construct(key: str) -> Callable[[yaml.SafeLoader, yaml.Node], dict[str, Any]]:
    def construct(loader: yaml.SafeLoader, node: yaml.Node) -> dict[str, Any]:
        if isinstance(node, yaml.ScalarNode):
            value: Any = loader.construct_scalar(node)
            if key == "Fn::GetAtt" and isinstance(value, str):
                # !GetAtt Resource.Attribute.Maybe.Dotted -> [Resource, "Attribute.Maybe.Dotted"]
                head, _, tail = value.partition(".")
                value = [head, tail]
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        elif isinstance(node, yaml.MappingNode):
            value = loader.construct_mapping(node, deep=True)
        else:  # pragma: no cover - YAML has no other node kind
            raise yaml.constructor.ConstructorError(None, None, f"unexpected {key}", node.start_mark)
        return {key: value}

    return construct


for _tag, _key in _SPECIAL.items():
    CfnLoader.add_constructor(f"!{_tag}", _construct(_key))
for _tag in _FN_TAGS:
    CfnLoader.add_constructor(f"!{_tag}", _construct(f"Fn::{_tag}"))


def load_cfn_yaml(text: str) -> Any:
    """Parse CloudFormation YAML text (raises ``yaml.YAMLError`` on bad input)."""
    return yaml.load(text, Loader=CfnLoader)  # noqa: S506 -- SafeLoader subclass
