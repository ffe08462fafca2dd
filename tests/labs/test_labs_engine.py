"""The lab session: event-driven checks, hints, "show me", resets, texts, and progress across a restart."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from labs import LabSession, SessionEvent, Text, load_lab, timing
from labs.criteria import CRITERIA, CriterionType
from labs.progress import ProgressStore
from mock_cloud.cloud import Cloud
from mock_cloud.events import Event
from tests.support.cloud import boot, make_config
from tests.support.labs import do, session, wait_for_step

WEB_SERVER = load_lab("ec2-web-server")


def recorder(lab: LabSession) -> list[SessionEvent]:
    events: list[SessionEvent] = []
    lab.subscribe(events.append)
    return events


async def until(condition: Callable[[], bool], seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.01)


async def test_cloud_events_trigger_debounced_checks_and_auto_advance(cloud: Cloud) -> None:
    lab = LabSession(cloud, WEB_SERVER, "en", debounce=0.05)
    events = recorder(lab)
    await lab.start()
    await until(lambda: any(e.kind == "checked" for e in events))
    assert events[-1].report is not None and events[-1].report.failed[0].code == "INSTANCE_MISSING"

    await lab.solve_step()
    await boot(cloud)  # the instance runs and serves: its events alone carry the lab to the end
    await until(lambda: lab.finished)
    kinds = [e.kind for e in events]
    assert kinds.count("step_completed") == 2 and kinds[-1] == "finished"
    assert events[-1].detail == WEB_SERVER.finish
    await lab.close()


async def test_a_burst_of_events_costs_one_check(cloud: Cloud) -> None:
    lab = LabSession(cloud, WEB_SERVER, "en", debounce=0.1)
    events = recorder(lab)
    await lab.start()
    await until(lambda: any(e.kind == "checked" for e in events))
    for _ in range(30):
        cloud.events.publish(Event("tags.changed", "i-0123456789abcdef0"))
        cloud.events.publish(Event("elbv2.metrics", "arn"))  # what our own probes cause: ignored
    await until(lambda: [e.kind for e in events].count("checked") == 2)
    await asyncio.sleep(0.3)
    assert [e.kind for e in events].count("checked") == 2
    for _ in range(5):
        cloud.events.publish(Event("elbv2.metrics", "arn"))
    await asyncio.sleep(0.3)
    assert [e.kind for e in events].count("checked") == 2
    await lab.close()


async def test_hints_are_revealed_one_at_a_time(cloud: Cloud) -> None:
    lab = session(cloud, "ec2-web-server")
    events = recorder(lab)
    await lab.start()
    hints = WEB_SERVER.steps[0].hints
    assert lab.hints_shown == ()
    assert [lab.hint() for _ in hints] == list(hints)
    assert lab.hint() is None and lab.hints_shown == hints
    assert [e.detail for e in events if e.kind == "hint"] == list(hints)
    await lab.reset_step()
    assert lab.hints_shown == () and lab.hint() == hints[0]


async def test_show_me_reports_what_it_did_or_why_it_failed(cloud: Cloud) -> None:
    lab = session(cloud, "ec2-web-server")
    events = recorder(lab)
    await lab.start()
    solved = await lab.solve_step()
    assert solved.ok and solved.report is not None
    assert [t.en for t in solved.done] == ["Create security group web-server-sg", "Launch instances: my-web-server"]
    await wait_for_step(cloud, lab, 0)
    await do(cloud, "- do: stop_instances\n  names: my-web-server\n")  # step 2 now fails
    next(iter(cloud.ec2.instances.values())).tags["Name"] = "renamed"  # and show me has nothing to fix
    failed = await lab.solve_step()
    assert not failed.ok and failed.error is not None and "InvalidInstanceID.NotFound" in failed.error.en
    assert events[-1].kind == "solve_failed"


async def test_resetting_the_lab_starts_over(cloud: Cloud) -> None:
    lab = session(cloud, "ec2-web-server")
    await lab.start()
    await lab.solve_step()
    await wait_for_step(cloud, lab, 0)
    lab.hint()
    assert lab.step_index == 1 and lab.progress.completed == ("launch",)
    await lab.reset_lab()
    assert lab.step_index == 0 and lab.progress.completed == () and lab.progress.step_number == 1
    assert lab.hints_shown == () and lab.last_report is None


async def test_a_failing_criterion_is_reported_not_raised(cloud: Cloud, monkeypatch: pytest.MonkeyPatch) -> None:
    async def broken(*_: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setitem(CRITERIA, "instances", CriterionType({}, Text.same("x"), broken))
    lab = session(cloud, "ec2-web-server")
    lab.subscribe(lambda event: 1 / 0)  # a failing panel must not stop the lab either
    await lab.start()
    report = await lab.check()
    assert [r.code for r in report.results] == ["CHECK_ERROR", "CHECK_ERROR"]
    assert "RuntimeError: boom" in report.results[0].message.en


async def test_starting_sets_the_lab_time_scale_unless_the_clock_is_paused(tmp_path: Path, cloud: Cloud) -> None:
    await session(cloud, "ec2-web-server").start()
    assert cloud.clock.scale == 0
    async with Cloud(make_config(tmp_path / "other", time_scale=1.0)) as running:
        lab = session(running, "ec2-web-server")
        await lab.start()
        assert running.clock.scale == 30
        assert lab.text(Text.same("{{time_scale}}")) == "×30"
        await lab.close()


async def test_texts_show_live_values_and_aws_true_durations(cloud: Cloud) -> None:
    assert timing.healthy_after(None, 30) == Text("AWS에서 5 × 30초 = 2분 30초, 여기서는 ×30 배속으로 약 5초",
                                                  "5 × 30 s = 2 min 30 s on AWS, about 5 s here at ×30")
    assert timing.unhealthy_after(None, 1).en == "2 × 30 s = 1 min on AWS, the same here"
    lab = session(cloud, "alb-basics", lang="ko")
    await lab.start()
    template = Text("{{dns:DemoALB}} · {{healthy_after:demo-tg}}", "{{dns:DemoALB}} · {{healthy_after:demo-tg}}")
    assert lab.text(template) == "DemoALB의 DNS 이름 · AWS에서 5 × 30초 = 2분 30초, 여기서는 시계가 멈춰 있음"
    for index in range(5):  # up to DemoALB and demo-tg
        await lab.solve_step()
        await wait_for_step(cloud, lab, index)
    await do(cloud, "- do: modify_target_group\n  name: demo-tg\n  health_check: {interval_seconds: 10, "
                    "healthy_threshold_count: 3}\n")
    lab.lang = "en"
    dns = cloud.elbv2.describe_load_balancers(names=["DemoALB"])[0].dns_name
    assert lab.text(template) == f"{dns} · 3 × 10 s = 30 s on AWS, the clock is paused here"


async def test_progress_survives_a_restart(tmp_path: Path) -> None:
    async with Cloud(make_config(tmp_path)) as cloud:
        lab = session(cloud, "alb-basics")
        await lab.start()
        await lab.solve_step()
        await wait_for_step(cloud, lab, 0)
        lab.hint()
        await lab.close()
    saved = json.loads((tmp_path / "state.d" / "labs.json").read_text("utf-8"))
    assert saved["active"] == "alb-basics" and saved["labs"]["alb-basics"]["step"] == 1

    async with Cloud(make_config(tmp_path)) as cloud:
        assert ProgressStore.for_cloud(cloud).active == "alb-basics"
        lab = session(cloud, "alb-basics")
        assert lab.step_index == 1 and lab.progress.completed == ("launch-instances",)
        assert lab.progress.step_number == 2 and lab.progress.step_count == 9
        assert len(lab.hints_shown) == 1 and lab.progress.elapsed > 0
        await lab.start()
        await wait_for_step(cloud, lab, 1)  # the restored servers serve again
        await lab.close()


def test_a_corrupt_progress_file_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "labs.json"
    path.write_text("{not json", "utf-8")
    store = ProgressStore(path)
    assert store.error is not None and "could not be read" in store.error
    assert store.get("alb-basics").step == 0
