"""Stylesheets parsed once per test process, not once per console.

Textual parses every stylesheet an app uses (the console's .tcss files, each widget class's DEFAULT_CSS) anew for
each app: some 7 000 tokens, about a tenth of the CPU of starting a console under Pilot, and a test process starts
dozens of consoles. What a stylesheet parses to depends only on its text, where it was read from, its scope, its
tie-breaker and the theme's variables, and Textual never changes the rules it parsed, so rules parsed for one app
serve the next. The console's own start-up parses as it always does.
"""

from __future__ import annotations

from textual.css.model import RuleSet
from textual.css.stylesheet import Stylesheet
from textual.css.types import CSSLocation

_parse = Stylesheet._parse_rules
_parsed: dict[tuple[object, ...], list[RuleSet]] = {}


def _parse_once(self: Stylesheet, css: str, read_from: CSSLocation, is_default_rules: bool = False,
                tie_breaker: int = 0, scope: str = "") -> list[RuleSet]:
    key = (css, read_from, is_default_rules, tie_breaker, scope, tuple(self._variables.items()))
    rules = _parsed.get(key)
    if rules is None:
        rules = _parsed[key] = _parse(self, css, read_from, is_default_rules, tie_breaker, scope)
    return rules


def install() -> None:
    Stylesheet._parse_rules = _parse_once  # type: ignore[method-assign]
