"""Fixtures and helpers of the rate-limit tests (the fixtures live in
tests/ratelimit_support.py): a moto server per session, a fresh counters table per
test, a stub Lambda backend; the gateway.yaml every test starts from."""

from __future__ import annotations

from tests.ratelimit_support import moto, moto_server, stub_backend  # noqa: F401

_USERS = """  - id: users.get
    path: /v1/users/{id}
    backend: {type: lambda, function: UsersFunction}
"""


def routes_yaml(name: str, *, users: bool = False) -> str:
    """The head of a test's gateway.yaml: gateway ``name`` (home us-east-1) and its
    routes, users.get (with ``users``) and orders.list; the test appends its plans."""
    return f"""
version: 1
gateway: {{name: {name}, home_region: us-east-1}}
routes:
{_USERS if users else ""}  - id: orders.list
    path: /v1/orders
    backend: {{type: lambda, function: OrdersFunction}}
"""
