"""What a cold start imports: a gateway loads the code of the features its config
uses, and nothing else (every module import is paid on each new container)."""

from __future__ import annotations

import subprocess
import sys

from edgeway.auth.authenticator import Mode
from edgeway.auth.stage import PUBLIC_MODE

# Features a one-route public gateway with a Lambda backend does not use.
UNUSED = (
    "edgeway.aggregate", "edgeway.auth.authenticator", "edgeway.auth.config",
    "edgeway.backends.canary", "edgeway.backends.http", "edgeway.backends.messaging",
    "edgeway.cache", "edgeway.stages.cors", "edgeway.ratelimit.stage", "edgeway.resilience",
    "edgeway.validation", "edgeway.stages.transform",
    "fastjsonschema",  # only request bodies need it; the config's shapes use edgeway.shapes
)


def loaded_after_build(config: str) -> set[str]:
    code = f"""
import sys
from edgeway.config import parse_config
from edgeway.pipeline import build_gateway
from edgeway.settings import Settings
build_gateway(parse_config({config!r}), Settings.from_env({{'EDGEWAY_KEYS_TABLE': 't'}}))
print(' '.join(sorted(sys.modules)))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(out.stdout.split())


def test_a_public_lambda_gateway_loads_no_unused_feature():
    loaded = loaded_after_build("""
version: 1
routes:
  - {path: /a, auth: none, backend: {type: lambda, function: F}}
""")
    assert sorted(m for m in UNUSED if m in loaded) == []


def test_features_in_the_config_are_loaded_at_build():
    loaded = loaded_after_build("""
version: 1
routes:
  - {path: /a, auth: api_key, backend: {type: http, url: "https://example.com"}, cors: {}}
  - path: /b
    auth: none
    schema: {body: {type: object}}
    transform: {response: {headers: {add: {x-a: b}}}}
    backend:
      type: canary
      variants:
        - {name: one, weight: 1, backend: {type: sqs, queue_url: "https://sqs.us-east-1.amazonaws.com/1/q"}}
""")
    assert {"edgeway.auth.authenticator", "edgeway.backends.http", "edgeway.backends.canary",
            "edgeway.backends.messaging", "edgeway.stages.cors", "edgeway.validation",
            "edgeway.stages.transform"} <= loaded


def test_public_mode_is_the_authenticators_none():
    assert PUBLIC_MODE == Mode.NONE.value


def test_the_lambda_entry_takes_what_it_built_out_of_the_collectors_reach(tmp_path):
    config = tmp_path / "gateway.yaml"
    config.write_text("version: 1\nroutes:\n  - {path: /a, auth: none, backend: {type: lambda, function: F}}\n")
    code = f"""
import gc
from edgeway.runtime import lambda_handler
from edgeway.settings import Settings
before = gc.get_freeze_count()
lambda_handler(Settings(config_path={str(config)!r}, region='us-east-1'))
print(before, gc.get_freeze_count())
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    before, after = map(int, out.stdout.split())
    assert before == 0 and after > 1000
