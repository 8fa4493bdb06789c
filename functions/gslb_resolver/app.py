"""GslbResolverFunction: `GET /gslb/resolve` and `POST /gslb/observations` (HTTP API v2).

Thin: everything is built once per container at import (settings, Engine,
DynamoDB client, store); an invocation translates the event with the gateway
core's ``HttpApiV2Adapter``, runs ``gslb.http_api`` and translates the response
back. Health and latency observations are re-read from the GslbTable at most
every second / minute per container (``StateFeed``), so a region the health
checkers mark down stops being answered without a redeploy.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import boto3

from edgeway.adapters import HttpApiV2Adapter
from edgeway.errors import BadRequest, HttpError
from edgeway.problem import InternalError, problem_response
from gslb.config import load_gslb_config, with_endpoints
from gslb.engine import Engine
from gslb.http_api import GslbHttpApi, StateFeed, read_health_from, read_observations_from, request_id
from gslb.networks import load_networks
from gslb.settings import load_settings
from gslb.store import GslbStore

log = logging.getLogger("edgeway.gslb_resolver")

SETTINGS = load_settings(default_config=Path(__file__).with_name("gateway.yaml"))
CONFIG = with_endpoints(load_gslb_config(SETTINGS.config_path), SETTINGS.region_endpoints)
ENGINE = Engine(CONFIG, networks=load_networks(CONFIG.networks))
STORE = GslbStore(SETTINGS.gslb_table, boto3.client("dynamodb")) if SETTINGS.gslb_table else None
FEED = StateFeed(ENGINE, read_health=read_health_from(STORE, CONFIG.region_names),
                 read_observations=read_observations_from(STORE)) if STORE else None
API = GslbHttpApi(ENGINE, region=SETTINGS.region, feed=FEED, store=STORE)
ADAPTER = HttpApiV2Adapter()


def handler(event: Any, context: Any) -> dict[str, Any]:
    rid = request_id(event)
    try:
        if not isinstance(event, Mapping) or not HttpApiV2Adapter.infer(event):
            raise BadRequest("expected an API Gateway HTTP API payload v2 event")
        response = API.handle(ADAPTER.to_request(event, context).evolve(request_id=rid))
    except HttpError as exc:
        response = problem_response(exc, rid)
    except Exception:  # noqa: BLE001 - the outer boundary: a safe 500, the traceback in the log
        log.exception("GSLB resolver failed (request %s)", rid)
        response = problem_response(InternalError(), rid)
    response.headers["x-request-id"] = rid
    response.headers["x-edgeway-region"] = SETTINGS.region
    return ADAPTER.to_result(response, event if isinstance(event, Mapping) else {})
