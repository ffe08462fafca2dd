"""Every shipped lab, solved step by step through the engine on a seeded, paused cloud; and a fresh
cloud failing each lab's first step with the diagnosis a learner should see."""

from __future__ import annotations

import pytest

from labs import list_labs
from mock_cloud.cloud import Cloud
from tests.cloud.test_guest_process import until
from tests.support.cloud import boot
from tests.support.labs import session, wait_for_step

SHIPPED = [info.id for info in list_labs() if not info.broken]

# What a learner who has done nothing yet is told at step 1 (after setup, and once instances booted).
FIRST_STEP_CODES = {
    "ec2-web-server": "INSTANCE_MISSING",
    "alb-basics": "INSTANCE_MISSING",
    "health-checks": "PATH_NOT_FOUND",
    "listener-rules": "INSTANCE_MISSING",
    "ssl-termination": "CERT_MISSING",
    "troubleshooting": "INSTANCE_SG_BLOCKS_LB",
}


def test_every_lab_is_shipped_and_covered() -> None:
    assert sorted(SHIPPED) == sorted(FIRST_STEP_CODES)


@pytest.mark.parametrize("lab_id", SHIPPED)
async def test_solving_every_step_passes_every_check(cloud: Cloud, lab_id: str) -> None:
    lab = session(cloud, lab_id)
    await lab.start()
    for index, step in enumerate(lab.lab.steps):
        assert lab.step_index == index and not lab.finished
        solved = await lab.solve_step()
        assert solved.ok, (step.id, solved.error)
        await wait_for_step(cloud, lab, index)
        assert step.id in lab.progress.completed
    assert lab.finished
    assert lab.progress.step_number == lab.progress.step_count == len(lab.lab.steps)
    await lab.close()


@pytest.mark.parametrize("lab_id", SHIPPED)
async def test_a_fresh_cloud_fails_step_one_with_the_right_diagnosis(cloud: Cloud, lab_id: str) -> None:
    lab = session(cloud, lab_id)
    await lab.start()
    await boot(cloud)
    report = await lab.check()
    assert not report.ok and lab.step_index == 0
    codes = [r.code for r in report.failed]
    assert codes[0] == FIRST_STEP_CODES[lab_id], [(r.code, r.message.en) for r in report.failed]
    assert all(r.message.ko and r.message.en for r in report.results)
    await lab.close()


async def test_troubleshooting_checks_show_what_the_console_shows_and_leave_the_fix_to_the_hints(cloud: Cloud) -> None:
    lab = session(cloud, "troubleshooting")
    await lab.start()
    await cloud.clock.advance(60 + 3 * 30)  # provisioning, then two failed checks (each waits its 5 s timeout)
    report = await lab.check()
    [failed] = report.failed
    assert failed.code == "TARGETS_UNHEALTHY_SG_BLOCKS_LB"
    assert failed.message.en == "trouble-web-1: Unhealthy (Target.Timeout), Request timed out"
    assert failed.message.ko == "trouble-web-1의 상태: 비정상(Target.Timeout), 요청 시간이 초과되었습니다"
    assert "trouble-lb-sg" not in failed.label.en + failed.label.ko  # the answer is the third hint's

    await lab.solve_step()  # trouble-web-sg fixed: trouble-web-2 still has the database servers' group
    groups, reach = (await lab.check()).failed
    assert (groups.code, groups.message.en) == ("INSTANCE_GROUPS", "trouble-web-2's security groups: trouble-db-sg.")
    assert groups.message.ko == "trouble-web-2의 보안 그룹: trouble-db-sg."
    assert reach.code == "TARGETS_UNHEALTHY_SG_BLOCKS_LB" and reach.message.en.startswith("trouble-web-2: ")
    assert "trouble-web-sg" not in reach.message.en + reach.message.ko

    await lab.solve_step()  # its groups changed in place: now the health check path is wrong
    await cloud.clock.advance(3 * 30)
    [failed] = (await lab.check()).failed
    assert failed.code == "HEALTH_PATH_404"
    assert failed.message.en == ("trouble-web-1: Unhealthy (Target.ResponseCodeMismatch), Health checks failed with "
                                 "these codes: [404]")
    assert failed.message.ko == ("trouble-web-1의 상태: 비정상(Target.ResponseCodeMismatch), "
                                 "상태 확인이 다음 코드로 실패했습니다: [404]")
    assert "/index.htm" not in failed.message.en + failed.message.ko


async def test_the_failure_drill_waits_for_a_failure_and_a_recovery(cloud: Cloud) -> None:
    lab = session(cloud, "troubleshooting")
    await lab.start()
    drill = next(i for i, step in enumerate(lab.lab.steps) if step.id == "failure-drill")
    for index in range(drill):
        assert (await lab.solve_step()).ok
        await wait_for_step(cloud, lab, index)
    report = await lab.check()
    assert lab.step_index == drill
    assert "NO_FAILURE_SEEN" in [r.code for r in report.failed]  # all healthy, but nothing failed yet
    web_1 = next(i for i in cloud.ec2.describe_instances() if i.name == "trouble-web-1")
    await cloud.ec2.simulate_instance_failure(web_1.instance_id, "kill")
    await until(lambda: web_1.impaired_since is not None)
    [impaired] = [r for r in (await lab.check()).failed if r.id == "recovered"]
    assert impaired.code == "INSTANCE_IMPAIRED"
    assert impaired.message.en == "trouble-web-1: 1/2 checks passed, Instance reachability check failed (impaired)."
    assert "reboot" not in impaired.message.en.lower() and "재부팅" not in impaired.message.ko  # the hints' job
    await cloud.clock.advance(3 * 30)
    health = {row.target_id: (row.state, row.reason) for row in cloud.elbv2.describe_target_health(
        next(g for g in cloud.elbv2.describe_target_groups() if g.name == "trouble-tg").arn)}
    assert health[web_1.instance_id] == ("unhealthy", "Target.FailedHealthChecks")
    assert (await lab.solve_step()).ok  # "show me" from here: the failure already happened, a reboot recovers
    await wait_for_step(cloud, lab, drill)
    assert lab.finished
    await lab.close()
