"""The GSLB pieces of the local stack: health checker loop and DNS server.

They live in ``edgeway_local.gslb_local`` (dev-only: the gslb package that ships
to Lambda does not carry them); this starter only hands them the running stack's facts.
"""

from __future__ import annotations

from edgeway_local.regions import has_regions_section
from edgeway_local.services import Service, StackInfo


def start(stack: StackInfo) -> Service | None:
    # the DNS and probe code only when started
    from edgeway_local.gslb_local import start_local_gslb

    if stack.config_path is None or not has_regions_section(stack.config_path):
        return None  # one implicit region: nothing to balance
    return start_local_gslb(
        str(stack.config_path),
        region_urls=dict(stack.region_urls),
        dns_port=stack.dns_port,
        gslb_table=stack.table_names.get("GslbTable", ""),  # none: no observation store
        dynamodb_client=stack.client("dynamodb"),
    )
