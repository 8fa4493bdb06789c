"""The console in a real browser (Debian's chromium + chromedriver) against a live local stack.

Skipped, with the reason and the install command, where no Chromium is found;
CI installs one (.ci/run), so there they always run.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from edgeway_local.browser import DemoStack, chromium, chromium_missing, demo_stack, wait_ready
from edgeway_local.cli import main as edgeway
from tests.console.conftest import SECTIONS

MISSING = chromium_missing()
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(MISSING is not None, reason=f"console browser tests: {MISSING}")]

REGIONS = ("us-east-1", "eu-west-1", "ap-southeast-1")


@pytest.fixture(scope="module")
def demo() -> Iterator[DemoStack]:
    with demo_stack() as live:
        yield live


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium(1280, 800) as driver:
        yield driver


@pytest.fixture
def page(demo: DemoStack, browser: Any) -> Any:
    browser.get(demo.console_url)
    wait_ready(browser, timeout_s=30)
    _wait_for(browser, 15, "every region has a verdict",
              "return document.querySelectorAll('#regions-table tr[data-health=up]').length === 3")
    return browser


def _wait_for(driver: Any, timeout_s: float, what: str, script: str) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, timeout_s, poll_frequency=0.1, ).until(
        lambda d: d.execute_script(script), message=f"not seen in {timeout_s} s: {what}")


def _errors(driver: Any) -> list[str]:
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def test_loads_with_no_console_error_and_no_failed_request(page: Any) -> None:
    statuses = page.execute_script(
        "return performance.getEntriesByType('resource').map(e => [e.name, e.responseStatus])")
    assert statuses, "the page made no request"
    assert [s for s in statuses if s[1] != 200] == []
    assert _errors(page) == []
    assert page.execute_script("return document.querySelectorAll('[data-available=false]').length") == 0


def test_every_region_appears_with_its_verdict(page: Any) -> None:
    rows = page.execute_script("""return [...document.querySelectorAll('#regions-table tbody tr')]
        .map(r => [r.dataset.region, r.querySelector('td .badge').textContent,
                   r.querySelector('.reason').textContent])""")
    assert [r[0] for r in rows] == list(REGIONS)
    for name, verdict, reason in rows:
        assert verdict == "UP", name
        assert "quorum" in reason and "3 up" in reason


def _ask(page: Any, text: str) -> None:
    from selenium.webdriver.common.by import By

    page.execute_script("document.getElementById('ask-answer').replaceChildren()")
    box = page.find_element(By.ID, "ask-ip")
    box.clear()
    box.send_keys(text)
    page.find_element(By.CSS_SELECTOR, "#ask-form button").click()


def test_ask_answers_eu_west_1_for_the_european_client(page: Any) -> None:
    from selenium.webdriver.common.by import By

    _ask(page, "198.51.100.7")
    _wait_for(page, 10, "an answer", "return !!document.querySelector('#ask-answer .answer')")
    answer = page.find_element(By.CSS_SELECTOR, "#ask-answer .answer")
    assert answer.get_attribute("data-region") == "eu-west-1"
    text = answer.text
    assert "lowest modelled latency" in text and "us-east-1" in text  # reason and alternatives


def test_ask_with_garbage_says_so_on_the_page(page: Any) -> None:
    from selenium.webdriver.common.by import By

    _ask(page, "not-an-ip<script>")
    _wait_for(page, 10, "an error", "return !!document.querySelector('#ask-answer .error')")
    message = page.find_element(By.CSS_SELECTOR, "#ask-answer .error").text
    assert "is not an IP address or subnet" in message
    assert "Traceback" not in page.page_source


def test_the_map_marks_every_region_and_draws_the_prefix_dots(page: Any, demo: DemoStack) -> None:
    from selenium.webdriver.common.by import By

    marks = page.execute_script(
        "return [...document.querySelectorAll('#map .region-mark')].map(g => g.dataset.region)")
    assert sorted(marks) == sorted(REGIONS)
    dots = page.execute_script("""return [...document.querySelectorAll('#map circle.dot')]
        .map(c => [c.dataset.prefix, c.dataset.region])""")
    steering = _api(demo, "steering")
    assert len(dots) == len(steering["prefixes"]) > 100
    assert dict(dots)["198.51.100.0/24"] == "eu-west-1"
    assert {region for _, region in dots} == set(REGIONS)
    # the Route 53 plan's toggle recolours the dots by what Route 53 would answer
    assert page.execute_script("return document.getElementById('plan-toggle').hidden") is False
    page.find_element(By.CSS_SELECTOR, "input[name=plan][value=plan]").click()
    planned = page.execute_script("""return [...document.querySelectorAll('#map circle.dot')]
        .map(c => [c.dataset.prefix, c.dataset.region])""")
    assert dict(planned) == steering["plan"]
    page.find_element(By.CSS_SELECTOR, "input[name=plan][value=engine]").click()


def test_consumer_count_rises_after_requests(page: Any, demo: DemoStack) -> None:
    assert demo.demo_key
    before = page.execute_script(
        "const r = document.querySelector('#consumers-table tr[data-consumer=demo]');"
        "return r ? Number(r.dataset.day) : 0")
    for _ in range(3):
        request = urllib.request.Request(demo.home_url + "/v1/users/42",
                                         headers={"x-api-key": demo.demo_key})
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 200
    _wait_for(page, 10, "the demo consumer's count rising by 3",
              "const r = document.querySelector('#consumers-table tr[data-consumer=demo]');"
              f"return r && Number(r.dataset.day) >= {before + 3}")


@pytest.mark.parametrize("size", [(1280, 800), (390, 844)])
def test_layout_holds(demo: DemoStack, size: tuple[int, int]) -> None:
    width, height = size
    with chromium(width, height) as driver:
        driver.get(demo.console_url)
        wait_ready(driver, timeout_s=30)
        scroll_width, inner = driver.execute_script(
            "return [document.documentElement.scrollWidth, window.innerWidth]")
        assert (scroll_width, inner) == (width, width), "horizontal overflow"
        too_wide = driver.execute_script("""return [...document.querySelectorAll('section.card')]
            .filter(s => s.getBoundingClientRect().right > window.innerWidth + 0.5).map(s => s.id)""")
        assert too_wide == []
        assert _errors(driver) == []


def test_without_a_token_the_page_asks_to_sign_in(demo: DemoStack) -> None:
    with chromium(1280, 800) as driver:
        driver.get(demo.page_url)
        wait_ready(driver, timeout_s=30)
        assert driver.execute_script("return document.getElementById('signin').hidden") is False
        states = driver.execute_script(
            "return [...document.querySelectorAll('[data-state]')].map(s => s.textContent)")
        assert states and all("sign in" in s for s in states)


@pytest.mark.parametrize("section", SECTIONS)
def test_data_endpoints_need_the_admin_scope(demo: DemoStack, section: str) -> None:
    from edgeway_local.issuer import LocalIssuer

    url = f"{demo.home_url}/_edgeway/api/{section}?ip=198.51.100.7"
    assert _status(url) == 401
    issuer = LocalIssuer(demo.config.parent, port=int(_issuer_port(demo)))
    token, _ = issuer.mint("alice", ["users:read orders:read"], expires_in=300)
    assert _status(url, token) == 403
    assert _status(url, demo.token) == 200


def test_region_down_shows_within_fall_times_interval_plus_3s(page: Any, demo: DemoStack) -> None:
    health = _api(demo, "regions")["health"]
    deadline = health["fall"] * health["interval_s"] + 3
    assert edgeway(["region", "down", "eu-west-1", "--invoke-port", str(demo.invoke_port)]) == 0
    try:
        _wait_for(page, deadline, "eu-west-1 DOWN on the page",
                  "const r = document.querySelector('#regions-table tr[data-region=\"eu-west-1\"]');"
                  "return r && r.dataset.health === 'down'")
        _wait_for(page, 5, "the transition on the timeline",
                  "return !!document.querySelector("
                  "'#transition-list li[data-kind=verdict][data-region=\"eu-west-1\"][data-to=down]')")
    finally:
        assert edgeway(["region", "up", "eu-west-1", "--invoke-port", str(demo.invoke_port)]) == 0


def _issuer_port(demo: DemoStack) -> str:
    text = demo.config.read_text()
    return text.split("issuer: http://127.0.0.1:", 1)[1].split()[0]


def _status(url: str, token: str | None = None) -> int:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=10) as r:
            return int(r.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def _api(demo: DemoStack, section: str) -> Any:
    request = urllib.request.Request(f"{demo.home_url}/_edgeway/api/{section}",
                                     headers={"authorization": f"Bearer {demo.token}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def test_with_moto_down_sections_say_unavailable_and_the_page_keeps_working(
        page: Any, demo: DemoStack) -> None:
    """Last in this module: it stops the stack's moto (DynamoDB, CloudWatch)."""
    assert demo.stack.moto is not None
    demo.stack.moto.stop()
    _wait_for(page, 15, "the Regions section saying it is unavailable",
              "return document.querySelector('#regions [data-state]').textContent"
              ".startsWith('unavailable')")
    _wait_for(page, 15, "the page saying its data is stale",
              "return document.getElementById('freshness').textContent.startsWith('STALE')")
    assert page.execute_script("return document.querySelectorAll('#regions-table tbody tr').length") == 3
    _ask(page, "203.0.113.9")
    _wait_for(page, 10, "an answer from the last known state",
              "const a = document.querySelector('#ask-answer .answer');"
              "return a && a.dataset.region === 'ap-southeast-1'")
