"""template.yaml and samconfig.toml: what a deployer would notice.

The template is linted with cfn-lint and expanded offline with the SAM
translator (the same transform CloudFormation runs), then the generated
CloudFormation is checked: one runtime, one architecture, scoped IAM, tables
with TTL and point-in-time recovery, and the HTTP API's routes.
"""

from __future__ import annotations

import ast
import json
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"
RUNTIME = "python3.13"
ARCH = "arm64"
TABLES = {
    "KeysTable": "EDGEWAY_KEYS_TABLE",
    "CountersTable": "EDGEWAY_COUNTERS_TABLE",
    "CacheTable": "EDGEWAY_CACHE_TABLE",
    "GslbTable": "EDGEWAY_GSLB_TABLE",
}
FUNCTIONS = {
    "GatewayFunction": "functions/gateway",
    "AuthorizerFunction": "functions/authorizer",
    "HealthCheckerFunction": "functions/health_checker",
    "GslbResolverFunction": "functions/gslb_resolver",
    "Route53SyncFunction": "functions/route53_sync",
    "UsersFunction": "functions/users",
    "OrdersFunction": "functions/orders",
    "ConsoleFunction": "functions/console",
}
# Functions that read gateway.yaml beside their code at run time.
CONFIG_READERS = ("functions/gateway", "functions/authorizer", "functions/health_checker",
                  "functions/gslb_resolver", "functions/route53_sync", "functions/console")


def _source() -> dict[str, Any]:
    from samtranslator.yaml_helper import yaml_parse

    return yaml_parse(TEMPLATE.read_text())


def _translate(parameter_values: dict[str, str] | None = None) -> dict[str, Any]:
    """The CloudFormation that the SAM transform makes of template.yaml, offline."""
    from samtranslator.translator.transform import transform

    class NoManagedPolicies:
        # Policy templates never need the AWS managed-policy list; a managed
        # policy name in the template would fail translation here, on purpose.
        def load(self) -> dict[str, str]:
            return {}

    template = _source()
    # `sam package` replaces local code paths with S3 URIs before the
    # transform runs; do the same so that the translator accepts them.
    for resource in template["Resources"].values():
        props = resource.get("Properties", {})
        for key in ("CodeUri", "ContentUri"):
            if isinstance(props.get(key), str):
                props[key] = f"s3://edgeway-artifacts/{props[key]}"
    return transform(template, dict(parameter_values or {}), NoManagedPolicies())


@pytest.fixture(scope="module", autouse=True)
def _aws_region(monkeypatch_module: pytest.MonkeyPatch) -> None:
    # The translator derives the partition from the region of a boto3 session.
    monkeypatch_module.setenv("AWS_DEFAULT_REGION", "us-east-1")


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as mp:
        yield mp


@pytest.fixture(scope="module")
def source() -> dict[str, Any]:
    return _source()


@pytest.fixture(scope="module")
def cfn(_aws_region: None) -> dict[str, Any]:
    return _translate()


def _of_type(template: dict[str, Any], type_: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == type_}


def _statements(role: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for p in role["Properties"].get("Policies", [])
            for s in p["PolicyDocument"]["Statement"]]


def _actions(statement: dict[str, Any]) -> list[str]:
    action = statement.get("Action", [])
    return [action] if isinstance(action, str) else list(action)


# ----------------------------------------------------------------- the tools

def test_cfn_lint_reports_nothing() -> None:
    from cfnlint.api import lint_file

    matches = lint_file(TEMPLATE)
    assert [f"{m.rule.id} {m.message} (line {m.linenumber})" for m in matches] == []


def test_sam_translator_expands_every_resource(cfn: dict[str, Any]) -> None:
    types = {v["Type"] for v in cfn["Resources"].values()}
    assert not {t for t in types if t.startswith("AWS::Serverless::")}
    assert len(_of_type(cfn, "AWS::Lambda::Function")) == len(FUNCTIONS)
    assert len(_of_type(cfn, "AWS::Lambda::LayerVersion")) == 2
    assert len(_of_type(cfn, "AWS::ApiGatewayV2::Api")) == 1


# ------------------------------------------------------ runtime, architecture

def test_every_function_runs_python313_on_arm64(cfn: dict[str, Any]) -> None:
    functions = _of_type(cfn, "AWS::Lambda::Function")
    assert set(functions) == set(FUNCTIONS)
    for name, fn in functions.items():
        assert fn["Properties"]["Runtime"] == RUNTIME, name
        assert fn["Properties"]["Architectures"] == [ARCH], name
        assert fn["Properties"]["Handler"] == "app.handler", name


def test_layers_are_built_for_the_functions_runtime_and_architecture(
        source: dict[str, Any], cfn: dict[str, Any]) -> None:
    # Without BuildArchitecture, `sam build` installs x86-64 wheels (cryptography)
    # into a layer that claims arm64, and the gateway dies at import.
    layers = _of_type(source, "AWS::Serverless::LayerVersion")
    assert set(layers) == {"EdgewayLayer", "GslbLayer"}
    for name, layer in layers.items():
        assert layer["Metadata"] == {"BuildMethod": RUNTIME, "BuildArchitecture": ARCH}, name
    for name, layer in _of_type(cfn, "AWS::Lambda::LayerVersion").items():
        assert layer["Properties"]["CompatibleRuntimes"] == [RUNTIME], name
        assert layer["Properties"]["CompatibleArchitectures"] == [ARCH], name


# --------------------------------------------------------------------- IAM

# SAM's SQSSendMessagePolicy template grants `sqs:SendMessage*`, which names
# exactly SendMessage and SendMessageBatch; no other wildcard is acceptable.
ALLOWED_WILDCARD_ACTIONS = {"sqs:SendMessage*"}


def test_no_iam_statement_grants_a_wildcard_action(cfn: dict[str, Any]) -> None:
    roles = _of_type(cfn, "AWS::IAM::Role")
    assert len(roles) == len(FUNCTIONS)
    for name, role in roles.items():
        for statement in _statements(role):
            assert statement["Effect"] == "Allow"
            for action in _actions(statement):
                assert "*" not in action or action in ALLOWED_WILDCARD_ACTIONS, \
                    f"{name} allows {action}"
        # AWS managed policies are opaque here: only basic execution (logs).
        assert [arn.rsplit("/", 1)[-1] for arn in role["Properties"]["ManagedPolicyArns"]] \
            == ["AWSLambdaBasicExecutionRole"], name


def _dynamodb_grants(cfn: dict[str, Any], function: str, *, region: str = "eu-west-1",
                     **parameters: str) -> dict[str, set[str]]:
    """Table ARN -> DynamoDB actions a function's role allows, as deployed in ``region``."""
    resolver = _resolver(cfn, region, **parameters)
    grants: dict[str, set[str]] = {}
    for statement in _statements(cfn["Resources"][f"{function}Role"]):
        if any(a.startswith("dynamodb:") for a in _actions(statement)):
            resources = statement["Resource"]
            for resource in resources if isinstance(resources, list) else [resources]:
                arn = resolver.resolve(resource, f"{function}Role")
                grants.setdefault(arn, set()).update(_actions(statement))
    return grants


def _table_arn(name: str, region: str = "eu-west-1", *, index: bool = False) -> str:
    return f"arn:aws:dynamodb:{region}:123456789012:table/{name}" + ("/index/*" if index else "")


def test_dynamodb_access_is_scoped_to_the_tables_each_function_uses(cfn: dict[str, Any]) -> None:
    # A stack outside the home region (us-east-1): shared tables by name, counters
    # in the home region.
    def tables(function: str) -> dict[str, set[str]]:
        return {arn: actions for arn, actions in _dynamodb_grants(cfn, function, Stage="prod").items()
                if not arn.endswith("/index/*")}

    keys, gslb = _table_arn("edgeway-prod-keys"), _table_arn("edgeway-prod-gslb")
    cache = _table_arn("edgeway-prod-cache")
    counters = _table_arn("edgeway-prod-counters", "us-east-1")
    gateway = tables("GatewayFunction")
    assert set(gateway) == {keys, counters, cache}
    assert "dynamodb:PutItem" not in gateway[keys]  # keys are read-only here
    assert gateway[counters] == {"dynamodb:GetItem", "dynamodb:UpdateItem"}
    assert set(tables("AuthorizerFunction")) == {keys}
    assert set(tables("HealthCheckerFunction")) == {gslb}
    assert set(tables("GslbResolverFunction")) == {gslb}
    assert tables("UsersFunction") == {} and tables("OrdersFunction") == {}
    console = tables("ConsoleFunction")  # reads only
    assert set(console) == {gslb, keys, counters}
    assert not {a for actions in console.values() for a in actions
                if a.startswith(("dynamodb:Put", "dynamodb:Update", "dynamodb:Delete", "dynamodb:BatchWrite"))}


def test_the_gateway_writes_the_home_regions_counters_from_every_region(
        cfn: dict[str, Any]) -> None:
    for region in ("us-east-1", "eu-west-1", "ap-southeast-1"):
        grants = _dynamodb_grants(cfn, "GatewayFunction", region=region, Stage="prod",
                                  HomeRegion="us-east-1")
        home_counters = _table_arn("edgeway-prod-counters", "us-east-1")
        assert "dynamodb:UpdateItem" in grants[home_counters], region
        # ... and no counters table of its own region when that is not home.
        assert (_table_arn("edgeway-prod-counters", region) in grants) == (region == "us-east-1")


def test_gateway_and_authorizer_may_read_their_secrets_manager_secrets_only(
        cfn: dict[str, Any]) -> None:
    resolver = _resolver(cfn, "eu-west-1", Stage="prod")
    for name in FUNCTIONS:
        resources = [resolver.resolve(s["Resource"], name)
                     for s in _statements(cfn["Resources"][f"{name}Role"])
                     if "secretsmanager:GetSecretValue" in _actions(s)]
        expected = (["arn:aws:secretsmanager:eu-west-1:123456789012:secret:edgeway/prod/*"]
                    if name in ("GatewayFunction", "AuthorizerFunction") else [])
        assert resources == expected, name


def test_the_gateway_may_invoke_exactly_the_backends_of_its_function_map(
        cfn: dict[str, Any]) -> None:
    invokable = {
        statement["Resource"]["Fn::Sub"][1]["functionName"]["Ref"]
        for statement in _statements(cfn["Resources"]["GatewayFunctionRole"])
        if "lambda:InvokeFunction" in _actions(statement)
    }
    env = cfn["Resources"]["GatewayFunction"]["Properties"]["Environment"]["Variables"]
    template = env["EDGEWAY_FUNCTION_MAP"]["Fn::Sub"]
    # What CloudFormation will make of it: ${X} becomes X's deployed name.
    function_map = json.loads(re.sub(r"\$\{(\w+)\}", r"deployed-\1", template))
    assert set(function_map) == invokable == {"UsersFunction", "OrdersFunction"}
    assert all(function_map[k] == f"deployed-{k}" for k in function_map)


def test_the_gateway_may_send_to_exactly_the_async_targets_of_its_maps(
        cfn: dict[str, Any]) -> None:
    statements = _statements(cfn["Resources"]["GatewayFunctionRole"])
    queues = {s["Resource"]["Fn::Sub"][1]["queueName"]["Fn::GetAtt"][0]
              for s in statements if "sqs:SendMessage*" in _actions(s)}
    buses = {s["Resource"]["Fn::Sub"][1]["eventBusName"]["Ref"]
             for s in statements if "events:PutEvents" in _actions(s)}
    env = cfn["Resources"]["GatewayFunction"]["Properties"]["Environment"]["Variables"]
    queue_map = json.loads(re.sub(r"\$\{(\w+)\}", "x", env["EDGEWAY_QUEUE_MAP"]["Fn::Sub"]))
    bus_map = json.loads(re.sub(r"\$\{(\w+)\}", "x", env["EDGEWAY_EVENT_BUS_MAP"]["Fn::Sub"]))
    assert set(queue_map) == queues == {"OrdersQueue"}
    assert set(bus_map) == buses == {"EdgewayEventBus"}
    # Only the gateway sends anywhere.
    for name in FUNCTIONS.keys() - {"GatewayFunction"}:
        actions = {a for s in _statements(cfn["Resources"][f"{name}Role"]) for a in _actions(s)}
        assert not {a for a in actions if a.startswith(("sqs:", "events:", "lambda:"))}, name


def test_tracing_is_off_by_default_and_can_be_turned_on(cfn: dict[str, Any]) -> None:
    for fn in _of_type(cfn, "AWS::Lambda::Function").values():
        assert "TracingConfig" not in fn["Properties"]
    traced = _translate({"TracingMode": "Active"})
    for name, fn in _of_type(traced, "AWS::Lambda::Function").items():
        # CloudFormation resolves the Ref to Active at deploy time.
        assert fn["Properties"]["TracingConfig"] == {"Mode": {"Ref": "TracingMode"}}, name
        role = traced["Resources"][f"{name}Role"]["Properties"]
        assert any(arn.endswith("/AWSXrayWriteOnlyAccess") for arn in role["ManagedPolicyArns"])


# -------------------------------------------------------------------- tables

TABLE_TYPES = ("AWS::DynamoDB::Table", "AWS::DynamoDB::GlobalTable")
# Tables shared by every region: created by the home stack only.
GLOBAL_TABLES = {"KeysTable": "keys", "GslbTable": "gslb"}
HOME_ONLY_TABLES = {"CountersTable": "counters"}
REGIONAL_TABLES = {"CacheTable": "cache"}
PROD = {"Stage": "prod", "HomeRegion": "us-east-1", "ReplicaRegion1": "eu-west-1",
        "ReplicaRegion2": "ap-southeast-1"}


def _resolver(template: dict[str, Any], region: str, **parameters: str) -> Any:
    """Evaluates Conditions, Fn::If, Ref and Sub as CloudFormation would in ``region``.

    The translator leaves Conditions to CloudFormation; the local stack's
    resolver evaluates them with the parameter values given here.
    """
    from edgeway_local.intrinsics import Resolver

    params = {name: dict(spec, Default=parameters.get(name, spec.get("Default")))
              for name, spec in template["Parameters"].items()}
    return Resolver(file="template.yaml", region=region, parameters=params,
                    conditions=template.get("Conditions", {}), resources=template["Resources"])


def _stack(template: dict[str, Any], region: str, **parameters: str) -> dict[str, Any]:
    """The resources CloudFormation creates for ``region``: conditions applied."""
    resolver = _resolver(template, region, **parameters)
    return {lid: res for lid, res in template["Resources"].items()
            if "Condition" not in res or resolver.condition(res["Condition"], lid)}


def test_every_table_is_on_demand_with_ttl_pitr_and_encryption(cfn: dict[str, Any]) -> None:
    resolver = _resolver(cfn, "us-east-1", **PROD)
    tables = {k: v for k, v in cfn["Resources"].items() if v["Type"] in TABLE_TYPES}
    assert set(tables) == set(TABLES)
    for name, table in tables.items():
        props = resolver.resolve(table["Properties"], name)
        assert props["BillingMode"] == "PAY_PER_REQUEST", name
        assert props["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"},
                                      {"AttributeName": "sk", "KeyType": "RANGE"}], name
        assert {(a["AttributeName"], a["AttributeType"]) for a in props["AttributeDefinitions"]} \
            == {("pk", "S"), ("sk", "S")}, name
        assert props["TimeToLiveSpecification"] == {"AttributeName": "expires_at",
                                                    "Enabled": True}, name
        assert props["SSESpecification"]["SSEEnabled"] is True, name
        # A global table sets point-in-time recovery per replica.
        pitr = ([r["PointInTimeRecoverySpecification"] for r in props["Replicas"]]
                if table["Type"] == "AWS::DynamoDB::GlobalTable"
                else [props["PointInTimeRecoverySpecification"]])
        assert pitr and all(p == {"PointInTimeRecoveryEnabled": True} for p in pitr), name


def test_keys_and_gslb_are_global_tables_with_a_replica_in_every_region(
        cfn: dict[str, Any]) -> None:
    resolver = _resolver(cfn, "us-east-1", **PROD)
    for name, suffix in GLOBAL_TABLES.items():
        table = cfn["Resources"][name]
        assert table["Type"] == "AWS::DynamoDB::GlobalTable", name
        props = resolver.resolve(table["Properties"], name)
        assert props["TableName"] == f"edgeway-prod-{suffix}"
        assert [r["Region"] for r in props["Replicas"]] == ["us-east-1", "eu-west-1",
                                                            "ap-southeast-1"], name
        # Required by a global table with more than one replica.
        assert props["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}, name
    assert cfn["Resources"]["KeysTable"]["DeletionPolicy"] == "Retain"


def test_the_home_region_is_always_a_replica_and_never_twice(cfn: dict[str, Any]) -> None:
    for params, expected in [
        ({"Stage": "dev"}, ["us-east-1"]),  # dev: one region, a one-replica global table
        ({**PROD, "ReplicaRegion2": "us-east-1"}, ["us-east-1", "eu-west-1"]),
        ({**PROD, "HomeRegion": "eu-west-1"}, ["eu-west-1", "ap-southeast-1"]),
    ]:
        home = params.get("HomeRegion", "us-east-1")
        props = _resolver(cfn, home, **params).resolve(cfn["Resources"]["KeysTable"]["Properties"],
                                                       "KeysTable")
        assert [r["Region"] for r in props["Replicas"]] == expected, params


def test_shared_tables_exist_only_in_the_home_stack_and_the_cache_everywhere(
        cfn: dict[str, Any]) -> None:
    assert cfn["Conditions"]["IsHomeRegion"] == {
        "Fn::Equals": [{"Ref": "AWS::Region"}, {"Ref": "HomeRegion"}]}
    for name in {**GLOBAL_TABLES, **HOME_ONLY_TABLES}:
        assert cfn["Resources"][name]["Condition"] == "IsHomeRegion", name
    for region in ("us-east-1", "eu-west-1", "ap-southeast-1"):
        tables = {k for k, v in _stack(cfn, region, **PROD).items() if v["Type"] in TABLE_TYPES}
        assert tables == (set(TABLES) if region == "us-east-1" else set(REGIONAL_TABLES)), region
        # Nothing left in a non-home stack refers to a table it does not have.
        if region != "us-east-1":
            assert not re.search(r"\b(KeysTable|GslbTable|CountersTable)\b",
                                 json.dumps(_stack(cfn, region, **PROD))), region


def test_every_function_names_the_same_tables_in_every_region(cfn: dict[str, Any]) -> None:
    seen: dict[str, set[str]] = {}
    for region in ("us-east-1", "eu-west-1", "ap-southeast-1"):
        resolver = _resolver(cfn, region, **PROD)
        for name, fn in _of_type(cfn, "AWS::Lambda::Function").items():
            env = resolver.resolve(fn["Properties"]["Environment"]["Variables"], name)
            for variable in (*TABLES.values(), "EDGEWAY_HOME_COUNTERS_TABLE"):
                seen.setdefault(variable, set()).add(env[variable])
            assert env["EDGEWAY_REGION"] == region, name
            assert env["EDGEWAY_HOME_REGION"] == "us-east-1", name
            assert env["POWERTOOLS_METRICS_NAMESPACE"] == "Edgeway", name
            assert env["POWERTOOLS_SERVICE_NAME"].startswith("edgeway"), name
    assert seen == {
        "EDGEWAY_KEYS_TABLE": {"edgeway-prod-keys"},
        "EDGEWAY_GSLB_TABLE": {"edgeway-prod-gslb"},
        "EDGEWAY_COUNTERS_TABLE": {"edgeway-prod-counters"},
        "EDGEWAY_HOME_COUNTERS_TABLE": {"edgeway-prod-counters"},
        "EDGEWAY_CACHE_TABLE": {"edgeway-prod-cache"},  # one per region, same name in each
    }


def test_the_names_functions_use_are_the_names_the_home_stack_creates(
        cfn: dict[str, Any]) -> None:
    resolver = _resolver(cfn, "us-east-1", **PROD)
    env = resolver.resolve(cfn["Resources"]["GatewayFunction"]["Properties"]["Environment"]
                           ["Variables"], "GatewayFunction")
    for name, variable in TABLES.items():
        created = resolver.resolve(cfn["Resources"][name]["Properties"]["TableName"], name)
        assert env[variable] == created, name


def test_a_stack_outside_the_home_region_translates_too() -> None:
    # The transform itself does not evaluate conditions (CloudFormation does), so
    # a non-home parameter set must translate and keep the same wiring.
    other = _translate({**PROD, "HomeRegion": "eu-west-1"})
    for name in {**GLOBAL_TABLES, **HOME_ONLY_TABLES}:
        assert other["Resources"][name]["Condition"] == "IsHomeRegion", name
    assert not _stack(other, "us-east-1", **{**PROD, "HomeRegion": "eu-west-1"}).keys() \
        & {*GLOBAL_TABLES, *HOME_ONLY_TABLES}
    assert {*GLOBAL_TABLES, *HOME_ONLY_TABLES} <= _stack(
        other, "eu-west-1", **{**PROD, "HomeRegion": "eu-west-1"}).keys()


def test_log_level_reaches_lambda_and_powertools_alike(cfn: dict[str, Any]) -> None:
    # Lambda's application log level (JSON logs) overrides POWERTOOLS_LOG_LEVEL;
    # if only one followed the parameter, DEBUG logs would silently vanish.
    for name, fn in _of_type(cfn, "AWS::Lambda::Function").items():
        props = fn["Properties"]
        assert props["LoggingConfig"] == {"LogFormat": "JSON",
                                          "ApplicationLogLevel": {"Ref": "LogLevel"}}, name
        assert props["Environment"]["Variables"]["POWERTOOLS_LOG_LEVEL"] == {"Ref": "LogLevel"}


def test_outputs_name_the_api_url_tables_layers_and_functions(source: dict[str, Any]) -> None:
    outputs = source["Outputs"]
    assert "execute-api" in outputs["ApiUrl"]["Value"]["Fn::Sub"]
    referenced = {o["Value"]["Ref"] for o in outputs.values() if "Ref" in o["Value"]}
    assert set(FUNCTIONS) | {"EdgewayLayer", "GslbLayer"} <= referenced
    resolver = _resolver(source, "eu-west-1", **PROD)
    names = {k: resolver.resolve(o["Value"], k) for k, o in outputs.items()
             if k.endswith("TableName")}
    assert names == {f"{t}Name": f"edgeway-prod-{s}" for t, s in
                     {**GLOBAL_TABLES, **HOME_ONLY_TABLES, **REGIONAL_TABLES}.items()}
    # An output may not Ref a resource that exists only in the home stack.
    conditional = {k for k, v in source["Resources"].items() if "Condition" in v}
    for key, output in outputs.items():
        if "Condition" not in output:
            assert not re.search(r"\b(%s)\b" % "|".join(conditional),
                                 json.dumps(output["Value"])), key


# ---------------------------------------------------------------- HTTP API

def _paths(cfn: dict[str, Any]) -> dict[str, Any]:
    return cfn["Resources"]["EdgewayHttpApi"]["Properties"]["Body"]["paths"]


def _target(operation: dict[str, Any]) -> str:
    uri = operation["x-amazon-apigateway-integration"]["uri"]["Fn::Sub"]
    return re.search(r"\$\{(\w+)\.Arn\}", uri).group(1)


def test_the_default_route_goes_to_the_gateway(cfn: dict[str, Any]) -> None:
    default = _paths(cfn)["/$default"]["x-amazon-apigateway-any-method"]
    assert default["isDefaultRoute"] is True
    assert _target(default) == "GatewayFunction"
    assert default["x-amazon-apigateway-integration"]["payloadFormatVersion"] == "2.0"
    assert "security" not in default  # the gateway authenticates in-process


def test_gslb_routes_go_to_the_resolver(cfn: dict[str, Any]) -> None:
    paths = _paths(cfn)
    assert _target(paths["/gslb/resolve"]["get"]) == "GslbResolverFunction"
    assert "security" not in paths["/gslb/resolve"]["get"]
    post = paths["/gslb/observations"]["post"]
    assert _target(post) == "GslbResolverFunction"
    # Observations steer traffic: only IAM-signed callers may post them.
    assert post["security"] == [{"AWS_IAM": []}]


def test_the_console_route_goes_to_the_console_function(cfn: dict[str, Any]) -> None:
    operation = _paths(cfn)["/_edgeway/{proxy+}"]["get"]
    assert _target(operation) == "ConsoleFunction"
    assert "security" not in operation  # the function checks the edgeway:admin JWT itself


def test_the_authorizer_is_declared_invokable_and_attached_to_no_route(
        cfn: dict[str, Any]) -> None:
    body = cfn["Resources"]["EdgewayHttpApi"]["Properties"]["Body"]
    scheme = body["components"]["securitySchemes"]["EdgewayAuthorizer"]
    authorizer = scheme["x-amazon-apigateway-authorizer"]
    assert authorizer["authorizerPayloadFormatVersion"] == "2.0"
    assert authorizer["enableSimpleResponses"] is True
    assert authorizer["authorizerResultTtlInSeconds"] == 0  # a revoked key stops at once
    assert "AuthorizerFunction" in json.dumps(authorizer["authorizerUri"])
    for path in body["paths"].values():
        for operation in path.values():
            assert {"EdgewayAuthorizer": []} not in operation.get("security", [])
    permission = cfn["Resources"]["AuthorizerInvokePermission"]["Properties"]
    assert permission["Principal"] == "apigateway.amazonaws.com"
    assert permission["FunctionName"] == {"Fn::GetAtt": ["AuthorizerFunction", "Arn"]}
    assert "/authorizers/" in permission["SourceArn"]["Fn::Sub"]


def test_the_health_checker_runs_on_a_schedule(cfn: dict[str, Any]) -> None:
    rules = {k: v for k, v in _of_type(cfn, "AWS::Events::Rule").items() if k.startswith("HealthChecker")}
    assert len(rules) == 1
    rule = next(iter(rules.values()))["Properties"]
    assert rule["ScheduleExpression"] == {"Ref": "HealthCheckSchedule"}
    assert rule["Targets"][0]["Arn"] == {"Fn::GetAtt": ["HealthCheckerFunction", "Arn"]}
    assert _source()["Parameters"]["HealthCheckSchedule"]["Default"] == "rate(1 minute)"


# ------------------------------------------------------------ code on disk

@pytest.mark.parametrize("logical_id", sorted(FUNCTIONS))
def test_every_function_code_dir_has_an_app_with_a_handler(
        source: dict[str, Any], logical_id: str) -> None:
    code_uri = source["Resources"][logical_id]["Properties"]["CodeUri"]
    assert code_uri == FUNCTIONS[logical_id]
    app = ROOT / code_uri / "app.py"
    assert app.parent.is_dir()
    if not app.exists() and logical_id not in ("UsersFunction", "OrdersFunction"):
        # Written on another branch; present once the branches are merged.
        pytest.skip(f"{app.relative_to(ROOT)} is not on this branch yet")
    tree = ast.parse(app.read_text(), filename=str(app))
    names = {node.name for node in tree.body
             if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))}
    names |= {t.id for node in tree.body if isinstance(node, ast.Assign)
              for t in node.targets if isinstance(t, ast.Name)}
    assert "handler" in names


@pytest.mark.parametrize("function_dir", CONFIG_READERS)
def test_config_readers_ship_gateway_yaml_beside_their_code(function_dir: str) -> None:
    # sam build copies the symlink's target into the artifact (verified with a
    # real `sam build`; `make build` checks it every time).
    link = ROOT / function_dir / "gateway.yaml"
    assert link.is_symlink() and Path(link.readlink()) == Path("../../gateway.yaml")
    if (ROOT / "gateway.yaml").exists():
        assert link.resolve() == (ROOT / "gateway.yaml").resolve()


def test_the_gslb_layer_holds_the_gslb_package() -> None:
    link = ROOT / "layers" / "gslb" / "gslb"
    assert link.is_symlink() and Path(link.readlink()) == Path("../../gslb")
    assert (link / "__init__.py").is_file()


# -------------------------------------------------------------- dependencies

def _names(requirements: list[str]) -> set[str]:
    names = set()
    for line in requirements:
        line = line.split("#", 1)[0].strip()
        if line:
            names.add(re.match(r"[A-Za-z0-9_.-]+", line).group(0).lower().replace("_", "-"))
    return names


def test_layer_requirements_match_pyproject_and_hold_nothing_dev_only() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    shipped = _names(pyproject["project"]["dependencies"])
    edgeway = _names((ROOT / "layers/edgeway/requirements.txt").read_text().splitlines())
    gslb = _names((ROOT / "layers/gslb/requirements.txt").read_text().splitlines())
    # The crypto extra brings cryptography: RS256, ES256 and EdDSA need it.
    assert re.search(r"^pyjwt\[crypto\]", (ROOT / "layers/edgeway/requirements.txt")
                     .read_text(), re.MULTILINE)
    assert edgeway | gslb == shipped
    # The layer brings its own botocore: the runtime's copy may predate the
    # per-request read timeout that the Lambda backend's call budget relies on.
    for name in ("boto3", "botocore"):
        assert re.search(rf"^{name}>=1\.43\.68$", (ROOT / "layers/edgeway/requirements.txt")
                         .read_text(), re.MULTILINE)
    # jsonschema ships: the validation stage lists every schema error with it
    # (imported only when a request fails a route's schema).
    dev_only = {"moto", "pytest", "cfn-lint", "httpx"}
    assert not (edgeway | gslb) & dev_only
    # The Users backend bundles what the `backends` extra installs for tests.
    users = _names((ROOT / "functions/users/requirements.txt").read_text().splitlines())
    assert users == _names(pyproject["project"]["optional-dependencies"]["backends"])


# ----------------------------------------------------------------- samconfig

def test_samconfig_has_dev_and_one_production_environment_per_region(
        source: dict[str, Any]) -> None:
    config = tomllib.loads((ROOT / "samconfig.toml").read_text())
    assert config["version"] == 0.1
    expected = {"default": "us-east-1", "prod-us-east-1": "us-east-1",
                "prod-eu-west-1": "eu-west-1", "prod-ap-southeast-1": "ap-southeast-1"}
    for env, region in expected.items():
        deploy = config[env]["deploy"]["parameters"]
        assert deploy["region"] == region, env
        assert deploy["capabilities"] == "CAPABILITY_IAM", env
        assert deploy["resolve_s3"] is True, env
        overrides = dict(item.split("=", 1) for item in deploy["parameter_overrides"])
        assert set(overrides) <= set(source["Parameters"]), env
        assert overrides["HomeRegion"] == "us-east-1", env
        if env.startswith("prod-"):
            # Every production stack names the same replicas, and every
            # production region is one (the home region is one by itself).
            replicas = {overrides.get(f"ReplicaRegion{i}", "") for i in (1, 2, 3)} - {""}
            assert replicas | {overrides["HomeRegion"]} == {
                r for e, r in expected.items() if e.startswith("prod-")}, env
        for name, value in overrides.items():
            pattern = source["Parameters"][name].get("AllowedPattern")
            allowed = source["Parameters"][name].get("AllowedValues")
            assert pattern is None or re.fullmatch(pattern, value), (env, name)
            assert allowed is None or value in [str(v) for v in allowed], (env, name)
    assert config["default"]["global"]["parameters"]["stack_name"] == "edgeway-dev"


def test_region_endpoints_parameter_accepts_api_urls_and_rejects_garbage(
        source: dict[str, Any]) -> None:
    pattern = source["Parameters"]["RegionEndpoints"]["AllowedPattern"]
    good = ("us-east-1=https://a1b2c3.execute-api.us-east-1.amazonaws.com/,"
            "eu-west-1=https://x9y8z7.execute-api.eu-west-1.amazonaws.com")
    assert re.fullmatch(pattern, good)
    assert re.fullmatch(pattern, "")
    for bad in ("us-east-1", "us-east-1=ftp://x", "us-east-1=https://a,,eu-west-1=https://b",
                "us-east-1=https://a b"):
        assert not re.fullmatch(pattern, bad), bad

