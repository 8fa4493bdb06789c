"""A live demo stack on free ports and a headless Chromium: the console's browser tests and bench.

Dev only (Selenium is a dev extra). ``demo_stack`` starts the repository's own
template.yaml with a copy of its gateway.yaml whose local issuer listens on a free
port, so it runs beside a ``make run`` or another test. ``chromium`` launches
Debian's chromium through its chromedriver, headless, with a fresh profile and
without the background connections Chromium otherwise opens (here they would be
refused, many at a time).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from edgeway_local.ports import free_port
from edgeway_local.serve import LocalStack, ServeOptions

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
INSTALL_HINT = "install one: apt-get install -y chromium chromium-driver"
FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars")


@dataclass
class DemoStack:
    stack: LocalStack
    home_url: str
    console_url: str          # with an edgeway:admin token in the fragment
    invoke_port: int
    demo_key: str | None
    config: Path

    @property
    def page_url(self) -> str:
        return self.console_url.split("#", 1)[0]

    @property
    def token(self) -> str:
        return self.console_url.split("#token=", 1)[1]


@contextmanager
def demo_stack(*, quiet: bool = True) -> Iterator[DemoStack]:
    work = Path(tempfile.mkdtemp(prefix="edgeway-console-"))
    issuer_port = free_port()
    config = work / "gateway.yaml"
    config.write_text((ROOT / "gateway.yaml").read_text(encoding="utf-8")
                      .replace("127.0.0.1:3010", f"127.0.0.1:{issuer_port}"), encoding="utf-8")
    regions = ("eu-west-1", "ap-southeast-1")
    options = ServeOptions(config=config, template=ROOT / "template.yaml", port=free_port(),
                           region_ports={r: free_port() for r in regions},
                           invoke_port=free_port(), moto_port=free_port(), dns_port=free_port(),
                           quiet=quiet)
    stack = LocalStack(options).start()
    try:
        lines = [line for _, service in stack.services for line in service.banner_lines()]
        console = next(line.split()[1] for line in lines if line.startswith("Console "))
        key = next((line.split()[3] for line in lines if line.startswith("Demo API key ")), None)
        yield DemoStack(stack, stack.listeners[0].url, console, options.invoke_port, key, config)
    finally:
        stack.stop()
        shutil.rmtree(work, ignore_errors=True)


def chromium_missing() -> str | None:
    """Why the browser cannot run here, or None when it can."""
    for path in (CHROMIUM, CHROMEDRIVER):
        if not path.exists():
            return f"no {path}: {INSTALL_HINT}"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (it is in the dev extras: make .venv/.installed)"
    return None


@contextmanager
def chromium(width: int, height: int) -> Iterator[Any]:
    """A headless Chromium whose viewport is exactly width x height CSS pixels; quit after."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="edgeway-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    try:
        resize(driver, width, height)
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def resize(driver: Any, width: int, height: int) -> None:
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600})


def wait_ready(driver: Any, timeout_s: float = 15.0) -> float:
    """Wait until every section has drawn once; the time it took from navigation, in ms."""
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, timeout_s, poll_frequency=0.05).until(
        lambda d: d.execute_script("return document.body.dataset.ready === '1'"))
    return float(driver.execute_script("return window.consoleReadyAt"))
