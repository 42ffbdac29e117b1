"""The studio shows script text as written: brackets, override tags, emoji and RTL are data."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from rich.text import Text
from textual.widgets import DataTable, Static
from textual.widgets._toast import Toast

from shotcraft.projects import Project
from shotcraft.projects.draw import Draw
from shotcraft.projects.draw.events import RenderEvent
from shotcraft.studio.tui.app import make_app
from shotcraft.studio.tui.messages import RenderProgress, TakeRendered
from shotcraft.studio.tui.screens.board import BoardScreen
from shotcraft.studio.tui.screens.characters import CharactersScreen
from shotcraft.studio.tui.screens.takes import TakesScreen
from tests.studio.hostile import HOSTILE_LINES, hostile_project
from tests.studio.test_tui_studio import wait_for

SIZE = (160, 48)
REASON = "engine said [/] and [bold]no[/bold]"


def shown(widget: Static) -> str:
    """The plain text a Static displays (what the terminal shows, markup resolved)."""
    content = widget.content
    return content.plain if isinstance(content, Text) else str(widget.visual)


@pytest.fixture
def project_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SHOTCRAFT_PREVIZ_SCALE", "0.1")
    folder = hostile_project(tmp_path)
    project = Project.open(folder)
    project.draw(Draw(shots=["E01-S01-003"], takes=1))  # previz draws the "[/]" dialogue card
    project.close()
    # a take that failed for a hostile reason
    with closing(sqlite3.connect(folder / "shotcraft.db")) as db, db:
        db.execute("UPDATE take SET status='failed', reason=? WHERE shot_id='E01-S01-003'", (REASON,))
    return folder


async def test_every_shot_of_a_hostile_script_shows_its_words_literally(project_dir: Path) -> None:
    app = make_app(project_dir)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        board = app.screen
        assert isinstance(board, BoardScreen)
        table = board.query_one("#shots", DataTable)
        details = []
        for row in range(table.row_count):
            table.move_cursor(row=row)
            await pilot.pause()
            details.append(shown(board.query_one("#detail", Static)))
            cells = table.get_row_at(row)
            assert all(isinstance(cell, Text) for cell in cells)
        everything = "\n".join(details)
        for line in HOSTILE_LINES:
            assert line in everything
        words = " ".join(cell.plain for row in range(table.row_count)
                         for cell in table.get_row_at(row))
        assert "顾言：[/]" in words and "[bold]x[/bold]" in words and "{\\an8}" in words
        assert "[red]咖啡馆[/]" in everything  # the action line too
        header = app.format_title(app.title, app.sub_title).plain
        assert "[red]剧" in header

        table.move_cursor(row=[s.id for s, _ in board.rows].index("E01-S01-003"))
        await pilot.press("t")
        await pilot.pause()
        takes = app.screen
        assert isinstance(takes, TakesScreen)
        takes_table = takes.query_one("#takes", DataTable)
        assert takes_table.row_count == 1
        assert REASON[:30] in [cell.plain for cell in takes_table.get_row_at(0)]
        assert REASON in shown(takes.query_one("#explain", Static))

        # the notifications a failed take and a render warning raise quote the text as written
        app.post_message(TakeRendered(RenderEvent(kind="failed", shot_id="E01-S01-003", take=1,
                                                  message=REASON, total=1, finished=1)))
        app.post_message(RenderProgress(RenderEvent(kind="warning", shot_id="E01-S01-003",
                                                    message="[/] lease")))
        await pilot.pause()
        messages = [n.message for n in app._notifications]
        assert f"E01-S01-003 take 1 failed: {REASON}" in messages and "[/] lease" in messages
        await wait_for(pilot, lambda: len(app.screen.query(Toast)) >= 2, timeout=10)
        toasts = " ".join(toast.render().plain for toast in app.screen.query(Toast))
        assert REASON in toasts and "[/] lease" in toasts  # rendered, markup and all, as written
        await pilot.press("escape", "c")
        await pilot.pause()
        people = app.screen
        assert isinstance(people, CharactersScreen)
        assert "林晚" in shown(people.query_one("#appears", Static))
        names = people.query_one("#characters", DataTable)
        assert "[/]阿晚" in [str(cell) for row in range(names.row_count) for cell in names.get_row_at(row)]
