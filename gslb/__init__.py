"""The Edgeway GSLB: health, latency model and selection behind one Engine.

The public surface is small: build an Engine from the config, feed it probe
results and latency observations, ask it for a Decision per client.
"""

from __future__ import annotations

from .config import GslbConfig, RegionConfig, load_gslb_config
from .engine import Decision, Engine, RegionChoice, build_engine
from .health import Health
from .observations import Observation

__all__ = [
    "Decision", "Engine", "GslbConfig", "Health", "Observation", "RegionChoice", "RegionConfig",
    "build_engine", "load_gslb_config",
]
