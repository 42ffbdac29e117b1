"""Draw until good in the studio: `D` on a shot's takes, `R` on the storyboard (its episode)."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import DataTable, Input, Static

from shotcraft.studio.tui.app import make_app
from shotcraft.studio.tui.screens.board import BoardScreen
from shotcraft.studio.tui.screens.spend import SpendScreen
from shotcraft.studio.tui.screens.takes import TakesScreen
from shotcraft.studio.tui.screens.until import UntilScreen
from tests.studio.test_tui_errors import shown as notifications
from tests.studio.test_tui_script_text import shown
from tests.studio.test_tui_studio import SIZE, shot_ids_shown, wait_for
from tests.studio.test_tui_studio import project_dir as project_dir  # noqa: F401 - the fixture

GOOD = "E01-S01-003"  # previz scores its takes about 1.0


def _stops(app: object) -> list[str]:
    return [message for title, message in notifications(app) if title == "Draw until good"]


async def test_d_on_a_shot_asks_score_and_cap_then_draws_until_good(project_dir: Path) -> None:
    app = make_app(project_dir)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        app.push_screen(TakesScreen(GOOD))
        await pilot.pause()
        await pilot.press("D")
        await pilot.pause()
        assert isinstance(app.screen, UntilScreen)
        score = app.screen.query_one("#until-score", Input)
        assert (score.value, app.screen.query_one("#until-max", Input).value) == ("0.8", "8")
        score.value = "1.5"
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, UntilScreen)  # refused in the modal, nothing drawn
        assert "between 0 and 1, not 1.5" in shown(app.screen.query_one("#until-error", Static))
        score.value = "0.8"
        await pilot.press("enter")
        await wait_for(pilot, lambda: bool(_stops(app)), timeout=60)
        assert isinstance(app.screen, TakesScreen)
        [sentence] = _stops(app)
        assert sentence.startswith(f"{GOOD}: take ") and sentence.endswith("after 2 takes")
        assert app.project.totals(shot_id=GOOD).takes_done == 2
        await wait_for(pilot, lambda: app.screen.query_one("#takes", DataTable).row_count == 2)


async def test_r_on_the_storyboard_draws_every_unpicked_shot_of_that_episode(
    project_dir: Path,
) -> None:
    app = make_app(project_dir)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        board = app.screen
        assert isinstance(board, BoardScreen)
        ids = shot_ids_shown(board)
        episode2 = [shot_id for shot_id in ids if shot_id.startswith("E02")]
        board.query_one("#shots", DataTable).move_cursor(row=ids.index(episode2[0]))
        await pilot.press("R")
        await pilot.pause()
        assert isinstance(app.screen, UntilScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is board and not app.rendering
        # notify posts a message: wait for it rather than race it under load
        await wait_for(pilot, lambda: any(message == "Nothing drawn, nothing spent."
                                          for _title, message in notifications(app)))

        await pilot.press("R")
        await pilot.pause()
        app.screen.query_one("#until-max", Input).value = "1"
        await pilot.press("enter")
        await wait_for(pilot, lambda: bool(_stops(app)), timeout=60)
        lines = _stops(app)[0].splitlines()
        assert [line.split(":")[0] for line in lines] == episode2
        assert all("1-take cap" in line or "after 1 take" in line for line in lines)
        assert app.project.totals(episode=2).takes_done == len(episode2)
        assert app.project.totals(episode=1).takes_done == 0


async def test_a_paid_engine_shows_the_most_the_draw_can_spend_first(
    project_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shotcraft.engine.previz as previz

    monkeypatch.setattr(previz.PrevizEngine, "describe_cost", lambda self, request: 0.5)
    app = make_app(project_dir)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        assert app.draw_until([GOOD])
        await pilot.pause()
        await pilot.press("enter")  # the defaults: 0.8, at most 8 takes
        await pilot.pause()
        assert isinstance(app.screen, SpendScreen)
        text = shown(app.screen.query_one("#spend-text", Static))
        assert f"Draw up to 8 takes for {GOOD} on previz?" in text
        assert "Estimated cost: at most 4 credits." in text
        await pilot.press("escape")
        await pilot.pause()
        assert not app.rendering and app.project.totals(shot_id=GOOD).takes_queued == 0


def test_an_episode_report_tallies_the_good_shots_and_lists_those_short_of_it() -> None:
    from shotcraft.projects.draw.until import ShotStop
    from shotcraft.studio.tui.app import _until_report

    def stop(number: int, rule: str) -> ShotStop:
        return ShotStop(shot_id=f"E01-S01-{number:03d}", takes=8, stopped_by=rule,
                        sentence=f"E01-S01-{number:03d}: {rule}")

    stops = [stop(n, "score") for n in range(1, 21)] + [stop(21, "max_takes"), stop(22, "budget")]
    lines = _until_report(stops, 0.8).splitlines()
    assert lines == ["20 of 22 shots have a take scoring at least 0.8.",
                     "E01-S01-021: max_takes", "E01-S01-022: budget"]
    assert _until_report(stops[:3], 0.8).splitlines() == [s.sentence for s in stops[:3]]
