"""The local name of a template table, for every tool that defaults to the local stack.

``edgeway serve`` creates each table under the name its functions' environment
resolves to (an explicit ``TableName``, ``!Sub`` resolved with the parameter
defaults, else ``edgeway-local-<LogicalId>``: see ``intrinsics``). The CLI
commands that talk to the local stack (``edgeway keys``, ``usage``, ``gslb
observe``, ``cache purge``) ask here instead of hard-coding a name, so a
``TableName`` change in template.yaml reaches all of them.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from edgeway.errors import ConfigError
from edgeway_local.cfn_yaml import load_cfn_yaml
from edgeway_local.intrinsics import TABLE_PREFIX, TABLE_TYPES, Resolver
from edgeway_local.resources import Table, table

DEFAULT_TEMPLATE = Path("template.yaml")
# Table names do not depend on the region in our template; a region is still
# needed to resolve ``AWS::Region`` should a TableName use it.
DEFAULT_REGION = "us-east-1"


def local_table(logical_id: str, *, template: str | Path | None = None,
                region: str = DEFAULT_REGION) -> Table | None:
    """The table ``logical_id`` of ``template`` (default ./template.yaml) as the local
    stack creates it in ``region``; None when there is no such template or table."""
    path = Path(template) if template is not None else DEFAULT_TEMPLATE
    try:
        doc = load_cfn_yaml(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ConfigError(f"cannot read template: {exc.strerror}", file=str(path)) from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"not valid YAML: {exc}", file=str(path)) from exc
    resources = doc.get("Resources") if isinstance(doc, dict) else None
    resource = resources.get(logical_id) if isinstance(resources, dict) else None
    if not isinstance(resource, dict) or resource.get("Type") not in TABLE_TYPES:
        return None
    resolver = Resolver(file=str(path), region=region,
                        parameters=doc.get("Parameters") or {},
                        conditions=doc.get("Conditions") or {},
                        mappings=doc.get("Mappings") or {}, resources=resources)
    return table(logical_id, resource, resolver)


def local_name(logical_id: str, *, template: str | Path | None = None,
               region: str = DEFAULT_REGION) -> str:
    """The name the local stack gives table ``logical_id``.

    Without a template (a command run outside the project) it is the local
    stack's rule for a table without ``TableName``: ``edgeway-local-<LogicalId>``.
    """
    found = local_table(logical_id, template=template, region=region)
    return found.name if found is not None else f"{TABLE_PREFIX}{logical_id}"


def is_replicated(logical_id: str, *, template: str | Path | None = None) -> bool:
    """Whether the template makes ``logical_id`` a global table (same data in every region)."""
    found = local_table(logical_id, template=template)
    return found is not None and found.replicated
