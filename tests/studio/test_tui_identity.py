"""The studio's takes screen leads with identity: the characters by name, or why it is left out."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import DataTable, Static

from shotcraft.projects import Project
from shotcraft.projects.draw import Draw
from shotcraft.studio.tui.app import make_app
from shotcraft.studio.tui.screens.board import BoardScreen
from shotcraft.studio.tui.screens.takes import TakesScreen
from tests.projects.conftest import write_script
from tests.studio.test_tui_script_text import shown

FACES = Path(__file__).resolve().parents[1] / "data" / "faces"


@pytest.fixture
def project_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SHOTCRAFT_PREVIZ_SCALE", "0.5")
    project = Project.create(tmp_path / "proj", title="t")
    project.import_script(write_script(tmp_path))
    project.add_reference("林晚", FACES / "obama.jpg")
    project.draw(Draw(shots=["E01-S01-004", "E01-S01-003"], takes=1))  # CU 林晚, MCU 顾言
    project.close()
    return project.root


async def _explain(app: object, pilot: object, shot_id: str) -> str:
    board = app.screen  # type: ignore[attr-defined]
    assert isinstance(board, BoardScreen)
    board.query_one("#shots", DataTable).move_cursor(row=[s.id for s, _ in board.rows].index(shot_id))
    await pilot.press("t")  # type: ignore[attr-defined]
    await pilot.pause()  # type: ignore[attr-defined]
    takes = app.screen  # type: ignore[attr-defined]
    assert isinstance(takes, TakesScreen)
    text = shown(takes.query_one("#explain", Static))
    await pilot.press("escape")  # type: ignore[attr-defined]
    await pilot.pause()  # type: ignore[attr-defined]
    return text


async def test_takes_screen_shows_the_identity_line_first(project_dir: Path) -> None:
    app = make_app(project_dir)
    async with app.run_test(size=(160, 48)) as pilot:
        measured = await _explain(app, pilot, "E01-S01-004")
        lines = measured.splitlines()
        assert lines[1].startswith("identity ") and "林晚 " in lines[1] and "frames" in lines[1]
        left_out = await _explain(app, pilot, "E01-S01-003")
        assert "identity ·  left out: no character in frame has a usable reference: 顾言 (no reference image)." in left_out
