"""The operator console: one page and its JSON endpoints under ``/_edgeway/``.

    sources.py   what each section shows, read from the same functions the CLI uses
    traffic.py   requests, errors and latency per route from CloudWatch (GetMetricData)
    web.py       routing, the admin-scope check, static files and the safe headers
    static/      the page (plain HTML, CSS, ES modules) and vendored libraries
"""

from __future__ import annotations

from edgeway_console.sources import ConsoleData, SourceUnavailable
from edgeway_console.web import ConsoleApp

__all__ = ["ConsoleApp", "ConsoleData", "SourceUnavailable"]
