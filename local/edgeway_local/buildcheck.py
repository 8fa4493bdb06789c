"""Check what `sam build` produced before it is deployed.

    python -m edgeway_local.buildcheck [.aws-sam/build] [--arch arm64] [--json]

`sam build` succeeds in cases that fail only once deployed: a layer whose
compiled wheels were built for the wrong architecture (it silently installs
x86-64 wheels when a layer has no BuildArchitecture), dev-only packages pulled
into an artifact, or a symlinked gateway.yaml / gslb package that did not land.
This reads the artifacts themselves (ELF headers, directory names), so it
checks the result rather than the intent.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

# ELF e_machine values (System V ABI) for the two Lambda architectures.
ELF_MACHINES = {62: "x86_64", 183: "arm64"}

# Never in a deployed artifact: dev-only code and test tooling. jsonschema does
# ship: the validation stage imports it, lazily, to list every error of a body
# that failed a route's schema.
FORBIDDEN = frozenset({
    "moto", "pytest", "_pytest", "edgeway_local", "tests",
    "cfnlint", "samtranslator",
})

# boto3/botocore ship once, in the EdgewayLayer, at a version whose botocore
# honours a per-request read timeout (layers/edgeway/requirements.txt says why);
# a second copy in a function would only add to its package.
SDK_HOME = "EdgewayLayer"
SDK = frozenset({"boto3", "botocore"})
MIN_BOTOCORE = (1, 43, 68)

# Files the functions read at run time, beside their code (see template.yaml).
CONFIG_READERS = ("GatewayFunction", "AuthorizerFunction", "HealthCheckerFunction",
                  "GslbResolverFunction")
REQUIRED = (
    *(f"{name}/gateway.yaml" for name in CONFIG_READERS),
    "EdgewayLayer/python/edgeway/__init__.py",
    "EdgewayLayer/python/edgeway/schema/gateway.schema.json",  # the config compile reads it
    "EdgewayLayer/python/botocore/__init__.py",
    "GslbLayer/python/gslb/__init__.py",
)


@dataclass(frozen=True, slots=True)
class Report:
    problems: tuple[str, ...]
    binaries: dict[str, str]  # relative path -> architecture

    @property
    def ok(self) -> bool:
        return not self.problems


def elf_architecture(path: Path) -> str | None:
    """The architecture of an ELF file, or None when it is not one."""
    with path.open("rb") as f:
        header = f.read(20)
    if len(header) < 20 or header[:4] != b"\x7fELF":
        return None
    byteorder = "little" if header[5] == 1 else "big"
    machine = int.from_bytes(header[18:20], byteorder)
    return ELF_MACHINES.get(machine, f"e_machine={machine}")


def _files(root: Path) -> Iterator[Path]:
    for path in sorted(root.rglob("*")):
        if path.is_file():
            yield path


def check(build_dir: Path, *, arch: str = "arm64") -> Report:
    """Every problem found in a `sam build` output directory."""
    if not (build_dir / "template.yaml").is_file():
        return Report((f"{build_dir}: no template.yaml here; run `sam build` first",), {})
    problems: list[str] = []
    binaries: dict[str, str] = {}
    forbidden: set[tuple[str, str]] = set()
    for path in _files(build_dir):
        rel = path.relative_to(build_dir)
        # <Function>/<top-level name>/... or <Layer>/python/<top-level name>/...
        top = rel.parts[2:] if len(rel.parts) > 2 and rel.parts[1] == "python" else rel.parts[1:]
        if len(top) > 1 and top[0] in FORBIDDEN and (rel.parts[0], top[0]) not in forbidden:
            forbidden.add((rel.parts[0], top[0]))
            problems.append(f"{rel.parts[0]}: {top[0]} must not ship in a Lambda artifact")
        if len(top) > 1 and top[0] in SDK and rel.parts[0] != SDK_HOME \
                and (rel.parts[0], top[0]) not in forbidden:
            forbidden.add((rel.parts[0], top[0]))
            problems.append(f"{rel.parts[0]}: {top[0]} ships once, in {SDK_HOME}; "
                            "remove it from this artifact's requirements")
        found = elf_architecture(path) if path.suffix == ".so" or ".so." in path.name else None
        if found is not None:
            binaries[str(rel)] = found
            if found != arch:
                problems.append(f"{rel}: built for {found}, the functions run on {arch}")
    for required in REQUIRED:
        if not (build_dir / required).is_file():
            problems.append(f"{required}: missing from the build (a symlink that did not land?)")
    problems.extend(_botocore_too_old(build_dir / SDK_HOME / "python/botocore/__init__.py"))
    return Report(tuple(problems), binaries)


def _botocore_too_old(init: Path) -> list[str]:
    if not init.is_file():
        return []  # already reported as missing
    found = re.search(r"^__version__ = ['\"]([0-9.]+)['\"]", init.read_text(), re.MULTILINE)
    version = tuple(int(part) for part in found.group(1).split(".")) if found else ()
    if version >= MIN_BOTOCORE:
        return []
    shown = found.group(1) if found else "an unknown version"
    wanted = ".".join(map(str, MIN_BOTOCORE))
    return [f"{SDK_HOME}: botocore is {shown}; the Lambda backend's call budget needs "
            f">= {wanted} (layers/edgeway/requirements.txt)"]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m edgeway_local.buildcheck",
                                     description="Check the artifacts of `sam build`.")
    parser.add_argument("build_dir", nargs="?", default=".aws-sam/build", type=Path)
    parser.add_argument("--arch", default="arm64", choices=sorted(ELF_MACHINES.values()))
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)
    report = check(args.build_dir, arch=args.arch)
    if args.json:
        print(json.dumps({"ok": report.ok, "problems": list(report.problems),
                          "binaries": report.binaries}, indent=2))
    else:
        for problem in report.problems:
            print(f"buildcheck: {problem}", file=sys.stderr)
        print(f"buildcheck: {len(report.binaries)} compiled files, "
              f"{sum(a == args.arch for a in report.binaries.values())} for {args.arch}; "
              f"{len(report.problems)} problem(s)")
    return 0 if report.ok else 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
