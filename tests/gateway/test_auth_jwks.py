"""JwksCache driven by hand: a fake clock and a fake fetcher, no sockets."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.authkit import FakeClock, ec_key, ed_key, jwk, jwks, rsa_key
from edgeway.auth.config import check_jwks_uri
from edgeway.auth.jwks import JwksCache, JwksError, KeysUnavailable, parse_jwks

ALGS = frozenset({"RS256", "ES256", "EdDSA"})


class Fetcher:
    def __init__(self, doc: object) -> None:
        self.doc = doc
        self.down = False
        self.calls = 0

    def __call__(self, uri: str) -> object:
        self.calls += 1
        if self.down:
            raise JwksError("HTTP 503")
        return self.doc


def make(doc=None, ttl=600, cooldown=30):
    clock = FakeClock()
    fetch = Fetcher(doc or jwks((rsa_key(), "a")))
    errors: list[str] = []
    cache = JwksCache("https://issuer.example/jwks", fetch, ALGS, ttl_s=ttl, cooldown_s=cooldown,
                      clock=clock, on_error=errors.append)
    return cache, fetch, clock, errors


def test_fetched_once_then_served_from_cache_until_ttl():
    cache, fetch, clock, _ = make()
    for _ in range(100):
        assert cache.key_for("a", "RS256") is not None
        clock.advance(5)  # 500 s in all: inside the 600 s TTL
    assert fetch.calls == 1
    clock.advance(100)
    assert cache.key_for("a", "RS256") is not None
    assert fetch.calls == 2


def test_unknown_kid_refetches_once_then_cools_down():
    cache, fetch, clock, _ = make()
    cache.key_for("a", "RS256")
    clock.advance(31)
    for n in range(1000):  # a flood of made-up kids
        assert cache.key_for(f"made-up-{n}", "RS256") is None
    assert fetch.calls == 2  # the first unknown kid refetched; the rest waited
    clock.advance(30)
    cache.key_for("made-up-again", "RS256")
    assert fetch.calls == 3


def test_rotation_is_picked_up_on_the_new_kid():
    cache, fetch, clock, _ = make()
    cache.key_for("a", "RS256")
    fetch.doc = jwks((rsa_key(), "a"), (rsa_key(1), "b"))
    clock.advance(45)
    assert cache.key_for("b", "RS256") is not None
    assert fetch.calls == 2


def test_failed_refetch_keeps_the_last_good_keys():
    cache, fetch, clock, errors = make(ttl=60, cooldown=30)
    cache.key_for("a", "RS256")
    fetch.down = True
    clock.advance(61)  # expired: a refetch is due, and fails
    assert cache.key_for("a", "RS256") is not None
    assert fetch.calls == 2 and "HTTP 503" in errors[0]
    clock.advance(10)  # inside the cool-down: no new attempt
    assert cache.key_for("a", "RS256") is not None
    assert fetch.calls == 2
    clock.advance(25)
    assert cache.key_for("a", "RS256") is not None
    assert fetch.calls == 3
    fetch.down = False
    clock.advance(31)
    cache.key_for("a", "RS256")
    assert fetch.calls == 4
    clock.advance(59)  # fresh again: a new TTL from the successful fetch
    cache.key_for("a", "RS256")
    assert fetch.calls == 4


def test_never_fetched_and_endpoint_down_is_unavailable_not_unknown():
    cache, fetch, clock, _ = make()
    fetch.down = True
    with pytest.raises(KeysUnavailable):
        cache.key_for("a", "RS256")
    with pytest.raises(KeysUnavailable):  # inside the cool-down: not even tried
        cache.key_for("a", "RS256")
    assert fetch.calls == 1


def test_a_jwks_with_no_usable_key_is_a_failed_fetch():
    cache, fetch, clock, errors = make(ttl=60)
    cache.key_for("a", "RS256")
    fetch.doc = {"keys": []}
    clock.advance(61)
    assert cache.key_for("a", "RS256") is not None
    assert "no key usable" in errors[0]


def test_key_type_must_fit_the_algorithm():
    keys = parse_jwks(jwks((rsa_key(), "r"), (ec_key(), "e"), (ed_key(), "o")), ALGS)
    assert keys.key_for("r", "RS256") and not keys.key_for("r", "ES256") and not keys.key_for("r", "EdDSA")
    assert keys.key_for("e", "ES256") and not keys.key_for("e", "RS256")
    assert keys.key_for("o", "EdDSA") and not keys.key_for("o", "ES256")


def test_unusable_keys_are_skipped():
    weak = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    doc = {"keys": [
        {"kty": "oct", "k": "c2VjcmV0", "kid": "sym"},  # a shared secret in a JWKS
        {**jwk(rsa_key(), "enc"), "use": "enc"},
        {**jwk(rsa_key(), "pinned"), "alg": "RS512"},
        jwk(weak, "weak"),
        {"kty": "RSA", "kid": "broken", "n": "!!", "e": "AQAB"},
        "not a key",
        jwk(rsa_key(), "good"),
    ]}
    keys = parse_jwks(doc, ALGS | {"HS256"})
    assert keys.key_for("good", "RS256") is not None
    for kid in ("sym", "enc", "pinned", "weak", "broken"):
        assert all(keys.key_for(kid, alg) is None for alg in ALGS | {"HS256"}), kid


def test_kidless_token_uses_the_only_key_of_its_type():
    keys = parse_jwks(jwks((rsa_key(), "r"), (ec_key(), "e")), ALGS)
    assert keys.key_for(None, "RS256") is not None
    two = parse_jwks(jwks((rsa_key(), "r1"), (rsa_key(1), "r2")), ALGS)
    assert two.key_for(None, "RS256") is None  # ambiguous: refused


@pytest.mark.parametrize("doc", [None, [], {"keys": "x"}, {"nokeys": []}])
def test_not_a_jwks(doc):
    with pytest.raises(JwksError):
        parse_jwks(doc, ALGS)


@pytest.mark.parametrize("uri,ok", [
    ("https://issuer.example/jwks", True),
    ("http://127.0.0.1:3010/.well-known/jwks.json", True),
    ("http://localhost:3010/jwks", True),
    ("http://[::1]:3010/jwks", True),
    ("http://issuer.example/jwks", False),
    ("http://10.0.0.1/jwks", False),
    ("ftp://issuer.example/jwks", False),
    ("https:///jwks", False),
])
def test_jwks_uri_must_be_https_or_loopback(uri, ok):
    assert (check_jwks_uri(uri) is None) is ok
