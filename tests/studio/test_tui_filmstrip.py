"""The takes screen's filmstrip and compare mode, driven with Textual's Pilot."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from contextlib import closing
from pathlib import Path

import pytest
from rich.segment import Segment
from rich.text import Text
from textual.widgets import DataTable, Label

from shotcraft.projects import Project
from shotcraft.shots.ffmpeg import ffmpeg_binary
from shotcraft.studio.tui.app import make_app
from shotcraft.studio.tui.screens.compare import CompareScreen
from shotcraft.studio.tui.screens.takes import TakesScreen
from shotcraft.studio.tui.widgets import Filmstrip, images
from shotcraft.studio.tui.widgets import filmstrip as filmstrip_widget
from shotcraft.studio.tui.widgets.filmstrip import HalfBlockPicture
from tests.projects.conftest import write_script
from tests.studio.conftest import invoke
from tests.studio.test_tui_studio import wait_for

SIZE = (160, 48)
SHOT = "E01-S01-001"
REASON = "face melts [b]here[/] and [/]"


def clip(path: Path, *sources: str) -> Path:
    """A 30-frame clip at 10 fps joining lavfi sources of 1 s each."""
    inputs: list[str] = []
    for source in sources:
        sep = "" if source.endswith("=") else ":"
        inputs += ["-f", "lavfi", "-i", f"{source}{sep}s=96x64:r=10:d=1"]
    joined = "".join(f"[{i}:v]" for i in range(len(sources)))
    subprocess.run([ffmpeg_binary(), "-v", "error", "-y", *inputs, "-filter_complex",
                    f"{joined}concat=n={len(sources)}:v=1:a=0[v]", "-map", "[v]",
                    "-c:v", "libx264", "-pix_fmt", "yuv420p", "-g", "1", str(path)], check=True)
    return path


@pytest.fixture(autouse=True)
def fresh_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test chooses its drawing mode afresh (the studio keeps it per process)."""
    monkeypatch.setattr(images, "_resolved", None)
    monkeypatch.setenv("SHOTCRAFT_IMAGES", "halfblock")


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One shot with three takes: red→green→blue, a test pattern, and a flat grey clip."""
    tmp_path = tmp_path_factory.mktemp("filmstrip")
    project = Project.create(tmp_path / "proj", title="测试")
    project.import_script(write_script(tmp_path))
    project.add_take(SHOT, clip(tmp_path / "rgb.mp4", "color=c=red", "color=c=lime",
                                "color=c=blue"))
    project.add_take(SHOT, clip(tmp_path / "bars.mp4", "testsrc=", "testsrc=", "testsrc="))
    project.add_take(SHOT, clip(tmp_path / "grey.mp4", "color=c=gray", "color=c=gray",
                                "color=c=gray"))
    project.close()
    return tmp_path / "proj"


@pytest.fixture
def project_dir(template: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(template, tmp_path / "proj"))


def centre_colour(picture: HalfBlockPicture) -> tuple[int, int, int]:
    """The top pixel colour of the middle cell of a half-block picture ((-1, -1, -1) if none)."""
    lines = picture._lines
    if not lines:
        return (-1, -1, -1)
    line = lines[len(lines) // 2]
    segment: Segment = line[len(line) // 2]
    assert segment.style is not None and segment.style.color is not None
    triplet = segment.style.color.triplet
    assert triplet is not None
    return triplet.red, triplet.green, triplet.blue


def is_grey(rgb: tuple[int, int, int]) -> bool:
    return min(rgb) > 60 and max(rgb) - min(rgb) < 12


def dominant(rgb: tuple[int, int, int]) -> str:
    return max(zip(rgb, ("red", "green", "blue"), strict=True))[1]


async def open_takes(app, pilot) -> TakesScreen:  # noqa: ANN001
    await app.push_screen(TakesScreen(SHOT))
    await pilot.pause()
    screen = app.screen
    assert isinstance(screen, TakesScreen)
    return screen


def move_to(screen: TakesScreen, number: int) -> None:
    row = [v.take.number for v in screen.views].index(number)
    screen.query_one("#takes", DataTable).move_cursor(row=row)


def showing(screen: TakesScreen, strip: Filmstrip, number: int) -> bool:
    """Whether the filmstrip has drawn take `number` (the highlight moves by a message: until
    it lands, the previously highlighted take is still the one drawn)."""
    (view,) = [v for v in screen.views if v.take.number == number]
    return strip.drawn and strip.shown == view.take.media_path


async def test_filmstrip_shows_first_middle_and_last_frames_in_half_blocks(
        project_dir: Path) -> None:
    app = make_app(project_dir)
    async with app.run_test(size=SIZE) as pilot:
        takes = await open_takes(app, pilot)
        move_to(takes, 1)
        strip = takes.query_one("#filmstrip", Filmstrip)
        await wait_for(pilot, lambda: showing(takes, strip, 1), timeout=10)
        await pilot.pause()
        assert "halfblock" in str(strip.border_title)
        labels = [cell.caption for cell in strip.cells]
        assert labels == ["first · 0.00 s", "middle · 1.40 s", "last · 2.90 s"]
        colours = [dominant(centre_colour(cell.picture)) for cell in strip.cells]
        assert colours == ["red", "green", "blue"]
        # side by side while the pane is wide: the three cells share one row
        assert len({cell.region.y for cell in strip.cells}) == 1

        move_to(takes, 3)  # grey: the drawing follows the highlight
        await wait_for(pilot, lambda: is_grey(centre_colour(strip.cells[0].picture)), timeout=10)


async def test_resting_on_a_take_loads_its_neighbours_frames_ahead(project_dir: Path) -> None:
    """The next and previous takes' frames are decoded (and drawn) while the director looks at
    one, so moving on shows them at once instead of "loading…"."""
    filmstrip_widget._strips = filmstrip_widget._LRU(filmstrip_widget.CACHE_TAKES)  # cold
    app = make_app(project_dir)
    async with app.run_test(size=SIZE) as pilot:
        takes = await open_takes(app, pilot)
        strip = takes.query_one("#filmstrip", Filmstrip)
        first = takes.views[0].take
        await wait_for(pilot, lambda: strip.drawn and strip.shown == first.media_path, timeout=20)
        others = [v.take for v in takes.views[1:]]  # never highlighted yet
        await wait_for(pilot, lambda: all(filmstrip_widget.cached_strip(app.project, t)
                                          for t in others), timeout=20)
        takes.query_one("#takes", DataTable).move_cursor(row=1)
        await pilot.pause()
        # drawn in the same step as the move: no worker, no "loading…" in between
        assert strip.drawn and strip.shown == others[0].media_path


async def test_an_older_take_gets_its_filmstrip_made_in_the_background(
        project_dir: Path) -> None:
    frames = project_dir / "media" / "frames"
    for png in frames.glob("*-strip-*.png"):
        png.unlink()  # as if scored before filmstrips existed
    app = make_app(project_dir)
    async with app.run_test(size=SIZE) as pilot:
        takes = await open_takes(app, pilot)
        move_to(takes, 1)
        strip = takes.query_one("#filmstrip", Filmstrip)
        await wait_for(pilot, lambda: showing(takes, strip, 1), timeout=20)
        await pilot.pause()
        assert [dominant(centre_colour(c.picture)) for c in strip.cells] == [
            "red", "green", "blue"]
    assert len(list(frames.glob("*-strip-*.png"))) >= 3  # kept for the next time


async def test_compare_marks_a_and_b_shows_every_metric_and_picks(project_dir: Path) -> None:
    app = make_app(project_dir)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        takes = await open_takes(app, pilot)
        move_to(takes, 1)
        await pilot.press("a")
        await pilot.press("b")  # the same take again: said, not compared with itself
        await pilot.pause()
        assert app.screen is takes
        assert any("already A" in n.message for n in app._notifications)

        move_to(takes, 2)
        await pilot.press("b")
        await pilot.pause()
        compare = app.screen
        assert isinstance(compare, CompareScreen)
        views = {v.take.number: v.take for v in app.project.takes(SHOT)}
        a, b = views[1], views[2]
        table = compare.query_one("#compare-metrics", DataTable)
        rows = {str(key.value): [cell.plain for cell in table.get_row(key)]
                for key in table.rows}
        for metric in a.scores:
            assert rows[metric][1:3] == [f"{a.scores[metric]:.2f}", f"{b.scores[metric]:.2f}"]
            delta = b.scores[metric] - a.scores[metric]
            assert float(rows[metric][3]) == pytest.approx(delta, abs=0.006)
        assert rows["total"][1:3] == [f"{a.score:.2f}", f"{b.score:.2f}"]
        assert rows["engine"][1:3] == ["import", "import"]
        # green where B is better, red where worse
        for metric in a.scores:
            cell = table.get_row(metric)[3]
            gap = b.scores[metric] - a.scores[metric]
            if abs(gap) >= 0.01:
                assert (cell.style == "green") == (gap > 0)
        await wait_for(pilot, lambda: compare.query_one("#strip-a", Filmstrip).drawn
                       and compare.query_one("#strip-b", Filmstrip).drawn, timeout=10)

        await pilot.press("s")  # swap: B is take 1 now
        await pilot.pause()
        assert "B · take 1" in str(compare.query_one("#title-b", Label).render())
        await pilot.press("B")
        await pilot.pause()
        assert app.project.shot(SHOT).picked_take == 1
        assert "★ picked" in str(compare.query_one("#title-b", Label).render())
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is takes
        assert [v.picked for v in takes.views if v.take.number == 1] == [True]


async def test_compare_shows_a_take_reason_literally(project_dir: Path) -> None:
    project = Project.open(project_dir)
    project.reject(SHOT, 2, "hands")
    project.close()
    with closing(sqlite3.connect(project_dir / "shotcraft.db")) as db, db:
        db.execute("UPDATE take SET reason=? WHERE shot_id=? AND number=2", (REASON, SHOT))
    app = make_app(project_dir)
    async with app.run_test(size=SIZE) as pilot:
        takes = await open_takes(app, pilot)
        move_to(takes, 1)
        await pilot.press("a")
        move_to(takes, 2)
        await pilot.press("b")
        await pilot.pause()
        table = app.screen.query_one("#compare-metrics", DataTable)
        cells = table.get_row("reason")
        assert all(isinstance(cell, Text) for cell in cells)
        assert cells[2].plain == REASON
        assert [cell.plain for cell in table.get_row("rejected for")][1:3] == ["·", "hands"]


def test_an_unknown_image_mode_is_one_sentence(project_dir: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOTCRAFT_IMAGES", "hologram")
    result = invoke("board", project_dir)
    assert result.exit_code == 1
    assert "SHOTCRAFT_IMAGES is 'hologram'; it must be one of auto, kitty, sixel, iterm, " \
           "halfblock." in result.output


def test_modes_resolve_as_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOTCRAFT_IMAGES", "iterm")
    mode = images.resolve_mode()
    assert mode.name == "halfblock" and "iTerm2" in mode.why
    monkeypatch.setattr(images, "_resolved", None)
    monkeypatch.setenv("SHOTCRAFT_IMAGES", "auto")
    assert images.resolve_mode(headless=True).name == "halfblock"
    assert images._resolved is None  # a headless answer is never kept for a real run


async def test_kitty_mode_draws_real_pixels_in_the_frames_shape(
        project_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from textual_image.widget import TGPImage

    monkeypatch.setenv("SHOTCRAFT_IMAGES", "kitty")
    app = make_app(project_dir)
    async with app.run_test(size=SIZE) as pilot:
        takes = await open_takes(app, pilot)
        move_to(takes, 1)
        strip = takes.query_one("#filmstrip", Filmstrip)
        await wait_for(pilot, lambda: showing(takes, strip, 1), timeout=10)
        await pilot.pause()
        assert str(strip.border_title) == "filmstrip · kitty"
        cell_w, cell_h = images.cell_pixels()
        for cell in strip.cells:
            assert isinstance(cell.picture, TGPImage)
            assert cell.picture.image.size == (96, 64)  # the take's own pixels, not half blocks
            width, height = cell.picture.size
            # 96×64 frames keep their 3:2 shape in the cell, however large the cells' pixels
            assert width * cell_w / (height * cell_h) == pytest.approx(1.5, rel=0.15)
