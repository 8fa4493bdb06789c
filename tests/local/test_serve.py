"""`edgeway serve` end to end: the real CLI in a subprocess, on free ports.

HTTP goes client -> region listener (API Gateway emulation) -> GatewayFunction
container -> its boto3 Lambda client -> the Invoke API -> a Mangum backend
container, and back.
"""

from __future__ import annotations

import json
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from edgeway_local.ports import free_port

from .conftest import CONFIG, ROOT, TEMPLATE

pytestmark = pytest.mark.slow
EDGEWAY = [sys.executable, "-m", "edgeway_local.cli"]
READY_TIMEOUT_S = 60


@dataclass
class Stack:
    process: subprocess.Popen[str]
    ports: dict[str, int]
    banner: list[str]
    stderr: list[str]  # every line so far, read as it comes: a full pipe would block serve
    readers: tuple[threading.Thread, ...]

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"


def _drain(stream: Any, into: Any) -> threading.Thread:
    # A thread reads each pipe: select() cannot see lines already in Python's buffer,
    # and a pipe nobody reads fills at 64 KiB and then blocks the stack's next write.
    thread = threading.Thread(target=lambda: [*map(into, stream), into(None)], daemon=True)
    thread.start()
    return thread


def _start(args: list[str], cwd: Path, ports: dict[str, int]) -> Stack:
    process = subprocess.Popen(
        [*EDGEWAY, "serve", *args, "--quiet",
         "--invoke-port", str(ports["invoke"]), "--moto-port", str(ports["moto"]),
         "--dns-port", str(ports["dns"])],
        cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines: queue.Queue[str | None] = queue.Queue()
    errors: list[str] = []
    readers = (_drain(process.stdout, lines.put),
               _drain(process.stderr, lambda line: line is not None and errors.append(line)))
    banner: list[str] = []
    deadline = time.monotonic() + READY_TIMEOUT_S
    while (remaining := deadline - time.monotonic()) > 0:
        try:
            line = lines.get(timeout=remaining)
        except queue.Empty:
            break
        if line is None:  # exited before it was ready
            break
        if line.strip() == "edgeway: ready":
            return Stack(process, ports, banner, errors, readers)
        banner.append(line.rstrip("\n"))
    process.kill()
    process.wait()
    _close(process, readers)
    raise AssertionError(f"serve did not start: {banner} {''.join(errors)}")


def _stop(stack: Stack) -> int:
    stack.process.send_signal(signal.SIGINT)
    try:
        return stack.process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        stack.process.send_signal(signal.SIGUSR1)  # serve prints every thread's stack
        time.sleep(1)
        raise AssertionError("serve did not stop within 30 s:\n" + "".join(stack.stderr)) from None
    finally:
        if stack.process.poll() is None:
            stack.process.kill()
            stack.process.wait()
        _close(stack.process, stack.readers)


def _close(process: subprocess.Popen[str], readers: tuple[threading.Thread, ...]) -> None:
    """Let the readers take the last lines, then close the pipes (an unclosed pipe is a
    ResourceWarning, which this suite treats as an error)."""
    for reader in readers:
        reader.join(timeout=5)
    for stream in (process.stdout, process.stderr):
        if stream is not None:
            stream.close()


def _port_is_free(port: int) -> bool:
    """Nothing listens there (connections in TIME_WAIT do not stop a restart)."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _http(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], Any]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            status, head, body = response.status, response.headers, response.read()
    except urllib.error.HTTPError as exc:
        status, head, body = exc.code, exc.headers, exc.read()
    lowered = {k.lower(): v for k, v in head.items()}
    return status, lowered, json.loads(body) if body else None


def _ports(*names: str) -> dict[str, int]:
    return {name: free_port() for name in names}


@pytest.fixture(scope="module")
def fixture_stack() -> Iterator[Stack]:
    ports = _ports("home", "eu", "invoke", "moto", "dns")
    stack = _start(["--template", str(TEMPLATE), "--config", str(CONFIG),
                    "--port", str(ports["home"]), "--region-port", f"eu-west-1={ports['eu']}"],
                   ROOT, ports)
    yield stack
    if stack.process.poll() is None:
        _stop(stack)


def test_request_goes_through_gateway_invoke_api_and_mangum(fixture_stack: Stack) -> None:
    status, headers, body = _http(f"{fixture_stack.url('home')}/v1/users/42?lang=en",
                                  {"X-Request-Id": "req-12345678"})
    assert status == 200
    assert body == {"id": "42", "region": "us-east-1", "query": {"lang": "en"}}
    assert headers["x-request-id"] == "req-12345678"
    assert headers["x-edgeway-region"] == "us-east-1"
    assert headers["apigw-requestid"]


def test_every_region_is_its_own_listener_with_its_own_tables(fixture_stack: Stack) -> None:
    status, headers, body = _http(f"{fixture_stack.url('eu')}/v1/users/7")
    assert (status, body["region"], headers["x-edgeway-region"]) == (200, "eu-west-1", "eu-west-1")
    # The gateway counts in its region's KeysTable (created in moto for each region).
    counts = [_http(f"{fixture_stack.url('eu')}/count")[2] for _ in range(2)]
    home = _http(f"{fixture_stack.url('home')}/count")[2]
    assert (counts, home) == ([1, 2], 1)


def test_queues_and_event_buses_exist_in_moto(fixture_stack: Stack) -> None:
    status, _, body = _http(f"{fixture_stack.url('eu')}/enqueue")
    assert (status, body) == (202, 1)


def test_banner_lists_every_url(fixture_stack: Stack) -> None:
    text = "\n".join(fixture_stack.banner)
    for name in ("home", "eu", "invoke", "moto"):
        assert fixture_stack.url(name) in text
    assert f"curl -i {fixture_stack.url('home')}/v1/users/42" in text


def test_serve_json_prints_the_addresses(tmp_path: Path) -> None:
    ports = _ports("home", "invoke", "moto", "dns")
    config = tmp_path / "gateway.yaml"  # one region: no regions section
    config.write_text(CONFIG.read_text().split("regions:")[0])
    stack = _start(["--template", str(TEMPLATE), "--config", str(config), "--json",
                    "--port", str(ports["home"])], ROOT, ports)
    try:
        data = json.loads(stack.banner[-1])
        assert data["regions"] == {"us-east-1": stack.url("home")}
        assert (data["invoke_api"], data["moto"]) == (stack.url("invoke"), stack.url("moto"))
        assert data["tables"]["KeysTable"] == "edgeway-local-KeysTable"
    finally:
        assert _stop(stack) == 0


def _region_cli(stack: Stack, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*EDGEWAY, "region", *args, "--invoke-port", str(stack.ports["invoke"])],
                          capture_output=True, text=True, timeout=30)


def test_region_down_and_up_through_the_cli(fixture_stack: Stack) -> None:
    down = _region_cli(fixture_stack, "down", "eu-west-1")
    assert down.returncode == 0, down.stderr
    assert _http(f"{fixture_stack.url('eu')}/health")[0] == 503
    assert _http(f"{fixture_stack.url('home')}/health")[0] == 200
    listing = _region_cli(fixture_stack, "list", "--json")
    assert json.loads(listing.stdout)["regions"]["eu-west-1"]["down"] is True
    assert _region_cli(fixture_stack, "up", "eu-west-1").returncode == 0
    assert _http(f"{fixture_stack.url('eu')}/health")[0] == 200
    unknown = _region_cli(fixture_stack, "down", "mars-north-1")
    assert unknown.returncode == 1 and "mars-north-1" in unknown.stderr


def test_ctrl_c_stops_everything_and_frees_the_ports() -> None:
    ports = _ports("home", "eu", "invoke", "moto", "dns")
    fixture_stack = _start(["--template", str(TEMPLATE), "--config", str(CONFIG),
                            "--port", str(ports["home"]),
                            "--region-port", f"eu-west-1={ports['eu']}"], ROOT, ports)
    _http(f"{fixture_stack.url('home')}/v1/users/1")  # make sure containers exist
    children = subprocess.run(["pgrep", "-f", "edgeway_local.worker"], capture_output=True,
                              text=True).stdout.split()
    assert [pid for pid in children if _ours(pid, fixture_stack)]  # the check below can fail
    assert _stop(fixture_stack) == 0
    for name in ("home", "eu", "invoke", "moto"):
        assert _port_is_free(fixture_stack.ports[name]), name
    ours = [pid for pid in children if _ours(pid, fixture_stack)]
    deadline = time.monotonic() + 10
    while (alive := [pid for pid in ours if _is_live(pid)]) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not alive


def _is_live(pid: str) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


def _ours(pid: str, stack: Stack) -> bool:
    try:
        environ = Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:
        return False
    return f"127.0.0.1:{stack.ports['moto']}".encode() in environ


def _refused(tmp_path: Path, config_text: str) -> subprocess.CompletedProcess[str]:
    config = tmp_path / "gateway.yaml"
    config.write_text(config_text)
    ports = _ports("home", "invoke", "moto")
    result = subprocess.run(
        [*EDGEWAY, "serve", "--template", str(TEMPLATE), "--config", str(config),
         "--port", str(ports["home"]), "--invoke-port", str(ports["invoke"]),
         "--moto-port", str(ports["moto"])],
        capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert "edgeway: ready" not in result.stdout, result.stdout
    return result


def test_serve_refuses_a_config_with_an_unknown_key(tmp_path: Path) -> None:
    result = _refused(tmp_path, CONFIG.read_text() + "surprise: true\n")
    assert result.returncode == 2, result.stderr
    assert "gateway.yaml" in result.stderr and "surprise" in result.stderr
    assert "unknown key" in result.stderr


def test_serve_refuses_a_route_to_a_function_the_template_lacks(tmp_path: Path) -> None:
    text = CONFIG.read_text().replace("function: BackendFunction", "function: GhostFunction")
    result = _refused(tmp_path, text)
    assert result.returncode == 2, result.stderr
    assert "routes[0].backend.function" in result.stderr and "GhostFunction" in result.stderr


def test_serve_refuses_a_taken_port(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [*EDGEWAY, "serve", "--template", str(TEMPLATE), "--config", str(CONFIG),
             "--port", str(free_port()), "--region-port", f"eu-west-1={free_port()}",
             "--invoke-port", str(free_port()), "--moto-port", str(port)],
            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert f"moto: cannot listen on 127.0.0.1:{port}" in result.stderr


@pytest.mark.skipif(not (ROOT / "functions/users/app.py").exists()
                    or not (ROOT / "functions/gateway/app.py").exists(),
                    reason="needs the real gateway and users functions (branches main and sam)")
def test_the_project_stack_serves_users_through_the_gateway() -> None:
    ports = _ports("home", "invoke", "moto", "dns")
    extra: list[str] = []
    regions = _config_regions(ROOT / "gateway.yaml")
    for name in regions[1:]:
        ports[name] = free_port()
        extra += ["--region-port", f"{name}={ports[name]}"]
    stack = _start(["--port", str(ports["home"]), *extra], ROOT, ports)
    try:
        status, headers, body = _http(f"{stack.url('home')}/v1/users/42",
                                      {"x-request-id": "it-0000000042"})
        assert status == 401, body  # deny by default: the demo routes need credentials
        key = next(word for line in stack.banner if "Demo API key" in line
                   for word in line.split() if word.startswith("ewk_"))
        status, headers, body = _http(f"{stack.url('home')}/v1/users/42",
                                      {"x-request-id": "it-0000000042", "x-api-key": key})
        assert status == 200, body
        assert body["id"] == "42"
        assert headers["x-request-id"] == "it-0000000042"
        assert headers["x-edgeway-region"] == (regions[0] if regions else "us-east-1")
        status, headers, body = _http(f"{stack.url('home')}/health")
        assert status == 200 and headers["x-edgeway-region"]
    finally:
        assert _stop(stack) == 0


def _config_regions(path: Path) -> list[str]:
    import yaml

    raw = yaml.safe_load(path.read_text()) or {}
    return [r["name"] for r in raw.get("regions") or []]




def test_a_stop_that_hangs_ends_the_process_and_shows_where() -> None:
    code = ("import time\n"
            "from edgeway_local.commands.serve import _stop_within\n"
            "class Stuck:\n"
            "    def stop(self):\n"
            "        time.sleep(60)\n"
            "_stop_within(Stuck(), 0.5)\n")
    started = time.monotonic()
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30)
    assert time.monotonic() - started < 30
    assert result.returncode == 1
    assert "still stopping after 0.5 s" in result.stderr
    assert "in stop" in result.stderr  # the stuck thread's frame, named
