"""The GSLB's decisions as the edge reads them: key/value pairs for a CloudFront KeyValueStore.

Pure: an Engine in, a mapping out. Every networks-table prefix is resolved by the
same Engine that answers DNS, and stored under a key the CloudFront Function
(``edge/steer.js``) can compute from the viewer's address alone:

    lens4 / lens6       the prefix lengths present, longest first ("32,24,16,8")
    4:<a.b.c.d>/<len>   an IPv4 prefix -> its regions, best first
    6:<hex>/<len>       an IPv6 prefix: the first ceil(len/4) hex digits of the network
    c:<CC>              a country (CloudFront-Viewer-Country): the majority of its prefixes
    default             the majority over the whole table, for everybody else
    down                the regions the Engine holds DOWN ("" when none)

A value lists regions best first, so the function can skip a region that is
``down`` without waiting for every prefix to be rewritten, and can hand the
second one to an origin group for reads. The function looks up longest prefix
first (one KeyValueStore read per length present), then the country, then the
default: the same longest-prefix rule as ``gslb.networks``.

Limits (CloudFront KeyValueStore, docs/edge.md): a key up to 512 bytes, a value
up to 1 KB, the whole store (keys + values) up to 5 MB. ``check_limits``
refuses a set that would not fit, naming the limit and by how much.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from edgeway.errors import ConfigError

from .engine import Engine
from .health import Health
from .networks import IPNetwork, Network
from .route53 import country_of, majority

MAX_KEY_BYTES = 512
MAX_VALUE_BYTES = 1024
MAX_STORE_BYTES = 5 * 1024 * 1024
META_KEYS = ("down", "default", "lens4", "lens6")  # the order a sync writes them


class EdgeStoreTooLarge(ConfigError):
    """The decision set does not fit the edge's KeyValueStore (never published)."""


@dataclass(frozen=True, slots=True)
class EdgeDecisions:
    """The key/value pairs to publish, and how many table prefixes they hold."""

    items: Mapping[str, str]
    prefixes: int                 # table prefixes exported

    @property
    def size_bytes(self) -> int:
        return store_size(self.items)


def prefix_key(prefix: IPNetwork) -> str:
    """The key the function computes for a prefix (``4:198.51.100.0/24``, ``6:20010db8/32``)."""
    if prefix.version == 4:
        return f"4:{prefix.network_address}/{prefix.prefixlen}"
    digits = format(int(prefix.network_address), "032x")[:(prefix.prefixlen + 3) // 4]
    return f"6:{digits}/{prefix.prefixlen}"


def export(engine: Engine) -> EdgeDecisions:
    """Resolve every networks-table prefix with the Engine and lay the answers out as keys."""
    items: dict[str, str] = {}
    lens: dict[int, set[int]] = {4: set(), 6: set()}
    by_country: dict[str, Counter[str]] = {}
    overall: Counter[str] = Counter()
    for net in engine.networks:
        decision = engine.resolve(net.prefix.network_address)
        ranking = ",".join((decision.region.name, *(a.name for a in decision.alternatives)))
        items[prefix_key(net.prefix)] = ranking
        lens[net.prefix.version].add(net.prefix.prefixlen)
        overall[ranking] += 1
        country = country_of(net.label)
        if country:
            by_country.setdefault(country, Counter())[ranking] += 1
    if not items:
        return EdgeDecisions({}, 0)
    order = {name: i for i, name in enumerate(engine.config.region_names)}
    for country, tally in sorted(by_country.items()):
        items[f"c:{country}"] = majority(tally, order)
    items["default"] = majority(overall, order)
    for version in (4, 6):
        if lens[version]:
            items[f"lens{version}"] = ",".join(str(n) for n in sorted(lens[version], reverse=True))
    items["down"] = ",".join(name for name, h in sorted(engine.health().items())
                             if h.state is Health.DOWN)
    return EdgeDecisions(dict(sorted(items.items())), len(engine.networks))


def planned_size(networks: Iterable[Network], region_names: Sequence[str]) -> int:
    """The bytes the prefix keys will take, known before resolving anything: every value
    lists every region once, so its length does not depend on the order."""
    value = len(",".join(region_names).encode())
    return sum(len(prefix_key(net.prefix).encode()) + value for net in networks)


def check_planned(networks: Iterable[Network], region_names: Sequence[str], *,
                  max_store_bytes: int = MAX_STORE_BYTES) -> None:
    """Refuse a networks table too large for the store without resolving it (for the build)."""
    nets = list(networks)
    size = planned_size(nets, region_names)
    if size > max_store_bytes:
        raise EdgeStoreTooLarge(_too_large(size, len(nets), max_store_bytes), key="gslb.networks")


def store_size(items: Mapping[str, str]) -> int:
    """Bytes the store counts: every key and value, UTF-8."""
    return sum(len(k.encode()) + len(v.encode()) for k, v in items.items())


def check_limits(decisions: EdgeDecisions, *, max_store_bytes: int = MAX_STORE_BYTES) -> None:
    """Refuse a decision set the KeyValueStore would not hold."""
    for key, value in decisions.items.items():
        if len(key.encode()) > MAX_KEY_BYTES:
            raise EdgeStoreTooLarge(f"key {key[:40]!r}... is {len(key.encode())} bytes; the edge "
                                    f"store takes at most {MAX_KEY_BYTES}", key="networks")
        if len(value.encode()) > MAX_VALUE_BYTES:
            raise EdgeStoreTooLarge(f"value of {key!r} is {len(value.encode())} bytes; the edge "
                                    f"store takes at most {MAX_VALUE_BYTES}", key="regions")
    size = decisions.size_bytes
    if size > max_store_bytes:
        raise EdgeStoreTooLarge(_too_large(size, decisions.prefixes, max_store_bytes),
                                key="gslb.networks")


def _too_large(size: int, prefixes: int, limit: int) -> str:
    return (f"the edge decision store would hold {size:,} bytes ({prefixes:,} prefixes), over "
            f"the KeyValueStore limit of {limit:,} bytes; aggregate the networks table "
            f"(gslb.networks) into fewer, wider prefixes")


__all__ = ["EdgeDecisions", "EdgeStoreTooLarge", "MAX_STORE_BYTES", "check_limits", "check_planned",
           "export", "planned_size", "prefix_key", "store_size"]
