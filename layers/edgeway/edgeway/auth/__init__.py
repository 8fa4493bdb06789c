"""Authentication and authorization: JWT bearer tokens, API keys, route scopes.

    config         the ``auth:`` section as typed values
    jwks           an issuer's keys: fetch, TTL cache, refetch on unknown kid
    jwt_verifier   bearer token verification (imports PyJWT: only when used)
    keyformat      API-key format, hash and KeysTable record
    api_keys       API-key verification through a per-container cache
    authenticator  route policies and the decision, shared with the authorizer
    stage          AuthStage, the pipeline stage
    authorizer     the HTTP API Lambda authorizer around the same Authenticator

Nothing is re-exported here: ``edgeway.pipeline.STAGES`` names ``stage``, and a
gateway of public routes must not pay for the modules it never uses.
"""
