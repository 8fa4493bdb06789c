"""edge/template.yaml as data: what cfn-lint and moto do not check.

cfn-lint validates the resource schemas; moto's CloudFormation ignores
CloudFront and WAF. So the translated template is checked here by the rules
`make build` runs (edgeway_local.edgecheck), and every rule is shown to fail on
a template that breaks it.
"""

from __future__ import annotations

import copy
import tomllib
from pathlib import Path
from typing import Any

import pytest

from edgeway.errors import ConfigError
from edgeway_local import edgecheck

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "edge" / "template.yaml"
SAMCONFIG = ROOT / "samconfig.toml"
REQUIRED = {"Region1Domain": "us-east-1.api.example.com", "Region2Domain": "eu-west-1.api.example.com"}


def _cfn(params: dict[str, str] | None = None) -> dict[str, Any]:
    values = {**REQUIRED, **(params or {})}
    return edgecheck.resolve(edgecheck.translate(TEMPLATE, values), values, file=str(TEMPLATE))


@pytest.fixture(scope="module")
def cfn() -> dict[str, Any]:
    params, _ = edgecheck.samconfig_parameters(SAMCONFIG, "edge")
    return edgecheck.resolve(edgecheck.translate(TEMPLATE, params), params, file=str(TEMPLATE))


def _dist(cfn: dict[str, Any]) -> dict[str, Any]:
    return cfn["Resources"]["Distribution"]["Properties"]["DistributionConfig"]


def test_cfn_lint_reports_nothing_on_the_edge_template() -> None:
    from cfnlint.api import lint_file

    matches = lint_file(TEMPLATE)
    assert [f"{m.rule.id} {m.message} (line {m.linenumber})" for m in matches] == []


def test_the_deployed_configuration_passes_every_rule(cfn: dict[str, Any]) -> None:
    assert edgecheck.check(cfn, region="us-east-1") == []
    assert edgecheck.check(_cfn(), region="us-east-1") == []   # the template's defaults too


def test_samconfig_edge_environment_deploys_the_edge_template_to_us_east_1() -> None:
    env = tomllib.loads(SAMCONFIG.read_text())["edge"]["deploy"]["parameters"]
    assert env["region"] == "us-east-1"
    assert env["template_file"] == "edge/template.yaml"
    assert env["stack_name"] != tomllib.loads(SAMCONFIG.read_text())["prod-us-east-1"]["deploy"][
        "parameters"]["stack_name"]


def test_what_the_distribution_is_made_of(cfn: dict[str, Any]) -> None:
    dist = _dist(cfn)
    assert [o["Id"] for o in dist["Origins"]] == ["us-east-1", "eu-west-1", "ap-southeast-1"]
    default = dist["DefaultCacheBehavior"]
    assert default["CachePolicyId"] == edgecheck.CACHING_DISABLED
    assert default["OriginRequestPolicyId"] == edgecheck.ALL_VIEWER_EXCEPT_HOST
    assert set(default["AllowedMethods"]) == {"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"}
    assert [f["EventType"] for f in default["FunctionAssociations"]] == ["viewer-request"]
    (cached,) = dist["CacheBehaviors"]
    assert cached["PathPattern"] == "/v1/users/*"
    assert cached["TargetOriginId"] == "reads-failover"
    policy = cfn["Resources"]["CachedRoutesPolicy"]["Properties"]["CachePolicyConfig"]
    # Credentials are in the cache key: a cached answer never reaches an unauthenticated viewer.
    assert {"Authorization", "x-api-key"} <= set(
        policy["ParametersInCacheKeyAndForwardedToOrigin"]["HeadersConfig"]["Headers"])
    assert dist["Logging"]["Bucket"] == {"Fn::GetAtt": ["AccessLogBucket", "DomainName"]}
    assert cfn["Outputs"]["DistributionDomainName"]["Value"] == {
        "Fn::GetAtt": ["Distribution", "DomainName"]}


def test_without_a_cacheable_pattern_nothing_is_cached_and_two_regions_suffice() -> None:
    cfn = _cfn({"CacheablePathPattern": "", "Region3Domain": ""})
    assert "CachedRoutesPolicy" not in cfn["Resources"]
    assert "CacheBehaviors" not in _dist(cfn)
    assert [o["Id"] for o in _dist(cfn)["Origins"]] == ["us-east-1", "eu-west-1"]
    assert edgecheck.check(cfn, region="us-east-1") == []


def test_waf_rules_resolve_from_the_switches() -> None:
    cfn = _cfn({"RateLimitCountOnly": "true", "CommonRuleSetCountOnly": "false"})
    rules = {r["Name"]: r for r in cfn["Resources"]["WebAcl"]["Properties"]["Rules"]}
    assert rules["rate-per-ip"]["Action"] == {"Count": {}}
    assert rules["aws-common"]["OverrideAction"] == {"None": {}}
    assert rules["rate-per-ip"]["Statement"]["RateBasedStatement"]["EvaluationWindowSec"] == 300


# -- every rule fails on a template that breaks it ------------------------------------------
@pytest.mark.parametrize(("params", "expected"), [
    ({"RateLimit": "5"}, "rate limit 5 must be between 10"),
    ({"RateWindowSec": "30"}, "EvaluationWindowSec 30 must be one of [60, 120, 300, 600]"),
])
def test_an_invalid_rate_rule_is_refused(params: dict[str, str], expected: str) -> None:
    problems = edgecheck.check(_cfn(params), region="us-east-1")
    assert any(expected in p for p in problems), problems


def _mutated(cfn: dict[str, Any], change: Any) -> dict[str, Any]:
    out = copy.deepcopy(cfn)
    change(out)
    return out


def _add_lambda_edge(cfn: dict[str, Any], **function: Any) -> None:
    cfn["Resources"]["EdgeFn"] = {"Type": "AWS::Lambda::Function",
                                  "Properties": {"Runtime": "python3.13", **function}}
    cfn["Resources"]["EdgeFnVersion"] = {"Type": "AWS::Lambda::Version",
                                         "Properties": {"FunctionName": {"Ref": "EdgeFn"}}}
    _dist(cfn)["DefaultCacheBehavior"]["LambdaFunctionAssociations"] = [
        {"EventType": "origin-request", "LambdaFunctionARN": {"Ref": "EdgeFnVersion"}}]


MUTATIONS = {
    "lambda@edge fine": (lambda c: _add_lambda_edge(c), None),
    "lambda@edge arm64": (lambda c: _add_lambda_edge(c, Architectures=["arm64"]), "x86_64 only"),
    "lambda@edge layers": (lambda c: _add_lambda_edge(c, Layers=["arn:layer"]), "has layers"),
    "lambda@edge environment": (lambda c: _add_lambda_edge(c, Environment={"Variables": {"A": "1"}}),
                                "environment variables"),
    "lambda@edge $LATEST": (lambda c: (_add_lambda_edge(c), _dist(c)["DefaultCacheBehavior"][
        "LambdaFunctionAssociations"][0].update(LambdaFunctionARN={"Fn::GetAtt": ["EdgeFn", "Arn"]})),
        "numbered version"),
    "group of three": (lambda c: _dist(c)["OriginGroups"]["Items"][0]["Members"].update(
        Quantity=3, Items=[{"OriginId": "us-east-1"}, {"OriginId": "eu-west-1"},
                           {"OriginId": "ap-southeast-1"}]), "exactly two members"),
    "group member unknown": (lambda c: _dist(c)["OriginGroups"]["Items"][0]["Members"]["Items"][1]
                             .update(OriginId="sa-east-1"), "sa-east-1 is no origin"),
    "failover on 429": (lambda c: _dist(c)["OriginGroups"]["Items"][0]["FailoverCriteria"][
        "StatusCodes"].update(Quantity=5, Items=[429, 500, 502, 503, 504]), "cannot fail over on [429]"),
    "group behind POST": (lambda c: _dist(c)["CacheBehaviors"][0].update(
        AllowedMethods=["GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"]),
        "origin groups fail over GET, HEAD and OPTIONS only"),
    "viewer Host forwarded": (lambda c: _dist(c)["DefaultCacheBehavior"].update(
        OriginRequestPolicyId="216adef6-5c7f-47e4-b989-5492eafa07d3"), "AllViewerExceptHostHeader"),
    "default caches": (lambda c: _dist(c)["DefaultCacheBehavior"].update(
        CachePolicyId="658327ea-f89d-4fab-a63d-7e88639e58f6"), "must not cache"),
    "waf regional": (lambda c: c["Resources"]["WebAcl"]["Properties"].update(Scope="REGIONAL"),
                     "Scope must be CLOUDFRONT"),
    "waf detached": (lambda c: _dist(c).pop("WebACLId"), "no WAF web ACL"),
    "managed group gone": (lambda c: c["Resources"]["WebAcl"]["Properties"]["Rules"].pop(),
                           "AWSManagedRulesCommonRuleSet missing"),
    "no logs": (lambda c: _dist(c).pop("Logging"), "access logging is off"),
    "runtime 1.0": (lambda c: c["Resources"]["SteerFunction"]["Properties"]["FunctionConfig"].update(
        Runtime="cloudfront-js-1.0"), "cloudfront-js-2.0"),
    "code drift": (lambda c: c["Resources"]["SteerFunction"]["Properties"].update(
        FunctionCode="function handler(e) { return e.request; }"), "differs from steer.js"),
}


@pytest.mark.parametrize("name", sorted(MUTATIONS))
def test_each_rule_fails_on_a_violation(cfn: dict[str, Any], name: str) -> None:
    change, expected = MUTATIONS[name]
    problems = edgecheck.check(_mutated(cfn, change), region="us-east-1")
    if expected is None:
        assert problems == []
    else:
        assert any(expected in p for p in problems), problems


def test_lambda_edge_outside_us_east_1_is_refused(cfn: dict[str, Any]) -> None:
    problems = edgecheck.check(_mutated(cfn, _add_lambda_edge), region="eu-west-1")
    assert any("must be deployed to us-east-1" in p for p in problems)


# -- the build step ----------------------------------------------------------------------------
def test_make_build_refuses_an_invalid_rate_limit(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "samconfig.toml"
    bad.write_text(SAMCONFIG.read_text().replace('"RateLimit=2000"', '"RateLimit=5"'))
    assert edgecheck.main([str(TEMPLATE), "--samconfig", str(bad),
                           "--gateway", str(ROOT / "gateway.yaml")]) == 1
    err = capsys.readouterr().err
    assert "rate-per-ip: rate limit 5 must be between 10 and 2,000,000,000" in err


def test_make_build_passes_the_shipped_configuration(capsys: pytest.CaptureFixture[str]) -> None:
    assert edgecheck.main([str(TEMPLATE), "--samconfig", str(SAMCONFIG),
                           "--gateway", str(ROOT / "gateway.yaml")]) == 0
    assert "ok" in capsys.readouterr().out


def test_make_build_refuses_a_decision_store_over_its_limit(tmp_path: Path) -> None:
    # 120,000 /24s: more than the 5 MB the KeyValueStore holds.
    rows = "".join(f"{10 + i // 65536}.{i // 256 % 256}.{i % 256}.0/24,50.0,8.0\n" for i in range(120_000))
    (tmp_path / "networks.csv").write_text(rows)
    config = (ROOT / "gateway.yaml").read_text().replace(
        "  # networks: path/to/networks.csv", f"  networks: {tmp_path / 'networks.csv'}")
    (tmp_path / "gateway.yaml").write_text(config)
    problems = edgecheck.check_decision_store(tmp_path / "gateway.yaml")
    assert len(problems) == 1
    assert "over the KeyValueStore limit of 5,242,880 bytes" in problems[0]


def test_an_override_of_an_unknown_parameter_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="RateLimt"):
        edgecheck.resolve(edgecheck.translate(TEMPLATE, REQUIRED), {"RateLimt": "5"}, file="edge")
