"""template.yaml reading: short-form tags, Globals, intrinsics, errors that say where."""

from __future__ import annotations

from pathlib import Path

import pytest

from edgeway.errors import ConfigError
from edgeway_local.template import load_template

from .conftest import ROOT, STACK, TEMPLATE


def test_globals_fold_into_each_function_as_sam_does() -> None:
    template = load_template(TEMPLATE)
    faults = template.functions["FaultsFunction"]
    echo = template.functions["EchoFunction"]
    assert (faults.runtime, faults.handler) == ("python3.13", "app.handler")
    assert (faults.timeout, faults.memory_size) == (1, 512)  # the function wins over Globals
    assert (echo.timeout, echo.memory_size) == (10, 256)  # Globals apply
    assert [layer.logical_id for layer in echo.layers] == ["FixtureLayer"]
    assert echo.layers[0].content_dir == STACK / "layers" / "fixturelib"
    assert echo.code_dir == STACK / "functions" / "echo"
    # Environment.Variables merge: globals and the function's own.
    assert echo.environment["LOG_LEVEL"] == "INFO"
    assert echo.environment["SELF"] == "EchoFunction"


def test_intrinsics_resolve_for_the_region_served() -> None:
    env = load_template(TEMPLATE, region="eu-west-1").functions["EchoFunction"].environment
    assert env["REGION_LABEL"] == "echo-in-eu-west-1"  # !Sub with AWS::Region
    assert env["EDGEWAY_KEYS_TABLE"] == "edgeway-local-KeysTable"  # !Ref table, no TableName
    assert env["NAMED_TABLE"] == "edgeway-local-named"  # !Ref table with a !Sub TableName
    assert env["NAMED_TABLE_ARN"] == \
        "arn:aws:dynamodb:eu-west-1:123456789012:table/edgeway-local-named"
    assert env["STAGE"] == "stage-test"  # !If on a condition over a parameter's Default
    assert env["JOINED"] == "a,test,c"
    assert "OPTIONAL" not in env  # !Ref AWS::NoValue removes the key
    template = load_template(TEMPLATE)
    # A function's !Ref is its FunctionName when it has one, else its logical id.
    assert template.functions["GatewayFunction"].environment["BACKEND"] == "edgeway-local-backend"
    assert template.functions["BackendFunction"].name == "edgeway-local-backend"
    assert template.functions["EchoFunction"].name == "EchoFunction"


def test_a_global_table_is_a_table_in_every_region_named_as_functions_name_it() -> None:
    for region in ("us-east-1", "eu-west-1"):  # eu-west-1: its Condition is false there
        template = load_template(TEMPLATE, region=region)
        shared = template.tables["SharedTable"]
        env = template.functions["EchoFunction"].environment
        assert shared.name == env["SHARED_TABLE"] == "fixture-test-shared", region
        assert shared.replicated and not template.tables["KeysTable"].replicated
        # Point-in-time recovery and TTL come from the replica and the table.
        assert shared.point_in_time_recovery and shared.ttl_attribute == "expires_at", region


def test_tables_keep_keys_ttl_and_pitr() -> None:
    keys = load_template(TEMPLATE).tables["KeysTable"]
    assert [k["AttributeName"] for k in keys.key_schema] == ["pk", "sk"]
    assert keys.billing_mode == "PAY_PER_REQUEST"
    assert keys.ttl_attribute == "expires_at"
    assert keys.point_in_time_recovery


def test_queues_and_buses_resolve_as_cloudformation_does() -> None:
    template = load_template(TEMPLATE, region="eu-west-1")
    env = template.functions["GatewayFunction"].environment
    # A queue's Ref is its URL; FIFO queue names end in .fifo; a bus's Ref is its name.
    assert env["JOBS_QUEUE_URL"] == \
        "https://sqs.eu-west-1.amazonaws.com/123456789012/edgeway-local-JobsQueue.fifo"
    assert env["JOBS_QUEUE_ARN"] == "arn:aws:sqs:eu-west-1:123456789012:edgeway-local-JobsQueue.fifo"
    assert env["BUS"] == "fixture-test"
    assert template.queues["JobsQueue"].fifo
    assert template.event_buses["FixtureBus"].name == "fixture-test"


def test_http_api_events_become_routes() -> None:
    routes = {r.route_key: r.function for r in load_template(TEMPLATE).routes}
    assert routes == {"GET /echo/{id}": "EchoFunction", "ANY /raw/{proxy+}": "EchoFunction",
                      "$default": "GatewayFunction"}


def test_the_project_template_loads() -> None:
    path = ROOT / "template.yaml"
    if not path.exists():
        pytest.skip("template.yaml is not in this checkout yet")
    template = load_template(path)
    routes = {r.route_key: r.function for r in template.routes}
    assert routes["$default"] == "GatewayFunction"
    assert routes["GET /gslb/resolve"] == "GslbResolverFunction"
    assert set(template.tables) >= {"KeysTable", "CountersTable", "CacheTable", "GslbTable"}
    gateway = template.functions["GatewayFunction"]
    assert gateway.environment["EDGEWAY_GSLB_TABLE"] == template.tables["GslbTable"].name


BROKEN = {
    "no_handler": ("Handler: 42", "Resources.F.Properties.Handler"),
    "ref_unknown": ("Handler: app.handler\n      Environment:\n        Variables:\n"
                    "          T: !Ref NoSuchTable", "Resources.F.Properties.Environment.Variables.T"),
    "missing_code": ("Handler: app.handler\n      CodeUri: nowhere/", "Resources.F.Properties.CodeUri"),
    "node_runtime": ("Handler: app.handler\n      Runtime: nodejs20.x", "Resources.F.Properties.Runtime"),
    "bad_timeout": ("Handler: app.handler\n      Timeout: soon", "Resources.F.Properties.Timeout"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_a_bad_template_names_file_and_key(tmp_path: Path, case: str) -> None:
    props, key = BROKEN[case]
    (tmp_path / "code").mkdir()
    path = tmp_path / "template.yaml"
    path.write_text("Resources:\n  F:\n    Type: AWS::Serverless::Function\n    Properties:\n"
                    "      Runtime: python3.13\n      CodeUri: code/\n"
                    f"      {props}\n")
    with pytest.raises(ConfigError) as info:
        load_template(path)
    assert info.value.file == str(path)
    assert info.value.key == key
    assert info.value.reason


def test_invalid_yaml_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "template.yaml"
    path.write_text("Resources:\n  F: [unclosed\n")
    with pytest.raises(ConfigError) as info:
        load_template(path)
    assert info.value.file == str(path) and info.value.line is not None


MALFORMED_INTRINSICS = {
    '{"Fn::Select": "x"}': "Fn::Select takes [index, [values]]",
    '{"Fn::Select": [0]}': "Fn::Select takes [index, [values]]",
    '{"Fn::Split": [","]}': "Fn::Split takes [delimiter, string]",
    '{"Fn::Sub": ["${A}"]}': "Fn::Sub takes a string or [string, {variables}]",
    '{"Fn::Sub": ["${A}", [1]]}': "Fn::Sub variables must be a mapping",
    '{"Fn::Join": [","]}': "Fn::Join takes [delimiter, [values]]",
    '{"Fn::If": ["C", 1]}': "Fn::If takes [condition, value_if_true, value_if_false]",
    '{"Fn::If": [["C"], 1, 2]}': "unknown condition",
    '{"Fn::FindInMap": ["M", "k"]}': "Fn::FindInMap takes [map, top-level key, second-level key]",
    '{"Fn::Equals": ["a"]}': "Fn::Equals takes [value, value]",
    '{"Fn::Not": "x"}': "Fn::Not takes [condition]",
    '{"Fn::And": [true]}': "Fn::And takes [condition, ...] (2 to 10)",
    '{"Fn::Or": "x"}': "Fn::Or takes [condition, ...] (2 to 10)",
    '{"Fn::GetAtt": [{"Ref": "F"}, "Arn"]}': "!GetAtt of unknown resource",
    '{"Ref": ["F"]}': "Ref takes the name of a parameter or resource",
    '{"Ref": "Nothing"}': "!Ref to 'Nothing', which is neither a parameter nor a resource",
}


@pytest.mark.parametrize("intrinsic", sorted(MALFORMED_INTRINSICS))
def test_a_malformed_intrinsic_is_a_config_error_naming_the_key(tmp_path: Path,
                                                               intrinsic: str) -> None:
    (tmp_path / "code").mkdir()
    path = tmp_path / "template.yaml"
    path.write_text("Resources:\n  F:\n    Type: AWS::Serverless::Function\n    Properties:\n"
                    "      Runtime: python3.13\n      CodeUri: code/\n      Handler: app.handler\n"
                    f"      Environment: {{Variables: {{V: {intrinsic}}}}}\n")
    with pytest.raises(ConfigError) as info:
        load_template(path)
    assert info.value.file == str(path)
    assert info.value.key is not None
    assert info.value.key.startswith("Resources.F.Properties.Environment.Variables.V")
    assert MALFORMED_INTRINSICS[intrinsic] in info.value.reason


def test_edgeway_serve_refuses_a_malformed_intrinsic_before_it_starts(tmp_path: Path) -> None:
    from edgeway_local.serve import ServeOptions, validate

    (tmp_path / "code").mkdir()
    path = tmp_path / "template.yaml"
    path.write_text("Resources:\n  F:\n    Type: AWS::Serverless::Function\n    Properties:\n"
                    "      Runtime: python3.13\n      CodeUri: code/\n      Handler: app.handler\n"
                    "      Environment:\n        Variables:\n          V: !Select x\n")
    with pytest.raises(ConfigError) as info:
        validate(ServeOptions(config=None, template=path))
    assert str(info.value) == (f"{path}: Resources.F.Properties.Environment.Variables.V.Fn::Select: "
                               "Fn::Select takes [index, [values]], got 'x'")
