"""The `lblab` command's start-up (`draw_first`): Textual writes no frame while the app's on_mount runs, so the
console's first frame must come out before the slow part of the start: the cloud resuming (a guest process per
running instance, the listeners, the health checks) and the lab opening (its engine, its Markdown)."""

from __future__ import annotations

from pathlib import Path

from rich.console import RenderableType
from textual.screen import Screen

from mock_cloud import Cloud
from tests.support.cloud import boot, make_config
from tests.support.frames import painted
from tests.support.learner import SIZE, Learner
from tests.support.tui import wait_for
from tui.app import LblabApp
from tui.screens.console import ConsoleScreen
from tui.widgets.lab_panel import LabPanel
from tui.widgets.lab_state import open_lab_of


async def _one_running_instance(tmp_path: Path) -> str:
    """A saved cloud with a web server that was running when its console last closed."""
    async with Cloud(make_config(tmp_path)) as cloud:
        [instance] = await cloud.ec2.run_instances(name="web-server-1")
        await boot(cloud)
        assert instance.state == "running"
        return instance.instance_id


async def test_the_first_frame_is_written_before_the_cloud_resumes_and_the_lab_opens(tmp_path: Path) -> None:
    instance_id = await _one_running_instance(tmp_path)
    app = LblabApp(make_config(tmp_path), lang="en", lab_id="alb-basics", draw_first=True)
    written: list[tuple[bool, bool, str]] = []  # per console frame written: lab open, cloud resumed, instance state
    resumed = False
    resume, display = app.cloud.resume, app._display

    async def resume_noted() -> None:
        nonlocal resumed
        resumed = True
        await resume()

    def noted(screen: Screen[object], renderable: RenderableType | None) -> None:
        # Textual drops a frame rendered while updates are batched (on_mount runs in a batch): only the others count.
        if renderable is not None and not app._batch_count and isinstance(screen, ConsoleScreen) \
                and screen.current_page is not None:
            written.append((open_lab_of(app) is not None, resumed, app.cloud.ec2.instances[instance_id].state))
        display(screen, renderable)

    app.cloud.resume = resume_noted  # type: ignore[method-assign]
    app._display = noted  # type: ignore[method-assign]
    with painted():
        async with app.run_test(size=SIZE) as pilot:
            learner = Learner(pilot)
            await wait_for(pilot, lambda: open_lab_of(app) is not None)
            await learner.idle()
            # The first frame showed the cloud as it was saved, before any of it was resumed or the lab opened...
            assert written[0] == (False, False, "running")
            # ...and then everything came up as it does without draw_first.
            assert resumed and learner.session.lab.id == "alb-basics"
            assert app.screen.query_one(LabPanel).display
            assert app.cloud.ec2.instances[instance_id].state == "running"
