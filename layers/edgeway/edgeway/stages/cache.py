"""Pipeline entry for the response cache (``edgeway.cache``).

A thin shim so that ``pipeline`` can list the stage without importing the cache
package: a gateway with no ``cache:`` route never loads it (cold start).
"""

from __future__ import annotations

from edgeway.context import BuildContext, Handler


class CacheStage:
    @classmethod
    def build(cls, app: Handler, ctx: BuildContext) -> Handler:
        if not any(route.spec.get("cache") for route in ctx.routes):
            return app
        from edgeway.cache.stage import CacheStage as Stage

        return Stage.build(app, ctx)
