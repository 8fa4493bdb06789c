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
    target: str
    qps: float
    completed_pct: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    avg_ms: float


# -- inputs ------------------------------------------------------------------------------

def subnets(count: int, seed: int = 7) -> list[ipaddress.IPv4Network]:
    """Distinct /24s drawn from the public IPv4 prefixes of the networks table."""
    from gslb.networks import load_networks

    prefixes = [n.prefix for n in load_networks(None)
                if n.prefix.version == 4 and n.prefix.prefixlen <= 24 and n.prefix.is_global]
    rng = random.Random(seed)
    seen: set[ipaddress.IPv4Network] = set()
    while len(seen) < count:
        prefix = rng.choice(prefixes)
        slots = 1 << (24 - prefix.prefixlen)
        base = int(prefix.network_address) + (rng.randrange(slots) << 8)
        seen.add(ipaddress.IPv4Network((base, 24)))
    return sorted(seen)


def query_file(path: Path, qname: str, nets: Sequence[ipaddress.IPv4Network]) -> Path:
    """dnsperf -B format: 2-byte length, then the query (RFC 1035 4.2.2 framing)."""
    with path.open("wb") as out:
        for net in nets:
            query = dns.message.make_query(qname, "A", use_edns=0, payload=1232,
                                           options=[dns.edns.ECSOption(str(net.network_address), 24)])
            wire = query.to_wire()
            out.write(struct.pack("!H", len(wire)) + wire)
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

def start_ours(port: int, workers: int) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "gslb.dns_workers", "--port", str(port),
                             "--workers", str(workers), "--config", str(ROOT / "gateway.yaml")],
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


def measure(name: str, port: int, datafile: Path, *, duration: float, clients: int,
            outstanding: int) -> Result:
    dnsperf(port, datafile, duration=1, clients=clients, outstanding=outstanding)  # warm caches
    summary = dnsperf(port, datafile, duration=duration, clients=clients, outstanding=outstanding)
    qps = float(re.search(r"Queries per second:\s+([\d.]+)", summary).group(1))
    completed = float(re.search(r"Queries completed:\s+\d+ \(([\d.]+)%\)", summary).group(1))
    avg = float(re.search(r"Average Latency \(s\):\s+([\d.]+)", summary).group(1)) * 1000
    verbose = dnsperf(port, datafile, duration=min(duration, 3), clients=clients,
                      outstanding=outstanding, verbose=True)
    # "> NOERROR binary input 0.000306"; a lost query ("> T binary input") has no time.
    latencies = sorted(float(m.group(1)) * 1000 for m in
                       re.finditer(r"^> \S+ .* ([\d.]+)$", verbose, re.MULTILINE))
    cuts = statistics.quantiles(latencies, n=100) if len(latencies) > 100 else [avg] * 99
    return Result(name, round(qps), completed, round(cuts[49], 3), round(cuts[89], 3),
                  round(cuts[98], 3), round(avg, 3))


def missing_tools() -> list[str]:
    missing = [tool for tool in ("dnsperf",) if not shutil.which(tool)]
    if not _pdns_binary():
        missing.append("pdns_server")
    elif not _pdns_has("bind"):
        missing.append("pdns-backend-bind")
    return missing


def run(args: argparse.Namespace) -> dict:
    nets = subnets(args.queries)
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="edgeway-dnsbench-") as tmp:
        work = Path(tmp)
        ours_file = query_file(work / "ours.bin", "api.edgeway.test", nets)
        lua_file = query_file(work / "lua.bin", "lua.bench.test", nets)
        static_file = query_file(work / "static.bin", "static.bench.test", nets)
        opts = dict(duration=args.duration, clients=args.clients, outstanding=args.outstanding)
        pdns_port = free_port()
        pdns = start_pdns(pdns_port, work)
        try:
            wait_for_dns(pdns_port, "static.bench.test")
            results.append(measure("PowerDNS static A", pdns_port, static_file, **opts))
            results.append(measure("PowerDNS LUA pickclosest", pdns_port, lua_file, **opts))
        finally:
            stop(pdns)
        for workers in args.workers:
            port = free_port()
            ours = start_ours(port, workers)
            try:
                wait_for_dns(port, "api.edgeway.test")
                label = f"Edgeway GSLB ({workers} worker{'s' if workers > 1 else ''})"
                results.append(measure(label, port, ours_file, **opts))
            finally:
                stop(ours)
    static = next(r for r in results if r.target.startswith("PowerDNS static"))
    lua = next(r for r in results if r.target.startswith("PowerDNS LUA"))
    return {
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
        "settings": {"queries": args.queries, **opts, "geoip": _pdns_has("geoip")},
        "results": [asdict(r) for r in results],
        "ratios": {r.target: {"vs_lua": round(r.qps / lua.qps, 2), "vs_static": round(r.qps / static.qps, 2)}
                   for r in results if r.target.startswith("Edgeway")},
    }


def markdown(report: dict) -> str:
    s = report["settings"]
    lines = [
        "# GSLB DNS throughput (dnsperf)", "",
        f"Machine: {report['machine']['cpus']} CPUs, Python {report['machine']['python']}. "
        f"dnsperf -B over loopback, {s['queries']} queries each with a different ECS /24, "
        f"{s['clients']} clients, {s['outstanding']} outstanding, {s['duration']} s per run "
        f"(after a 1 s warm-up). PowerDNS 4 with the bind backend"
        f"{' and the GeoIP backend (pickclosest looks clients up)' if s['geoip'] else ''}. "
        "Latency percentiles come from a second, verbose run at the same settings. "
        "Generated by `python -m bench.dns_throughput`.", "",
        "| target | qps | completed | p50 ms | p90 ms | p99 ms | avg ms |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in report["results"]:
        lines.append(f"| {r['target']} | {r['qps']:,} | {r['completed_pct']}% | {r['p50_ms']} | "
                     f"{r['p90_ms']} | {r['p99_ms']} | {r['avg_ms']} |")
    lines += ["", "| ours | vs PowerDNS LUA (target >= 40x) | vs PowerDNS static (target >= 0.7x) |",
              "|---|---:|---:|"]
    for target, ratio in report["ratios"].items():
        lines.append(f"| {target} | {ratio['vs_lua']}x | {ratio['vs_static']}x |")
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.dns_throughput", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per measured run")
    parser.add_argument("--queries", type=int, default=50_000, help="distinct ECS subnets in the file")
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
