"""`shotcraft ranker`, `shotcraft stats` and the studio's statistics panel (S)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from textual.widgets import Static

from shotcraft.projects import Project
from shotcraft.ranking.learn import MIN_PICKS
from shotcraft.studio.tui.app import make_app
from shotcraft.studio.tui.screens.stats import StatsScreen
from tests.projects.judging import Judged, judged_project
from tests.studio.conftest import invoke


def _picked(tmp_path: Path, picks: int) -> Judged:
    judged = judged_project(tmp_path / "p", shots=12, takes=5, seed=4)
    for shot_id in judged.ids[:picks]:
        judged.project.pick(shot_id, judged.steadiest(shot_id))
    judged.project.close()
    return judged


def test_ranker_says_how_many_more_picks_it_needs(tmp_path: Path) -> None:
    _picked(tmp_path, 2)
    result = invoke("ranker", tmp_path / "p")
    assert result.exit_code == 0
    assert f"not in use: {MIN_PICKS - 2} more shots picked by hand needed" in result.output
    shape = json.loads(invoke("ranker", tmp_path / "p", "--json").output)
    assert shape["in_use"] is False and shape["picks_needed"] == MIN_PICKS - 2
    assert shape["min_picks"] == MIN_PICKS and shape["picked_shots"] == 2
    assert shape["preferences"] == 2 * 4 and shape["bounds"] == [0.25, 4.0]
    assert shape["weights"]["motion"]["default"] == 1.5
    assert set(shape["agreement"]) == {"fixed", "learned_held_out"}
    assert set(shape["agreement"]["fixed"]) == {"hits", "shots", "share"}


def test_ranker_in_use_shows_learned_weights_and_takes_show_both_totals(tmp_path: Path) -> None:
    judged = _picked(tmp_path, 10)
    shape = json.loads(invoke("ranker", tmp_path / "p", "--json").output)
    assert shape["in_use"] is True
    assert shape["weights"]["motion"]["learned"] > shape["weights"]["motion"]["default"]
    text = invoke("ranker", tmp_path / "p").output
    assert "learned weights, held out:" in text and "in use:" in text
    takes = json.loads(invoke("takes", tmp_path / "p", judged.ids[-1], "--json").output)
    assert all("fixed_score" in row for row in takes)
    assert any(row["score"] != row["fixed_score"] for row in takes)
    assert "learned weights' totals" in invoke("takes", tmp_path / "p", judged.ids[-1]).output


def test_stats_json_and_table(tmp_path: Path) -> None:
    _picked(tmp_path, 3)
    shape = json.loads(invoke("stats", tmp_path / "p", "--json").output)
    assert shape["picked_shots"] == 3 and shape["unpicked_shots"] == 9
    assert shape["draws_per_pick_mean"] == 5.0 and shape["draws_per_pick_max"] == 5
    assert shape["seconds_per_pick"] == 10.0  # 5 takes × 2 s
    assert shape["seconds_per_minute"] == 200.0  # 30 s over 3 × 3 s
    assert shape["rejects"] == {} and shape["ranker_fixed"]["shots"] == 3
    text = invoke("stats", tmp_path / "p", "--episode", 1).output
    assert "draws per picked shot: mean 5.00, max 5" in text
    assert "unpicked: 9 (E01-S01-004, " in text
    assert invoke("stats", tmp_path / "p", "--episode", 0).exit_code == 1


async def test_studio_statistics_panel_opens_on_S_and_follows_picks(tmp_path: Path) -> None:
    judged = _picked(tmp_path, 3)
    app = make_app(tmp_path / "p")
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.press("S")
        assert isinstance(app.screen, StatsScreen)
        panel = app.screen.query_one("#stats", Static)

        async def shown(words: str) -> None:
            for _ in range(250):
                if words in str(panel.render()):
                    return
                await asyncio.sleep(0.02)
            raise AssertionError(f"{words!r} not in {panel.render()}")

        await shown("3 of 12 shots picked")
        await shown("draws per picked shot: mean 5.00")
        other = Project.open(tmp_path / "p")  # another process picks; the poller notices
        other.pick(judged.ids[3], 1)
        other.close()
        await shown("4 of 12 shots picked")
        await pilot.press("escape")
        assert not isinstance(app.screen, StatsScreen)
