"""The studio's shot editor and what follows an edit, driven with Textual's Pilot: labels and
units, the board refreshed on return, the prompt composed again, outdated takes marked, and a
reference removed only once asked."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import DataTable, Input, Label, Select, Static

from shotcraft.projects import Project
from shotcraft.projects.draw import Draw
from shotcraft.studio.tui.app import make_app
from shotcraft.studio.tui.screens.board import BoardScreen
from shotcraft.studio.tui.screens.characters import CharactersScreen
from shotcraft.studio.tui.screens.confirm import ConfirmScreen
from shotcraft.studio.tui.screens.shot import ShotScreen
from shotcraft.studio.tui.screens.takes import TakesScreen
from tests.projects.conftest import write_script
from tests.projects.faces import FACES
from tests.studio.test_tui_studio import SIZE, wait_for

LINE = "E01-S01-003"  # 顾言：你迟到了。


@pytest.fixture
def project_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SHOTCRAFT_PREVIZ_SCALE", "0.1")
    project = Project.create(tmp_path / "proj", title="测试")
    project.import_script(write_script(tmp_path))
    project.draw(Draw(shots=[LINE], takes=1))
    project.close()
    return tmp_path / "proj"


def row_of(board: BoardScreen, shot_id: str) -> list[str]:
    table = board.query_one("#shots", DataTable)
    return [str(cell) for cell in table.get_row(shot_id)]


def label_texts(screen: ShotScreen) -> list[str]:
    return [str(label.render()) for label in screen.query(Label)]


async def open_line(pilot, app) -> ShotScreen:  # noqa: ANN001
    board = app.screen
    table = board.query_one("#shots", DataTable)
    table.move_cursor(row=table.get_row_index(LINE))
    await pilot.press("enter")
    await pilot.pause()
    assert isinstance(app.screen, ShotScreen)
    return app.screen


async def test_the_editor_labels_every_field_and_shows_the_duration_in_seconds_and_frames(
        project_dir: Path) -> None:
    app = make_app(project_dir)
    async with app.run_test(size=SIZE) as pilot:
        editor = await open_line(pilot, app)
        labels = label_texts(editor)
        for label in ("Kind", "Size", "Angle", "Camera move", "Intensity (0–1)", "Duration (s)",
                      "Takes wanted", "Budget: max takes", "1.5 s (45 f)"):
            assert label in labels, label
        assert editor.query_one("#duration", Input).value == "1.5"
        editor.query_one("#duration", Input).value = "3"
        await pilot.pause()
        assert "3.0 s (90 f)" in label_texts(editor)


async def test_an_edit_is_saved_the_prompt_composed_and_the_board_shows_it_on_return(
        project_dir: Path) -> None:
    app = make_app(project_dir)
    async with app.run_test(size=SIZE) as pilot:
        board = app.screen
        assert isinstance(board, BoardScreen)
        editor = await open_line(pilot, app)
        editor.query_one("#size", Select).value = "WS"
        editor.query_one("#move", Select).value = "handheld"
        editor.query_one("#duration", Input).value = "3"
        await pilot.pause(0.8)  # the debounced save
        await wait_for(pilot, lambda: app.project.shot(LINE).size.value == "WS")
        saved = app.project.shot(LINE)
        assert (saved.camera.move.value, saved.duration_frames) == ("handheld", 90)
        assert "wide shot" in saved.prompt and "handheld camera" in saved.prompt
        summary = str(editor.query_one("#summary", Static).render())
        assert "outdated: take 1" in summary
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is board
        row = row_of(board, LINE)
        assert row[2] == "2S WS" and row[3] == "handheld" and row[4] == "3.0"


async def test_the_takes_screen_marks_a_take_drawn_before_the_edit_as_outdated(
        project_dir: Path) -> None:
    project = Project.open(project_dir)
    project.update_shot(LINE, duration_frames=120)
    project.close()
    app = make_app(project_dir)
    async with app.run_test(size=SIZE) as pilot:
        await open_line(pilot, app)
        await pilot.press("ctrl+t")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, TakesScreen)
        status = str(screen.query_one("#takes", DataTable).get_row_at(0)[3])
        assert status.endswith("· outdated")
        explain = str(screen.query_one("#explain", Static).render())
        assert "outdated: duration" in explain


async def test_removing_a_reference_asks_first_and_esc_keeps_it(project_dir: Path) -> None:
    project = Project.open(project_dir)
    project.add_reference("顾言", FACES / "obama.jpg")
    project.close()
    app = make_app(project_dir)
    async with app.run_test(size=SIZE) as pilot:
        app.push_screen(CharactersScreen())
        await pilot.pause()
        screen = app.screen
        table = screen.query_one("#characters", DataTable)
        table.move_cursor(row=table.get_row_index("顾言"))
        await pilot.pause()
        await pilot.press("ctrl+d")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert len(app.project.character("顾言").references) == 1
        await pilot.press("ctrl+d")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert app.project.character("顾言").references == []


async def test_the_export_screen_says_which_picks_are_outdated_before_exporting(
        project_dir: Path) -> None:
    from shotcraft.studio.tui.screens.export import ExportScreen

    project = Project.open(project_dir)
    project.pick(LINE, 1)
    project.update_shot(LINE, duration_frames=120)
    project.close()
    app = make_app(project_dir)
    async with app.run_test(size=SIZE) as pilot:
        app.push_screen(ExportScreen())
        await pilot.pause()
        said = str(app.screen.query_one("#outdated", Static).render())
        assert f"{LINE}: the picked take 1 is outdated (duration changed since it was drawn)" in said
