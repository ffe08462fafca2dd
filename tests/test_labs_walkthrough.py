"""Every shipped lab, solved step by step through the engine on a seeded, paused cloud; and a fresh
cloud failing each lab's first step with the diagnosis a learner should see."""

from __future__ import annotations

import pytest

from labs import list_labs
from mock_cloud.cloud import Cloud
from tests.conftest import boot
from tests.test_labs_support import session, wait_for_step

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


async def test_troubleshooting_names_the_security_group_once_checks_time_out(cloud: Cloud) -> None:
    lab = session(cloud, "troubleshooting")
    await lab.start()
    await cloud.clock.advance(60 + 3 * 30)  # provisioning, then two failed checks (each waits its 5 s timeout)
    report = await lab.check()
    assert report.failed[0].code == "TARGETS_UNHEALTHY_SG_BLOCKS_LB"
    assert "trouble-lb-sg" in report.failed[0].message.en and "trouble-web-sg" in report.failed[0].message.ko
