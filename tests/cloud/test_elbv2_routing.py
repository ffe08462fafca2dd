"""The data plane over real sockets: rules and actions, ALB's errors, headers, weights, stickiness."""

from __future__ import annotations

import asyncio
import shlex
import time
from collections import Counter
from email.utils import formatdate

import aiohttp

from mock_cloud.cloud import Cloud
from mock_cloud.ec2.service import RuleSpec
from mock_cloud.elbv2.listener_rules import (
    Action,
    HttpHeaderConfig,
    RedirectConfig,
    RuleCondition,
    Stickiness,
)
from mock_cloud.elbv2.target_group import TargetSpec
from mock_cloud.scenarios import HELLO, INTERVAL, healthy_lab
from tests.support.elbv2 import echo_handler, fixed, forward, garbage_handler, hostnames, plug, run_in, silent_handler

ALB_503 = (b"<html>\r\n<head><title>503 Service Temporarily Unavailable</title></head>\r\n<body>\r\n"
           b"<center><h1>503 Service Temporarily Unavailable</h1></center>\r\n</body>\r\n</html>\r\n")


async def direct(port: int, path: str = "/", method: str = "GET", headers: dict[str, str] | None = None,
                 session: aiohttp.ClientSession | None = None) -> tuple[int, dict[str, str], str]:
    """A request straight to a listener's loopback port, with any Host header."""
    own = session is None
    session = session or aiohttp.ClientSession()
    try:
        async with session.request(method, f"http://127.0.0.1:{port}{path}", headers=headers,
                                   allow_redirects=False) as response:
            return response.status, dict(response.headers), await response.text()
    finally:
        if own:
            await session.close()


def condition(field: str, **config: object) -> RuleCondition:
    return RuleCondition(field, **config)  # type: ignore[arg-type]


async def test_every_condition_type_and_action_by_priority(cloud: Cloud) -> None:
    lab = await healthy_lab(cloud, count=1)
    elbv2, listener = cloud.elbv2, lab.listener
    await elbv2.create_rule(listener.arn, 10, [condition("path-pattern", path_pattern_config=["/api/*"])],
                            [fixed("200", "api")])
    await elbv2.create_rule(listener.arn, 20, [condition("host-header", host_header_config=["*.example.com"])],
                            [fixed("200", "host")])
    await elbv2.create_rule(listener.arn, 30, [condition(
        "http-header", http_header_config=HttpHeaderConfig("X-Env", ["beta"]))], [fixed("200", "header")])
    await elbv2.create_rule(listener.arn, 40, [condition("query-string", query_string_config=[("lang", "ko")])],
                            [fixed("200", "query")])
    await elbv2.create_rule(listener.arn, 50, [condition("http-request-method", http_request_method_config=[
        "DELETE"])], [fixed("405", "no deleting", "application/json")])
    await elbv2.create_rule(listener.arn, 60, [
        condition("source-ip", source_ip_config=["203.0.113.0/24"]),
        condition("path-pattern", path_pattern_config=["/mine"])], [fixed("200", "source")])
    moved = await elbv2.create_rule(listener.arn, 5, [condition("path-pattern", path_pattern_config=["/old*"])],
                                    [Action("redirect", redirect_config=RedirectConfig("HTTP_301", path="/new"))])
    port = listener.local_port
    assert port is not None
    assert (await direct(port, "/api/users"))[::2] == (200, "api")
    assert (await direct(port, "/", headers={"Host": "shop.example.com"}))[::2] == (200, "host")
    assert (await direct(port, "/", headers={"X-Env": "BETA"}))[::2] == (200, "header")
    assert (await direct(port, "/?lang=ko"))[::2] == (200, "query")
    status, headers, body = await direct(port, "/", method="DELETE")
    assert (status, body, headers["Content-Type"]) == (405, "no deleting", "application/json")
    assert (await direct(port, "/mine"))[::2] == (200, "source")
    status, headers, _ = await direct(port, "/old/page?x=1", headers={"Host": "a.test"})
    assert status == 301 and headers["Location"] == "http://a.test:80/new?x=1"
    status, _, body = await direct(port, "/")
    assert status == 200 and HELLO.search(body)  # the default rule forwards

    await elbv2.set_rule_priorities([(moved.arn, 70)])  # evaluated last now, still the only match
    assert (await direct(port, "/old/x"))[0] == 301
    await elbv2.create_rule(listener.arn, 1, [condition("path-pattern", path_pattern_config=["/old*"])],
                            [fixed("503", "maintenance")])
    assert (await direct(port, "/old/x"))[::2] == (503, "maintenance")
    trace = elbv2.traces(limit=1)[-1]
    assert [h.name for h in trace.hops] == ["internet edge", "load balancer security group", "listener", "rule",
                                            "action", "status"]
    assert "priority 1" in trace.hops[3].detail and "'/old*' matched '/old/x'" in trace.hops[3].detail


async def test_the_balancers_own_answers_are_dated_by_the_cloud_clock(cloud: Cloud) -> None:
    """A fixed response shows its Date beside the console's clock (paused here, in 2026-01-01): cloud time,
    never the host's."""
    lab = await healthy_lab(cloud, count=1)
    await cloud.elbv2.create_rule(lab.listener.arn, 1, [condition("path-pattern", path_pattern_config=["/f"])],
                                  [fixed("200", "fixed")])
    for _ in range(2):
        page = await cloud.fetch(f"http://{lab.lb.dns_name}/f")
        assert page.headers["Date"] == formatdate(int(cloud.clock.now()), usegmt=True)
        assert abs(cloud.clock.now() - time.time()) > 86400
        await cloud.clock.advance(3600)


async def test_no_registered_targets_is_albs_503(cloud: Cloud) -> None:
    lab = await healthy_lab(cloud, count=1)
    empty = await cloud.elbv2.create_target_group("empty-tg")
    await cloud.elbv2.create_rule(lab.listener.arn, 1, [condition("path-pattern", path_pattern_config=["/e"])],
                                  [forward(empty.arn)])
    page = await cloud.fetch(f"http://{lab.lb.dns_name}/e")
    assert page.status == 503 and page.body == ALB_503
    assert page.headers["Server"] == "awselb/2.0" and page.headers["Content-Length"] == "162"
    stop = cloud.elbv2.traces(limit=1)[-1].stopped_at
    assert stop is not None and (stop.name, stop.reason_code) == ("target group", "Target.NotRegistered")


async def test_a_target_that_answers_garbage_is_502_and_a_stopped_httpd_is_502(cloud: Cloud) -> None:
    lab = await healthy_lab(cloud, count=1)
    [instance] = lab.instances
    await plug(instance, garbage_handler)
    page = await cloud.fetch(lab.url)
    assert page.status == 502 and b"502 Bad Gateway" in page.body
    stop = cloud.elbv2.traces(limit=1)[-1].stopped_at
    assert stop is not None and (stop.name, stop.reason_code) == ("web server", "Target.FailedHealthChecks")
    line = cloud.elbv2.access_log(lab.lb.arn, limit=1)[0]
    fields = shlex.split(line)
    assert (fields[8], fields[9], fields[24]) == ("502", "-", "TargetResponseError")

    await run_in(cloud, instance, "systemctl stop httpd")  # the guest reports no listener: the plug is off too
    page = await cloud.fetch(lab.url)
    assert page.status == 502
    assert cloud.elbv2.metrics({"LoadBalancer": lab.lb.dimension}, "HTTPCode_ELB_502_Count")[-1][1] == 2


async def test_a_silent_target_is_504_after_the_idle_timeout(cloud: Cloud) -> None:
    lab = await healthy_lab(cloud, count=1)
    await hostnames(cloud, lab.url, 1)  # a request under the default timeout first: the new one must replace it
    await cloud.elbv2.modify_load_balancer_attributes(lab.lb.arn, {"idle_timeout.timeout_seconds": "1"})
    await plug(lab.instances[0], silent_handler)
    started = time.monotonic()
    page = await cloud.fetch(lab.url)
    assert page.status == 504 and b"504 Gateway Time-out" in page.body
    assert 0.9 <= time.monotonic() - started < 5
    stop = cloud.elbv2.traces(limit=1)[-1].stopped_at
    assert stop is not None and (stop.name, stop.reason_code) == ("web server", "Target.Timeout")


async def test_the_idle_timeout_follows_its_attribute_and_the_clock(cloud: Cloud) -> None:
    """A listener's engine asks for its idle timeout at every request; the answer is worked out again only after
    an event or a change of the clock's scale (service.py: _idle_timeout)."""
    lab = await healthy_lab(cloud, count=1)
    idle_timeout = cloud.elbv2._servers[lab.listener.arn].idle_timeout
    cloud.clock.set_scale(1.0)
    assert idle_timeout() == 60.0
    await cloud.elbv2.modify_load_balancer_attributes(lab.lb.arn, {"idle_timeout.timeout_seconds": "7"})
    assert idle_timeout() == 7.0
    cloud.clock.set_scale(10.0)
    assert idle_timeout() == 1.0  # 0.7 s of real time: never under a real second
    cloud.clock.set_scale(0.0)  # paused: cloud seconds as they are
    assert idle_timeout() == 7.0


async def test_a_fast_clock_leaves_a_target_a_real_second_to_answer(cloud: Cloud) -> None:
    """At x300 the default 60 s idle timeout is 0.2 s of real time; bytes still travel in real time, so a
    target that answers 0.5 s late on a busy machine is not idle (the API tests' FAST clock saw spurious 504s)."""
    lab = await healthy_lab(cloud, count=1)

    async def late(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        await asyncio.sleep(0.5)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nlate")
        await writer.drain()

    await plug(lab.instances[0], late)
    cloud.clock.set_scale(300.0)
    page = await cloud.fetch(lab.url)
    assert (page.status, page.body) == (200, b"late")


async def test_the_target_sees_x_forwarded_headers(cloud: Cloud) -> None:
    lab = await healthy_lab(cloud, count=1)
    await plug(lab.instances[0], echo_handler)
    page = await cloud.fetch(lab.url, headers={"X-Forwarded-For": "10.9.8.7"})
    assert page.status == 200
    seen = page.text
    assert "X-Forwarded-For: 10.9.8.7, 203.0.113.10\r\n" in seen
    assert "X-Forwarded-Proto: http\r\n" in seen and "X-Forwarded-Port: 80\r\n" in seen
    assert "X-Amzn-Trace-Id: Root=1-" in seen
    assert "X-Lblab-Client-Ip" not in seen  # the edge's private header never reaches the target


async def test_weighted_target_groups_split_three_to_one(cloud: Cloud) -> None:
    lab = await healthy_lab(cloud, count=2)
    first, second = lab.instances
    other = await cloud.elbv2.create_target_group("other-tg")
    await cloud.elbv2.deregister_targets(lab.group.arn, [TargetSpec(second.instance_id)])
    await cloud.elbv2.register_targets(other.arn, [TargetSpec(second.instance_id)])
    await cloud.elbv2.modify_listener(lab.listener.arn, default_actions=[forward(lab.group.arn, other.arn,
                                                                                weights=[3, 1])])
    await cloud.clock.advance(300 + 5 * INTERVAL)  # drained from demo-tg, healthy in other-tg
    assert cloud.elbv2.describe_target_health(other.arn)[0].state == "healthy"
    port = lab.listener.local_port
    assert port is not None
    async with aiohttp.ClientSession() as session:
        counts = Counter([HELLO.search((await direct(port, session=session))[2]).group(1)  # type: ignore[union-attr]
                          for _ in range(100)])
    assert 62 <= counts[first.private_dns_name] <= 88, counts
    assert counts[first.private_dns_name] + counts[second.private_dns_name] == 100
    per_target = cloud.elbv2.metrics({"TargetGroup": other.dimension}, "RequestCount")
    assert per_target[-1][1] == counts[second.private_dns_name]


async def test_lb_cookie_stickiness_keeps_a_client_on_one_target(cloud: Cloud) -> None:
    lab = await healthy_lab(cloud, count=2)
    await cloud.elbv2.modify_target_group_attributes(lab.group.arn, {"stickiness.enabled": "true"})
    first = await cloud.fetch(lab.url)
    raw = first.headers.get("Set-Cookie", "")  # AWSALB and AWSALBCORS carry the same value
    assert raw.startswith("AWSALB") and "Expires=" in raw and "Path=/" in raw
    value = raw.split(";", 1)[0].split("=", 1)[1]
    names = await hostnames(cloud, lab.url, 6, headers={"Cookie": f"AWSALB={value}"})
    assert len(set(names)) == 1 and names[0] in first.text
    # A tampered cookie is ignored: round robin again.
    assert len(set(await hostnames(cloud, lab.url, 4, headers={"Cookie": "AWSALB=bm9wZQ=="}))) == 2


async def test_a_target_group_attribute_change_reaches_the_very_next_request(cloud: Cloud) -> None:
    """The router reads a group's routing attributes once per change, not per request: traffic has flowed before
    each change here, and the next request still follows it."""
    lab = await healthy_lab(cloud, count=2)
    assert len(set(await hostnames(cloud, lab.url, 4))) == 2
    assert "Set-Cookie" not in (await cloud.fetch(lab.url)).headers
    await cloud.elbv2.modify_target_group_attributes(lab.group.arn, {"stickiness.enabled": "true"})
    assert (await cloud.fetch(lab.url)).headers.get("Set-Cookie", "").startswith("AWSALB=")
    await cloud.elbv2.modify_target_group_attributes(lab.group.arn, {"stickiness.enabled": "false"})
    assert "Set-Cookie" not in (await cloud.fetch(lab.url)).headers
    assert len(set(await hostnames(cloud, lab.url, 4))) == 2


async def test_target_group_stickiness_sets_awsalbtg(cloud: Cloud) -> None:
    lab = await healthy_lab(cloud, count=1)
    other = await cloud.elbv2.create_target_group("other-tg")
    action = forward(lab.group.arn, other.arn, weights=[1, 0])
    assert action.forward_config is not None
    action.forward_config.stickiness = Stickiness(True, 120)
    await cloud.elbv2.modify_listener(lab.listener.arn, default_actions=[action])
    page = await cloud.fetch(lab.url)
    assert page.status == 200 and page.headers.get("Set-Cookie", "").startswith("AWSALBTG")


async def test_metrics_access_log_and_log_file(cloud: Cloud) -> None:
    lab = await healthy_lab(cloud, count=2)
    await cloud.elbv2.modify_load_balancer_attributes(lab.lb.arn, {"access_logs.s3.enabled": True,
                                                                   "access_logs.s3.bucket": "my-logs"})
    await hostnames(cloud, lab.url, 5, headers={"User-Agent": "lab-test/1.0"})
    await cloud.fetch(f"http://{lab.lb.dns_name}/nope.html")
    lb_dims = {"LoadBalancer": lab.lb.dimension}
    assert sum(v for _, v in cloud.elbv2.metrics(lb_dims, "RequestCount")) == 6
    assert sum(v for _, v in cloud.elbv2.metrics(lb_dims, "HTTPCode_Target_2XX_Count")) == 5
    assert sum(v for _, v in cloud.elbv2.metrics(lb_dims, "HTTPCode_Target_4XX_Count")) == 1
    assert cloud.elbv2.metrics({"TargetGroup": lab.group.dimension}, "HealthyHostCount")[-1][1] == 2
    assert cloud.elbv2.metrics(lb_dims, "TargetResponseTime")[-1][1] > 0
    assert cloud.elbv2.metrics(lb_dims, "NewConnectionCount")

    lines = cloud.elbv2.access_log(lab.lb.arn)
    assert len(lines) == 6
    fields = shlex.split(lines[0])
    assert fields[0] == "http" and fields[2] == lab.lb.dimension and fields[3].startswith("203.0.113.10:")
    assert fields[4].startswith("172.31.") and (fields[8], fields[9]) == ("200", "200")
    assert fields[12] == f"GET http://{lab.lb.dns_name.lower()}:80/ HTTP/1.1"
    assert fields[13] == "lab-test/1.0" and fields[16] == lab.group.arn
    assert fields[17].startswith("Root=1-") and fields[20] == "0" and fields[22] == "forward"
    assert fields[29].startswith("TID_") and len(fields) == 30

    cloud.elbv2.plane.log_writer.flush()
    files = list((cloud.ctx.data_dir / "access-logs" / "my-logs").rglob("*.log"))
    assert len(files) == 1 and "elasticloadbalancing_ap-northeast-2_app.DemoALB." in files[0].name
    assert len(files[0].read_text().splitlines()) == 6


async def test_the_edge_drops_what_the_balancer_would_not_answer(cloud: Cloud) -> None:
    lab = await healthy_lab(cloud, count=1)
    elbv2, dns = cloud.elbv2, lab.lb.dns_name

    def stopped_at() -> str:
        stop = elbv2.traces(limit=1)[-1].stopped_at
        assert stop is not None
        return stop.name

    await cloud.ec2.authorize(lab.lb_sg, [RuleSpec("tcp", 8080, 8080, cidr_ipv4="0.0.0.0/0")])
    assert (await cloud.fetch(f"http://{dns}:8080/")).status == 504  # nothing listens: the edge times out
    assert stopped_at() == "listener"
    await cloud.ec2.revoke(lab.lb_sg, [RuleSpec("tcp", 80, 80, cidr_ipv4="0.0.0.0/0")])
    assert (await cloud.fetch(lab.url)).status == 504
    assert stopped_at() == "load balancer security group"
    subnets = [s.subnet_id for s in cloud.ec2.subnets_of(cloud.ec2.default_vpc.vpc_id)]
    inner = await elbv2.create_load_balancer("inner", subnets, [lab.lb_sg], scheme="internal")
    await cloud.clock.advance(60)
    assert (await cloud.fetch(f"http://{inner.dns_name}/")).status == 504
    assert stopped_at() == "internet edge"
