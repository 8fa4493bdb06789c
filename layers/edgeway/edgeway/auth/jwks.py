"""An issuer's signing keys: parsed once, cached, refetched with a cool-down.

``JwksCache`` holds the decision logic (pure apart from the injected ``fetch``
and ``clock``):

- a key set is used for ``ttl_s`` after it was fetched, then fetched again;
- a ``kid`` the set does not know triggers one refetch (key rotation), but at
  most one fetch per ``cooldown_s`` whatever the cause, so a flood of tokens
  with made-up ``kid`` values cannot become a flood of fetches;
- when a fetch fails (network, status, garbage, no usable key) the last good
  set keeps serving, and the next attempt waits for the cool-down.

PyJWT's ``PyJWKClient`` refetches only when its own cache lifespan ends, not on
an unknown ``kid`` inside it, hence this module. Only the configured JWKS ever
decides: ``jku``, ``x5u`` and ``jwk`` token headers are never read.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from jwt import PyJWK
from jwt.exceptions import PyJWKError, PyJWTError

from edgeway.errors import JwksError, KeysUnavailable

FetchJwks = Callable[[str], Any]
"""uri -> parsed JSON document; raises JwksError on any failure."""

MAX_JWKS_BYTES = 256 * 1024
FETCH_TIMEOUT_S = 2.0
MIN_RSA_BITS = 2048

# alg -> (kty, crv) a key must have to verify it. "oct" keys never come from a
# JWKS: a shared secret published next to public keys is algorithm confusion.
_KEY_TYPES: dict[str, tuple[str, str | None]] = {
    "RS256": ("RSA", None), "RS384": ("RSA", None), "RS512": ("RSA", None),
    "PS256": ("RSA", None), "PS384": ("RSA", None), "PS512": ("RSA", None),
    "ES256": ("EC", "P-256"), "ES384": ("EC", "P-384"), "ES512": ("EC", "P-521"),
    "EdDSA": ("OKP", "Ed25519"),
}


@dataclass(frozen=True, slots=True)
class KeySet:
    """One JWKS, indexed by (kid, alg) and by alg for tokens without a kid. An inline
    JWKS from gateway.yaml is one of these, parsed at build time and never fetched."""
    by_kid: Mapping[tuple[str, str], PyJWK]  # (kid, alg) -> key
    by_alg: Mapping[str, tuple[PyJWK, ...]]  # alg -> keys (for tokens without kid)

    def key_for(self, kid: str | None, alg: str) -> PyJWK | None:
        if kid is not None:
            return self.by_kid.get((kid, alg))
        # No kid: unambiguous only when exactly one key can verify this alg.
        keys = self.by_alg.get(alg, ())
        return keys[0] if len(keys) == 1 else None


def parse_jwks(doc: Any, algorithms: frozenset[str]) -> KeySet:
    """The usable public keys of ``doc`` for ``algorithms``; raises JwksError."""
    if not isinstance(doc, Mapping) or not isinstance(doc.get("keys"), list):
        raise JwksError("not a JWKS: an object with a 'keys' array is expected")
    by_kid: dict[tuple[str, str], PyJWK] = {}
    by_alg: dict[str, list[PyJWK]] = {}
    for jwk in doc["keys"]:
        if not isinstance(jwk, Mapping) or jwk.get("use", "sig") != "sig":
            continue
        if any(private in jwk for private in ("d", "p", "q", "k")):
            continue  # private or symmetric material has no business in a JWKS
        for alg in algorithms:
            key = _key_for(jwk, alg)
            if key is None:
                continue
            kid = jwk.get("kid")
            if isinstance(kid, str):
                by_kid[(kid, alg)] = key
            by_alg.setdefault(alg, []).append(key)
    if not by_alg:
        raise JwksError("the JWKS holds no key usable with " + ", ".join(sorted(algorithms)))
    return KeySet(by_kid=by_kid, by_alg={a: tuple(k) for a, k in by_alg.items()})


def _key_for(jwk: Mapping[str, Any], alg: str) -> PyJWK | None:
    wanted = _KEY_TYPES.get(alg)
    if wanted is None or jwk.get("kty") != wanted[0]:
        return None
    if wanted[1] is not None and jwk.get("crv") != wanted[1]:
        return None
    if jwk.get("alg") not in (None, alg):
        return None  # a key pinned to another algorithm is not used for this one
    try:
        key = PyJWK(dict(jwk), algorithm=alg)
    except (PyJWKError, PyJWTError, ValueError, TypeError):
        return None
    if wanted[0] == "RSA" and getattr(key.key, "key_size", 0) < MIN_RSA_BITS:
        return None
    return key


class JwksCache:
    def __init__(self, uri: str, fetch: FetchJwks, algorithms: frozenset[str], *,
                 ttl_s: float, cooldown_s: float, clock: Callable[[], float],
                 on_error: Callable[[str], None] | None = None) -> None:
        self.uri = uri
        self._fetch = fetch
        self._algorithms = algorithms
        self._ttl_s = ttl_s
        self._cooldown_s = cooldown_s
        self._clock = clock
        self._on_error = on_error
        self._keys: KeySet | None = None
        self._expires = 0.0
        self._last_attempt: float | None = None
        self._lock = threading.Lock()

    def key_for(self, kid: str | None, alg: str) -> PyJWK | None:
        """The key for ``kid``/``alg``, None when unknown; KeysUnavailable if no set."""
        now = self._clock()
        keys, refreshed = self._keys, False
        if keys is None or now >= self._expires:
            keys, refreshed = self._refresh(now), True
        key = keys.key_for(kid, alg) if keys is not None else None
        if key is None and not refreshed:
            keys = self._refresh(now)  # maybe a rotation: one refetch, cool-down permitting
            key = keys.key_for(kid, alg) if keys is not None else None
        if keys is None:
            raise KeysUnavailable(self.uri)
        return key

    def _refresh(self, now: float) -> KeySet | None:
        with self._lock:
            if self._last_attempt is not None and now - self._last_attempt < self._cooldown_s:
                return self._keys  # cooling down: whatever we have (maybe stale) serves
            self._last_attempt = now
            try:
                keys = parse_jwks(self._fetch(self.uri), self._algorithms)
            except JwksError as exc:
                if self._on_error:
                    self._on_error(f"JWKS fetch from {self.uri} failed: {exc}")
                return self._keys  # the last good set keeps serving
            self._keys, self._expires = keys, now + self._ttl_s
            return keys


def http_fetch(uri: str) -> Any:
    """GET a JWKS: no redirects, bounded size and time; every failure is JwksError."""
    import urllib.error
    import urllib.request

    class _NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None  # a redirect could leave https or the configured host

    opener = urllib.request.build_opener(_NoRedirect)
    request = urllib.request.Request(uri, headers={"accept": "application/json",
                                                   "user-agent": "edgeway-jwks"})
    try:
        with opener.open(request, timeout=FETCH_TIMEOUT_S) as response:
            if response.status != 200:
                raise JwksError(f"HTTP {response.status}")
            body = response.read(MAX_JWKS_BYTES + 1)
    except urllib.error.HTTPError as exc:
        raise JwksError(f"HTTP {exc.code}") from exc
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise JwksError(f"unreachable ({getattr(exc, 'reason', exc)})") from exc
    if len(body) > MAX_JWKS_BYTES:
        raise JwksError(f"larger than {MAX_JWKS_BYTES} bytes")
    try:
        return json.loads(body)
    except ValueError as exc:
        raise JwksError("not JSON") from exc
