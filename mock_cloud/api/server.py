"""The AWS Query endpoint: EC2 and ELBv2 on one port, as boto3 and the aws CLI speak them.

Which service a request is for comes from its SigV4 credential scope (`.../ec2/aws4_request`,
`.../elasticloadbalancing/aws4_request`), else its `Version`, else its `Action`. Any credentials
are accepted and the region is the cloud's. Every answer is a result document or AWS's error
document for that service; a bug in lblab answers `InternalFailure` (500) and is logged.

`GET /_lblab/health` tells, as JSON, where everything of this cloud listens.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from aiohttp import web
from aiohttp.typedefs import Handler

from mock_cloud import __version__
from mock_cloud.api import (  # ec2_attributes, _instance_types, _sg_rules register actions on ec2_handlers.ACTIONS
    ec2_attributes,  # noqa: F401
    ec2_handlers,
    ec2_instance_types,  # noqa: F401
    ec2_sg_rules,  # noqa: F401
    elbv2_handlers,
    query,
    xml,
)
from mock_cloud.api.actions import ActionTable
from mock_cloud.edge import check_bind_host, local_host
from mock_cloud.errors import CloudError

if TYPE_CHECKING:
    from mock_cloud.cloud import Cloud

log = logging.getLogger(__name__)

CONTENT_TYPE = "text/xml"
HEALTH_PATH = "/_lblab/health"
MAX_BODY = 1024 * 1024  # aiohttp's default, named: a Query request is a few kilobytes at most
_SCOPE = re.compile(r"Credential=[^/,\s]*/\d{8}/[^/,\s]*/([^/,\s]+)/aws4_request")


@dataclass(frozen=True)
class Service:
    signing_name: str
    version: str
    actions: ActionTable
    dialect: query.Dialect
    document: Callable[[str, dict[str, Any], str], str]
    error: Callable[[CloudError, str], str]


EC2 = Service("ec2", "2016-11-15", ec2_handlers.ACTIONS, query.EC2, xml.ec2_document,
              lambda e, request_id: xml.ec2_error(e.code, e.message, request_id))
ELBV2 = Service("elasticloadbalancing", "2015-12-01", elbv2_handlers.ACTIONS, query.ELBV2, xml.elbv2_document,
                lambda e, request_id: xml.elbv2_error(e.code, e.message, request_id, e.status))
SERVICES = (EC2, ELBV2)


def detect_service(authorization: str, version: str | None, action: str | None) -> Service:
    scope = _SCOPE.search(authorization)
    for service in SERVICES:
        if scope and scope.group(1) == service.signing_name:
            return service
    for service in SERVICES:
        if version == service.version:
            return service
    return next((s for s in SERVICES if action in s.actions), EC2)


class ApiServer:
    """The Query endpoint of one cloud; `await start()` returns the bound port (0 picks a free one)."""

    def __init__(self, cloud: Cloud, host: str = "127.0.0.1", port: int = 4566, *,
                 allow_non_loopback: bool = False) -> None:
        check_bind_host(host, allow_non_loopback, "the AWS API")
        self.cloud = cloud
        self.host = host
        self.port = port
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://{local_host(self.host)}:{self.port}"

    async def start(self) -> int:
        app = web.Application(middlewares=[self._http_errors], client_max_size=MAX_BODY)
        app.router.add_get(HEALTH_PATH, self._health)
        app.router.add_route("POST", "/", self._query)
        app.router.add_route("GET", "/", self._query)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self.port

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # -- the Query protocol ------------------------------------------------------------------------
    @web.middleware
    async def _http_errors(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """HTTP-level refusals (a body over the limit, a method the Query API does not take) in the service's
        XML error document, so an SDK parses them as it parses every other error."""
        try:
            return await handler(request)
        except web.HTTPException as refusal:
            error = _http_refusal(refusal.status, request.method)
            if error is None:
                raise
        query = _query_tree(request.rel_url.raw_query_string)
        service = detect_service(request.headers.get("Authorization", ""), _value(query, "Version"),
                                 _value(query, "Action"))
        document = service.error(error, self.cloud.ids.request_id())
        return web.Response(status=error.status, text=document, content_type=CONTENT_TYPE, charset="utf-8")

    async def _query(self, request: web.Request) -> web.Response:
        body = await request.read()
        pairs = parse_qsl(request.rel_url.raw_query_string, keep_blank_values=True, errors="replace")
        pairs += parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True, errors="replace")
        tree = query.unflatten(pairs)
        action = _value(tree, "Action")
        service = detect_service(request.headers.get("Authorization", ""), _value(tree, "Version"), action)
        request_id = self.cloud.ids.request_id()
        try:
            result = await self._call(service, action, tree)
            status, document = 200, service.document(action or "", result, request_id)
        except CloudError as error:
            status, document = error.status, service.error(error, request_id)
        except Exception:
            log.exception("lblab API bug in %s %s", service.signing_name, action)
            failure = CloudError("InternalFailure", "The request processing has failed because of an unknown error "
                                                    "in lblab (a bug: see the log).", 500)
            status, document = 500, service.error(failure, request_id)
        return web.Response(status=status, text=document, content_type=CONTENT_TYPE, charset="utf-8")

    async def _call(self, service: Service, action: str | None, tree: query.Node) -> dict[str, Any]:
        if not action:
            raise CloudError("MissingAction", "The request must contain the parameter Action")
        api_action = service.actions.get(action)
        if api_action is None:
            raise CloudError("InvalidAction", f"The action {query.shown(action)} is not valid for this web service.")
        args = query.parse(tree, api_action.schema, service.dialect)
        if service is EC2 and query.parse(tree, {"DryRun": bool}, service.dialect).get("DryRun"):
            raise CloudError("DryRunOperation", "Request would have succeeded, but DryRun flag is set.", 412)
        return await api_action.handler(self.cloud, args)

    # -- lblab's own endpoint ------------------------------------------------------------------------
    async def _health(self, request: web.Request) -> web.Response:
        return web.json_response(health_document(self.cloud, self.url))


def _query_tree(text: str) -> query.Node:
    return query.unflatten(parse_qsl(text, keep_blank_values=True, errors="replace"))


def _http_refusal(status: int, method: str) -> CloudError | None:
    if status == 413:
        return CloudError("RequestEntityTooLarge", f"The request body is larger than the {MAX_BODY // 1024} KB "
                                                   "this endpoint accepts.", 413)
    if status == 405:
        return CloudError("InvalidAction", f"The HTTP method {query.shown(method)} is not supported by the "
                                           "Query API: send GET or POST.", 405)
    return None


def _value(tree: query.Node, name: str) -> str | None:
    node = tree.children.get(name)
    return node.value if node is not None else None


def health_document(cloud: Cloud, api_url: str) -> dict[str, Any]:
    """Every endpoint of the cloud: the API, the edge, each listener and each running web server."""
    elbv2 = cloud.elbv2
    load_balancers = {
        lb.arn: {
            "name": lb.name,
            "dns_name": lb.dns_name,
            "state": lb.state,
            "listeners": {
                listener.arn: {
                    "protocol": listener.protocol,
                    "port": listener.port,
                    "local": f"127.0.0.1:{listener.local_port}" if listener.local_port else None,
                }
                for listener in elbv2.describe_listeners(load_balancer_arn=lb.arn)
            },
        }
        for lb in elbv2.describe_load_balancers()
    }
    instances = {
        i.instance_id: {
            "name": i.name,
            "private_ip": i.private_ip,
            "public_ip": i.public_ip,
            "httpd": {str(port): f"127.0.0.1:{i.local_port(port)}" for port in i.served_ports},
            "guest_pid": i.guest.pid if i.guest is not None and i.guest.alive else None,  # its own OS process
        }
        for i in cloud.ec2.describe_instances()
        if i.state == "running"
    }
    return {
        "version": __version__,
        "region": cloud.region,
        "api": api_url,
        "edge": cloud.edge_url if cloud.edge is not None else None,
        "load_balancers": load_balancers,
        "instances": instances,
    }
