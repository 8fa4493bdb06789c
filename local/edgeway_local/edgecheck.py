"""Check the edge stack (edge/template.yaml) for what cfn-lint and moto do not.

    python -m edgeway_local.edgecheck [edge/template.yaml] [--samconfig samconfig.toml]
                                      [--config-env edge] [--gateway gateway.yaml]

The template is translated by the SAM translator (as CloudFormation would),
its parameters resolved from the samconfig environment (else their defaults),
and the result checked as data. Each rule below is one function returning the
problems it finds; ``make build`` runs them all and stops on any.

* Lambda@Edge, when a behaviour uses it: the stack is in us-east-1, the
  association names a numbered version (not $LATEST, not an alias), and the
  function has no layers, no environment and runs on x86_64;
* origin groups: two members that are origins of the distribution, failover
  status codes CloudFront accepts, and only read-only behaviours target one
  (origin groups fail over GET, HEAD and OPTIONS only);
* WAF: scope CLOUDFRONT, attached to the distribution, a rate-based rule with a
  limit of at least 10 and a window of 60/120/300/600 s, the three free managed
  groups, each with a count-only switch;
* every behaviour forwards the viewer's headers except Host (API Gateway answers
  403 with the viewer's Host); the default behaviour caches nothing;
* the steering function: cloudfront-js-2.0, one KeyValueStore, under 10 KB, and
  the same code as edge/steer.js;
* access logging on; an output with the distribution's domain name;
* the decision store exported from gateway.yaml fits the KeyValueStore.
"""

from __future__ import annotations

import argparse
import copy
import sys
import tomllib
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from edgeway.errors import ConfigError
from edgeway_local.intrinsics import Resolver

EDGE_REGION = "us-east-1"
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
ALL_VIEWER_EXCEPT_HOST = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
FAILOVER_CODES = frozenset({400, 403, 404, 416, 500, 502, 503, 504})
RATE_WINDOWS = frozenset({60, 120, 300, 600})
RATE_MIN, RATE_MAX = 10, 2_000_000_000
FREE_GROUPS = ("AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet",
               "AWSManagedRulesAmazonIpReputationList")
FUNCTION_CODE_MAX = 10 * 1024
STEER_JS = Path(__file__).resolve().parents[2] / "edge" / "steer.js"

Template = dict[str, Any]
Problems = list[str]


# -- loading -------------------------------------------------------------------------------
def samconfig_parameters(path: Path, env: str) -> tuple[dict[str, str], str | None]:
    """(parameter overrides, region) of one samconfig.toml environment."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read: {exc}", file=str(path)) from exc
    deploy = data.get(env, {}).get("deploy", {}).get("parameters")
    if deploy is None:
        raise ConfigError(f"no [{env}.deploy.parameters] environment", file=str(path), key=env)
    overrides = deploy.get("parameter_overrides", [])
    if isinstance(overrides, str):
        overrides = overrides.split()
    params: dict[str, str] = {}
    for item in overrides:
        name, sep, value = str(item).partition("=")
        if not sep:
            raise ConfigError(f"parameter override {item!r} is not Name=Value", file=str(path),
                              key=f"{env}.deploy.parameters.parameter_overrides")
        params[name] = value.strip('"')
    return params, deploy.get("region")


def translate(template_path: Path, parameters: Mapping[str, str], *,
              region: str = EDGE_REGION) -> Template:
    """The CloudFormation the SAM transform makes of the edge template (offline)."""
    import boto3
    from samtranslator.parser.parser import Parser
    from samtranslator.translator.translator import Translator
    from samtranslator.yaml_helper import yaml_parse

    source = yaml_parse(template_path.read_text(encoding="utf-8"))
    if "Transform" not in source:
        return dict(source)
    translator = Translator(None, Parser(), boto_session=boto3.Session(region_name=region))
    return dict(translator.translate(source, parameter_values=dict(parameters),
                                     get_managed_policy_map=dict))


def resolve(cfn: Template, parameters: Mapping[str, str], *, file: str) -> Template:
    """Parameters, conditions and mappings substituted; references to resources kept."""
    specs = copy.deepcopy(cfn.get("Parameters") or {})
    for name, value in parameters.items():
        if name not in specs:
            raise ConfigError(f"override of unknown parameter {name!r}", file=file, key=name)
        specs[name]["Default"] = value
    for name, spec in specs.items():
        spec.setdefault("Default", f"<{name}>")
        if spec.get("Type") == "Number":
            spec["Default"] = _number(spec["Default"], file, f"Parameters.{name}")
    resolver = _KeepRefs(file=file, region=EDGE_REGION, parameters=specs,
                         conditions=cfn.get("Conditions") or {}, mappings=cfn.get("Mappings") or {},
                         resources=cfn.get("Resources") or {})
    out = dict(cfn)
    resources = {}
    for lid, resource in (cfn.get("Resources") or {}).items():
        condition = resource.get("Condition")
        if condition and not resolver.condition(condition, f"Resources.{lid}.Condition"):
            continue
        resources[lid] = {**resource, "Properties": resolver.resolve(resource.get("Properties") or {},
                                                                     f"Resources.{lid}")}
    out["Resources"] = resources
    out["Parameters"] = specs
    return out


class _KeepRefs(Resolver):
    """The local stack's resolver, but a reference to a CloudFront/WAF resource stays a reference."""

    def _fn_getatt(self, arg: Any, key: str) -> Any:
        name, attr = arg.split(".", 1) if isinstance(arg, str) else arg
        return {"Fn::GetAtt": [name, attr]}

    def _fn_sub(self, arg: Any, key: str) -> Any:
        try:
            return super()._fn_sub(arg, key)
        except ConfigError:
            return {"Fn::Sub": arg}


def _number(value: Any, file: str, key: str) -> int | float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{value!r} is not a number", file=file, key=key) from None
    return int(number) if number.is_integer() else number


# -- the rules -----------------------------------------------------------------------------
def _of_type(cfn: Template, rtype: str) -> dict[str, dict[str, Any]]:
    return {lid: r.get("Properties") or {} for lid, r in cfn["Resources"].items() if r.get("Type") == rtype}


def _behaviours(dist: Mapping[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    config = dist.get("DistributionConfig") or {}
    out = [("DefaultCacheBehavior", config.get("DefaultCacheBehavior") or {})]
    for i, b in enumerate(config.get("CacheBehaviors") or []):
        out.append((f"CacheBehaviors[{i}] {b.get('PathPattern')}", b))
    return out


def _ref_name(value: Any) -> str | None:
    if isinstance(value, dict):
        if "Ref" in value:
            return str(value["Ref"])
        if "Fn::GetAtt" in value:
            return str(value["Fn::GetAtt"][0])
    return None


def check_lambda_edge(cfn: Template, region: str | None) -> Problems:
    problems: Problems = []
    functions = {**_of_type(cfn, "AWS::Lambda::Function")}
    versions = _of_type(cfn, "AWS::Lambda::Version")
    for did, dist in _of_type(cfn, "AWS::CloudFront::Distribution").items():
        for where, behaviour in _behaviours(dist):
            for assoc in behaviour.get("LambdaFunctionAssociations") or []:
                at = f"{did}.{where}: Lambda@Edge"
                if region != EDGE_REGION:
                    problems.append(f"{at}: the stack must be deployed to {EDGE_REGION}, not {region}")
                arn = assoc.get("LambdaFunctionARN")
                target = _ref_name(arn)
                if target not in versions:
                    problems.append(f"{at}: LambdaFunctionARN must name a numbered version "
                                    f"(AWS::Lambda::Version), not {arn!r}")
                    continue
                fn = _ref_name(versions[target].get("FunctionName"))
                props = functions.get(fn or "", {})
                if props.get("Layers"):
                    problems.append(f"{at}: {fn} has layers; Lambda@Edge allows none")
                if props.get("Environment"):
                    problems.append(f"{at}: {fn} has environment variables; Lambda@Edge allows none")
                arch = props.get("Architectures") or ["x86_64"]
                if arch != ["x86_64"]:
                    problems.append(f"{at}: {fn} runs on {arch}; Lambda@Edge runs x86_64 only")
    return problems


def check_origin_groups(cfn: Template) -> Problems:
    problems: Problems = []
    for did, dist in _of_type(cfn, "AWS::CloudFront::Distribution").items():
        config = dist.get("DistributionConfig") or {}
        origins = {o.get("Id") for o in config.get("Origins") or []}
        groups = (config.get("OriginGroups") or {}).get("Items") or []
        group_ids = set()
        for group in groups:
            gid = group.get("Id")
            group_ids.add(gid)
            members = (group.get("Members") or {}).get("Items") or []
            if len(members) != 2 or (group.get("Members") or {}).get("Quantity") != len(members):
                problems.append(f"{did}: origin group {gid}: exactly two members, Quantity equal to them")
            for m in members:
                if m.get("OriginId") not in origins:
                    problems.append(f"{did}: origin group {gid}: member {m.get('OriginId')} is no origin")
            codes = ((group.get("FailoverCriteria") or {}).get("StatusCodes") or {})
            items = codes.get("Items") or []
            if not items or codes.get("Quantity") != len(items):
                problems.append(f"{did}: origin group {gid}: failover status codes missing or "
                                f"Quantity {codes.get('Quantity')} != {len(items)}")
            bad = sorted(set(items) - FAILOVER_CODES)
            if bad:
                problems.append(f"{did}: origin group {gid}: CloudFront cannot fail over on {bad} "
                                f"(allowed: {sorted(FAILOVER_CODES)})")
        for where, behaviour in _behaviours(dist):
            if behaviour.get("TargetOriginId") in group_ids:
                methods = set(behaviour.get("AllowedMethods") or ["GET", "HEAD"])
                if not methods <= READ_METHODS:
                    problems.append(f"{did}.{where}: targets origin group "
                                    f"{behaviour['TargetOriginId']} but allows "
                                    f"{sorted(methods - READ_METHODS)}; origin groups fail over "
                                    f"GET, HEAD and OPTIONS only")
    return problems


def check_waf(cfn: Template) -> Problems:
    problems: Problems = []
    acls = _of_type(cfn, "AWS::WAFv2::WebACL")
    for lid, acl in acls.items():
        if acl.get("Scope") != "CLOUDFRONT":
            problems.append(f"{lid}: Scope must be CLOUDFRONT (got {acl.get('Scope')})")
        rules = acl.get("Rules") or []
        rates = [r for r in rules if "RateBasedStatement" in (r.get("Statement") or {})]
        if not rates:
            problems.append(f"{lid}: no rate-based rule")
        for rule in rates:
            stmt = rule["Statement"]["RateBasedStatement"]
            limit, window = stmt.get("Limit"), stmt.get("EvaluationWindowSec", 300)
            if not isinstance(limit, (int, float)) or not RATE_MIN <= limit <= RATE_MAX:
                problems.append(f"{lid}: rule {rule.get('Name')}: rate limit {limit!r} must be "
                                f"between {RATE_MIN} and {RATE_MAX:,} requests per window")
            if window not in RATE_WINDOWS:
                problems.append(f"{lid}: rule {rule.get('Name')}: EvaluationWindowSec {window!r} "
                                f"must be one of {sorted(RATE_WINDOWS)}")
        managed = {(r.get("Statement") or {}).get("ManagedRuleGroupStatement", {}).get("Name"): r
                   for r in rules}
        for name in FREE_GROUPS:
            rule = managed.get(name)
            if rule is None:
                problems.append(f"{lid}: managed rule group {name} missing")
            elif "OverrideAction" not in rule:
                problems.append(f"{lid}: {name} has no OverrideAction (count-only switch)")
    dists = _of_type(cfn, "AWS::CloudFront::Distribution")
    for did, dist in dists.items():
        if _ref_name((dist.get("DistributionConfig") or {}).get("WebACLId")) not in acls:
            problems.append(f"{did}: no WAF web ACL of this stack attached (WebACLId)")
    return problems


def check_behaviours(cfn: Template) -> Problems:
    problems: Problems = []
    for did, dist in _of_type(cfn, "AWS::CloudFront::Distribution").items():
        for where, behaviour in _behaviours(dist):
            if behaviour.get("OriginRequestPolicyId") != ALL_VIEWER_EXCEPT_HOST:
                problems.append(f"{did}.{where}: origin request policy must be "
                                f"AllViewerExceptHostHeader ({ALL_VIEWER_EXCEPT_HOST}): API Gateway "
                                f"answers 403 when it receives the viewer's Host")
            if behaviour.get("ForwardedValues"):
                problems.append(f"{did}.{where}: legacy ForwardedValues; use the policies")
        default = (dist.get("DistributionConfig") or {}).get("DefaultCacheBehavior") or {}
        if default.get("CachePolicyId") != CACHING_DISABLED:
            problems.append(f"{did}.DefaultCacheBehavior: must not cache (CachingDisabled); "
                            f"cacheable routes get their own behaviour")
        if not ((dist.get("DistributionConfig") or {}).get("Logging") or {}).get("Bucket"):
            problems.append(f"{did}: access logging is off")
    outputs = cfn.get("Outputs") or {}
    if not any(_ref_name(o.get("Value")) in _of_type(cfn, "AWS::CloudFront::Distribution")
               and "DomainName" in str(o.get("Value")) for o in outputs.values()):
        problems.append("Outputs: none gives the distribution's domain name (Route 53 alias target)")
    return problems


def check_function(cfn: Template, steer_js: Path = STEER_JS) -> Problems:
    problems: Problems = []
    for lid, fn in _of_type(cfn, "AWS::CloudFront::Function").items():
        config = fn.get("FunctionConfig") or {}
        code = str(fn.get("FunctionCode") or "")
        if config.get("Runtime") != "cloudfront-js-2.0":
            problems.append(f"{lid}: runtime must be cloudfront-js-2.0 (KeyValueStore, origin helpers)")
        if len(config.get("KeyValueStoreAssociations") or []) != 1:
            problems.append(f"{lid}: exactly one KeyValueStore association (steer.js calls cf.kvs())")
        if len(code.encode()) > FUNCTION_CODE_MAX:
            problems.append(f"{lid}: code is {len(code.encode())} bytes, over {FUNCTION_CODE_MAX}")
        if steer_js.exists() and code != steer_js.read_text(encoding="utf-8"):
            problems.append(f"{lid}: FunctionCode differs from {steer_js.name}; paste it again")
    return problems


def check_decision_store(gateway: Path) -> Problems:
    from gslb.config import load_gslb_config
    from gslb.edge_export import EdgeStoreTooLarge, check_limits, check_planned, export
    from gslb.engine import Engine
    from gslb.networks import load_networks

    try:
        config = load_gslb_config(gateway)
        networks = load_networks(config.networks)
        check_planned(networks, config.region_names)      # before resolving a large table
        check_limits(export(Engine(config, networks=networks)))
    except EdgeStoreTooLarge as exc:
        return [f"{gateway}: {exc}"]
    return []


def check(cfn: Template, *, region: str | None) -> Problems:
    rules: Sequence[Callable[[], Problems]] = (
        lambda: check_lambda_edge(cfn, region), lambda: check_origin_groups(cfn),
        lambda: check_waf(cfn), lambda: check_behaviours(cfn), lambda: check_function(cfn))
    return [p for rule in rules for p in rule()]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m edgeway_local.edgecheck", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("template", nargs="?", type=Path, default=Path("edge/template.yaml"))
    parser.add_argument("--samconfig", type=Path, default=Path("samconfig.toml"))
    parser.add_argument("--config-env", default="edge")
    parser.add_argument("--gateway", type=Path, default=Path("gateway.yaml"))
    args = parser.parse_args(argv)
    try:
        params, region = samconfig_parameters(args.samconfig, args.config_env)
        cfn = resolve(translate(args.template, params, region=region or EDGE_REGION), params, file=str(args.template))
        problems = check(cfn, region=region) + check_decision_store(args.gateway)
    except ConfigError as exc:
        print(f"edge check: {exc}", file=sys.stderr)
        return 1
    for problem in problems:
        print(f"edge check: {args.template}: {problem}", file=sys.stderr)
    if problems:
        return 1
    print(f"edge check: {args.template} ({args.config_env}, {region}): ok")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
