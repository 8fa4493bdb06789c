"""DNS throughput: our GSLB server against PowerDNS, same machine, same run.

    python -m bench.dns_throughput [--duration 10] [--workers 1,2] [--out docs/bench/gslb-dns.md]

Needs the Debian packages ``dnsperf``, ``pdns-server``, ``pdns-backend-bind`` and
(for a ``pickclosest`` that really looks clients up) ``pdns-backend-geoip`` +
``geoip-database``; without them it says how to install them and exits 0.

Every query carries a different EDNS Client Subnet (a /24 inside the
networks table's public IPv4 prefixes), sent as a pre-built binary file
(``dnsperf -B``), as a busy public resolver's traffic would. Targets:

* ours     ``api.edgeway.test A``: the GSLB answer from the real Engine;
* LUA      ``lua.bench.test A``: ``pickclosest()`` over one address per region;
* static   ``static.bench.test A``: a plain A record (PowerDNS's fastest path:
           its packet cache answers every query after the first).

Each target gets a throughput run (dnsperf's own qps) and a verbose run at the
same settings whose per-query latencies give the percentiles. Ratios are
against PowerDNS measured in the same invocation; the machine is shared, so
read them, not the absolute numbers.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import random
import re
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from array import array
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import dns.edns
import dns.message

ROOT = Path(__file__).resolve().parents[1]
INSTALL = ("apt-get update && apt-get install -y dnsperf pdns-server pdns-backend-bind "
           "pdns-backend-geoip geoip-database")
# Public addresses inside each AWS region, so pickclosest has real places to compare.
LUA_CANDIDATES = ("3.80.0.1", "34.240.0.1", "13.212.0.1")   # us-east-1, eu-west-1, ap-southeast-1
GEOIP_FILES = ("/usr/share/GeoIP/GeoIP.dat", "/usr/share/GeoIP/GeoIPv6.dat")


@dataclass
class Result:
    scenario: str
    target: str
    qps: float                  # median over the repeats
    qps_runs: tuple[float, ...]
    completed_pct: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    avg_ms: float


@dataclass(frozen=True)
class Files:
    """The query files of one target: warm-up, measured run, latency run."""

    warm: Path
    runs: tuple[Path, ...]      # one per repeat (fresh subnets each time when "unplaced")
    latency: Path


# -- inputs ------------------------------------------------------------------------------

def table_subnets() -> list[int]:
    """Every /24 (as a network int) inside the networks table's public IPv4 prefixes."""
    out: list[int] = []
    for prefix in _public_table_prefixes():
        if prefix.prefixlen <= 24:
            base = int(prefix.network_address)
            out.extend(base + (i << 8) for i in range(1 << (24 - prefix.prefixlen)))
    random.Random(7).shuffle(out)
    return out


_SPACE = 1 << 24               # every IPv4 /24
_STRIDE = 0x9E3779 | 1         # odd: i -> i * _STRIDE mod 2^24 visits every /24 once, scattered
_NOT_PUBLIC = {0, 10, 100, 127, 169, 172, 192, 198, 203}  # private, shared, loopback, docs...


def unplaced_subnets(cursor: int, count: int) -> tuple[Sequence[int], int]:
    """``count`` distinct public /24s outside every table prefix, and the next cursor.

    They are read from one fixed scattered order of all /24s starting at ``cursor``,
    so consecutive calls never return the same subnet twice (no set of millions kept).
    """
    table: dict[int, set[int]] = {}
    for prefix in _public_table_prefixes():
        table.setdefault(prefix.prefixlen, set()).add(int(prefix.network_address) >> (32 - prefix.prefixlen))
    out = array("I")  # millions of them: 4 bytes each, not a list of int objects
    while len(out) < count:
        if cursor >= _SPACE:
            raise ValueError("ran out of unplaced /24s")
        net = (cursor * _STRIDE % _SPACE) << 8
        cursor += 1
        first = net >> 24
        if first in _NOT_PUBLIC or first >= 224:
            continue
        if any(net >> (32 - length) in keys for length, keys in table.items()):
            continue
        out.append(net)
    return out, cursor


def _public_table_prefixes() -> list[ipaddress.IPv4Network]:
    from gslb.networks import load_networks

    return [n.prefix for n in load_networks(None) if n.prefix.version == 4 and n.prefix.is_global]


def query_file(path: Path, qname: str, nets: Sequence[int]) -> Path:
    """dnsperf -B format: 2-byte length, then the query (RFC 1035 4.2.2 framing).

    One query is built by dnspython; the others only differ in the ECS address
    (its last 3 octets for a /24), so they are patched in, which keeps building
    a million-query file to a second or two.
    """
    template = dns.message.make_query(qname, "A", use_edns=0, payload=1232,
                                      options=[dns.edns.ECSOption("0.0.0.0", 24)]).to_wire()
    head = struct.pack("!H", len(template)) + template[:-3]
    with path.open("wb") as out:
        out.write(b"".join(head + (net >> 8).to_bytes(3, "big") for net in nets))
    return path


def free_port() -> int:
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp, \
                socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
            udp.bind(("127.0.0.1", 0))
            port = udp.getsockname()[1]
            try:
                tcp.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port


def wait_for_dns(port: int, qname: str, timeout: float = 15.0) -> None:
    query = dns.message.make_query(qname, "A").to_wire()
    deadline = time.monotonic() + timeout
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(0.2)
        while time.monotonic() < deadline:
            sock.sendto(query, ("127.0.0.1", port))
            try:
                sock.recvfrom(4096)
                return
            except OSError:
                continue
    raise RuntimeError(f"no DNS server answered on port {port}")


# -- servers -----------------------------------------------------------------------------

def start_ours(port: int, workers: int, *, replay: bool = True) -> subprocess.Popen:
    extra = [] if replay else ["--no-replay"]
    return subprocess.Popen([sys.executable, "-m", "gslb.dns_workers", "--port", str(port),
                             "--workers", str(workers), "--config", str(ROOT / "gateway.yaml"),
                             *extra],
                            cwd=ROOT, stdout=subprocess.DEVNULL, start_new_session=True)


def start_pdns(port: int, workdir: Path) -> subprocess.Popen:
    zone = workdir / "bench.test.zone"
    candidates = ",".join(f"'{a}'" for a in LUA_CANDIDATES)
    zone.write_text(
        "$ORIGIN bench.test.\n"
        "@ 3600 IN SOA ns1.bench.test. hostmaster.bench.test. 1 3600 600 86400 30\n"
        "@ 3600 IN NS ns1.bench.test.\n"
        "ns1 3600 IN A 127.0.0.1\n"
        "static 30 IN A 192.0.2.10\n"
        f'lua 30 IN LUA A "pickclosest({{{candidates}}})"\n')
    (workdir / "named.conf").write_text(f'zone "bench.test" {{ type master; file "{zone}"; }};\n')
    geoip = all(Path(f).exists() for f in GEOIP_FILES) and _pdns_has("geoip")
    lines = [
        "launch=bind" + (",geoip" if geoip else ""),
        f"bind-config={workdir / 'named.conf'}",
        "local-address=127.0.0.1", f"local-port={port}",
        "enable-lua-records=yes", "edns-subnet-processing=yes",
        "daemon=no", "guardian=no", f"socket-dir={workdir}", "disable-syslog=yes", "loglevel=3",
    ]
    if geoip:
        (workdir / "geo.yaml").write_text("domains: []\n")
        lines += [f"geoip-database-files={' '.join(GEOIP_FILES)}",
                  f"geoip-zones-file={workdir / 'geo.yaml'}"]
    (workdir / "pdns.conf").write_text("\n".join(lines) + "\n")
    return subprocess.Popen([_pdns_binary(), f"--config-dir={workdir}"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)


def _pdns_binary() -> str:
    return shutil.which("pdns_server") or shutil.which("pdns_server", path="/usr/sbin") or ""


def _pdns_version() -> str:
    out = subprocess.run([_pdns_binary(), "--version"], capture_output=True, text=True)
    found = re.search(r"PowerDNS Authoritative Server (\S+)", out.stdout + out.stderr)
    return found.group(1) if found else "?"


def _pdns_has(backend: str) -> bool:
    return any(Path(d, f"lib{backend}backend.so").exists()
               for d in ("/usr/lib/x86_64-linux-gnu/pdns", "/usr/lib/aarch64-linux-gnu/pdns",
                         "/usr/lib/pdns"))


def stop(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(proc.pid, signal.SIGKILL)


# -- measuring ---------------------------------------------------------------------------

def dnsperf(port: int, datafile: Path, *, duration: float, clients: int, outstanding: int,
            verbose: bool = False) -> str:
    cmd = ["dnsperf", "-B", "-d", str(datafile), "-s", "127.0.0.1", "-p", str(port),
           "-l", str(duration), "-c", str(clients), "-q", str(outstanding), "-t", "2"]
    if verbose:
        cmd.append("-v")
    return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout


@dataclass
class Target:
    label: str
    port: int
    files: Files
    runs: list[tuple[float, float, float]]   # (qps, completed %, avg ms) per repeat


def _summary(text: str) -> tuple[float, float, float]:
    qps = float(re.search(r"Queries per second:\s+([\d.]+)", text).group(1))
    completed = float(re.search(r"Queries completed:\s+\d+ \(([\d.]+)%\)", text).group(1))
    avg = float(re.search(r"Average Latency \(s\):\s+([\d.]+)", text).group(1)) * 1000
    return qps, completed, avg


def measure_all(scenario: str, targets: list[Target], *, duration: float, repeat: int,
                clients: int, outstanding: int) -> list[Result]:
    """Warm every target, then run them in turn, round after round (A B C A B C ...),
    so a noisy neighbour on this shared machine hits every target alike."""
    opts = dict(clients=clients, outstanding=outstanding)
    for target in targets:
        dnsperf(target.port, target.files.warm, duration=1, **opts)
    for round_ in range(repeat):
        for target in targets:
            text = dnsperf(target.port, target.files.runs[round_], duration=duration, **opts)
            target.runs.append(_summary(text))
    results = []
    for target in targets:
        verbose = dnsperf(target.port, target.files.latency, duration=min(duration, 3),
                          verbose=True, **opts)
        # "> NOERROR binary input 0.000306"; a lost query ("> T binary input") has no time.
        latencies = sorted(float(m.group(1)) * 1000 for m in
                           re.finditer(r"^> \S+ .* ([\d.]+)$", verbose, re.MULTILINE))
        qps, completed, avg = (statistics.median(column) for column in zip(*target.runs, strict=True))
        cuts = statistics.quantiles(latencies, n=100) if len(latencies) > 100 else [avg] * 99
        results.append(Result(scenario, target.label, round(qps),
                              tuple(round(r[0]) for r in target.runs), round(completed, 2),
                              round(cuts[49], 3), round(cuts[89], 3), round(cuts[98], 3),
                              round(avg, 3)))
    return results


def missing_tools() -> list[str]:
    missing = [tool for tool in ("dnsperf",) if not shutil.which(tool)]
    if not _pdns_binary():
        missing.append("pdns_server")
    elif not _pdns_has("bind"):
        missing.append("pdns-backend-bind")
    return missing


# "cycled": every /24 of the networks table (~37k), sent round and round as
#   resolvers re-ask each subnet's question every TTL. Ours is measured twice:
#   as shipped (byte-identical repeats replayed) and with --no-replay (every
#   query answered from the per-prefix wire templates: the cost of a query for a
#   subnet never seen before inside a known prefix). PowerDNS keeps its packet cache.
# "unplaced": a fresh public /24 outside the table for every query, never
#   repeated in the run: the Engine must be asked for each one (the cold path).
def _pools(duration: float, repeat: int) -> dict[str, Sequence[int]]:
    # Above what any target reaches here (PowerDNS's static record: ~150k qps), so
    # dnsperf never wraps around a run's file: no subnet is ever asked twice.
    cold_rate = 250_000
    pools = {"cycled": table_subnets()}
    pools["warm"], cursor = unplaced_subnets(0, cold_rate)
    pools["latency"], cursor = unplaced_subnets(cursor, cold_rate * 3)
    for i in range(repeat):
        pools[f"run{i}"], cursor = unplaced_subnets(cursor, int(cold_rate * duration))
    return pools


def _files(work: Path, qname: str, scenario: str, pools: dict[str, Sequence[int]],
           repeat: int) -> Files:
    tag = qname.split(".")[0]
    if scenario == "unplaced":
        return Files(query_file(work / f"{tag}-warm.bin", qname, pools["warm"]),
                     tuple(query_file(work / f"{tag}-run{i}.bin", qname, pools[f"run{i}"])
                           for i in range(repeat)),
                     query_file(work / f"{tag}-lat.bin", qname, pools["latency"]))
    cycled = query_file(work / f"{tag}-cycled.bin", qname, pools["cycled"])
    return Files(cycled, (cycled,) * repeat, cycled)


def run(args: argparse.Namespace) -> dict:
    pools = _pools(args.duration, args.repeat)
    results: list[Result] = []
    opts = dict(duration=args.duration, repeat=args.repeat, clients=args.clients,
                outstanding=args.outstanding)
    with tempfile.TemporaryDirectory(prefix="edgeway-dnsbench-") as tmp:
        work = Path(tmp)
        for scenario in ("cycled", "unplaced"):
            processes: list[subprocess.Popen] = []
            try:
                targets = []
                pdns_port = free_port()
                processes.append(start_pdns(pdns_port, work))
                wait_for_dns(pdns_port, "static.bench.test")
                for label, qname in (("PowerDNS static A", "static.bench.test"),
                                     ("PowerDNS LUA pickclosest", "lua.bench.test")):
                    targets.append(Target(label, pdns_port,
                                          _files(work, qname, scenario, pools, args.repeat), []))
                files = _files(work, "api.edgeway.test", scenario, pools, args.repeat)
                variants = [(w, True) for w in args.workers]
                if scenario == "cycled":
                    variants.append((1, False))
                for workers, replay in variants:
                    port = free_port()
                    processes.append(start_ours(port, workers, replay=replay))
                    wait_for_dns(port, "api.edgeway.test")
                    label = f"Edgeway GSLB ({workers} worker{'s' if workers > 1 else ''}" \
                            f"{'' if replay else ', no replay'})"
                    targets.append(Target(label, port, files, []))
                results.extend(measure_all(scenario, targets, **opts))
            finally:
                for proc in processes:
                    stop(proc)
            for path in work.glob("*.bin"):
                path.unlink()
    ratios: dict[str, dict[str, dict[str, float]]] = {}
    for scenario in ("cycled", "unplaced"):
        rows = [r for r in results if r.scenario == scenario]
        static = next(r for r in rows if r.target.startswith("PowerDNS static"))
        lua = next(r for r in rows if r.target.startswith("PowerDNS LUA"))
        ratios[scenario] = {r.target: {"vs_lua": round(r.qps / lua.qps, 2),
                                       "vs_static": round(r.qps / static.qps, 2)}
                            for r in rows if r.target.startswith("Edgeway")}
    return {
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
        "settings": {"table_subnets": len(pools["cycled"]), **opts,
                     "geoip": _pdns_has("geoip"), "pdns": _pdns_version()},
        "results": [asdict(r) for r in results],
        "ratios": ratios,
    }


def markdown(report: dict) -> str:
    s = report["settings"]
    lines = [
        "## GSLB DNS throughput (issue 7, `python -m bench.dns_throughput`)", "",
        f"Machine: {report['machine']['cpus']} CPUs (shared with dnsperf), Python "
        f"{report['machine']['python']}. dnsperf -B over loopback, every query with an EDNS "
        f"Client Subnet /24, {s['clients']} clients, {s['outstanding']} outstanding; qps is "
        f"the median of {s['repeat']} runs of {s['duration']} s after a 1 s warm-up, the "
        f"targets taking turns run by run. PowerDNS {s['pdns']} (bind backend"
        f"{', GeoIP backend so pickclosest really locates clients' if s['geoip'] else ''}; "
        "its packet cache on, as shipped). Latency percentiles come from a separate verbose "
        "run at the same settings. Generated by `python -m bench.dns_throughput`.", "",
        f"* **cycled**: all {s['table_subnets']:,} /24s of the networks table, sent round and "
        "round as resolvers re-ask every TTL. Ours replays byte-identical repeats, PowerDNS "
        "uses its packet cache; *no replay* answers every query from our per-prefix wire "
        "templates, i.e. what a never-seen subnet inside a known prefix costs.",
        "* **unplaced**: a fresh public /24 outside the networks table for every query, never "
        "repeated in a run (each run's file holds more queries than any target answers in "
        "its time): nothing can be replayed, and ours must place every subnet it has not "
        "seen.",
        "",
        "| scenario | target | qps (median) | runs | completed | p50 ms | p90 ms | p99 ms | avg ms |",
        "|---|---|---:|---|---:|---:|---:|---:|---:|",
    ]
    for r in report["results"]:
        runs = " / ".join(f"{q:,}" for q in r["qps_runs"])
        lines.append(f"| {r['scenario']} | {r['target']} | {r['qps']:,} | {runs} | {r['completed_pct']}% | "
                     f"{r['p50_ms']} | {r['p90_ms']} | {r['p99_ms']} | {r['avg_ms']} |")
    lines += ["", "| scenario | ours | vs PowerDNS LUA (target >= 40x) | vs PowerDNS static "
              "(target >= 0.7x) | both targets |", "|---|---|---:|---:|---|"]
    for scenario, rows in report["ratios"].items():
        for target, ratio in rows.items():
            met = ratio["vs_lua"] >= 40 and ratio["vs_static"] >= 0.7
            lines.append(f"| {scenario} | {target} | {ratio['vs_lua']}x | {ratio['vs_static']}x | "
                         f"{'met' if met else 'not met'} |")
    lines += ["", NOTES]
    return "\n".join(lines) + "\n"


NOTES = """Reading the figures: the machine is shared with other jobs, so single runs
swing by up to 2x; compare the medians and ratios within one report, not across
reports. *cycled* is the shape of real resolver traffic (every subnet of the
table, each re-asked every TTL). *no replay* shows what the per-prefix template
path costs when every query must be parsed and answered (a subnet never seen
before inside a known prefix). *unplaced* is the cold case: every query a
client the networks table does not know, never asked before. An unknown client's
answer holds for the widest block around it with no table or measured prefix in
it (up to a /8), so the Engine is asked once per block, not once per /24, and the
ECS scope tells resolvers the same; the rest is the template path. A second
worker process does not help on 2 cores: dnsperf needs the other one."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.dns_throughput", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per measured run")
    parser.add_argument("--repeat", type=int, default=3, help="measured runs per target (median)")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--outstanding", type=int, default=200)
    parser.add_argument("--workers", default="1,2", help="our worker-process counts to measure")
    parser.add_argument("--out", default=str(ROOT / "docs" / "bench" / "gslb-dns.md"))
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    args.workers = [int(w) for w in args.workers.split(",") if w.strip()]
    missing = missing_tools()
    if missing:
        print(f"skipped: {', '.join(missing)} not installed. Install with:\n  {INSTALL}")
        return 0
    report = run(args)
    text = markdown(report)
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(text)
    print(json.dumps(report, indent=2) if args.json else text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
