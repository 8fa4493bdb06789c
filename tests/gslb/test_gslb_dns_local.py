"""The DNS server inside the local GSLB: a region failing its health checks
stops being answered over DNS, and comes back (the issue's "done when")."""

from __future__ import annotations

import socket
from pathlib import Path

import dns.edns
import dns.message
import dns.query
import pytest

from edgeway_local.gslb_local import start_local_gslb
from edgeway_local.ports import free_port
from tests.gslb.conftest import Region, wait_for

pytestmark = pytest.mark.slow
EUROPE = [dns.edns.ECSOption("198.51.100.0", 24)]   # the demo's Frankfurt client


def test_dns_fails_europe_over_and_back(tmp_path: Path, listeners: dict[str, Region]) -> None:
    config = tmp_path / "gslb.yaml"
    config.write_text((Path(__file__).resolve().parents[2] / "gateway.yaml").read_text().replace(
        "interval_s: 1.0", "interval_s: 0.1").replace("timeout_s: 0.8", "timeout_s: 0.1"))
    port = free_port()
    local = start_local_gslb(config, region_urls={n: lis.url for n, lis in listeners.items()},
                             dns_port=port, gslb_table="", dynamodb_client=None)

    def answer() -> tuple[list[str], int]:
        query = dns.message.make_query("api.edgeway.test", "A", use_edns=0, options=EUROPE)
        response = dns.query.udp(query, "127.0.0.1", port=port, timeout=5)
        return [r.to_text() for rrset in response.answer for r in rrset], response.answer[0].ttl

    try:
        assert local.dns is not None, local.dns_error
        assert wait_for(lambda: answer()[0] == ["198.51.100.10"])
        listeners["eu-west-1"].status = 503          # what `edgeway region down eu-west-1` does
        assert wait_for(lambda: answer()[0] != ["198.51.100.10"])
        addresses, ttl = answer()
        assert addresses == ["192.0.2.10"] and ttl == 5   # short TTL right after a change
        listeners["eu-west-1"].status = 200
        assert wait_for(lambda: answer()[0] == ["198.51.100.10"])
        garbage = b"\x00" * 3 + b"\xff" * 40
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            for _ in range(50):
                sock.sendto(garbage, ("127.0.0.1", port))
        assert answer()[0] == ["198.51.100.10"]       # garbage did not stop it
    finally:
        local.stop()
        for listener in listeners.values():
            listener.server.shutdown()
            listener.server.server_close()
