"""GatewayFunction: every request of the HTTP API's $default route comes here.

The gateway (config, routes, clients) is built once at import, on cold start.
"""

from edgeway.runtime import lambda_handler

handler = lambda_handler()
