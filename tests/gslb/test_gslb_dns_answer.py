"""The pure DNS answer path, driven by hand with dnspython-built queries."""

from __future__ import annotations

import struct

import dns.edns
import dns.flags
import dns.message
import dns.rcode
import dns.rdatatype
import pytest

from gslb.dns_answer import DnsAnswerer
from tests.gslb_fakes import FakeEngine, region

ZONE = "api.edgeway.test."
RESOLVER = "192.0.2.200"   # placed in us-east-1 by the fake engine


def ask(answerer, name=ZONE, rdtype="A", *, source=RESOLVER, ecs=None, udp=True, **kw):
    if ecs:
        kw["options"] = [dns.edns.ECSOption(*ecs)]
    if kw.pop("edns", False) or ecs:
        kw["use_edns"] = 0
    query = dns.message.make_query(name, rdtype, **kw)
    wire = answerer.answer(query.to_wire(), source, udp=udp)
    assert wire is not None
    response = dns.message.from_wire(wire)
    assert response.id == query.id
    return response


def addresses(response):
    return sorted(r.to_text() for rrset in response.answer for r in rrset)


@pytest.fixture
def engine():
    return FakeEngine()


@pytest.fixture
def answerer(engine):
    return DnsAnswerer(engine, nameserver_addresses={"ns1.api.edgeway.test": ["127.0.0.1"]})


def test_apex_a_and_aaaa_are_the_chosen_region_authoritatively(answerer):
    response = ask(answerer, rdtype="A")
    assert response.rcode() == dns.rcode.NOERROR
    assert response.flags & dns.flags.AA
    assert addresses(response) == ["192.0.2.10"]
    assert response.answer[0].ttl == 30
    assert addresses(ask(answerer, rdtype="AAAA")) == ["2001:db8:1::10"]


def test_txt_explains_the_choice(answerer):
    response = ask(answerer, rdtype="TXT", source="198.51.100.7")
    text = b"".join(response.answer[0][0].strings).decode()
    assert text.startswith("eu-west-1: nearest healthy")


def test_soa_and_ns_at_the_apex(answerer):
    soa = ask(answerer, rdtype="SOA").answer[0][0]
    assert soa.mname.to_text() == "ns1.api.edgeway.test."
    assert soa.rname.to_text() == "hostmaster.api.edgeway.test."
    ns = ask(answerer, rdtype="NS")
    assert addresses(ns) == ["ns1.api.edgeway.test."]
    assert addresses(ask(answerer, "ns1.api.edgeway.test", "A")) == ["127.0.0.1"]


def test_unknown_name_inside_the_zone_is_nxdomain_with_soa(answerer):
    response = ask(answerer, "nope.api.edgeway.test", "A")
    assert response.rcode() == dns.rcode.NXDOMAIN
    assert response.flags & dns.flags.AA
    assert response.authority[0].rdtype == dns.rdatatype.SOA
    assert response.authority[0].ttl == 30   # min(SOA TTL, MINIMUM), RFC 2308


def test_existing_name_without_that_type_is_nodata(answerer):
    response = ask(answerer, rdtype="MX")
    assert response.rcode() == dns.rcode.NOERROR
    assert not response.answer
    assert response.authority[0].rdtype == dns.rdatatype.SOA


def test_outside_the_zone_is_refused_without_authority(answerer):
    for name in ("example.com", "edgeway.test", "xapi.edgeway.test"):
        response = ask(answerer, name, "A")
        assert response.rcode() == dns.rcode.REFUSED
        assert not response.flags & dns.flags.AA
        assert not response.answer


def test_region_names_answer_that_region(answerer):
    assert addresses(ask(answerer, "ap-southeast-1.api.edgeway.test", "A")) == ["203.0.113.10"]


def test_question_case_is_echoed_for_0x20_resolvers(answerer):
    query = dns.message.make_query("ApI.EdGeWaY.tEsT", "A")
    response = dns.message.from_wire(answerer.answer(query.to_wire(), RESOLVER))
    assert response.question[0].name.to_text() == "ApI.EdGeWaY.tEsT."
    assert addresses(response) == ["192.0.2.10"]


def test_source_address_places_the_client_without_ecs(answerer):
    assert addresses(ask(answerer, source="203.0.113.99")) == ["203.0.113.10"]


def test_ecs_places_the_client_and_echoes_scope(answerer):
    response = ask(answerer, ecs=("198.51.101.0", 24))
    assert addresses(response) == ["198.51.100.10"]
    (option,) = response.options
    assert (option.address, option.srclen, option.scopelen) == ("198.51.101.0", 24, 22)
    # The same prefix from another subnet hits the cache and still echoes its own subnet.
    response = ask(answerer, ecs=("198.51.102.0", 23))
    (option,) = response.options
    assert (option.address, option.srclen, option.scopelen) == ("198.51.102.0", 23, 22)


def test_ecs_ipv6_and_scope_zero_for_client_independent_answers(answerer):
    response = ask(answerer, rdtype="AAAA", ecs=("2001:db8:2100::", 48))
    assert addresses(response) == ["2001:db8:2::10"]
    assert response.options[0].scopelen == 36
    soa = ask(answerer, rdtype="SOA", ecs=("2001:db8:2100::", 48))
    assert soa.options[0].scopelen == 0


def test_ecs_source_zero_uses_the_packet_source_and_scope_zero(answerer):
    response = ask(answerer, source="203.0.113.5", ecs=("0.0.0.0", 0))
    assert addresses(response) == ["203.0.113.10"]
    assert response.options[0].scopelen == 0


def test_engine_is_asked_once_per_prefix_and_again_after_a_generation_change(engine, answerer):
    for third in range(100, 104):
        ask(answerer, ecs=(f"198.51.{third}.0", 24))
    assert engine.calls == 1
    engine.set_down("eu-west-1")
    response = ask(answerer, ecs=("198.51.100.0", 24))
    assert addresses(response) == ["192.0.2.10"]
    assert engine.calls == 2


def test_cached_answer_expires_after_max_age():
    engine, now = FakeEngine(), [0.0]
    answerer = DnsAnswerer(engine, max_age_s=5.0, clock=lambda: now[0])
    ask(answerer)
    ask(answerer)
    assert engine.calls == 1
    now[0] = 6.0
    ask(answerer)
    assert engine.calls == 2


def test_rd_bit_is_copied_and_ttl_follows_the_decision():
    answerer = DnsAnswerer(FakeEngine(ttl=5))
    with_rd = ask(answerer)
    without_rd = ask(answerer, flags=0)
    assert with_rd.flags & dns.flags.RD and not without_rd.flags & dns.flags.RD
    assert with_rd.answer[0].ttl == 5


def test_large_answer_is_truncated_over_udp_but_not_tcp():
    many = tuple(f"2001:db8:1::{i:x}" for i in range(1, 41))
    regions = (region("us-east-1", ("192.0.2.10",), many),)
    answerer = DnsAnswerer(FakeEngine(regions=regions))
    udp = ask(answerer, rdtype="AAAA")
    assert udp.flags & dns.flags.TC and not udp.answer
    tcp = ask(answerer, rdtype="AAAA", udp=False)
    assert not tcp.flags & dns.flags.TC and len(addresses(tcp)) == 40
    # An EDNS buffer of 1232 (our cap too) lets it through over UDP as well.
    big = ask(answerer, rdtype="AAAA", edns=True, payload=4096)
    assert big.payload == 1232
    assert not big.flags & dns.flags.TC and len(addresses(big)) == 40


def test_edns_version_above_zero_is_badvers(answerer):
    query = dns.message.make_query(ZONE, "A", use_edns=1)
    response = dns.message.from_wire(answerer.answer(query.to_wire(), RESOLVER))
    assert response.rcode() == dns.rcode.BADVERS


def test_do_bit_is_echoed(answerer):
    response = ask(answerer, edns=True, want_dnssec=True)
    assert response.ednsflags & dns.flags.DO


def rcode_of(wire: bytes) -> int:
    return struct.unpack_from("!H", wire, 2)[0] & 0xF


def test_with_the_real_engine_every_answer_matches_engine_resolve():
    """Property: the cached path answers exactly what Engine.resolve says, for
    addresses inside nested table prefixes and outside the table alike."""
    import ipaddress
    import random
    from pathlib import Path

    from gslb import build_engine

    engine = build_engine(Path(__file__).resolve().parents[2] / "gateway.yaml")
    answerer = DnsAnswerer(engine)
    rng = random.Random(7)
    table = [net.prefix for net in engine.networks if net.prefix.version == 4]
    samples = []
    for _ in range(300):
        prefix = rng.choice(table)
        samples.append(str(prefix[rng.randrange(prefix.num_addresses)]))
        samples.append(str(ipaddress.IPv4Address(rng.getrandbits(32))))
    for address in samples:
        want = engine.resolve(address)
        by_source = ask(answerer, source=address)
        assert addresses(by_source) == sorted(want.region.ipv4), address
        subnet = ipaddress.ip_network(f"{address}/24", strict=False)
        by_ecs = ask(answerer, ecs=(str(subnet.network_address), 24))
        expected = engine.resolve(subnet.network_address)
        assert addresses(by_ecs) == sorted(expected.region.ipv4), address
        assert by_ecs.options[0].scopelen == expected.prefix.prefixlen


def test_demo_european_client_gets_eu_west_1():
    from pathlib import Path

    from gslb import build_engine

    answerer = DnsAnswerer(build_engine(Path(__file__).resolve().parents[2] / "gateway.yaml"))
    assert addresses(ask(answerer, ecs=("198.51.100.0", 24))) == ["198.51.100.10"]


def test_a_repeated_query_from_another_source_is_placed_by_its_own_source(answerer):
    wire = dns.message.make_query(ZONE, "A").to_wire()
    first = dns.message.from_wire(answerer.answer(wire, "203.0.113.5"))
    second = dns.message.from_wire(answerer.answer(wire, "192.0.2.55"))
    assert addresses(first) == ["203.0.113.10"] and addresses(second) == ["192.0.2.10"]


def test_a_repeated_ecs_query_keeps_its_own_id(engine, answerer):
    query = dns.message.make_query(ZONE, "A", use_edns=0,
                                   options=[dns.edns.ECSOption("198.51.100.0", 24)])
    answers = []
    for qid in (1, 2, 0xBEEF):
        query.id = qid
        answers.append(dns.message.from_wire(answerer.answer(query.to_wire(), RESOLVER)))
    assert [a.id for a in answers] == [1, 2, 0xBEEF]
    assert all(addresses(a) == ["198.51.100.10"] for a in answers)
    engine.set_down("eu-west-1")           # a new generation: the repeat is not replayed
    query.id = 3
    assert addresses(dns.message.from_wire(answerer.answer(query.to_wire(), RESOLVER))) == ["192.0.2.10"]


def test_scope_is_narrowed_when_the_table_nests_a_more_specific_prefix(tmp_path):
    from pathlib import Path

    from gslb import build_engine

    table = tmp_path / "networks.csv"
    table.write_text("prefix,lat,lon,label\n"
                     "100.64.0.0/16,50.1,8.7,Frankfurt DE\n"      # Europe...
                     "100.64.7.0/24,1.3,103.8,Singapore SG\n")    # ...with a carve-out in Asia
    engine = build_engine(Path(__file__).resolve().parents[2] / "gateway.yaml", networks=table)
    answerer = DnsAnswerer(engine)
    outside = ask(answerer, ecs=("100.64.9.0", 24))
    assert addresses(outside) == ["198.51.100.10"]
    # Not "valid for the /16": that would hand the Singapore /24 a European answer.
    assert outside.options[0].scopelen == 24
    inside = ask(answerer, ecs=("100.64.7.0", 24))
    assert addresses(inside) == ["203.0.113.10"] and inside.options[0].scopelen == 24


def test_unknown_subnets_share_one_answer_for_the_block_around_them():
    from pathlib import Path

    from gslb import build_engine

    engine = build_engine(Path(__file__).resolve().parents[2] / "gateway.yaml")
    asked = []
    resolve = engine.resolve
    engine.resolve = lambda client: asked.append(client) or resolve(client)  # type: ignore[method-assign]
    answerer = DnsAnswerer(engine)
    first = ask(answerer, ecs=("240.1.2.0", 24))   # reserved space: in no networks table
    (option,) = first.options
    assert (option.srclen, option.scopelen) == (24, 8)  # valid for all of 240.0.0.0/8
    for subnet in ("240.77.0.0", "240.200.9.0", "240.255.255.0"):
        response = ask(answerer, ecs=(subnet, 24))
        assert addresses(response) == addresses(first)
        assert response.options[0].scopelen == 8
    assert len(asked) == 1  # the Engine was asked once for the whole block


def _ecs_query(subnet: str, source: int, qid: int, name: str = ZONE) -> bytes:
    query = dns.message.make_query(name, "A", use_edns=0, options=[dns.edns.ECSOption(subnet, source)])
    query.id = qid
    return query.to_wire()


def test_queries_differing_only_in_ecs_address_are_answered_as_the_full_path_would():
    """Same shape, another subnet: the shortcut's bytes equal a fresh server's."""
    import ipaddress
    import random
    from pathlib import Path

    from gslb import build_engine

    engine = build_engine(Path(__file__).resolve().parents[2] / "gateway.yaml")
    warm = DnsAnswerer(engine)
    rng = random.Random(3)
    table = [net.prefix for net in engine.networks if net.prefix.version == 4]
    for i in range(150):
        prefix = rng.choice(table)
        address = prefix[rng.randrange(prefix.num_addresses)]
        if i % 3 == 0:
            address = ipaddress.IPv4Address(rng.getrandbits(32))
        source = rng.choice((24, 20, 32))
        subnet = ipaddress.ip_network(f"{address}/{source}", strict=False).network_address
        wire = _ecs_query(str(subnet), source, qid=i)
        assert warm.answer(wire, RESOLVER) == DnsAnswerer(engine).answer(wire, RESOLVER), str(subnet)
    assert warm._cache.shapes  # the shortcut was taken (one shape per source length)


def test_the_ecs_shortcut_still_refuses_bits_past_the_prefix_and_follows_health(engine, answerer):
    good = dns.message.from_wire(answerer.answer(_ecs_query("198.51.100.0", 23, 1), RESOLVER))
    assert addresses(good) == ["198.51.100.10"]
    bad = bytearray(_ecs_query("198.51.100.0", 23, 2))
    bad[-1] |= 0x01                      # a bit past /23 in the same shape
    assert dns.message.from_wire(answerer.answer(bytes(bad), RESOLVER)).rcode() == dns.rcode.FORMERR
    engine.set_down("eu-west-1")         # a new generation: shapes and answers are rebuilt
    moved = dns.message.from_wire(answerer.answer(_ecs_query("198.51.102.0", 23, 3), RESOLVER))
    assert moved.id == 3 and addresses(moved) == ["192.0.2.10"]
    (option,) = moved.options
    assert (option.address, option.srclen) == ("198.51.102.0", 23)
