"""``edgeway serve``: the whole stack on this machine, started and stopped as one.

Order of start (and reverse order of stop): validate template and config,
moto with the template's tables in every served region, the Lambda runtime,
the Invoke/control API, one API listener per region, then the optional
services (GSLB health checker and DNS, ...). Nothing starts unless the
template and gateway.yaml are valid and every port is free.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from edgeway.errors import ConfigError
from edgeway_local.apigw import ApiListener
from edgeway_local.apigw_event import RouteTable
from edgeway_local.configjson import compile_config
from edgeway_local.emf import EmfForwarder
from edgeway_local.errors import StackError
from edgeway_local.invoke_api import InvokeApi
from edgeway_local.lambda_service import LocalLambda
from edgeway_local.moto_server import MotoServer, create_resources
from edgeway_local.ports import ensure_free, url_host
from edgeway_local.regions import (
    RegionListener, RegionStates, has_regions_section, regions_from_config,
)
from edgeway_local.runtime import Endpoints, console_log, quiet_log
from edgeway_local.services import SERVICE_STARTERS, Service, StackInfo, load_starter
from edgeway_local.template import Template, load_template


@dataclass(frozen=True)
class ServeOptions:
    config: Path | None = Path("gateway.yaml")
    template: Path = Path("template.yaml")
    host: str = "127.0.0.1"
    port: int | None = None  # the home region's port; None = what the config says (3000)
    region_ports: Mapping[str, int] = field(default_factory=dict)
    invoke_port: int = 3001
    moto_port: int = 5000
    dns_port: int = 5353
    quiet: bool = False
    log_probes: bool = False  # show the GSLB health probes' requests and function logs
    max_workers: int = 8
    services: tuple[str, ...] = SERVICE_STARTERS


def validate(options: ServeOptions) -> tuple[tuple[RegionListener, ...], dict[str, Template]]:
    """Everything that can be wrong in the files, checked before anything starts."""
    if options.config is not None and not options.config.is_file():
        raise ConfigError("no such file (pass --config PATH)", file=str(options.config))
    regions = regions_from_config(options.config, home_port=options.port,
                                  ports=options.region_ports)
    templates = {r.name: load_template(options.template, region=r.name) for r in regions}
    home = templates[regions[0].name]
    if options.config is not None:
        compile_config(options.config, functions=set(home.functions))  # what cold starts run
    return regions, templates


@dataclass
class LocalStack:
    options: ServeOptions
    regions: tuple[RegionListener, ...] = ()
    templates: dict[str, Template] = field(default_factory=dict)
    moto: MotoServer | None = None
    functions: LocalLambda | None = None
    invoke_api: InvokeApi | None = None
    listeners: list[ApiListener] = field(default_factory=list)
    services: list[tuple[str, Service]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # starters that had nothing to run
    info: StackInfo | None = None
    emf: EmfForwarder | None = None

    def start(self) -> LocalStack:
        opts = self.options
        self.regions, self.templates = validate(opts)
        for what, port in [("moto", opts.moto_port), ("Lambda Invoke API", opts.invoke_port),
                           *((f"{r.name} API", r.port) for r in self.regions)]:
            ensure_free(opts.host, port, what)
        try:
            self._start_core()
            self._start_services()
        except BaseException:
            self.stop()
            raise
        return self

    def _start_core(self) -> None:
        opts = self.options
        self.moto = MotoServer(opts.host, opts.moto_port).start()
        for template in self.templates.values():
            create_resources(self.moto, template)
        urls = {r.name: f"http://{url_host(opts.host)}:{r.port}" for r in self.regions}
        # The functions' EMF lines become metrics on moto, as CloudWatch Logs makes them in the cloud.
        self.emf = EmfForwarder(self.moto.client("cloudwatch", self.regions[0].name))
        sink = quiet_log if opts.quiet else console_log(sys.stderr)
        self.functions = LocalLambda(
            self.templates,
            endpoints=Endpoints(aws=self.moto.url,
                                lambda_=f"http://{url_host(opts.host)}:{opts.invoke_port}"),
            overrides={"*": self._environment_overrides(urls)},
            log=self.emf.tee(sink), max_workers=opts.max_workers)
        states = RegionStates(urls)
        self.invoke_api = InvokeApi(opts.host, opts.invoke_port, self.functions, states).start()
        access = None if opts.quiet else (lambda line: print(line, file=sys.stderr, flush=True))
        for region in self.regions:
            routes = RouteTable(self.templates[region.name].routes)
            self.listeners.append(ApiListener(region.name, opts.host, region.port, routes,
                                              self.functions, states, access,
                                              log_probes=opts.log_probes).start())
        home = self.templates[self.regions[0].name]
        self.info = StackInfo(
            host=opts.host, config_path=opts.config.resolve() if opts.config else None,
            template_path=home.path, home_region=home.region, region_urls=urls,
            invoke_url=self.invoke_api.url, moto_url=self.moto.url, dns_port=opts.dns_port,
            table_names={t.logical_id: t.name for t in home.tables.values()},
            client_factory=self.moto.client, quiet=opts.quiet)

    def _environment_overrides(self, urls: Mapping[str, str]) -> dict[str, str]:
        """What every container gets on top of the template's environment."""
        config = self.options.config
        if config is None:
            return {}
        overrides = {"EDGEWAY_CONFIG": str(config.resolve())}
        if has_regions_section(config):
            # The template's own override of the config's endpoints: the listeners'
            # real URLs, so /gslb/resolve answers what this stack serves.
            overrides["EDGEWAY_REGION_ENDPOINTS"] = ",".join(f"{n}={u}" for n, u in urls.items())
        return overrides

    def _start_services(self) -> None:
        assert self.info is not None
        for spec in self.options.services:
            try:
                service = load_starter(spec)(self.info)
            except (ConfigError, StackError):
                raise
            except Exception as exc:
                raise StackError(f"service {spec} failed to start: {exc!r}") from exc
            if service is None:
                self.skipped.append(spec)
            else:
                self.services.append((spec, service))

    def stop(self) -> None:
        """Stop everything that started, newest first; safe to call twice."""
        for _, service in reversed(self.services):
            _quietly(service.stop)
        self.services.clear()
        for listener in self.listeners:
            _quietly(listener.stop)
        self.listeners.clear()
        if self.invoke_api:
            _quietly(self.invoke_api.stop)
        if self.functions:
            _quietly(self.functions.close)
        if self.emf:
            _quietly(self.emf.stop)
        if self.moto:
            _quietly(self.moto.stop)
        self.invoke_api = self.functions = self.moto = self.emf = None


def _quietly(stop: Callable[[], Any]) -> None:
    # Shutdown must reach every component even if one of them fails to stop.
    try:
        stop()
    except Exception as exc:  # noqa: BLE001
        print(f"edgeway: while stopping: {exc!r}", file=sys.stderr)
