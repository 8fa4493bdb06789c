"""`edgeway invoke`: one function, one event, like `sam local invoke`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import ROOT, TEMPLATE

EDGEWAY = [sys.executable, "-m", "edgeway_local.cli", "invoke"]


def _invoke(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*EDGEWAY, *args, "--template", str(TEMPLATE)], input=stdin,
                          capture_output=True, text=True, timeout=60, cwd=ROOT)


def test_prints_the_result_and_logs_apart(tmp_path: Path) -> None:
    event = tmp_path / "event.json"
    event.write_text('{"greeting": "hi"}')
    env_vars = tmp_path / "env.json"
    env_vars.write_text(json.dumps({"Parameters": {"EXTRA_ALL": "1"},
                                    "EchoFunction": {"EXTRA_ONE": "2"}}))
    result = _invoke("EchoFunction", "-e", str(event), "--region", "eu-west-1",
                     "--env-vars", str(env_vars))
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["event"] == {"greeting": "hi"}
    assert payload["env"]["AWS_REGION"] == "eu-west-1"
    assert (payload["env"]["EXTRA_ALL"], payload["env"]["EXTRA_ONE"]) == ("1", "2")
    assert "echo invoked (1)" in result.stderr and "echo invoked" not in result.stdout


def test_event_from_stdin_and_a_function_error_exit_non_zero() -> None:
    result = _invoke("FaultsFunction", "-e", "-", stdin='{"action": "raise", "detail": "x"}')
    assert result.returncode == 1
    assert json.loads(result.stdout)["errorType"] == "ValueError"
    assert "Traceback" in result.stderr


def test_unknown_function_and_bad_event_are_config_errors(tmp_path: Path) -> None:
    unknown = _invoke("GhostFunction")
    assert unknown.returncode == 2 and "GhostFunction" in unknown.stderr
    bad = tmp_path / "bad.json"
    bad.write_text("{nope")
    result = _invoke("EchoFunction", "-e", str(bad))
    assert result.returncode == 2 and "bad.json" in result.stderr and "not valid JSON" in result.stderr


@pytest.mark.skipif(not (ROOT / "functions/users/app.py").exists(),
                    reason="needs functions/users (branch sam)")
def test_the_project_users_function_answers_its_sample_event() -> None:
    result = subprocess.run([*EDGEWAY, "UsersFunction", "-e", "events/users_get.json"],
                            capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    response = json.loads(result.stdout)
    assert response["statusCode"] == 200
    assert json.loads(response["body"])["id"] == "42"
