"""Observing is part of a step: a step whose point is to watch something passes only once the learner
watched it after the step began (their own requests to the DNS name, the Targets tab opened) or pressed
Check; it never passes on its own however long the cloud runs."""

from __future__ import annotations

import ssl

from labs import probe
from labs.engine import LabSession
from labs.resources import load_balancer_named
from mock_cloud.cloud import Cloud
from tests.support.labs import STEP, do, session, wait_for_step


async def walk_to(cloud: Cloud, lab: LabSession, step_id: str) -> None:
    """Solve every step before `step_id` as "Show me" does."""
    while lab.step.id != step_id:
        index = lab.step_index
        assert (await lab.solve_step()).ok
        await wait_for_step(cloud, lab, index)


async def open_dns(cloud: Cloud, times: int, scheme: str = "http") -> None:
    """The learner refreshes the DNS name through the internet edge, as a browser or curl does."""
    lb = load_balancer_named(cloud, "DemoALB")
    assert lb is not None
    for _ in range(times):
        answer = await cloud.fetch(f"{scheme}://{lb.dns_name}/")
        assert answer.status == 200, answer.error


async def checked_codes(cloud: Cloud, lab: LabSession, rounds: int = 12) -> list[str | None]:
    """Let the cloud run (health checks, time) with the lab checking on its own, as the session's watcher does."""
    report = await lab.check()
    for _ in range(rounds):
        await cloud.clock.advance(STEP)
        report = await lab.check()
    return [r.code for r in report.failed]


async def test_watching_steps_wait_for_the_learner_to_watch(cloud: Cloud) -> None:
    lab = session(cloud, "alb-basics")
    await lab.start()
    await walk_to(cloud, lab, "open-dns")

    assert await checked_codes(cloud, lab) == ["NOT_OBSERVED"]  # healthy and spread, yet nobody looked
    assert lab.step.id == "open-dns"
    await open_dns(cloud, 2)
    await wait_for_step(cloud, lab, lab.step_index)

    assert lab.step.id == "stop-one"
    await do(cloud, "- do: stop_instances\n  names: web-server-1")
    assert await checked_codes(cloud, lab) == ["NOT_VIEWED", "NOT_OBSERVED"]
    lab.viewed("targets_tab", "other-tg")  # another group's Targets tab is not the one the step is about
    assert await checked_codes(cloud, lab, 0) == ["NOT_VIEWED", "NOT_OBSERVED"]
    lab.viewed("targets_tab", "demo-tg")
    await open_dns(cloud, 2)
    await wait_for_step(cloud, lab, lab.step_index)

    assert lab.step.id == "start-again"  # the requests and the view of the last step do not count here
    await do(cloud, "- do: start_instances\n  names: web-server-1")
    assert await checked_codes(cloud, lab, 30) == ["NOT_OBSERVED"]
    await lab.check(pressed=True)  # pressing Check counts as looking
    assert lab.finished
    await lab.close()


async def test_the_tls_step_waits_for_the_learners_own_https_request(cloud: Cloud) -> None:
    lab = session(cloud, "ssl-termination")
    await lab.start()
    await walk_to(cloud, lab, "verify")
    assert await checked_codes(cloud, lab, 15) == ["NOT_OBSERVED"]  # step 4 no longer passes with step 3
    await open_dns(cloud, 1)  # plain HTTP is not the handshake this step is about
    assert await checked_codes(cloud, lab, 0) == ["NOT_OBSERVED"]
    lb = load_balancer_named(cloud, "DemoALB")
    assert lb is not None
    trust = ssl.create_default_context(cafile=str(cloud.elbv2.certificates.ca_pem_path))
    answer = await probe.fetch(cloud, f"https://{lb.dns_name}/", {"User-Agent": "curl/8.5.0"}, trust)
    assert answer.status == 200 and answer.tls_version
    await wait_for_step(cloud, lab, lab.step_index)
    assert lab.step.id == "redirect-http"
    await lab.close()
