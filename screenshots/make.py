"""Regenerate the guided-lab screenshots in this folder: the lab picker, and the key moments of the
`alb-basics` lab, walked through the console by the same learner as its snapshot test.

    python screenshots/make.py        # SVGs; PNGs too when rsvg-convert is installed

The cloud is seeded and paused, so IDs, addresses and DNS names are the same every run; only the
Browser's response times change. See README.md beside this file.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE)]

from make_screenshots import to_png  # noqa: E402

from tests.support.learner import Learner, lab_app, steady_texts, walk_alb_basics  # noqa: E402

SIZE = (160, 46)
# The walkthrough's moments kept, per language: (moment, file name).
ALB_MOMENTS = {
    "en": (
        ("2-instances-running", "alb-basics-1-instances-running"),
        ("6-load-balancer-active", "alb-basics-2-load-balancer-active"),
        ("7-targets-healthy", "alb-basics-3-targets-healthy"),
        ("7-browser-alternating", "alb-basics-4-browser-alternating"),
        ("8-one-stopped", "alb-basics-5-one-stopped"),
        ("8-traffic-on-the-survivor", "alb-basics-6-traffic-on-the-survivor"),
    ),
    "ko": (
        ("2-instances-running", "alb-basics-ko-1-instances-running"),
        ("7-targets-healthy", "alb-basics-ko-3-targets-healthy"),
    ),
}


def save(name: str, svg: str) -> None:
    path = HERE / f"{name}.svg"
    path.write_text(svg, encoding="utf-8")
    to_png(path)
    print(path.relative_to(HERE.parent))


async def alb_basics(lang: str) -> None:
    kept = dict(ALB_MOMENTS[lang])

    async def moment(name: str, svg: str, steady: bool) -> None:
        if name in kept:
            save(kept[name], svg)

    with tempfile.TemporaryDirectory() as state:
        app = lab_app(Path(state), lang, "alb-basics")
        async with app.run_test(size=SIZE) as pilot:
            learner = Learner(pilot, moment)
            await learner.start()
            await walk_alb_basics(learner)


async def picker(lang: str) -> None:
    with tempfile.TemporaryDirectory() as state:
        app = lab_app(Path(state), lang)
        async with app.run_test(size=SIZE) as pilot:
            learner = Learner(pilot)
            await learner.start()  # a learner starting afresh chooses a lab
            save(f"lab-picker-{lang}", await learner.picture())


async def main() -> None:
    with steady_texts():
        for lang in ("en", "ko"):
            await picker(lang)
            await alb_basics(lang)


if __name__ == "__main__":
    asyncio.run(main())
