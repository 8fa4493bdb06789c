"""The HTTP prober: GET {endpoint}/health with a timeout; any 2xx is a pass.

The only socket code of the health checker. Everything it learns is returned as
a ProbeResult; deciding what a result means is health.py's job.
"""

from __future__ import annotations

import json
import socket
import time
import urllib.error
import urllib.request
from dataclasses import dataclass

USER_AGENT = "edgeway-health-checker/1"
MAX_BODY = 64 * 1024  # a health body bigger than this is not read further


@dataclass(frozen=True, slots=True)
class ProbeResult:
    region: str
    ok: bool
    at: float                   # epoch seconds when the probe started
    elapsed_ms: float
    status: int | None = None   # HTTP status, None when no response arrived
    error: str | None = None    # why it failed, short
    load: float | None = None   # optional `load` figure from the /health JSON body


def probe(region: str, endpoint: str, *, timeout_s: float) -> ProbeResult:
    url = endpoint.rstrip("/") + "/health"
    request = urllib.request.Request(url, headers={"user-agent": USER_AGENT, "accept": "application/json"})
    at = time.time()
    start = time.perf_counter()

    def result(ok: bool, **kw: object) -> ProbeResult:
        return ProbeResult(region, ok, at, round((time.perf_counter() - start) * 1000, 2), **kw)  # type: ignore[arg-type]

    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:  # noqa: S310 (http(s) only: config checks)
            status = response.status
            body = response.read(MAX_BODY)
    except urllib.error.HTTPError as exc:
        exc.close()
        return result(False, status=exc.code, error=f"HTTP {exc.code}")
    except (urllib.error.URLError, socket.timeout, TimeoutError, ConnectionError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        return result(False, error=f"{type(reason).__name__}: {reason}"[:200])
    if not 200 <= status < 300:
        return result(False, status=status, error=f"HTTP {status}")
    return result(True, status=status, load=_load(body))


def _load(body: bytes) -> float | None:
    try:
        value = json.loads(body).get("load")
    except (ValueError, AttributeError):
        return None
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None
