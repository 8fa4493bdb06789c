"""The one Settings: every function's environment, read in one place."""

from __future__ import annotations

import pytest

from edgeway.errors import ConfigError
from edgeway.settings import Settings


def test_one_region_rule_for_every_function() -> None:
    assert Settings.from_env({}).region == "us-east-1"
    assert Settings.from_env({"AWS_DEFAULT_REGION": "eu-west-1"}).region == "eu-west-1"
    both = Settings.from_env({"EDGEWAY_REGION": "ap-southeast-1", "AWS_REGION": "eu-west-1"})
    assert (both.region, both.aws_region) == ("ap-southeast-1", "eu-west-1")


def test_gslb_values_are_read_with_the_rest(tmp_path) -> None:
    (tmp_path / "gateway.yaml").write_text("version: 1\n")
    settings = Settings.from_env({
        "EDGEWAY_REGION_ENDPOINTS": "us-east-1=https://a.example/, eu-west-1=http://b.example",
        "EDGEWAY_HEALTH_RUN_S": "12.5", "EDGEWAY_GSLB_TABLE": "G",
        "EDGEWAY_FUNCTION_MAP": '{"UsersFunction": "edgeway-users"}'}, task_root=tmp_path)
    assert settings.config_path == str(tmp_path / "gateway.yaml")
    assert settings.region_endpoints == {"us-east-1": "https://a.example",
                                         "eu-west-1": "http://b.example"}
    assert settings.health_run_s == 12.5 and settings.gslb_table == "G"
    assert settings.function_map == {"UsersFunction": "edgeway-users"}


@pytest.mark.parametrize(("name", "value", "reason"), [
    ("EDGEWAY_HEALTH_RUN_S", "soon", "number of seconds"),
    ("EDGEWAY_HEALTH_RUN_S", "-1", "positive"),
    ("EDGEWAY_HEALTH_RUN_S", "nan", "positive"),
    ("EDGEWAY_COUNTER_TIMEOUT_S", "0", "positive"),
    ("EDGEWAY_REGION_ENDPOINTS", "us-east-1", "name=http(s)://url"),
    ("EDGEWAY_FUNCTION_MAP", "{not json", "not valid JSON"),
    ("EDGEWAY_FUNCTION_MAP", '["UsersFunction"]', "JSON object"),
])
def test_a_bad_value_is_an_error_naming_the_variable(name: str, value: str, reason: str) -> None:
    with pytest.raises(ConfigError) as info:
        Settings.from_env({name: value})
    assert info.value.key == name and reason in str(info.value)
    assert str(info.value).startswith(f"<environment>: {name}: ")


def test_the_counter_timeout_is_a_second_in_the_cloud_and_longer_on_the_local_stack() -> None:
    assert Settings.from_env({}).counter_timeout_s == 1.0
    assert Settings.from_env({"EDGEWAY_COUNTER_TIMEOUT_S": "2.5"}).counter_timeout_s == 2.5
