"""The console in the local stack: its URL in the banner, with an admin token to open it.

The console itself is the template's ConsoleFunction behind ``GET /_edgeway/{proxy+}``,
served by every region's listener like any other route. Here we only mint a
token with the ``edgeway:admin`` scope from the local issuer (the key in
``.edgeway/``) and print the page's URL with the token in its fragment: a
fragment never leaves the browser, and the page moves it into sessionStorage
and out of the address bar. No loopback exception: the local console checks
tokens exactly as the deployed one does.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from edgeway_local.services import Service, StackInfo
from edgeway_local.template import HttpRoute

PATH = "/_edgeway/console/"
LIFETIME_S = 12 * 3600


def console_url(stack: StackInfo) -> str | None:
    """The page's URL with a fresh admin token, or None when there is nothing to open."""
    if stack.config_path is None:
        return None
    from edgeway.auth.config import is_loopback, parse_auth
    from edgeway.config import load_config
    from edgeway_local.issuer import JWKS_PATH, LocalIssuer

    if not any(r.route_key.endswith("/_edgeway/{proxy+}") for r in _routes(stack)):
        return None
    home = next(iter(stack.region_urls.values()), "")
    for cfg in parse_auth(load_config(stack.config_path)).issuers:
        parts = urlsplit(cfg.jwks_uri or "")
        if parts.scheme == "http" and is_loopback(parts.hostname) and parts.path == JWKS_PATH:
            issuer = LocalIssuer(stack.config_path.parent, host=parts.hostname or "127.0.0.1",
                                 port=parts.port or 80)
            issuer.url = cfg.issuer
            token, _ = issuer.mint("operator", ["edgeway:admin"], expires_in=LIFETIME_S)
            return f"{home}{PATH}#token={token}"
    return f"{home}{PATH}"


def _routes(stack: StackInfo) -> list[HttpRoute]:
    from edgeway_local.template import load_template

    return list(load_template(stack.template_path, region=stack.home_region).routes)


def start(stack: StackInfo) -> Service | None:
    url = console_url(stack)
    return None if url is None else _ConsoleService(url)


class _ConsoleService:
    def __init__(self, url: str) -> None:
        self.url = url

    def banner_lines(self) -> list[str]:
        note = ("(an edgeway:admin token for 12 h is in the link; "
                "more: edgeway token --sub you --scope edgeway:admin)") if "#token=" in self.url \
            else "(sign in with an edgeway:admin token: docs/console.md)"
        return [f"Console               {self.url}", f"                      {note}"]

    def stop(self) -> None:
        """Nothing runs here: the page is a route of the regions' listeners."""
