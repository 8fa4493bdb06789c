"""Claim shapes the attack run found accepted: tokens without a subject, scopes split on
tabs, NumericDates given as strings. Every one is a 401 ``invalid_token`` (or, for the
scopes, a 403), and the backend is never called."""

from __future__ import annotations

import time

import pytest

from tests.authkit import claims, token
from tests.gateway.conftest import assert_refused, call


@pytest.mark.parametrize("sub", [None, "", "   ", 42, ["alice"], {"id": "alice"}, True])
def test_a_token_without_a_string_subject_is_refused(gateway, backend, sub):
    payload = claims(sub=sub) if sub is not None else {k: v for k, v in claims().items()
                                                       if k != "sub"}
    body = assert_refused(call(gateway, "Bearer " + token(payload)), backend)
    assert "sub" in body["detail"], body


def test_scopes_are_separated_by_spaces_only(gateway, backend):
    # RFC 6749 section 3.3: scope-token *( SP scope-token ); a tab is part of a token.
    tok = token(claims(scope="orders:read\tusers:read"))
    result = call(gateway, "Bearer " + tok)
    assert result["statusCode"] == 403, result["body"]
    assert backend.calls == []


@pytest.mark.parametrize("scope", ["users:read\norders:read", "users:read\u00a0orders:read",
                                   "orders:read\u2003users:read"])
def test_other_whitespace_never_separates_scopes(gateway, backend, scope):
    assert call(gateway, "Bearer " + token(claims(scope=scope)))["statusCode"] == 403
    assert backend.calls == []


def test_several_spaces_between_scopes_still_grant_them(gateway, backend):
    assert call(gateway, "Bearer " + token(claims(scope="  orders:read   users:read ")))[
        "statusCode"] == 200


@pytest.mark.parametrize("claim,value", [
    ("exp", str(int(time.time()) + 3600)),
    ("exp", True),
    ("nbf", "0"),
    ("nbf", False),
    ("iat", "0"),
    ("exp", [int(time.time()) + 3600]),
])
def test_dates_that_are_not_json_numbers_are_refused(gateway, backend, claim, value):
    body = assert_refused(call(gateway, "Bearer " + token(claims(**{claim: value}))), backend)
    assert claim in body["detail"] and "NumericDate" in body["detail"], body


def test_fractional_numeric_dates_are_accepted(gateway, backend):
    now = time.time()
    tok = token(claims(iat=now - 1.5, nbf=now - 1.25, exp=now + 300.5))
    assert call(gateway, "Bearer " + tok)["statusCode"] == 200
