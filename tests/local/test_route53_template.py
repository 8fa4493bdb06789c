"""template.yaml's regional custom domain and Route53SyncFunction, translated both ways."""

from __future__ import annotations

from typing import Any

import pytest

from tests.local.test_sam_template import PROD, _resolver, _source, _stack, _translate

DOMAIN = {"DomainName": "api.example.com", "HostedZoneId": "Z0123456789ABC",
          "CertificateArn": "arn:aws:acm:eu-west-1:123456789012:certificate/abcd-1234"}
CUSTOM = {"ApiDomainName", "ApiDomainMapping"}


@pytest.fixture(scope="module")
def cfn() -> dict[str, Any]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AWS_DEFAULT_REGION", "us-east-1")
        return _translate({**PROD, **DOMAIN})


def test_without_the_parameters_the_stack_has_no_domain_mapping_or_sync(cfn: dict[str, Any]) -> None:
    for region in ("us-east-1", "eu-west-1"):
        stack = _stack(cfn, region, **PROD)
        assert not stack.keys() & (CUSTOM | {"Route53SyncFunction", "Route53SyncLogGroup"})


def test_with_them_every_region_gets_a_regional_tls12_domain_mapped_to_the_http_api(
        cfn: dict[str, Any]) -> None:
    stack = _stack(cfn, "eu-west-1", **PROD, **DOMAIN)
    resolver = _resolver(cfn, "eu-west-1", **PROD, **DOMAIN)
    domain = resolver.resolve(stack["ApiDomainName"]["Properties"], "ApiDomainName")
    assert domain["DomainName"] == "api.example.com"
    assert domain["DomainNameConfigurations"] == [{"CertificateArn": DOMAIN["CertificateArn"],
                                                   "EndpointType": "REGIONAL", "SecurityPolicy": "TLS_1_2"}]
    mapping = stack["ApiDomainMapping"]["Properties"]
    assert mapping["ApiId"] == {"Ref": "EdgewayHttpApi"}
    assert mapping["DomainName"] == {"Ref": "ApiDomainName"}
    assert stack.keys() & {"Route53SyncFunction"} == set()      # not the home region


def test_outputs_give_the_alias_target_only_with_a_domain() -> None:
    outputs = _source()["Outputs"]
    assert outputs["RegionalDomainName"]["Value"] == {"Fn::GetAtt": ["ApiDomainName", "RegionalDomainName"]}
    assert outputs["RegionalHostedZoneId"]["Value"] == {"Fn::GetAtt": ["ApiDomainName", "RegionalHostedZoneId"]}
    assert outputs["RegionalDomainName"]["Condition"] == "HasCustomDomain"


def test_the_home_stack_runs_the_route53_sync_on_a_schedule(cfn: dict[str, Any]) -> None:
    stack = _stack(cfn, "us-east-1", **PROD, **DOMAIN)
    assert "Route53SyncFunction" in stack
    rules = [r for k, r in cfn["Resources"].items() if k.startswith("Route53Sync") and r["Type"] == "AWS::Events::Rule"]
    assert len(rules) == 1
    assert rules[0]["Properties"]["ScheduleExpression"] == {"Ref": "Route53SyncSchedule"}
    assert rules[0]["Condition"] == "RunsRoute53Sync"
    env = cfn["Resources"]["Route53SyncFunction"]["Properties"]["Environment"]["Variables"]
    assert env["EDGEWAY_HOSTED_ZONE_ID"] == {"Ref": "HostedZoneId"}
    actions = {a for p in cfn["Resources"]["Route53SyncFunctionRole"]["Properties"]["Policies"]
               for s in p["PolicyDocument"]["Statement"] for a in
               ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])}
    assert {"route53:ChangeCidrCollection", "route53:ChangeResourceRecordSets", "apigateway:GET"} <= actions
    assert "route53:DeleteCidrCollection" not in actions       # never deletes a collection


@pytest.mark.parametrize("bad", ["api.example.com.", "API.example.com", "http://api.example.com"])
def test_a_malformed_domain_name_is_refused_by_the_parameter_pattern(bad: str) -> None:
    import re

    pattern = _source()["Parameters"]["DomainName"]["AllowedPattern"]
    assert re.fullmatch(pattern, "api.example.com") and re.fullmatch(pattern, "")
    assert not re.fullmatch(pattern, bad)
