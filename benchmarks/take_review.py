"""How fast the takes screen opens and follows the highlight over a shot with 20 done takes.

Draws 20 previz takes of one shot (filmstrip frames made at scoring time, as in real use), then,
in one headless studio (Textual Pilot, 160×48, half-block drawing):
  (a) pushes the takes screen and times it until the table answers a key (and until the first
      take's filmstrip is drawn);
  (b) moves the highlight down across all 20 takes, timing each move until the new take's
      filmstrip is drawn (first visit: PNGs decoded from disk), then back up (cached drawings).
The baseline, measured in the same run, is Textual's own empty App started with run_test until
it answers a key. Goals: ≤ 0.3 s to open, ≤ 50 ms per move.

Keys are posted to the app as a terminal driver posts them, and the clock stops as soon as the
screen shows their effect. `Pilot.press` is not used for timing: it sleeps in 20 ms slices until
the process looks idle (textual/_wait.py), about 60 ms a key even on an empty DataTable, which
would swamp what the screen itself costs. That harness cost is printed too, for comparison.

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
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

os.environ.setdefault("SHOTCRAFT_PREVIZ_SCALE", "0.5")  # 540×960 takes: strip frames 360×640
os.environ["SHOTCRAFT_IMAGES"] = "halfblock"  # headless: no terminal to show pixels

from textual import events  # noqa: E402
from textual.app import App  # noqa: E402
from textual.widgets import DataTable  # noqa: E402

from shotcraft.projects import Project  # noqa: E402
from shotcraft.projects.draw import Draw
from shotcraft.studio.tui.app import make_app  # noqa: E402
from shotcraft.studio.tui.screens.takes import TakesScreen  # noqa: E402
from shotcraft.studio.tui.widgets import Filmstrip  # noqa: E402
from shotcraft.studio.tui.widgets import filmstrip as filmstrip_widget  # noqa: E402

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
        await asyncio.sleep(0.0005)


class Painted:
    """The first screen update (Textual's `_display`, called headless too) written while a
    condition holds: the moment a key's effect is on the screen."""

    def __init__(self, app: App) -> None:
        self.condition: Callable[[], bool] = lambda: False
        self.done: float | None = None
        original = app._display

        def display(screen, renderable) -> None:  # noqa: ANN001
            original(screen, renderable)
            if renderable is not None and self.done is None and self.condition():
                self.done = time.perf_counter()

        app._display = display  # type: ignore[method-assign]

    def expect(self, condition: Callable[[], bool]) -> None:
        """Watch for `condition` to be painted (call before posting the key)."""
        self.condition, self.done = condition, None

    async def shown(self, pilot) -> float:  # noqa: ANN001
        await wait(pilot, lambda: self.done is not None)
        assert self.done is not None
        return self.done


def post_key(app: App, key: str) -> None:
    """The key as the terminal driver delivers it (no Pilot idle-wait around it)."""
    app.post_message(events.Key(key, None))


class _Table(App):
    """Textual's own DataTable of 20 rows: what any highlight move costs before shotcraft."""

    def compose(self):  # noqa: ANN201
        yield DataTable(cursor_type="row")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns(*"abcdefghi")
        for row in range(20):
            table.add_row(*[str(row)] * 9)
        table.focus()


async def empty_app() -> float:
    """Textual's empty App: run_test start-up until a key is answered."""
    answered = []

    class Empty(App):
        def on_key(self) -> None:
            answered.append(True)

    started = time.perf_counter()
    async with Empty().run_test(size=SIZE) as pilot:
        post_key(pilot.app, "down")
        await wait(pilot, lambda: bool(answered))
        elapsed = time.perf_counter() - started
    return elapsed


async def table_moves() -> tuple[list[float], list[float]]:
    """Per-move cost on a bare DataTable: by posted key, and by Pilot.press (the harness)."""
    app = _Table()
    painted = Painted(app)
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one(DataTable)
        await pilot.pause()
        posted, pressed = [], []
        for row in range(1, 20):
            painted.expect(lambda row=row: table.cursor_row == row)
            moved = time.perf_counter()
            post_key(app, "down")
            posted.append(await painted.shown(pilot) - moved)
        for _row in range(18, -1, -1):
            moved = time.perf_counter()
            await pilot.press("up")
            pressed.append(time.perf_counter() - moved)
    return posted, pressed


LOOK = 0.25  # seconds a director looks at a take before moving on (the second pass)


def forget_frames() -> None:
    """Empty the studio's decoded-frame and drawing caches: every take a first visit again."""
    filmstrip_widget._strips = filmstrip_widget._LRU(filmstrip_widget.CACHE_TAKES)
    filmstrip_widget._drawings = filmstrip_widget._LRU(filmstrip_widget.CACHE_TAKES * 3)


async def review(folder: Path, shot: str, look: float = 0.0,
                 ) -> tuple[float, float, list[float], list[float]]:
    forget_frames()
    app = make_app(folder)
    painted = Painted(app)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        started = time.perf_counter()
        await app.push_screen(TakesScreen(shot))
        screen = app.screen
        assert isinstance(screen, TakesScreen)
        table = screen.query_one("#takes", DataTable)
        strip = screen.query_one("#filmstrip", Filmstrip)

        def at(row: int) -> bool:
            return (table.cursor_row == row and strip.drawn
                    and strip.shown == screen.views[row].take.media_path)

        painted.expect(lambda: table.cursor_row == 1)
        post_key(app, "down")
        answered = await painted.shown(pilot) - started
        painted.expect(lambda: at(1))
        drawn = await painted.shown(pilot) - started
        painted.expect(lambda: at(0))
        post_key(app, "up")
        await painted.shown(pilot)
        down, up = [], []
        for row in range(1, len(screen.views)):
            await asyncio.sleep(look)
            painted.expect(lambda row=row: at(row))
            moved = time.perf_counter()
            post_key(app, "down")
            down.append(await painted.shown(pilot) - moved)
        for row in range(len(screen.views) - 2, -1, -1):
            painted.expect(lambda row=row: at(row))
            moved = time.perf_counter()
            post_key(app, "up")
            up.append(await painted.shown(pilot) - moved)
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
        project.draw(Draw(shots=[shot], takes=args.takes))
        print(f"drew {args.takes} previz takes of {shot} in {time.perf_counter() - started:.1f} s")
        project.close()
        baseline = asyncio.run(empty_app())
        table_posted, table_pressed = asyncio.run(table_moves())
        answered, drawn, down, up = asyncio.run(review(Path(tmp) / "bench", shot))
        *_, looked, _ = asyncio.run(review(Path(tmp) / "bench", shot, LOOK))
    print(f"Textual empty App run_test → key answered (baseline): {baseline:.3f} s")
    print(f"takes screen open → key answered: {answered:.3f} s (goal ≤ 0.3 s); "
          f"ratio {answered / baseline:.2f}× the empty app")
    print(f"takes screen open → first filmstrip drawn: {drawn:.3f} s")
    print(f"move down, first visit (PNGs decoded): median {statistics.median(down) * 1000:.1f} ms,"
          f" worst {max(down) * 1000:.1f} ms over {len(down)} moves (goal ≤ 50 ms)")
    print(f"move down, first visit after looking {LOOK:g} s at each take (the neighbours' frames "
          f"load meanwhile): median {statistics.median(looked) * 1000:.1f} ms, worst "
          f"{max(looked) * 1000:.1f} ms")
    print(f"move up, cached: median {statistics.median(up) * 1000:.1f} ms,"
          f" worst {max(up) * 1000:.1f} ms over {len(up)} moves")
    bare = statistics.median(table_posted)
    print(f"bare Textual DataTable move (baseline): median {bare * 1000:.1f} ms; takes-screen "
          f"move {statistics.median(down) / bare:.2f}× (first visit), "
          f"{statistics.median(up) / bare:.2f}× (cached)")
    print(f"for comparison, Pilot.press on the bare DataTable (harness idle-waits): median "
          f"{statistics.median(table_pressed) * 1000:.1f} ms a key")


if __name__ == "__main__":
    main()
