"""`L` on the studio's takes screen lip-syncs the highlighted video take on Kling, after the
estimate was confirmed; the new take shows as a lip-sync of it."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import DataTable, Static

from shotcraft.projects import Project
from shotcraft.projects.draw import Draw
from shotcraft.shots.models import TakeKind, TakeStatus
from shotcraft.studio.tui.app import make_app
from shotcraft.studio.tui.screens.spend import SpendScreen
from shotcraft.studio.tui.screens.takes import TakesScreen
from tests.engine.kling_server import FakeKling
from tests.engine.test_kling import ACCESS, FAST, SECRET
from tests.projects.conftest import write_script
from tests.projects.test_lipsync import spoken_shot
from tests.studio.test_tui_script_text import shown
from tests.studio.test_tui_studio import wait_for


@pytest.fixture
def kling(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    server = FakeKling(access_key=ACCESS, secret_key=SECRET).start()
    for key, value in {**FAST, "SHOTCRAFT_KLING_BASE_URL": server.base_url,
                       "SHOTCRAFT_KLING_ACCESS_KEY": ACCESS,
                       "SHOTCRAFT_KLING_SECRET_KEY": SECRET}.items():
        monkeypatch.setenv(key, value)
    yield server
    server.stop()


async def test_l_lip_syncs_the_highlighted_take_after_the_estimate(tmp_path: Path,
                                                                   kling: FakeKling) -> None:
    project = Project.create(tmp_path / "proj", title="t")
    project.import_script(write_script(tmp_path))
    shot_id = spoken_shot(project)
    project.draw(Draw(shots=[shot_id], takes=1, engine="kling"))
    project.close()
    app = make_app(tmp_path / "proj")
    async with app.run_test(size=(160, 48), notifications=True) as pilot:
        app.push_screen(TakesScreen(shot_id))
        await pilot.pause()
        await wait_for(pilot, lambda: isinstance(app.screen, TakesScreen), timeout=10)
        await pilot.press("L")
        await wait_for(pilot, lambda: isinstance(app.screen, SpendScreen), timeout=20)
        text = shown(app.screen.query_one("#spend-text", Static))
        assert f"Draw 1 takes for {shot_id} (lip-sync) on kling?" in text
        assert "Estimated cost: 0.5 credits." in text
        await pilot.press("escape")  # nothing sent
        assert [p for p in kling.posts if p["endpoint"] == "lip-sync"] == []

        await wait_for(pilot, lambda: isinstance(app.screen, TakesScreen), timeout=10)
        await pilot.press("L")
        await wait_for(pilot, lambda: isinstance(app.screen, SpendScreen), timeout=20)
        await pilot.press("enter")
        await wait_for(pilot, lambda: any(
            v.take.kind is TakeKind.LIPSYNC and v.take.status is TakeStatus.DONE
            for v in app.project.takes(shot_id)), timeout=60)
        screen = app.screen
        assert isinstance(screen, TakesScreen)
        table = screen.query_one("#takes", DataTable)

        def statuses() -> list[str]:
            return [str(table.get_row_at(i)[3]) for i in range(table.row_count)]

        # the list reloads when the take's message arrives: wait for it, never race it
        await wait_for(pilot, lambda: "done lip-sync of 1" in statuses(), timeout=20)
        assert sorted(statuses()) == ["done", "done lip-sync of 1"]
