"""The studio acts on the row you see, refuses what the CLI refuses, never freezes on a busy
project, draws again what it queued again, and reaps the player it starts."""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

import pytest
from textual.widgets import DataTable, Input

from shotcraft.projects import Project
from shotcraft.projects.draw import Draw
from shotcraft.projects.draw.plan import RenderPlan, ShotPlan
from shotcraft.projects.draw.queue import queue_takes
from shotcraft.shots.models import TakeKind
from shotcraft.studio.tui.app import make_app
from shotcraft.studio.tui.screens.queue import QueueScreen
from shotcraft.studio.tui.screens.shot import ShotScreen
from shotcraft.studio.tui.screens.takes import TakesScreen
from tests.studio.test_tui_studio import SIZE, shot_ids_shown, wait_for


@pytest.fixture(autouse=True)
def small_previz(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOTCRAFT_PREVIZ_SCALE", "0.1")


def messages(app: object) -> list[str]:
    return [n.message for n in app._notifications]  # type: ignore[attr-defined]


def cursor_shot(board: object) -> str:
    return board.current_shot_id()  # type: ignore[attr-defined]


# -- finding 6: after a structural edit the cursor is on the row the director sees ----------


async def test_after_a_split_or_an_archive_the_next_key_acts_on_the_row_shown(project_dir: Path) -> None:
    app = make_app(project_dir)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        board = app.screen
        before = shot_ids_shown(board)
        row = before.index("E01-S02-001")  # the first shot of scene 1-2
        await pilot.press(*["down"] * row)
        fifth, sixth = before[row], before[row + 1]
        await pilot.press("s")
        await wait_for(pilot, lambda: fifth not in shot_ids_shown(board))
        shown = shot_ids_shown(board)
        table = board.query_one("#shots", DataTable)
        assert table.cursor_row == row and cursor_shot(board) == shown[row]  # the split's first part
        await pilot.press("delete")  # archives that first part
        await wait_for(pilot, lambda: shown[row] not in shot_ids_shown(board))
        assert table.cursor_row == row and cursor_shot(board) == shot_ids_shown(board)[row]
        second_part = cursor_shot(board)
        assert second_part == shown[row + 1]
        await pilot.press("m")  # merges the row on screen with the one below it, never 001+002
        await wait_for(pilot, lambda: sixth not in shot_ids_shown(board))
        assert cursor_shot(board) == second_part
    project = Project.open(project_dir)
    ids = [shot.id for shot in project.shots(episode=1)]
    assert ids[:2] == before[:2]  # the first two shots were never touched
    merged = project.shot(second_part)
    assert merged.duration_frames > 0 and sixth not in ids
    project.close()


# -- finding 7: the duration field refuses what update_shot refuses --------------------------


@pytest.mark.parametrize("typed", ["inf", "nan", "0", "-2", "1e999", "0.001"])
async def test_a_duration_that_is_no_length_is_refused_in_one_sentence(
    project_dir: Path, typed: str,
) -> None:
    project = Project.open(project_dir)
    before = project.shot("E01-S01-001")
    project.close()
    app = make_app(project_dir)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ShotScreen))
        app.screen.query_one("#duration", Input).value = typed
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.is_running and isinstance(app.screen, ShotScreen)
        refusals = [m for m in messages(app) if m.startswith("duration: ")]
        assert len(refusals) == 1, messages(app)
        assert "bug" not in refusals[0] and "Error" not in refusals[0]
    project = Project.open(project_dir)
    assert project.shot("E01-S01-001").duration_frames == before.duration_frames  # nothing saved
    project.close()


# -- finding 10: a project another process holds never freezes the studio -------------------


async def test_a_busy_project_never_freezes_the_studio_and_the_edit_lands_when_it_is_free(
    project_dir: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    from shotcraft.projects import db

    monkeypatch.setattr(db, "BUSY_TIMEOUT_MS", 8000)
    app = make_app(project_dir)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        board = app.screen
        table = board.query_one("#shots", DataTable)
        first = cursor_shot(board)
        other = sqlite3.connect(project_dir / "shotcraft.db", isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # another shotcraft writing
        try:
            await pilot.press("s")
            await pilot.press("down", "down")  # answered while the split waits for the project
            assert table.cursor_row == 2
            assert any(m.startswith("Waiting for the project") for m in messages(app))
            assert first in shot_ids_shown(board)  # not split yet: the project is still held
        finally:
            other.execute("ROLLBACK")
            other.close()
        await wait_for(pilot, lambda: first not in shot_ids_shown(board), timeout=10)
        # the board reloads at once; the notice is a message the app takes in on its next turn
        await wait_for(pilot, lambda: f"Split {first} in two." in messages(app), timeout=10)


# -- finding 11: retry draws the takes it queued again ---------------------------------------


async def test_retry_in_the_queue_draws_the_failed_takes_again(project_dir: Path) -> None:
    project = Project.open(project_dir)
    shot = project.shots(episode=1)[0]
    queue_takes(project.store, RenderPlan(engine="previz", kind=TakeKind.VIDEO, shots=[
        ShotPlan(shot_id=shot.id, episode=shot.episode, takes=2)]))
    assert project.cancel_queued() == 2  # two takes that did not get drawn
    app = make_app(project_dir)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        app.action_show("queue")
        await wait_for(pilot, lambda: isinstance(app.screen, QueueScreen))
        await pilot.press("R")
        await wait_for(pilot, lambda: project.totals(shot_id=shot.id).takes_done == 2, timeout=60)
        await app.workers.wait_for_complete()
        await pilot.pause()
        said = messages(app)
        assert "Queued every failed take again: 2 takes." in said
        assert not [m for m in said if "draw between" in m], said
    views = project.takes(shot.id)
    assert [(v.take.number, v.take.status.value) for v in views] == [(1, "done"), (2, "done")]
    assert project.jobs() == []
    project.close()


# -- finding 15: the player is reaped (studio/player.py, shared with `shotcraft play`) -------


async def test_a_player_that_cannot_open_a_display_is_reaped(
    project_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name in ("mpv", "ffplay"):  # what a player does when it cannot open the display
        player = bin_dir / name
        player.write_text("#!/bin/sh\necho 'Could not initialize SDL - No available video "
                          "device' >&2\nexit 1\n")
        player.chmod(player.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("DISPLAY", ":99")  # set, but nothing answers there
    project = Project.open(project_dir)
    first = project.shots(episode=1)[0].id  # the row the board opens on
    project.draw(Draw(shots=[first], takes=1))
    project.close()
    app = make_app(project_dir)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.press("t")
        await wait_for(pilot, lambda: isinstance(app.screen, TakesScreen) and app.screen.views)
        await pilot.press("space")
        await wait_for(pilot, lambda: any(m == "Playing take 1 in mpv." for m in messages(app)))
        await wait_for(pilot, lambda: not players_running(), timeout=10)
        await wait_for(pilot, lambda: zombies() == [], timeout=10)
        monkeypatch.delenv("DISPLAY")
        monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
        await pilot.press("space")
        await wait_for(pilot, lambda: any(m.startswith("Cannot play take 1: no display to play on")
                                          for m in messages(app)))


def players_running() -> list[int]:
    """Children of this process still running a player."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                name = (entry / "comm").read_text().strip()
            except OSError:
                continue
            if int(fields[1]) == os.getpid() and fields[0] != "Z" and name in ("mpv", "ffplay", "sh"):
                found.append(int(entry.name))
    return found


def zombies() -> list[int]:
    """Children of this process that exited and were never waited for."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] == "Z" and int(fields[1]) == os.getpid():
            found.append(int(entry.name))
    return found
