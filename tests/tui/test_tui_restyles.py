"""Styling is most of what a console screen costs to build (Textual applies the stylesheet to a widget when it
is mounted, and to it and its whole subtree again whenever one of its classes or its focus changes). Work
that no frame ever shows is not done."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterable

from textual.dom import DOMNode
from textual.screen import Screen
from textual.widgets import Button

import tui.screens
from tests.support.tui import SIZE, demo_app
from tui.app import LblabApp
from tui.screens.ec2.launch_wizard import LaunchWizardScreen


def restyled(app: LblabApp) -> list[DOMNode]:
    """Every node the app's stylesheet is applied to again from now on (not the first styling at mount)."""
    nodes: list[DOMNode] = []
    update_nodes = app.stylesheet.update_nodes

    def noted(batch: Iterable[DOMNode], animate: bool = False) -> None:
        batch = list(batch)
        nodes.extend(batch)
        update_nodes(batch, animate)

    app.stylesheet.update_nodes = noted  # type: ignore[method-assign]
    return nodes


async def test_a_widget_made_while_the_console_runs_is_styled_when_it_is_mounted() -> None:
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        styled = restyled(app)
        primary = Button("Launch instance", variant="primary")  # its constructor sets its variant's classes
        assert primary not in styled
        plain = Button("Cancel")
        await app.screen.mount(primary, plain)
        await pilot.pause()
        assert primary.has_class("-primary") and primary.styles.background != plain.styles.background


async def test_the_launch_wizard_gives_the_name_the_focus_without_styling_its_form_again() -> None:
    app = demo_app(first_page="instances")
    async with app.run_test(size=SIZE) as pilot:
        styled = restyled(app)
        await pilot.press("l")
        wizard = app.screen
        assert isinstance(wizard, LaunchWizardScreen) and wizard.focused is wizard.query_one("#name")
        form = wizard.query_one("#wizard-form")
        assert form not in styled, "the form was focused first, and its ~70 widgets styled twice more"


def test_no_screen_brings_a_stylesheet_of_its_own() -> None:
    """Textual parses every stylesheet again and restyles the whole console when a screen with its own CSS first
    opens: the app reads them all at start (LblabApp.CSS_PATH)."""
    for module in pkgutil.walk_packages(tui.screens.__path__, "tui.screens."):
        importlib.import_module(module.name)
    screens = [cls for cls in _subclasses(Screen) if cls.__module__.startswith("tui.")]
    assert len(screens) > 20
    assert [cls.__name__ for cls in screens if cls.CSS_PATH or cls.CSS] == []


def _subclasses(cls: type) -> list[type]:
    return [sub for direct in cls.__subclasses__() for sub in [direct, *_subclasses(direct)]]
