"""The auth pieces of the local stack: the local JWT issuer, a demo API key and token.

The issuer served is the one gateway.yaml trusts on a loopback ``jwks_uri`` (the
demo's ``edgeway-local``, port 3010); the demo key goes into every served
region's KeysTable in moto, so it works in each region's listener: KeysTable is
a global table in the cloud, and moto does not replicate, so the local stack
writes every region as replication would.
"""

from __future__ import annotations

from typing import Any

from edgeway_local.issuer import DEFAULT_HOST, JWKS_PATH, STATE_DIR, IssuerServer, LocalIssuer
from edgeway_local.services import Service, StackInfo


def start(stack: StackInfo) -> Service | None:
    """The first issuer in ``auth.issuers`` whose ``jwks_uri`` is plain http on a
    loopback host, plus the banner's demo credentials. When that port is taken the
    stack still starts; the banner says so.
    """
    if stack.config_path is None:
        return None
    from urllib.parse import urlsplit

    from edgeway.auth.config import is_loopback, parse_auth
    from edgeway.config import load_config

    auth = parse_auth(load_config(stack.config_path))
    lines: list[str] = []
    server: IssuerServer | None = None
    issuer: LocalIssuer | None = None
    for cfg in auth.issuers:
        parts = urlsplit(cfg.jwks_uri or "")
        if parts.scheme == "http" and is_loopback(parts.hostname) and parts.path == JWKS_PATH:
            host, port = parts.hostname or DEFAULT_HOST, parts.port or 80
            issuer = LocalIssuer(stack.config_path.parent, host=host, port=port)
            issuer.url = cfg.issuer  # tokens must carry exactly the configured iss
            try:
                server = IssuerServer(issuer, host, port).start()
                lines.append(f"Local JWT issuer      {issuer.url}  (JWKS {issuer.jwks_uri}, "
                             f"issuer {cfg.name!r}, key in {STATE_DIR}/)")
            except OSError as exc:
                lines.append(f"Local JWT issuer      not started: {host}:{port} is taken "
                             f"({exc.strerror}); tokens verify only if that is another "
                             "edgeway issuer with the same key")
            break
    home_url = next(iter(stack.region_urls.values()), "")
    key = _demo_key(stack, auth, lines)
    if issuer is not None:
        token, _ = issuer.mint("alice", ["users:read orders:read"], expires_in=12 * 3600)
        lines.append(f"Demo token            {token}")
        lines.append("                      (sub alice, scope 'users:read orders:read', 12 h; "
                     "more: edgeway token --sub NAME --scope '...')")
        lines.append("Try with a token      curl -i -H \"authorization: Bearer $(edgeway token "
                     f"--sub alice --scope 'users:read orders:read')\" {home_url}/v1/users/42")
    if key:
        lines.append(f"Try with the key      curl -i -H 'x-api-key: {key}' {home_url}/v1/users/42")
    return _AuthService(server, lines)


def _demo_key(stack: StackInfo, auth: Any, lines: list[str]) -> str | None:
    from edgeway_local.keyadmin import copy_record, create_key

    table = stack.table_names.get("KeysTable")
    if not auth.api_keys.enabled or not table:
        return None
    pepper = None
    ref = auth.api_keys.pepper
    try:
        if ref is not None:
            if ref.ssm:
                pepper = stack.client("ssm").get_parameter(Name=ref.ssm, WithDecryption=True)[
                    "Parameter"]["Value"].encode()
            else:
                pepper = stack.client("secretsmanager").get_secret_value(
                    SecretId=ref.secretsmanager)["SecretString"].encode()
        key, record = create_key(stack.client("dynamodb"), table, consumer="demo", plan="free",
                                 pepper=pepper)
        # Every served region has its own KeysTable in moto (no replication
        # locally): writing each one emulates the global table.
        for region in stack.region_urls:
            if region != stack.home_region:
                copy_record(stack.client("dynamodb", region), table, record)
    except Exception as exc:  # noqa: BLE001 -- a banner nicety, never fatal to the stack
        lines.append(f"Demo API key          not created: {exc}")
        return None
    lines.append(f"Demo API key          {key}  (consumer demo, plan free, id {record.key_id}; "
                 "more: edgeway keys create)")
    return key


class _AuthService:
    def __init__(self, server: IssuerServer | None, lines: list[str]) -> None:
        self._server = server
        self._lines = lines

    def banner_lines(self) -> list[str]:
        return list(self._lines)

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
