"""The Lambda entry: build the gateway at import (cold start), run it per event."""

from __future__ import annotations

import gc

from edgeway.config import load_config
from edgeway.edge import Edge
from edgeway.pipeline import build_gateway
from edgeway.settings import Settings


def create_gateway(settings: Settings | None = None) -> Edge:
    settings = settings or Settings.from_env()
    return build_gateway(load_config(settings.config_path), settings)


def lambda_handler(settings: Settings | None = None) -> Edge:
    # What the cold start builds (modules, config, the compiled pipeline, the AWS
    # clients) lives as long as the container: take it out of the cyclic
    # collector's reach. Otherwise the collections that botocore's import and client
    # creation set off rescan all of it: about 9 ms of a cold start on Python 3.13
    # (and more at interpreter exit, which a benchmark process pays and a Lambda
    # container does not). Freezing before the build too keeps the collections
    # during it (botocore is imported there now that clients are made at build) off
    # the modules already imported.
    gc.freeze()
    gateway = create_gateway(settings)
    gc.freeze()
    return gateway  # the Edge is the handler: Lambda calls it with (event, context)
