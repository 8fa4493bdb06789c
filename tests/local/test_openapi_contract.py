"""The exported OpenAPI document is a contract: a bounded Schemathesis run against
the demo stack (`edgeway serve` on free loopback ports, the repo's template.yaml
and gateway.yaml) checks every answer against `edgeway openapi`'s document.

Bounded: a fixed number of generated cases per operation (a few hundred in all),
derandomised (the same cases every run), and a wall-clock budget after which no
further case is sent. The stack is the real one: the API Gateway emulation, the
gateway function, the Invoke API and the sample backends (users via Mangum,
orders), so a disagreement anywhere between document, gateway and backend fails.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from edgeway.config import load_config
from edgeway_local.openapi import build_openapi
from tests.local.test_serve import ROOT, Stack, _ports, _start, _stop

pytestmark = pytest.mark.slow
CASES_PER_OPERATION = 40
BUDGET_S = 40.0
# The demo's plans would answer most generated requests 429 (5/s, 1000 a day): the
# copy under test gives the demo key a plan that never binds, so requests reach the
# backends. Nothing else of gateway.yaml changes but its ports.
UNLIMITED_PLAN = """
  contract:
    rate: {per_second: 100000, burst: 100000}
"""


def _demo_config(tmp: Path, ports: dict[str, int]) -> Path:
    text = (ROOT / "gateway.yaml").read_text()
    text = text.replace("127.0.0.1:3010", f"127.0.0.1:{ports['issuer']}")
    for old, new in (("3000", "home"), ("3002", "eu"), ("3003", "ap")):
        # (?!\d): a random port put in earlier (30024) must not be rewritten again
        text = re.sub(rf"127\.0\.0\.1:{old}(?!\d)", f"127.0.0.1:{ports[new]}", text)
    text = text.replace("plans:\n", "plans:" + UNLIMITED_PLAN, 1)
    text = text.replace("default_plan: free", "default_plan: contract")
    text = re.sub(r"(plan_scopes:\n)", r"\1      contract: [users:read, orders:read, orders:write]\n",
                  text, count=1)
    path = tmp / "gateway.yaml"
    path.write_text(text)
    return path


@pytest.fixture(scope="module")
def demo_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Stack, Path, str]]:
    tmp = tmp_path_factory.mktemp("contract")
    ports = _ports("home", "eu", "ap", "invoke", "moto", "dns", "issuer")
    config = _demo_config(tmp, ports)
    stack = _start(["--template", str(ROOT / "template.yaml"), "--config", str(config),
                    "--port", str(ports["home"]),
                    "--region-port", f"eu-west-1={ports['eu']}",
                    "--region-port", f"ap-southeast-1={ports['ap']}"], ROOT, ports)
    try:
        key = next(w for line in stack.banner if "Demo API key" in line for w in line.split()
                   if w.startswith("ewk_"))
        yield stack, config, key
    finally:
        _stop(stack)


def test_every_answer_matches_the_exported_document(demo_stack) -> None:
    import schemathesis
    from hypothesis import HealthCheck, Phase, given, settings

    stack, config, key = demo_stack
    base_url = stack.url("home")
    document = build_openapi(load_config(config), servers=[base_url])
    schema = schemathesis.openapi.from_dict(document)
    started = time.monotonic()
    failures: list[str] = []
    sent = 0

    for result in schema.get_all_operations():
        operation = result.ok()

        @settings(max_examples=CASES_PER_OPERATION, deadline=None, derandomize=True,
                  database=None, phases=[Phase.explicit, Phase.generate],
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def run(case: Any) -> None:
            nonlocal sent
            if time.monotonic() - started > BUDGET_S:
                return  # over the budget: stop sending, keep what was found
            sent += 1
            try:
                case.call_and_validate(base_url=base_url, headers={"x-api-key": key},
                                       timeout=15)
            except BaseException as exc:  # schemathesis raises an exception group
                if isinstance(exc, KeyboardInterrupt):
                    raise
                failures.append(f"{operation.label}: {exc}"[:1500])

        run()

    assert sent >= 50, f"only {sent} cases were sent: the budget is too small for the stack"
    assert not failures, "\n\n".join(dict.fromkeys(failures))
