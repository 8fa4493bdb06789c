"""Fixtures of the GSLB tests: region listeners whose /health a test turns up and down,
`edgeway gslb ...` run through the CLI, the local stack's GslbTable on moto."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import boto3
import pytest

from edgeway_local import cli
from edgeway_local.commands import gslb as gslb_command
from edgeway_local.template import load_template
from tests.aws_tables import create_pk_sk_table

ROOT = Path(__file__).resolve().parents[2]
CONFIG = str(ROOT / "gateway.yaml")
# The table `edgeway serve` creates for GslbTable: the commands must default to it.
LOCAL_GSLB_TABLE = load_template(ROOT / "template.yaml").table_name("GslbTable")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """``edgeway gslb *argv``: exit code, stdout, stderr."""
    code = cli.main(["gslb", *argv])
    out, err = capsys.readouterr()
    return code, out, err


class Region:
    """A listener whose /health answers `status` (and can hang to force a timeout)."""

    def __init__(self) -> None:
        self.status = 200
        self.hang = threading.Event()
        self.release = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                if outer.hang.is_set():
                    outer.release.wait(5)
                body = b'{"status": "ok", "load": 0.25}' if self.path == "/health" else b"{}"
                self.send_response(outer.status if self.path == "/health" else 404)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture()
def region_listeners() -> Iterator[Callable[..., dict[str, Region]]]:
    """``region_listeners("us-east-1", ...)``: a listening Region per name, closed after the test."""
    made: list[Region] = []

    def make(*names: str) -> dict[str, Region]:
        listeners = {name: Region() for name in names}
        made.extend(listeners.values())
        return listeners

    yield make
    for listener in made:
        listener.close()


@pytest.fixture()
def listeners(region_listeners: Callable[..., dict[str, Region]]) -> dict[str, Region]:
    """The demo's three regions, each a listener answering 200 until a test says otherwise."""
    return region_listeners("us-east-1", "eu-west-1", "ap-southeast-1")


def wait_for(predicate: Callable[[], bool], timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


@pytest.fixture()
def local_table(fake_aws: None, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The local stack's GslbTable, with moto in-process standing in for moto server mode."""
    monkeypatch.chdir(ROOT)  # the commands read ./template.yaml for the table's name
    client = boto3.client("dynamodb", region_name="us-east-1")
    create_pk_sk_table(client, LOCAL_GSLB_TABLE)
    monkeypatch.setattr(gslb_command, "_dynamodb", lambda url, region: client)
    return client
