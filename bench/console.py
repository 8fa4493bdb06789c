"""The console against its budgets, on a live local stack with the shipped networks table.

    python -m bench.console                 # figures -> docs/bench/console.md
    python -m bench.console --screenshots   # also retake docs/console/*.png (make screenshots)

Budgets (issue 12): every data endpoint answers in at most 50 ms; the page's whole
transfer is at most 400 KB; the page is complete (every section drawn) within 1.5 s
of navigation, measured in headless Chromium. Endpoint times are medians over warm
requests, with the listener's own /health beside them as the baseline of the same
run (what any request through the local API Gateway emulator costs).
"""

from __future__ import annotations

import statistics
import sys
import time
import urllib.request
from typing import Any

from bench._common import ROOT, git_rev, machine, median, pct, write_section
from edgeway_local.browser import DemoStack, chromium, chromium_missing, demo_stack, wait_ready
from edgeway_local.cli import main as edgeway
from tests.console.conftest import SECTIONS

# The console tests' sections; resolve asks about a client the demo table places in Frankfurt.
ENDPOINTS = tuple("resolve?ip=198.51.100.7" if s == "resolve" else s for s in SECTIONS)
ROUNDS = 31
LOADS = 7
SHOTS = ROOT / "docs" / "console"
ENDPOINT_BUDGET_MS, TRANSFER_BUDGET_KB, READY_BUDGET_MS = 50.0, 400.0, 1500.0


def _timed_get(url: str, token: str | None) -> float:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    started = time.perf_counter()
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=10) as r:
        r.read()
    return (time.perf_counter() - started) * 1000


def endpoints(demo: DemoStack) -> list[tuple[str, float, float]]:
    paths: dict[str, tuple[str, str | None]] = {
        "baseline: GET /health": (f"{demo.home_url}/health", None)}
    for s in ENDPOINTS:
        paths[f"/_edgeway/api/{s}"] = (f"{demo.home_url}/_edgeway/api/{s}", demo.token)
    samples: dict[str, list[float]] = {name: [] for name in paths}
    for name, (url, token) in paths.items():
        _timed_get(url, token)  # warm the container and the per-generation caches
    for _ in range(ROUNDS):  # interleaved: drift in the machine's load hits every path alike
        for name, (url, token) in paths.items():
            samples[name].append(_timed_get(url, token))
    return [(name, median(v), pct(v, 95)) for name, v in samples.items()]


def page(demo: DemoStack) -> tuple[float, list[float], float, int]:
    with chromium(1280, 800) as driver:
        driver.get(demo.console_url)
        first = wait_ready(driver, timeout_s=30)
        warm = []
        for _ in range(LOADS):
            driver.get(demo.page_url)  # a real reload: the token is in sessionStorage now
            warm.append(wait_ready(driver, timeout_s=30))
        time.sleep(0.5)  # the map's land outline loads beside the sections
        transfer = driver.execute_script("""
            const nav = performance.getEntriesByType('navigation')[0];
            return nav.transferSize + performance.getEntriesByType('resource')
                .reduce((sum, e) => sum + e.transferSize, 0)""")
        count = driver.execute_script("return performance.getEntriesByType('resource').length + 1")
    return first, warm, transfer / 1024, count


def traffic(demo: DemoStack) -> None:
    """Some requests, so Traffic and Consumers have something to show."""
    for path in ("/v1/users/42", "/v1/users/7", "/v1/orders", "/v1/users/abc", "/v1/nope") * 4:
        request = urllib.request.Request(demo.home_url + path, headers={"x-api-key": demo.demo_key or ""})
        try:
            urllib.request.urlopen(request, timeout=10).read()
        except OSError:
            pass


def screenshots(demo: DemoStack) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    edgeway(["region", "down", "ap-southeast-1", "--invoke-port", str(demo.invoke_port)])
    try:
        time.sleep(12)  # fall x interval + a poll: the failover is on the page and the timeline
        for width, height in ((1280, 800), (390, 844)):
            with chromium(width, height) as driver:
                driver.get(demo.console_url)
                wait_ready(driver, timeout_s=30)
                time.sleep(1.0)
                full = int(driver.execute_script("return document.documentElement.scrollHeight"))
                driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
                    "width": width, "height": full, "deviceScaleFactor": 1, "mobile": width < 600})
                time.sleep(0.5)
                path = SHOTS / f"console-{width}x{height}.png"
                driver.save_screenshot(str(path))
                print(f"wrote {path.relative_to(ROOT)}")
    finally:
        edgeway(["region", "up", "ap-southeast-1", "--invoke-port", str(demo.invoke_port)])


def main(argv: list[str]) -> int:
    missing = chromium_missing()
    if missing:
        print(f"bench.console: {missing}", file=sys.stderr)
        return 1
    with demo_stack() as demo:
        time.sleep(4)  # a few probe rounds: every region has a verdict
        traffic(demo)
        time.sleep(2)
        rows = endpoints(demo)
        first, warm, transfer_kb, requests = page(demo)
        if "--screenshots" in argv:
            screenshots(demo)
    base = rows[0][1]
    worst = max(m for name, m, _ in rows[1:])
    lines = [
        "## Operator console (issue 12, `python -m bench.console`)", "",
        f"At {git_rev()}, {time.strftime('%Y-%m-%d', time.gmtime())}, on {machine()}.",
        "A live local stack (`make run`'s template and gateway.yaml, the shipped networks",
        f"table); requests one at a time, medians over {ROUNDS} interleaved rounds after one",
        "warm-up request each.", "",
        "| endpoint | median ms | p95 ms | ratio to baseline |", "|---|---:|---:|---:|",
        *(f"| {name} | {m:.1f} | {p:.1f} | {m / base:.1f} |" for name, m, p in rows), "",
        f"Budget: every data endpoint at most {ENDPOINT_BUDGET_MS:.0f} ms: worst median "
        f"**{worst:.1f} ms** ({'met' if worst <= ENDPOINT_BUDGET_MS else 'NOT met'}).", "",
        f"Page in headless Chromium (1280x800): whole transfer **{transfer_kb:.0f} KB** in "
        f"{requests} requests (budget {TRANSFER_BUDGET_KB:.0f} KB: "
        f"{'met' if transfer_kb <= TRANSFER_BUDGET_KB else 'NOT met'}); every section drawn "
        f"**{statistics.median(warm):.0f} ms** after navigation (median of {LOADS} loads, "
        f"range {min(warm):.0f}-{max(warm):.0f}; budget {READY_BUDGET_MS:.0f} ms: "
        f"{'met' if statistics.median(warm) <= READY_BUDGET_MS else 'NOT met'}).",
        f"The first load after the stack starts took {first:.0f} ms: the local runtime starts",
        "a Python process per concurrent request to the ConsoleFunction (a Lambda cold start),",
        "which later loads reuse.",
    ]
    write_section("console", "\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
