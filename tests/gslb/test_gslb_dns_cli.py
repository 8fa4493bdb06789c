"""`edgeway gslb dns` and `edgeway gslb sync-route53 --geolocation` through their parsers."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import boto3
import dns.exception
import dns.message
import dns.query
import pytest
from moto import mock_aws

from edgeway.errors import ConfigError
from edgeway_local.commands import gslb_route53
from edgeway_local.commands.gslb_dns import register_gslb

ROOT = Path(__file__).resolve().parents[2]
GATEWAY_YAML = str(ROOT / "gateway.yaml")


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="edgeway gslb")
    sub = parser.add_subparsers(dest="gslb_command")
    register_gslb(sub)
    gslb_route53.register_gslb(sub)
    return parser.parse_args(list(argv))


def test_sync_route53_json_dry_run_then_apply_then_nothing(capsys):
    with mock_aws():
        client = boto3.client("route53", region_name="us-east-1")
        zone_id = client.create_hosted_zone(Name="edgeway.test", CallerReference="c")["HostedZone"]["Id"]
        base = ("sync-route53", "--geolocation", "--zone-id", zone_id, "--config", GATEWAY_YAML, "--json")
        for extra, applied in ((("--dry-run",), False), ((), True)):
            args = parse(*base, *extra)
            assert args.func(args) == 0
            out = json.loads(capsys.readouterr().out)
            assert out["applied"] is applied and out["changes"]
        args = parse(*base)
        assert args.func(args) == 0
        again = json.loads(capsys.readouterr().out)
        assert again["applied"] is False and again["changes"] == []
        assert again["unchanged"] == out["unchanged"] + len(out["changes"])


def test_sync_route53_text_output_and_unknown_down_region(capsys):
    with mock_aws():
        client = boto3.client("route53", region_name="us-east-1")
        zone_id = client.create_hosted_zone(Name="edgeway.test", CallerReference="c")["HostedZone"]["Id"]
        args = parse("sync-route53", "--geolocation", "--zone-id", zone_id, "--config", GATEWAY_YAML,
                     "--down", "eu-west-1")
        assert args.func(args) == 0
        text = capsys.readouterr().out
        assert text.startswith("changed ") and "edgeway-geo-continent-EU-A" in text
        assert "198.51.100.10" not in text          # Europe is down: nobody is sent there
        args = parse("sync-route53", "--geolocation", "--zone-id", zone_id, "--config", GATEWAY_YAML,
                     "--down", "mars-1")
        with pytest.raises(ConfigError, match="mars-1"):
            args.func(args)


@pytest.mark.slow
def test_dns_command_serves_until_terminated():
    code = ("import argparse, sys\n"
            "from edgeway_local.commands.gslb_dns import register_gslb\n"
            "p = argparse.ArgumentParser(); register_gslb(p.add_subparsers())\n"
            "a = p.parse_args(sys.argv[1:]); sys.exit(a.func(a))\n")
    proc = subprocess.Popen([sys.executable, "-c", code, "dns", "--port", "0", "--json",
                             "--config", GATEWAY_YAML], stdout=subprocess.PIPE, text=True,
                            cwd=ROOT)
    with proc:
        _serves_then_terminates(proc)


def _serves_then_terminates(proc: subprocess.Popen[str]) -> None:
    try:
        banner = json.loads(proc.stdout.readline())
        assert banner["zone"] == "api.edgeway.test"
        response = dns.query.udp(dns.message.make_query("api.edgeway.test", "A"), "127.0.0.1",
                                 port=banner["port"], timeout=5)
        assert response.answer
    finally:
        proc.terminate()
        assert proc.wait(timeout=10) == 0


@pytest.mark.slow
def test_two_worker_processes_share_the_port_and_stop_together():
    from edgeway_local.ports import free_port

    port = free_port()
    code = ("import argparse, sys\n"
            "from edgeway_local.commands.gslb_dns import register_gslb\n"
            "p = argparse.ArgumentParser(); register_gslb(p.add_subparsers())\n"
            "a = p.parse_args(sys.argv[1:]); sys.exit(a.func(a))\n")
    proc = subprocess.Popen([sys.executable, "-c", code, "dns", "--port", str(port), "--workers", "2",
                             "--json", "--config", GATEWAY_YAML], stdout=subprocess.PIPE, text=True,
                            cwd=ROOT)
    with proc:
        _both_workers_answer(proc, port)


def _both_workers_answer(proc: subprocess.Popen[str], port: int) -> None:
    import time

    try:
        banner = json.loads(proc.stdout.readline())
        assert banner["workers"] == 2 and banner["port"] == port
        deadline = time.monotonic() + 10
        answered = 0
        while answered < 20 and time.monotonic() < deadline:
            try:
                response = dns.query.udp(dns.message.make_query("api.edgeway.test", "A"),
                                         "127.0.0.1", port=port, timeout=1)
            except dns.exception.Timeout:
                continue            # a worker still binding
            answered += bool(response.answer)
        assert answered == 20
    finally:
        proc.terminate()
        assert proc.wait(timeout=10) == 0
