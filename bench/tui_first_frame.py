"""How long until the console's first frame: from a fresh Python process to the EC2 Dashboard painted.

Each run is a new process (cold imports included), the app runs headless at 160x48 with its
cloud started exactly as `lblab` starts it (a state file, the internet edge on a free port).
Prints the median of the runs, split into imports and app start -> first console frame.

    python bench/tui_first_frame.py [--runs 5]
"""

from __future__ import annotations

import argparse
import json
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

app = LblabApp(CloudConfig(state_path=__import__("pathlib").Path(sys.argv[2]), edge_port=0), lang="ko")
marks = {}

async def first_frame(pilot):
    while not (isinstance(app.screen, ConsoleScreen) and app.screen.current_page is not None):
        await pilot.pause(0.001)
    await pilot.pause()  # the frame with the page in it has been composed and rendered
    marks["frame"] = time.perf_counter()
    app.exit()

run_started = time.perf_counter()
app.run(headless=True, size=(160, 48), auto_pilot=first_frame)
print(json.dumps({"imports": imported - started, "app": marks["frame"] - run_started,
                  "total": marks["frame"] - started}))
"""


def one_run(state: Path) -> dict[str, float]:
    out = subprocess.run([sys.executable, "-c", ONE_RUN, str(ROOT), str(state)], check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        state = Path(scratch) / "state.json"
        one_run(state)  # warm the file system cache and write a state file, as a second start would find
        runs = [one_run(state) for _ in range(args.runs)]
    for part in ("imports", "app", "total"):
        values = [run[part] for run in runs]
        print(f"{part:>8}: median {statistics.median(values) * 1000:6.0f} ms   "
              f"(min {min(values) * 1000:.0f}, max {max(values) * 1000:.0f}, {len(values)} runs)")


if __name__ == "__main__":
    main()
