"""Helpers for the API tests (no tests here): a cloud and its API server on a thread of their own,
so blocking clients (boto3, the aws CLI) can drive them, and boto3 clients that hold every
response to botocore's model: an element the model does not know fails the call."""

from __future__ import annotations

import asyncio
import threading
import xml.etree.ElementTree as ET
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any, TypeVar

from mock_cloud.api.server import ApiServer
from mock_cloud.cloud import Cloud, CloudConfig, FetchResult

if TYPE_CHECKING:
    from botocore.model import OperationModel, Shape

T = TypeVar("T")
REGION = "ap-northeast-2"
DUMMY_CREDENTIALS = {"aws_access_key_id": "AKIALBLABTESTING0000", "aws_secret_access_key": "lblab-test-secret"}
FAST = 300.0  # cloud seconds per real second: a health check every 0.1 s, a balancer active in 0.2 s
WAIT = {"Delay": 0.2, "MaxAttempts": 100}


class LiveCloud:
    """`with LiveCloud(config) as live:` a started cloud and ApiServer on a background event loop."""

    def __init__(self, config: CloudConfig) -> None:
        self.cloud = Cloud(config)
        self.api = ApiServer(self.cloud, port=0)
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="live-cloud", daemon=True)

    def __enter__(self) -> LiveCloud:
        self._thread.start()
        self.run(self.cloud.start())
        self.run(self.api.start())
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self.run(self.api.stop())
            self.run(self.cloud.close())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(10)
            self.loop.close()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 60) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def fetch(self, url: str) -> FetchResult:
        """A request from the learner's machine through the internet edge."""
        return self.run(self.cloud.fetch(url, timeout=10))

    @property
    def endpoint(self) -> str:
        return self.api.url

    def client(self, service: str) -> Any:
        """A boto3 client for the endpoint (modules that use it importorskip boto3)."""
        import boto3
        from botocore.config import Config

        client = boto3.client(service, endpoint_url=self.endpoint, region_name=REGION,
                              config=Config(retries={"total_max_attempts": 1}), **DUMMY_CREDENTIALS)
        client.meta.events.register("before-parse", check_against_model)
        return client


# -- holding responses to botocore's model -----------------------------------------------------------


def check_against_model(operation_model: OperationModel, response_dict: dict[str, Any], **_: Any) -> None:
    root = ET.fromstring(response_dict["body"])
    assert response_dict["status_code"] != 500, response_dict["body"]
    if response_dict["status_code"] >= 300:
        return
    assert _local(root.tag) == f"{operation_model.name}Response", root.tag
    shape = operation_model.output_shape
    if shape is None:
        return
    wrapper = shape.serialization.get("resultWrapper")
    result = root.find(f"{{*}}{wrapper}") if wrapper else root
    assert result is not None, f"no {wrapper} in {operation_model.name}"
    problems = _conform(result, shape, operation_model.name, skip={"requestId", "ResponseMetadata"})
    assert not problems, f"{operation_model.name}: not in botocore's model: {problems}"


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _conform(element: ET.Element, shape: Shape, path: str, skip: frozenset[str] | set[str] = frozenset()) -> list[str]:
    problems: list[str] = []
    if shape.type_name == "structure":
        members = {m.serialization.get("name", name): m for name, m in shape.members.items()}  # type: ignore[attr-defined]
        for child in element:
            tag = _local(child.tag)
            if tag in skip:
                continue
            if tag not in members:
                problems.append(f"{path}/{tag}")
            else:
                problems += _conform(child, members[tag], f"{path}/{tag}")
    elif shape.type_name == "list":
        item = shape.member.serialization.get("name", "member")  # type: ignore[attr-defined]
        for child in element:
            if _local(child.tag) != item:
                problems.append(f"{path}/{_local(child.tag)} (expected {item})")
            else:
                problems += _conform(child, shape.member, f"{path}/{item}")  # type: ignore[attr-defined]
    elif shape.type_name in ("integer", "long"):
        if not (element.text or "").lstrip("-").isdigit():
            problems.append(f"{path}={element.text!r} (not an integer)")
    elif shape.type_name == "boolean" and element.text not in ("true", "false"):
        problems.append(f"{path}={element.text!r} (not a boolean)")
    return problems
