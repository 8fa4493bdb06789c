"""`edgeway keys` against moto (mock_aws), `edgeway token`, and the local issuer."""

from __future__ import annotations

import json
import time
import urllib.request

import jwt
import pytest

from tests.aws_tables import create_pk_sk_table
from tests.authkit import StubBackend, build, event
from tests.conftest import TWO_REGIONS_YAML
from tests.gateway.conftest import local_issuer_config
from edgeway.clients import Clients
from edgeway_local.cli import main
from edgeway_local.issuer import IssuerServer, LocalIssuer

# Outside a project (no ./template.yaml) the CLI defaults to the local stack's
# name for a table without TableName; tests/local/test_local_tables.py covers the
# template-driven default.
TABLE = "edgeway-local-KeysTable"


@pytest.fixture
def aws(fake_aws, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("EDGEWAY_KEYS_TABLE", raising=False)
    dynamodb = Clients("us-east-1").get("dynamodb")
    create_pk_sk_table(dynamodb, TABLE)
    return dynamodb


def run(capsys, *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def keys(capsys, *argv: str) -> tuple[int, str, str]:
    return run(capsys, "keys", *argv, "--aws")  # --aws: boto3 as configured, i.e. mock_aws


def test_keys_create_list_revoke(aws, capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # no gateway.yaml here: plain SHA-256
    status, out, _ = keys(capsys, "create", "--consumer", "demo", "--plan", "free", "--json")
    assert status == 0
    created = json.loads(out)
    key = created["key"]
    assert key.startswith("ewk_") and created["consumer"] == "demo" and created["status"] == "active"

    status, out, _ = keys(capsys, "list", "--json")
    listed = json.loads(out)
    assert [k["id"] for k in listed] == [created["id"]]
    assert key not in out and "hash" not in out  # never the key, never its hash

    status, out, _ = keys(capsys, "list")
    assert created["prefix"] in out and "demo" in out and key not in out

    status, out, _ = keys(capsys, "revoke", created["prefix"])
    assert status == 0 and "revoked" in out
    status, out, _ = keys(capsys, "list", "--json")
    assert json.loads(out)[0]["status"] == "revoked"


def test_keys_create_human_output_shows_the_key_once(aws, capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    status, out, _ = keys(capsys, "create", "--consumer", "c", "--plan", "p", "--scope",
                          "users:read orders:read", "--expires-in", "7")
    assert status == 0 and "shown once" in out
    key = next(word for word in out.split() if word.startswith("ewk_") and len(word) > 20)
    record = json.loads(keys(capsys, "list", "--json")[1])[0]
    assert record["scopes"] == ["orders:read", "users:read"]
    assert record["expires"] - record["created"] == 7 * 86_400
    assert key not in keys(capsys, "list")[1]


def test_keys_revoke_unknown_or_malformed_id(aws, capsys):
    status, _, err = keys(capsys, "revoke", "abcdefghij")
    assert status == 1 and "no API key with id" in err
    status, _, err = keys(capsys, "revoke", "not-an-id!")
    assert status == 1 and "not a key id" in err


def test_keys_against_a_missing_table(aws, capsys):
    status, _, err = keys(capsys, "list", "--table", "nope")
    assert status == 1 and "does not exist" in err


def test_done_when_a_new_key_gets_200_and_after_revoke_401(aws, capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    from edgeway_local.issuer import repo_root

    demo = (repo_root(__import__("pathlib").Path(__file__).parent) / "gateway.yaml").read_text()
    backend = StubBackend()
    # The demo also rate-limits (plans) and caches: give it the tables it uses.
    env = {"EDGEWAY_KEYS_TABLE": TABLE}
    for logical in ("CountersTable", "CacheTable"):
        name = f"edgeway-local-{logical}"
        create_pk_sk_table(aws, name)
        env[f"EDGEWAY_{logical[:-5].upper()}_TABLE"] = name
    gateway = build(demo, backend, clients=Clients("us-east-1"), env=env,
                    monkeypatch=monkeypatch)
    created = json.loads(keys(capsys, "create", "--consumer", "demo", "--plan", "free",
                              "--json")[1])
    ok = gateway(event("/v1/users/42", headers={"x-api-key": created["key"]}))
    assert ok["statusCode"] == 200
    assert gateway(event("/v1/users/42"))["statusCode"] == 401
    keys(capsys, "revoke", created["id"])
    fresh = build(demo, backend, clients=Clients("us-east-1"), env=env, monkeypatch=monkeypatch)
    assert fresh(event("/v1/users/42", headers={"x-api-key": created["key"]}))[
        "statusCode"] == 401


def test_token_command_signs_for_the_local_issuer(capsys, tmp_path, monkeypatch):
    (tmp_path / "template.yaml").write_text("Resources: {}\n")
    monkeypatch.chdir(tmp_path)
    status, out, _ = run(capsys, "token", "--sub", "alice", "--scope", "users:read orders:read",
                         "--expires-in", "120")
    assert status == 0
    tok = out.strip()
    issuer = LocalIssuer(tmp_path)
    assert (tmp_path / ".edgeway" / "issuer-es256.pem").stat().st_mode & 0o077 == 0
    jwk = jwt.PyJWK(issuer.public_jwk())
    decoded = jwt.decode(tok, jwk, algorithms=["ES256"], audience="edgeway",
                         issuer="http://127.0.0.1:3010")
    assert decoded["sub"] == "alice" and decoded["scope"] == "users:read orders:read"
    assert 0 < decoded["exp"] - time.time() <= 120

    status, out, _ = run(capsys, "token", "--sub", "bob", "--json", "--claim", "plan=gold")
    doc = json.loads(out)
    assert doc["claims"]["plan"] == "gold" and doc["issuer"] == "http://127.0.0.1:3010"
    # The same key across invocations: the first token still verifies.
    assert jwt.decode(tok, jwt.PyJWK(LocalIssuer(tmp_path).public_jwk()), algorithms=["ES256"],
                      audience="edgeway")["sub"] == "alice"


def test_token_command_refuses_a_bad_lifetime(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    status, _, err = run(capsys, "token", "--sub", "a", "--expires-in", "0")
    assert status == 2 and "--expires-in" in err


@pytest.mark.slow
def test_issuer_serves_its_jwks_and_the_gateway_verifies_against_it(tmp_path, monkeypatch):
    server = IssuerServer(LocalIssuer(tmp_path, port=0), port=0).start()
    try:
        issuer = LocalIssuer(tmp_path, port=server.port)  # iss names the real port
        with urllib.request.urlopen(server.url + "/.well-known/openid-configuration",
                                    timeout=5) as r:
            assert json.load(r)["jwks_uri"] == server.url + "/.well-known/jwks.json"
        assert issuer.jwks_uri == issuer.url + "/.well-known/jwks.json"
        gateway = build(local_issuer_config(issuer.url), StubBackend(), monkeypatch=monkeypatch)
        tok, _ = issuer.mint("alice", ["users:read"])
        assert gateway(event(headers={"authorization": f"Bearer {tok}"}))["statusCode"] == 200
        tok, _ = issuer.mint("alice", ["orders:read"])
        assert gateway(event(headers={"authorization": f"Bearer {tok}"}))["statusCode"] == 403
    finally:
        server.stop()


def test_keys_create_uses_the_configured_pepper(aws, capsys, monkeypatch, tmp_path):
    Clients("us-east-1").get("ssm").put_parameter(Name="/edgeway/dev/pepper", Value="p" * 40,
                                                  Type="SecureString")
    config = tmp_path / "gateway.yaml"
    config.write_text("""version: 1
routes:
  - path: /v1/users/{id}
    auth: api_key
    backend: {type: lambda, function: UsersFunction}
auth:
  api_keys:
    pepper: {ssm: /edgeway/dev/pepper}
""")
    created = json.loads(keys(capsys, "create", "--consumer", "c", "--plan", "p", "--json",
                              "--config", str(config))[1])
    item = aws.scan(TableName=TABLE)["Items"][0]
    assert item["hash_alg"]["S"] == "hmac-sha256"
    gateway = build(config.read_text(), StubBackend(), clients=Clients("us-east-1"),
                    env={"EDGEWAY_KEYS_TABLE": TABLE}, monkeypatch=monkeypatch)
    assert gateway(event(headers={"x-api-key": created["key"]}))["statusCode"] == 200
    status, _, err = keys(capsys, "create", "--consumer", "c", "--plan", "p",
                          "--config", str(tmp_path / "missing.yaml"))
    assert status == 2 and "cannot read the file" in err


def test_keys_in_several_regions(aws, capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "gateway.yaml").write_text(TWO_REGIONS_YAML)
    europe = Clients("eu-west-1").get("dynamodb")
    create_pk_sk_table(europe, TABLE)
    created = json.loads(keys(capsys, "create", "--consumer", "c", "--plan", "p", "--json",
                              "--all-regions")[1])
    items = europe.scan(TableName=TABLE)["Items"]
    assert [i["key_id"]["S"] for i in items if i["sk"]["S"] == "apikey"] == [created["id"]]
    assert [i["plan"]["S"] for i in items if i["sk"]["S"] == "consumer"] == ["p"]
    assert keys(capsys, "revoke", created["id"], "--region", "us-east-1", "--region",
                "eu-west-1")[0] == 0
    assert [i["status"]["S"] for i in europe.scan(TableName=TABLE)["Items"]
            if i["sk"]["S"] == "apikey"] == ["revoked"]
    assert json.loads(keys(capsys, "list", "--json")[1])[0]["status"] == "revoked"


def test_keys_create_checks_the_plan_against_declared_plans(aws, capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "gateway.yaml").write_text("version: 1\nplans: {free: {}, gold: {}}\n")
    status, _, err = keys(capsys, "create", "--consumer", "c", "--plan", "platinum")
    assert status == 1 and "unknown plan 'platinum'" in err and "free, gold" in err
    assert aws.scan(TableName=TABLE)["Items"] == []


def test_keys_of_one_consumer_share_its_plan(aws, capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    assert keys(capsys, "create", "--consumer", "acme", "--plan", "trial", "--json")[0] == 0
    status, _, err = keys(capsys, "create", "--consumer", "acme", "--plan", "free")
    assert status == 1 and "on plan 'trial'" in err and "keys plan" in err
    status, out, _ = keys(capsys, "create", "--consumer", "acme", "--json")
    assert status == 0 and json.loads(out)["plan"] == "trial"
    status, _, err = keys(capsys, "create", "--consumer", "newcomer")
    assert status == 1 and "give --plan" in err
    status, out, _ = keys(capsys, "plan", "--consumer", "acme", "--plan", "free", "--json")
    assert status == 0 and json.loads(out)["plan"] == "free" and len(json.loads(out)["keys"]) == 2
    listed = json.loads(keys(capsys, "list", "--json")[1])
    assert {k["plan"] for k in listed if k["consumer"] == "acme"} == {"free"}
