"""GslbResolverFunction: `GET /gslb/resolve` and `POST /gslb/observations` (HTTP API v2).

Thin: everything is built once per container at import (settings, Engine,
DynamoDB client, store); an invocation translates the event, runs
``gslb.http_api`` and translates the response back. Health and latency
observations are re-read from the GslbTable at most every few seconds per
container (``StateFeed``), so a region the health checkers mark down stops
being answered without a redeploy.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import boto3

from edgeway.errors import HttpError
from gslb.config import load_gslb_config, with_endpoints
from gslb.engine import Engine
from gslb.http_api import GslbHttpApi, StateFeed, problem, read_health_from, read_observations_from
from gslb.http_event import request_from_event, request_id, response_to_event
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


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    try:
        request = request_from_event(event)
    except HttpError as exc:
        headers = event.get("headers") if isinstance(event, dict) else None
        rid = request_id(headers if isinstance(headers, dict) else {})
        response = problem(exc, rid)
        response.headers.update({"x-request-id": rid, "x-edgeway-region": SETTINGS.region})
        return response_to_event(response)
    try:
        return response_to_event(API.handle(request))
    except Exception:  # noqa: BLE001 - the outer boundary: a safe 500, the traceback in the log
        log.exception("GSLB resolver failed on %s %s", request.method, request.path)
        response = problem(HttpError("the GSLB could not answer; try again"), request.request_id)
        response.headers.update({"x-request-id": request.request_id,
                                 "x-edgeway-region": SETTINGS.region})
        return response_to_event(response)
