"""What the console tests share."""

from __future__ import annotations

# The console's data endpoints (/_edgeway/api/<section>), one per section of the page.
SECTIONS = ("regions", "transitions", "steering", "latency", "traffic", "consumers", "resolve")
