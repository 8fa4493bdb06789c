"""A local JWT issuer for development: one ES256 key, its JWKS on loopback.

The signing key is generated once and kept in ``<repo>/.edgeway/`` (git-ignored),
so tokens printed by ``edgeway token`` keep verifying across restarts of
``edgeway serve``, and ``edgeway token`` works without the stack running. The
JWKS is served at ``http://127.0.0.1:3010/.well-known/jwks.json`` next to an
OpenID configuration; the demo gateway.yaml trusts issuer ``edgeway-local``
with that ``jwks_uri`` (plain http is accepted for loopback hosts only).

Never use this key or issuer outside a laptop: the private key sits in a file.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import threading
import time
from collections.abc import Iterable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 3010
AUDIENCE = "edgeway"
STATE_DIR = ".edgeway"
KEY_FILE = "issuer-es256.pem"
JWKS_PATH = "/.well-known/jwks.json"
OPENID_PATH = "/.well-known/openid-configuration"


def repo_root(start: Path | None = None) -> Path:
    """The nearest directory at or above ``start`` holding template.yaml or .git."""
    here = (start or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        if (candidate / "template.yaml").exists() or (candidate / ".git").exists():
            return candidate
    return here


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


class LocalIssuer:
    def __init__(self, root: Path | None = None, *, host: str = DEFAULT_HOST,
                 port: int = DEFAULT_PORT) -> None:
        self.root = repo_root(root)
        self.url = f"http://{host}:{port}"
        self.key_path = self.root / STATE_DIR / KEY_FILE
        self._key: Any = None

    @property
    def jwks_uri(self) -> str:
        return self.url + JWKS_PATH

    def private_key(self) -> Any:
        if self._key is None:
            self._key = _load_or_create(self.key_path)
        return self._key

    def public_jwk(self) -> dict[str, str]:
        from jwt.algorithms import ECAlgorithm

        jwk = ECAlgorithm.to_jwk(self.private_key().public_key(), as_dict=True)
        core = {k: jwk[k] for k in ("crv", "kty", "x", "y")}
        # RFC 7638 thumbprint: a kid that changes exactly when the key does.
        kid = _b64(hashlib.sha256(json.dumps(core, separators=(",", ":"),
                                             sort_keys=True).encode()).digest())
        return {**core, "kid": kid, "use": "sig", "alg": "ES256"}

    def jwks(self) -> dict[str, Any]:
        return {"keys": [self.public_jwk()]}

    def openid_configuration(self) -> dict[str, Any]:
        return {"issuer": self.url, "jwks_uri": self.jwks_uri,
                "id_token_signing_alg_values_supported": ["ES256"],
                "response_types_supported": ["token"], "subject_types_supported": ["public"]}

    def mint(self, subject: str, scopes: Iterable[str] = (), *, expires_in: int = 3600,
             audience: str = AUDIENCE, extra: Mapping[str, Any] | None = None,
             now: float | None = None) -> tuple[str, dict[str, Any]]:
        import jwt

        issued = int(now if now is not None else time.time())
        claims: dict[str, Any] = {
            "iss": self.url, "aud": audience, "sub": subject, "iat": issued, "nbf": issued,
            "exp": issued + expires_in, "jti": secrets.token_hex(8),
        }
        scope = " ".join(dict.fromkeys(s for chunk in scopes for s in chunk.split()))
        if scope:
            claims["scope"] = scope
        claims.update(extra or {})
        token = jwt.encode(claims, self.private_key(), algorithm="ES256",
                           headers={"kid": self.public_jwk()["kid"]})
        return token, claims


def _load_or_create(path: Path) -> Any:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        # O_EXCL: two processes starting at once cannot both write a key.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return serialization.load_pem_private_key(path.read_bytes(), password=None)
    key = ec.generate_private_key(ec.SECP256R1())
    with os.fdopen(fd, "wb") as out:
        out.write(key.private_bytes(serialization.Encoding.PEM,
                                    serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption()))
    return key


class IssuerServer:
    """The issuer's JWKS and OpenID configuration over HTTP, in a daemon thread."""

    def __init__(self, issuer: LocalIssuer, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT):
        self.issuer = issuer
        self.host = host
        self.port = port
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> IssuerServer:
        documents: dict[str, Any] = {}

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                doc = documents.get(self.path.split("?", 1)[0])
                body = json.dumps(doc if doc is not None else {"error": "not found"}).encode()
                self.send_response(200 if doc is not None else 404)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.send_header("cache-control", "max-age=300")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass  # the banner says where it is; no line per JWKS fetch

        self._server = ThreadingHTTPServer((self.host, self.port), Handler)
        self.port = self._server.server_address[1]
        self.issuer.url = self.url  # port 0 picked a free port: iss and jwks_uri name it
        documents[JWKS_PATH] = self.issuer.jwks()
        documents[OPENID_PATH] = self.issuer.openid_configuration()
        # Poll for shutdown() often: stopping the stack should not wait here.
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True,
                                        name="edgeway-issuer")
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
