"""How long `shotcraft render` takes to stop on SIGTERM, against how long one take takes to draw.

Makes a project from the test script, starts `render --episode 1 --takes 3` (previz) in its own
process, sends SIGTERM once a take has been drawn and another is drawing, and times the exit;
the baseline, in the same run, is the mean seconds per take of an uninterrupted one-shot draw.
Goal: the stop within 5 s, about a take's time (the engines stop at their next check, a take
being scored is the most it waits for), with every interrupted take back in the queue.

    .venv/bin/python benchmarks/stop_render.py [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

from tests.projects.conftest import write_script  # noqa: E402

ENV = {**os.environ, "SHOTCRAFT_PREVIZ_SCALE": "0.25"}


def shotcraft(*args: object) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "shotcraft.studio.cli", *map(str, args)],  # noqa: S603
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV)


def statuses(folder: Path) -> list[str]:
    with sqlite3.connect(folder / "shotcraft.db") as db:
        return [row[0] for row in db.execute("SELECT status FROM take")]


def fresh(base: Path, name: str) -> Path:
    folder = base / name
    for command in (("new", folder), ("import", folder, write_script(base))):
        done = shotcraft(*command)
        done.communicate()
        assert done.returncode == 0
    return folder


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    args, _ = parser.parse_known_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        baseline_dir = fresh(base, "baseline")
        started = time.monotonic()
        draw = shotcraft("render", baseline_dir, "--shot", "E01-S01-001", "--takes", "3")
        draw.communicate()
        per_take = (time.monotonic() - started) / 3
        stops = []
        for run in range(args.runs):
            folder = fresh(base, f"run{run}")
            proc = shotcraft("render", folder, "--episode", "1", "--takes", "3")
            while "done" not in statuses(folder) or "running" not in statuses(folder):
                time.sleep(0.02)
            proc.send_signal(signal.SIGTERM)
            sent = time.monotonic()
            proc.communicate()
            stops.append(time.monotonic() - sent)
            left = statuses(folder)
            assert proc.returncode == 128 + signal.SIGTERM and "running" not in left, left
    worst = max(stops)
    print(f"one take (with its start-up share): {per_take:.2f} s")
    print(f"SIGTERM to exit: {', '.join(f'{s:.2f}' for s in stops)} s; worst {worst:.2f} s "
          f"= {worst / per_take:.2f}× a take (goal: ≤ 5 s)")


if __name__ == "__main__":
    main()
