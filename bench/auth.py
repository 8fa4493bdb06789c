"""Auth benchmarks (issue 3).

1. Bearer verification with a warm JWKS cache, for RS256, ES256 and EdDSA, as a
   ratio to a bare ``jwt.decode`` of the same token with the key in hand (same
   claims checks: iss, aud, exp, leeway), measured in the same run, interleaved,
   medians of several repeats. Ours is measured twice: the verifier alone, and
   the whole per-request decision (``Authenticator.authenticate``: header
   parsing, verification, scope check). Target <= 1.2x.
2. DynamoDB requests per API-key request after the first, within the cache
   TTL (moto in-process; every GetItem counted). Target 0.

    python -m bench.auth
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

import jwt

from bench._common import median, write_section
from tests.authkit import AUDIENCE, ISSUER, claims, ec_key, ed_key, jwk, rsa_key
from tests.authkit import token as make_token
from tests.aws_tables import create_pk_sk_table
from tests.fakes import FakeClock

N = int(os.environ.get("BENCH_AUTH_N", "1000"))
REPEATS = int(os.environ.get("BENCH_AUTH_REPEATS", "11"))
KEY_REQUESTS = 1000


def _keys() -> dict[str, tuple[Any, dict[str, Any]]]:
    """One key per algorithm (the auth tests' keys), with its public JWK under kid = alg."""
    return {alg: (key, jwk(key, alg)) for alg, key in
            (("RS256", rsa_key()), ("ES256", ec_key()), ("EdDSA", ed_key()))}


def _per_call_us(fn: Callable[[], Any], n: int) -> float:
    started = time.perf_counter_ns()
    for _ in range(n):
        fn()
    return (time.perf_counter_ns() - started) / n / 1000


def bench_jwt() -> list[tuple[str, float, float, float]]:
    from edgeway.auth.authenticator import Authenticator, Mode, RoutePolicy
    from edgeway.auth.config import AuthConfig, IssuerConfig
    from edgeway.auth.jwt_verifier import build_verifier

    keys = _keys()
    doc = {"keys": [public for _, public in keys.values()]}
    fetches = []

    def fetch(uri: str) -> Any:
        fetches.append(uri)
        return doc

    config = IssuerConfig(index=0, name="bench", issuer=ISSUER, audiences=(AUDIENCE,),
                          algorithms=frozenset(keys), jwks_uri="https://issuer.example/jwks")
    verifier = build_verifier([config], clients=None, clock=time.monotonic, fetch=fetch)
    authenticator = Authenticator(AuthConfig(issuers=(config,)), jwt=verifier)
    policy = RoutePolicy(Mode.JWT, frozenset({"users:read"}), True, False, ())
    rows = []
    for alg, (private, _) in keys.items():
        token = make_token(claims(exp=int(time.time()) + 3600), key=private, alg=alg, kid=alg)
        public = private.public_key()
        headers = {"authorization": f"Bearer {token}"}

        def bare() -> Any:
            return jwt.decode(token, public, algorithms=[alg], audience=[AUDIENCE],
                              issuer=ISSUER, leeway=30, options={"require": ["exp"]})

        def ours() -> Any:
            return verifier.verify(token)

        def whole() -> Any:
            return authenticator.authenticate(headers, policy)

        for fn in (bare, ours, whole):  # warm: JWKS fetched, code paths hot
            fn()
        samples: dict[str, list[float]] = {"bare": [], "ours": [], "whole": []}
        for _ in range(REPEATS):
            for name, fn in (("bare", bare), ("ours", ours), ("whole", whole)):
                samples[name].append(_per_call_us(fn, N))
        rows.append((alg, median(samples["bare"]), median(samples["ours"]),
                     median(samples["whole"])))
    assert len(fetches) == 1, fetches  # warm cache: one fetch for the whole run
    return rows


def bench_api_keys() -> tuple[int, int, float, float]:
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    from moto import mock_aws

    from edgeway.auth.api_keys import ApiKeyVerifier, KeyStore
    from edgeway.auth.keyformat import hash_key
    from edgeway.clients import Clients
    from edgeway_local.keyadmin import create_key

    with mock_aws():
        clients = Clients("us-east-1")
        dynamodb = clients.get("dynamodb")
        create_pk_sk_table(dynamodb, "keys")
        calls = []
        dynamodb.meta.events.register("before-call.dynamodb.GetItem",
                                      lambda **kw: calls.append(1))
        key, _ = create_key(dynamodb, "keys", consumer="bench", plan="free")
        clock = FakeClock()
        verifier = ApiKeyVerifier(KeyStore("keys", clients), header="x-api-key",
                                  cache_ttl_s=30, clock=clock)
        verifier.verify(key)
        first = len(calls)
        for _ in range(KEY_REQUESTS):
            clock.advance(0.02)  # 1000 requests over 20 s: inside the 30 s TTL
            verifier.verify(key)
        after = len(calls) - first
        cached = median([_per_call_us(lambda: verifier.verify(key), N) for _ in range(REPEATS)])
        bare = median([_per_call_us(lambda: hash_key(key, None), N) for _ in range(REPEATS)])
    return first, after, cached, bare


def main() -> int:
    rows = bench_jwt()
    first, after, cached_us, sha_us = bench_api_keys()
    lines = [
        "## Auth (issue 3)\n",
        f"Bearer verification with a warm JWKS cache (one fetch for the whole run), "
        f"{N} calls x {REPEATS} repeats per figure, interleaved; medians of the per-call "
        "means. *Baseline*: `jwt.decode(token, public_key, algorithms=[alg], audience, issuer, "
        "leeway, require exp)` with the key object in hand. *Verifier*: "
        "`JwtVerifier.verify(token)` (shape check, header parse, kid lookup in the "
        "cached JWKS, jwt.decode, principal). *Per request*: `Authenticator.authenticate` "
        "(Authorization header parsing, the verifier, the route's scope check). "
        "Target: <= 1.2x.\n",
        "| alg | bare jwt.decode (us) | verifier (us) | ratio | per request (us) | ratio |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for alg, bare, ours, whole in rows:
        lines.append(f"| {alg} | {bare:.1f} | {ours:.1f} | {ours / bare:.2f}x | {whole:.1f} | "
                     f"{whole / bare:.2f}x |")
    lines += [
        "",
        f"API keys: {KEY_REQUESTS} requests with the same key over 20 s after the first, "
        "cache TTL 30 s (moto in-process, every GetItem counted): "
        f"**{after} DynamoDB requests after the first** ({first} for the first; target 0). "
        f"A cached key costs {cached_us:.1f} us per request (format check, SHA-256 of the key, "
        f"constant-time compare, status and expiry), against {sha_us:.1f} us for the SHA-256 "
        "alone.",
    ]
    write_section("auth", "\n".join(lines))
    worst = max(max(ours, whole) / bare for _, bare, ours, whole in rows)
    return 0 if after == 0 and worst <= 1.2 else 1


if __name__ == "__main__":
    raise SystemExit(main())
