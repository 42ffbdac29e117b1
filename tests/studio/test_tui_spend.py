"""A paid draw in the studio shows its estimate first: Enter draws, Esc spends nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Static

from shotcraft.projects import Project
from shotcraft.studio.tui.app import make_app
from shotcraft.studio.tui.screens.spend import SpendScreen
from tests.engine.kling_server import FakeKling
from tests.engine.test_kling import ACCESS, FAST, SECRET
from tests.projects.conftest import write_script
from tests.studio.test_tui_script_text import shown
from tests.studio.test_tui_studio import wait_for

SHOT = "E01-S01-002"  # 林晚 alone, a WS of a few seconds


@pytest.fixture
def project_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    server = FakeKling(access_key=ACCESS, secret_key=SECRET).start()
    for key, value in {**FAST, "SHOTCRAFT_KLING_BASE_URL": server.base_url,
                       "SHOTCRAFT_KLING_ACCESS_KEY": ACCESS, "SHOTCRAFT_KLING_SECRET_KEY": SECRET,
                       "SHOTCRAFT_DEFAULT_ENGINE": "kling"}.items():
        monkeypatch.setenv(key, value)
    project = Project.create(tmp_path / "proj", title="t")
    project.import_script(write_script(tmp_path))
    project.close()
    yield project.root
    server.stop()


async def test_a_paid_draw_waits_for_the_estimate_to_be_confirmed(project_dir: Path) -> None:
    app = make_app(project_dir)
    async with app.run_test(size=(140, 40)) as pilot:
        assert app.draw_takes([SHOT], 2)
        await pilot.pause()
        assert isinstance(app.screen, SpendScreen)
        text = shown(app.screen.query_one("#spend-text", Static))
        assert f"Draw 2 takes for {SHOT} on kling?" in text
        assert f"{SHOT}: 2 takes, 2 each" in text and "Estimated cost: 4 credits." in text
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, SpendScreen) and not app.rendering
        assert app.project.totals(shot_id=SHOT).takes_queued == 0  # nothing drawn, nothing spent

        assert app.draw_takes([SHOT], 2)
        await pilot.pause()
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.project.totals(shot_id=SHOT).takes_done == 2, timeout=60)
        assert app.project.totals(shot_id=SHOT).credits == 4  # what the estimate said
