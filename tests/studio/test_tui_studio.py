"""Drive the real studio over a real project folder with Textual's Pilot."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from textual.widgets import DataTable, Input, TextArea

from shotcraft.assembly.episode import ExportOptions
from shotcraft.projects import Project
from shotcraft.projects.draw import Draw
from shotcraft.shots.models import TakeStatus
from shotcraft.studio.tui.app import make_app
from shotcraft.studio.tui.messages import RenderProgress, TakeRendered
from shotcraft.studio.tui.screens.board import BoardScreen
from shotcraft.studio.tui.screens.help import HelpScreen
from shotcraft.studio.tui.screens.shot import ShotScreen
from shotcraft.studio.tui.screens.takes import TakesScreen
from tests.projects.conftest import write_script

SIZE = (160, 48)


@pytest.fixture
def project_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SHOTCRAFT_PREVIZ_SCALE", "0.1")
    project = Project.create(tmp_path / "proj", title="测试")
    project.import_script(write_script(tmp_path))
    project.close()
    return tmp_path / "proj"


async def wait_for(pilot, condition, timeout: float = 60.0) -> None:  # noqa: ANN001
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, "timed out waiting for the studio"
        await pilot.pause(0.05)


def shot_ids_shown(screen: BoardScreen) -> list[str]:
    table = screen.query_one("#shots", DataTable)
    return [str(table.coordinate_to_cell_key((i, 0)).row_key.value) for i in range(table.row_count)]


async def test_storyboard_lists_every_shot_and_filters(project_dir: Path) -> None:
    app = make_app(project_dir)
    async with app.run_test(size=SIZE) as pilot:
        board = app.screen
        assert isinstance(board, BoardScreen)
        assert len(shot_ids_shown(board)) == 10
        await pilot.press("slash", *"ep:2")
        await pilot.pause()
        assert shot_ids_shown(board) == ["E02-S01-001", "E02-S01-002", "E02-S01-003"]
        await pilot.press("escape")
        board.query_one("#filter", Input).value = "char:顾言"
        await pilot.pause()
        assert shot_ids_shown(board) == ["E01-S01-001", "E01-S01-003", "E01-S02-001",
                                         "E01-S02-002", "E01-S02-003", "E02-S01-001"]


async def test_edit_draw_pick_and_export_end_to_end(project_dir: Path) -> None:
    app = make_app(project_dir)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("down", "enter")  # open E01-S01-002
        await pilot.pause()
        shot_screen = app.screen
        assert isinstance(shot_screen, ShotScreen) and shot_screen.shot_id == "E01-S01-002"
        shot_screen.query_one("#prompt", TextArea).text = "雨夜，咖啡馆门口，电影感"
        await pilot.pause(0.8)  # the debounced save
        assert app.project.shot("E01-S01-002").prompt == "雨夜，咖啡馆门口，电影感"

        await pilot.press("ctrl+t")
        await pilot.pause()
        takes_screen = app.screen
        assert isinstance(takes_screen, TakesScreen)
        takes_screen.query_one("#count", Input).value = "2"
        await pilot.press("d")
        await pilot.pause()
        await app.workers.wait_for_complete()
        await wait_for(pilot, lambda: len(takes_screen.views) == 2)
        done = [v for v in takes_screen.views if v.take.status == TakeStatus.DONE]
        assert len(done) == 2
        # the filmstrip drawn in half blocks (headless), once its worker has loaded the frames
        await wait_for(pilot, lambda: takes_screen.query_one("#filmstrip").drawn, timeout=10)
        await pilot.press("p")
        await pilot.pause()
        picked = app.project.shot("E01-S01-002").picked_take
        assert picked == takes_screen.views[0].take.number

        await pilot.press("escape", "escape", "x")
        await pilot.pause()
        assert app.screen.__class__.__name__ == "ExportScreen"
        assert app.export_episode(1, ExportOptions(preset="vertical-720", subtitles="srt",
                                                   language="zh"))
        await pilot.pause()
        await app.workers.wait_for_complete()
        await wait_for(pilot, lambda: app.screen.result is not None, timeout=120)
        result = app.screen.result
        assert result.output.is_file() and result.output.stat().st_size > 0
        assert result.srt is not None and result.srt.is_file()
        assert (result.width, result.height) == (720, 1280)
        assert next(c for c in result.clips if c.shot_id == "E01-S01-002").take == picked


async def test_keys_are_answered_while_ten_takes_render(project_dir: Path) -> None:
    messages = []
    app = make_app(project_dir)
    async with app.run_test(size=SIZE, message_hook=messages.append) as pilot:
        board = app.screen
        table = board.query_one("#shots", DataTable)
        assert app.draw_takes(["E01-S01-001"], 10)
        await pilot.pause(0.2)
        await pilot.press("down", "down")
        assert table.cursor_row == 2
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        assert app.rendering, "the keys were answered only after the render had finished"
        await pilot.press("escape")
        await app.workers.wait_for_complete()
        await pilot.pause()
    rendered = [m for m in messages if isinstance(m, TakeRendered)]
    assert len({m.event.take for m in rendered}) == 10
    assert any(isinstance(m, RenderProgress) for m in messages)


async def test_shot_list_keys_split_and_archive(project_dir: Path) -> None:
    app = make_app(project_dir)
    async with app.run_test(size=SIZE) as pilot:
        board = app.screen
        await pilot.press("down", "s")  # split E01-S01-002 in half
        await pilot.pause()
        shown = shot_ids_shown(board)
        assert "E01-S01-002" not in shown and shown[1:3] == ["E01-S01-005", "E01-S01-006"]
        await pilot.press("delete")
        await pilot.pause()
        assert app.project.shot(shot_ids_shown(board)[1]).archived is False
        assert len(shot_ids_shown(board)) == 10


async def test_studio_picks_up_takes_another_process_added(project_dir: Path) -> None:
    app = make_app(project_dir)
    async with app.run_test(size=SIZE) as pilot:
        other = Project.open(project_dir)  # stands in for `shotcraft render` in another terminal
        other.draw(Draw(shots=["E01-S02-001"], takes=1))
        board = app.screen
        row = shot_ids_shown(board).index("E01-S02-001")
        table = board.query_one("#shots", DataTable)
        await wait_for(pilot, lambda: str(table.get_row_at(row)[7]).startswith("1/"), timeout=5)


async def test_play_without_a_player_says_so(project_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("shotcraft.studio.player.shutil.which", lambda _name: None)
    monkeypatch.setenv("DISPLAY", ":0")
    project = Project.open(project_dir)
    project.draw(Draw(shots=["E01-S01-001"], takes=1))
    app = make_app(project_dir)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.press("t")
        await pilot.pause()
        await pilot.press("space")
        await pilot.pause()
        assert any("Cannot play take 1: no player found (mpv, ffplay or xdg-open)" in n.message
                   for n in app._notifications)


async def test_queue_screen_lists_and_cancels_queued_takes_through_the_facade(project_dir: Path) -> None:
    from shotcraft.projects.draw.plan import RenderPlan, ShotPlan
    from shotcraft.projects.draw.queue import queue_takes
    from shotcraft.shots.models import TakeKind
    from shotcraft.studio.tui.screens.queue import QueueScreen

    project = Project.open(project_dir)
    shot = project.shots(episode=1)[0]
    queue_takes(project.store, RenderPlan(engine="kling", kind=TakeKind.VIDEO, shots=[ShotPlan(shot_id=shot.id, episode=shot.episode, takes=2)]))  # nobody draws them
    app = make_app(project_dir)
    async with app.run_test(size=SIZE) as pilot:
        app.action_show("queue")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, QueueScreen)
        assert [(j["shot_id"], j["state"]) for j in screen.jobs] == [(shot.id, "queued")] * 2
        await pilot.press("K")
        await wait_for(pilot, lambda: all(j["state"] == "cancelled" for j in screen.jobs))
    assert {j["state"] for j in project.jobs()} == {"cancelled"}
    project.close()
