"""AuthorizerFunction: an HTTP API Lambda authorizer (payload 2.0, simple responses).

The same verifier as the gateway (edgeway.auth), built once at import from the
gateway.yaml named by EDGEWAY_CONFIG (default: the gateway.yaml beside this file).
"""

from edgeway.auth.authorizer import lambda_handler

handler = lambda_handler()
