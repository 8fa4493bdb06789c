"""`make build`'s artifact check, on fake `sam build` outputs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from edgeway_local import buildcheck


def elf(machine: int) -> bytes:
    """A 64-bit little-endian ELF header for the given e_machine."""
    header = bytearray(64)
    header[:4] = b"\x7fELF"
    header[4], header[5] = 2, 1  # ELFCLASS64, little-endian
    header[18:20] = machine.to_bytes(2, "little")
    return bytes(header)


def write(root: Path, rel: str, data: bytes = b"") -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


@pytest.fixture
def build(tmp_path: Path) -> Path:
    """A build output that passes: what `sam build` makes of this repository."""
    write(tmp_path, "template.yaml", b"Resources: {}\n")
    for function in ("GatewayFunction", "AuthorizerFunction", "HealthCheckerFunction",
                     "GslbResolverFunction"):
        write(tmp_path, f"{function}/app.py")
        write(tmp_path, f"{function}/gateway.yaml", b"routes: []\n")
    write(tmp_path, "EdgewayLayer/python/edgeway/__init__.py")
    write(tmp_path, "EdgewayLayer/python/edgeway/schema/gateway.schema.json", b"{}")
    write(tmp_path, "EdgewayLayer/python/boto3/__init__.py", b"__version__ = '1.44.8'\n")
    write(tmp_path, "EdgewayLayer/python/botocore/__init__.py", b"__version__ = '1.44.8'\n")
    write(tmp_path, "EdgewayLayer/python/cryptography/hazmat/bindings/_rust.abi3.so", elf(183))
    write(tmp_path, "GslbLayer/python/gslb/__init__.py")
    write(tmp_path, "UsersFunction/starlette/__init__.py")
    return tmp_path


def test_a_clean_build_passes(build: Path) -> None:
    report = buildcheck.check(build)
    assert report.ok, report.problems
    assert report.binaries == {
        "EdgewayLayer/python/cryptography/hazmat/bindings/_rust.abi3.so": "arm64"}


def test_x86_wheels_in_an_arm64_layer_are_caught(build: Path) -> None:
    # What `sam build` does when a layer lacks BuildArchitecture.
    write(build, "EdgewayLayer/python/_cffi_backend.cpython-313-x86_64-linux-gnu.so", elf(62))
    report = buildcheck.check(build)
    assert report.problems == (
        "EdgewayLayer/python/_cffi_backend.cpython-313-x86_64-linux-gnu.so: "
        "built for x86_64, the functions run on arm64",)
    assert buildcheck.check(build, arch="x86_64").problems[0].startswith(
        "EdgewayLayer/python/cryptography")


@pytest.mark.parametrize("rel", [
    "GatewayFunction/moto/__init__.py",
    "EdgewayLayer/python/pytest/__init__.py",
    "EdgewayLayer/python/edgeway_local/cli.py",
    "UsersFunction/tests/test_x.py",
])
def test_dev_only_packages_in_an_artifact_are_caught(build: Path, rel: str) -> None:
    write(build, rel)
    problems = buildcheck.check(build).problems
    assert len(problems) == 1 and "must not ship" in problems[0]


def test_the_sdk_ships_once_in_the_layer_and_new_enough(build: Path) -> None:
    write(build, "GatewayFunction/boto3/__init__.py")
    write(build, "UsersFunction/botocore/__init__.py")
    assert buildcheck.check(build).problems == (
        "GatewayFunction: boto3 ships once, in EdgewayLayer; "
        "remove it from this artifact's requirements",
        "UsersFunction: botocore ships once, in EdgewayLayer; "
        "remove it from this artifact's requirements")
    (build / "GatewayFunction/boto3/__init__.py").unlink()
    (build / "UsersFunction/botocore/__init__.py").unlink()
    # The runtime-bundled botocore of late 2024, which ignores a per-request read timeout.
    write(build, "EdgewayLayer/python/botocore/__init__.py", b"__version__ = '1.34.145'\n")
    assert buildcheck.check(build).problems == (
        "EdgewayLayer: botocore is 1.34.145; the Lambda backend's call budget needs "
        ">= 1.43.68 (layers/edgeway/requirements.txt)",)
    (build / "EdgewayLayer/python/botocore/__init__.py").unlink()
    assert buildcheck.check(build).problems == (
        "EdgewayLayer/python/botocore/__init__.py: missing from the build "
        "(a symlink that did not land?)",)


def test_a_missing_symlinked_file_is_caught(build: Path) -> None:
    (build / "GatewayFunction/gateway.yaml").unlink()
    (build / "GslbLayer/python/gslb/__init__.py").unlink()
    problems = buildcheck.check(build).problems
    assert [p.split(":")[0] for p in problems] == ["GatewayFunction/gateway.yaml",
                                                   "GslbLayer/python/gslb/__init__.py"]


def test_not_a_build_directory(tmp_path: Path) -> None:
    report = buildcheck.check(tmp_path)
    assert not report.ok and "run `sam build` first" in report.problems[0]


def test_cli_exit_status_and_json(build: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert buildcheck.main([str(build), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["ok"] is True
    write(build, "GatewayFunction/moto/__init__.py")
    assert buildcheck.main([str(build)]) == 1
    assert "moto must not ship" in capsys.readouterr().err
