"""The local stack's auth service starter, in-process (moto via mock_aws, issuer on a free port)."""

from __future__ import annotations

import json
import socket
import urllib.request
from pathlib import Path

import boto3
import jwt
import pytest

from edgeway.auth.keyformat import hash_key
from edgeway_local.ports import free_port
from edgeway_local.services import SERVICE_STARTERS, StackInfo, load_starter

from tests.aws_tables import create_pk_sk_table
from tests.gateway.conftest import local_issuer_config

TABLE = "edgeway-local-KeysTable"
REGIONS = ("us-east-1", "eu-west-1")


@pytest.fixture
def stack(fake_aws, tmp_path):
    (tmp_path / "template.yaml").write_text("Resources: {}\n")
    port = free_port()
    config = tmp_path / "gateway.yaml"
    config.write_text(local_issuer_config(f"http://127.0.0.1:{port}", api_keys=True))
    for region in REGIONS:
        create_pk_sk_table(boto3.client("dynamodb", region_name=region), TABLE)
    return StackInfo(
        host="127.0.0.1", config_path=config, template_path=tmp_path / "template.yaml",
        home_region="us-east-1",
        region_urls={"us-east-1": "http://127.0.0.1:3000",
                     "eu-west-1": "http://127.0.0.1:3002"},
        invoke_url="http://127.0.0.1:3001", moto_url="http://127.0.0.1:5000", dns_port=5353,
        table_names={"KeysTable": TABLE},
        client_factory=lambda service, region: boto3.client(service, region_name=region),
    ), port


def test_registered_in_the_service_registry():
    assert "edgeway_local.services.auth:start" in SERVICE_STARTERS
    assert callable(load_starter("edgeway_local.services.auth:start"))


def test_starts_the_issuer_and_prints_working_demo_credentials(stack):
    info, port = stack
    service = load_starter("edgeway_local.services.auth:start")(info)
    try:
        lines = service.banner_lines()
        text = "\n".join(lines)
        assert f"http://127.0.0.1:{port}" in text
        key = next(w for line in lines if "Demo API key" in line for w in line.split()
                   if w.startswith("ewk_"))
        token = next(line.split()[2] for line in lines if line.startswith("Demo token"))
        # The key is in every region's KeysTable, as a hash only.
        for region in REGIONS:
            items = boto3.client("dynamodb", region_name=region).scan(TableName=TABLE)["Items"]
            assert [i["hash"]["S"] for i in items if i["sk"]["S"] == "apikey"] == [
                hash_key(key, None)[1]]
        # The token verifies against the JWKS the issuer now serves.
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/.well-known/jwks.json",
                                    timeout=5) as response:
            jwk = json.load(response)["keys"][0]
        claims = jwt.decode(token, jwt.PyJWK(jwk), algorithms=["ES256"], audience="edgeway",
                            issuer=f"http://127.0.0.1:{port}")
        assert claims["sub"] == "alice" and "users:read" in claims["scope"]
        assert (Path(info.template_path).parent / ".edgeway" / "issuer-es256.pem").exists()
    finally:
        service.stop()


def test_a_taken_issuer_port_does_not_stop_the_stack(stack):
    info, port = stack
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", port))
        squatter.listen()
        service = load_starter("edgeway_local.services.auth:start")(info)
        try:
            text = "\n".join(service.banner_lines())
            assert "not started" in text and "Demo API key" in text
        finally:
            service.stop()


def test_no_config_no_service(stack):
    info, _ = stack
    from dataclasses import replace

    assert load_starter("edgeway_local.services.auth:start")(replace(info, config_path=None)) \
        is None
