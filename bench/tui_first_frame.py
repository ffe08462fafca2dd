"""How long until the console's first frame: from a fresh Python process to the EC2 Dashboard painted.

Each run is a new process (cold imports included), the app runs headless at 160x48 with its
cloud started exactly as `lblab` starts it (a state file; the internet edge and the AWS API on
free ports).
Prints the median of the runs, split into imports and app start -> first console frame (the first
frame Textual renders of the console with its page in it). `settled` is from process start until
the screens pushed at start are up as well: a learner with no lab open (as here) gets the lab
picker over the console, which loads every lab file first.

Python's bytecode cache is on, in the scratch directory (PYTHONPYCACHEPREFIX), filled by a first
run: every later run finds compiled modules, as the second start of an installed lblab does.
`--no-bytecode-cache` runs with the environment as it is instead; with PYTHONDONTWRITEBYTECODE=1
(set in the dev containers) and no __pycache__ in the checkout, every run then compiles lblab's
own modules from source, ~0.1 s more (earlier figures were taken that way).

    python bench/tui_first_frame.py [--runs 5] [--no-bytecode-cache]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

ONE_RUN = r"""
import json, sys, time
started = time.perf_counter()
sys.path.insert(0, sys.argv[1])
from mock_cloud.cloud import CloudConfig
from tui.app import LblabApp
from tui.screens.console import ConsoleScreen
imported = time.perf_counter()

app = LblabApp(CloudConfig(state_path=__import__("pathlib").Path(sys.argv[2]), edge_port=0), lang="ko",
               api_port=0)
marks = {}
display = app._display

def timed_display(screen, renderable):
    # Where Textual hands each frame to the terminal (a headless app renders it, then drops it).
    if renderable is not None and "frame" not in marks and isinstance(screen, ConsoleScreen) \
            and screen.current_page is not None:
        marks["frame"] = time.perf_counter()
    display(screen, renderable)

app._display = timed_display


async def settled(pilot):
    # Runs once the app has started, the screens pushed at start (a lab picker) included.
    while "frame" not in marks:
        await pilot.pause(0.001)
    await pilot.pause()
    marks["settled"] = time.perf_counter()
    app.exit()

run_started = time.perf_counter()
app.run(headless=True, size=(160, 48), auto_pilot=settled)
print(json.dumps({"imports": imported - started, "app": marks["frame"] - run_started,
                  "total": marks["frame"] - started, "settled": marks["settled"] - started}))
"""


def one_run(state: Path, env: dict[str, str]) -> dict[str, float]:
    out = subprocess.run([sys.executable, "-c", ONE_RUN, str(ROOT), str(state)], check=True,
                         capture_output=True, text=True, timeout=60, env=env).stdout
    return json.loads(out.strip().splitlines()[-1])


def bytecode_env(scratch: Path, use_cache: bool = True) -> dict[str, str]:
    """The environment for a timed lblab: Python's bytecode cache on, in `scratch` (see above)."""
    env = dict(os.environ)
    if use_cache:
        env["PYTHONPYCACHEPREFIX"] = str(scratch / "pycache")
        env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-bytecode-cache", action="store_true",
                        help="run with the environment as it is (see above)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        state = Path(scratch) / "state.json"
        env = bytecode_env(Path(scratch), not args.no_bytecode_cache)
        # Warms the file system cache (and the bytecode cache) and writes a state file, as a second start would find.
        one_run(state, env)
        runs = [one_run(state, env) for _ in range(args.runs)]
    for part in ("imports", "app", "total", "settled"):
        values = [run[part] for run in runs]
        print(f"{part:>8}: median {statistics.median(values) * 1000:6.0f} ms   "
              f"(min {min(values) * 1000:.0f}, max {max(values) * 1000:.0f}, {len(values)} runs)")


if __name__ == "__main__":
    main()
