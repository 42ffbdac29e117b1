"""How fast the takes screen opens and follows the highlight over a shot with 20 done takes.

Draws 20 previz takes of one shot (filmstrip frames made at scoring time, as in real use), then,
in one headless studio (Textual Pilot, 160×48, half-block drawing):
  (a) pushes the takes screen and times it until the table answers a key (and until the first
      take's filmstrip is drawn);
  (b) moves the highlight down across all 20 takes, timing each move until the new take's
      filmstrip is drawn (first visit: PNGs decoded from disk), then back up (cached drawings).
The baseline, measured in the same run, is Textual's own empty App started with run_test until
it answers a key. Goals: ≤ 0.3 s to open, ≤ 50 ms per move.

    .venv/bin/python benchmarks/take_review.py [--takes 20]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

os.environ.setdefault("SHOTCRAFT_PREVIZ_SCALE", "0.5")  # 540×960 takes: strip frames 360×640
os.environ["SHOTCRAFT_IMAGES"] = "halfblock"  # headless: no terminal to show pixels

from textual.app import App  # noqa: E402
from textual.widgets import DataTable  # noqa: E402

from shotcraft.projects import Project  # noqa: E402
from shotcraft.studio.tui.app import make_app  # noqa: E402
from shotcraft.studio.tui.screens.takes import TakesScreen  # noqa: E402
from shotcraft.studio.tui.widgets import Filmstrip  # noqa: E402

SIZE = (160, 48)
SCRIPT = """《千镜》

第1集 初见

1-1 日 内 咖啡馆
人物：林晚、顾言
△林晚推门走进咖啡馆。
顾言：你迟到了。
"""


async def wait(pilot, condition) -> None:  # noqa: ANN001
    deadline = time.perf_counter() + 30
    while not condition():
        if time.perf_counter() > deadline:
            raise TimeoutError("the studio did not answer in 30 s")
        await pilot.pause(0.001)


async def empty_app() -> float:
    started = time.perf_counter()
    async with App().run_test(size=SIZE) as pilot:
        await pilot.press("down")
    return time.perf_counter() - started


async def review(folder: Path, shot: str) -> tuple[float, float, list[float], list[float]]:
    app = make_app(folder)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        started = time.perf_counter()
        await app.push_screen(TakesScreen(shot))
        screen = app.screen
        assert isinstance(screen, TakesScreen)
        table = screen.query_one("#takes", DataTable)
        strip = screen.query_one("#filmstrip", Filmstrip)
        await pilot.press("down")
        await wait(pilot, lambda: table.cursor_row == 1)
        answered = time.perf_counter() - started
        await wait(pilot, lambda: strip.shown is not None and strip.drawn)
        drawn = time.perf_counter() - started
        await pilot.press("up")

        def at(row: int) -> bool:
            return (table.cursor_row == row and strip.drawn
                    and strip.shown == screen.views[row].take.media_path)

        await wait(pilot, lambda: at(0))
        down, up = [], []
        for row in range(1, len(screen.views)):
            moved = time.perf_counter()
            await pilot.press("down")
            await wait(pilot, lambda row=row: at(row))
            down.append(time.perf_counter() - moved)
        for row in range(len(screen.views) - 2, -1, -1):
            moved = time.perf_counter()
            await pilot.press("up")
            await wait(pilot, lambda row=row: at(row))
            up.append(time.perf_counter() - moved)
    return answered, drawn, down, up


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--takes", type=int, default=20)
    args, _ = parser.parse_known_args()
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "bench.txt"
        script.write_text(SCRIPT, encoding="utf-8")
        project = Project.create(Path(tmp) / "bench", title="bench")
        project.import_script(script)
        shot = project.shots()[0].id
        started = time.perf_counter()
        project.render(shot_ids=[shot], takes=args.takes)
        print(f"drew {args.takes} previz takes of {shot} in {time.perf_counter() - started:.1f} s")
        project.close()
        baseline = asyncio.run(empty_app())
        answered, drawn, down, up = asyncio.run(review(Path(tmp) / "bench", shot))
    print(f"Textual empty App run_test → key answered (baseline): {baseline:.3f} s")
    print(f"takes screen open → key answered: {answered:.3f} s (goal ≤ 0.3 s); "
          f"ratio {answered / baseline:.2f}× the empty app")
    print(f"takes screen open → first filmstrip drawn: {drawn:.3f} s")
    print(f"move down, first visit (PNGs decoded): median {statistics.median(down) * 1000:.1f} ms,"
          f" worst {max(down) * 1000:.1f} ms over {len(down)} moves (goal ≤ 50 ms)")
    print(f"move up, cached: median {statistics.median(up) * 1000:.1f} ms,"
          f" worst {max(up) * 1000:.1f} ms over {len(up)} moves")


if __name__ == "__main__":
    main()
