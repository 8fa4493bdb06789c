"""Malformed and hostile DNS packets get FORMERR / REFUSED / NOTIMP, never a crash."""

from __future__ import annotations

import struct

import dns.edns
import dns.message
import dns.tsig
import pytest

from gslb.dns_answer import DnsAnswerer
from gslb.dns_wire import Rcode
from tests.gslb_fakes import FakeEngine

SOURCE = "192.0.2.200"


@pytest.fixture(scope="module")
def answerer():
    return DnsAnswerer(FakeEngine())


def good_query(qid: int = 0x1234, name: str = "api.edgeway.test", **kw) -> bytes:
    query = dns.message.make_query(name, "A", **kw)
    query.id = qid
    return query.to_wire()


def header(qd=1, an=0, ns=0, ar=0, flags=0x0100, qid=0x1234) -> bytes:
    return struct.pack("!HHHHHH", qid, flags, qd, an, ns, ar)


QUESTION = b"\x03api\x07edgeway\x04test\x00\x00\x01\x00\x01"


def rcode(wire: bytes | None) -> int:
    assert wire is not None and len(wire) >= 12
    assert struct.unpack_from("!H", wire)[0] == 0x1234, "the error must carry the query id"
    assert wire[2] & 0x80, "QR must be set"
    return wire[3] & 0xF


def ecs_query(body: bytes) -> bytes:
    option = struct.pack("!HH", 8, len(body)) + body
    opt = b"\0" + struct.pack("!HHIH", 41, 1232, 0, len(option)) + option
    return header(ar=1) + QUESTION + opt


def test_truncated_queries_are_formerr(answerer):
    wire = good_query(use_edns=0, options=[dns.edns.ECSOption("198.51.100.0", 24)])
    for cut in range(12, len(wire)):
        assert rcode(answerer.answer(wire[:cut], SOURCE)) == Rcode.FORMERR, cut


def test_packets_too_short_for_a_header_or_that_are_responses_are_dropped(answerer):
    for junk in (b"", b"\x12", b"\x12\x34\x00"):
        assert answerer.answer(junk, SOURCE) is None
    assert answerer.answer(header(flags=0x8000) + QUESTION, SOURCE) is None


@pytest.mark.parametrize("counts", [dict(qd=0), dict(qd=2), dict(an=1), dict(ns=1), dict(ar=1),
                                    dict(ar=3)])
def test_wrong_section_counts_are_formerr(answerer, counts):
    assert rcode(answerer.answer(header(**counts) + QUESTION, SOURCE)) == Rcode.FORMERR


def test_two_real_questions_are_formerr(answerer):
    assert rcode(answerer.answer(header(qd=2) + QUESTION + QUESTION, SOURCE)) == Rcode.FORMERR


def test_compression_loop_is_formerr(answerer):
    looping = header() + b"\xc0\x0c\x00\x01\x00\x01"          # the name points at itself
    assert rcode(answerer.answer(looping, SOURCE)) == Rcode.FORMERR
    forward = header() + b"\x03api\xc0\x20\x00\x01\x00\x01" + b"\0" * 16
    assert rcode(answerer.answer(forward, SOURCE)) == Rcode.FORMERR


def test_a_legal_compressed_question_is_answered(answerer):
    # Pointer to offset 4: the QDCOUNT's high byte, a zero = the root name.
    wire = header() + b"\x03api\x07edgeway\x04test\xc0\x04\x00\x01\x00\x01"
    response = dns.message.from_wire(answerer.answer(wire, SOURCE))
    assert [r.to_text() for r in response.answer[0]] == ["192.0.2.10"]


def test_oversized_and_trailing_garbage_are_formerr(answerer):
    assert rcode(answerer.answer(good_query() + b"\0" * 5000, SOURCE)) == Rcode.FORMERR
    assert rcode(answerer.answer(good_query() + b"junk", SOURCE)) == Rcode.FORMERR


def test_bad_label_type_and_overlong_name_are_formerr(answerer):
    assert rcode(answerer.answer(header() + b"\x43abc\x00\x00\x01\x00\x01", SOURCE)) == Rcode.FORMERR
    long_name = b"".join(b"\x3f" + b"a" * 63 for _ in range(5)) + b"\0"
    assert rcode(answerer.answer(header() + long_name + b"\0\x01\0\x01", SOURCE)) == Rcode.FORMERR


def test_other_opcodes_are_notimp(answerer):
    for opcode in (1, 2, 4, 5, 15):
        assert rcode(answerer.answer(header(flags=opcode << 11) + QUESTION, SOURCE)) == Rcode.NOTIMP


def test_other_zones_classes_and_transfers_are_refused(answerer):
    assert rcode(answerer.answer(good_query(name="example.com"), SOURCE)) == Rcode.REFUSED
    chaos = header() + b"\x07version\x04bind\x00\x00\x10\x00\x03"
    assert rcode(answerer.answer(chaos, SOURCE)) == Rcode.REFUSED
    axfr = header() + QUESTION[:-4] + b"\x00\xfc\x00\x01"
    assert rcode(answerer.answer(axfr, SOURCE)) == Rcode.REFUSED


@pytest.mark.parametrize("body, why", [
    (struct.pack("!HBB", 3, 24, 0) + b"\xc6\x33\x64", "unknown family"),
    (struct.pack("!HBB", 0, 0, 0), "family zero"),
    (struct.pack("!HBB", 1, 33, 0) + b"\xc6\x33\x64\x00\x00", "source longer than IPv4"),
    (struct.pack("!HBB", 2, 129, 0) + b"\x20" * 17, "source longer than IPv6"),
    (struct.pack("!HBB", 1, 24, 0) + b"\xc6\x33", "too few address octets"),
    (struct.pack("!HBB", 1, 24, 0) + b"\xc6\x33\x64\x00", "too many address octets"),
    (struct.pack("!HBB", 1, 23, 0) + b"\xc6\x33\x65", "bits set past the source prefix"),
    (struct.pack("!HB", 1, 24), "option shorter than its fixed part"),
])
def test_bad_ecs_is_formerr(answerer, body, why):
    assert rcode(answerer.answer(ecs_query(body), SOURCE)) == Rcode.FORMERR, why


def test_two_ecs_options_are_formerr(answerer):
    body = struct.pack("!HBB", 1, 24, 0) + b"\xc6\x33\x64"
    option = struct.pack("!HH", 8, len(body)) + body
    opt = b"\0" + struct.pack("!HHIH", 41, 1232, 0, 2 * len(option)) + option + option
    assert rcode(answerer.answer(header(ar=1) + QUESTION + opt, SOURCE)) == Rcode.FORMERR


def test_two_opt_records_are_formerr(answerer):
    opt = b"\0" + struct.pack("!HHIH", 41, 1232, 0, 0)
    assert rcode(answerer.answer(header(ar=2) + QUESTION + opt + opt, SOURCE)) == Rcode.FORMERR


def test_unknown_edns_options_are_ignored(answerer):
    cookie = struct.pack("!HH", 10, 8) + b"\x01" * 8
    opt = b"\0" + struct.pack("!HHIH", 41, 1232, 0, len(cookie)) + cookie
    response = dns.message.from_wire(answerer.answer(header(ar=1) + QUESTION + opt, SOURCE))
    assert [r.to_text() for r in response.answer[0]] == ["192.0.2.10"]


def test_an_engine_failure_is_servfail_not_an_exception():
    engine = FakeEngine()
    engine.resolve = lambda client: 1 / 0
    assert rcode(DnsAnswerer(engine).answer(good_query(), SOURCE)) == Rcode.SERVFAIL


def test_additional_records_the_parser_skips_checks_or_refuses(answerer):
    opt = b"\0" + struct.pack("!HHIH", 41, 1232, 0, 0)
    a_record = b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 60, 4) + b"\xc0\x00\x02\x01"
    signed = dns.message.make_query("api.edgeway.test", "A", use_edns=0)
    signed.use_tsig(dns.tsig.Key("key.", "c2VjcmV0c2VjcmV0c2VjcmV0"))
    signed.id = 0x1234
    signed_wire = signed.to_wire()
    tsig = signed_wire[len(good_query(use_edns=0)):]   # the TSIG record: last in the packet
    # An unrelated record beside the OPT is skipped: the question is answered.
    response = dns.message.from_wire(answerer.answer(header(ar=2) + QUESTION + a_record + opt, SOURCE))
    assert [r.to_text() for r in response.answer[0]] == ["192.0.2.10"] and response.edns == 0
    # A signed query cannot be verified (no keys): REFUSED, as dnspython would have it.
    assert rcode(answerer.answer(signed_wire, SOURCE)) == Rcode.REFUSED
    # TSIG anywhere but last, an OPT not at the root, a record cut short: FORMERR.
    assert rcode(answerer.answer(header(ar=2) + QUESTION + tsig + opt, SOURCE)) == Rcode.FORMERR
    assert rcode(answerer.answer(header(ar=1) + QUESTION + b"\x01x" + opt, SOURCE)) == Rcode.FORMERR
    assert rcode(answerer.answer(header(ar=1) + QUESTION + a_record[:-1], SOURCE)) == Rcode.FORMERR
