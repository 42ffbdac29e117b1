"""The ranker learns the director's eye from picks: a simulated director who always takes the
steadiest take, against fixed weights that lean on sharpness and exposure."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from shotcraft.ranking.learn import HIGH, LOW, MIN_PICKS
from shotcraft.shots.models import MadeBy
from shotcraft.studio.cli import app
from tests.projects.judging import judged_project


def test_simulated_director_teaches_the_ranker_to_prefer_steady_takes(tmp_path: Path) -> None:
    judged = judged_project(tmp_path / "p", shots=24, takes=6)
    project, ids = judged.project, judged.ids
    training, unseen = ids[:16], ids[16:]
    fixed_top = {s: next(v.take.number for v in project.takes(s) if v.rank == 1) for s in unseen}
    for shot_id in training:
        project.pick(shot_id, judged.steadiest(shot_id))

    state = project.ranker()
    assert state.picked_shots == 16 and state.preferences == 16 * 5
    # held out (each pick ranked by a fit that never saw it): from a minority to a clear majority
    assert state.fixed.share is not None and state.learned.share is not None
    assert state.fixed.share < 0.5
    assert state.learned.share > 0.5 and state.learned.share >= state.fixed.share + 0.25
    assert state.in_use
    for name, default in state.defaults.items():
        assert LOW * default - 1e-6 <= state.weights[name] <= HIGH * default + 1e-6
    assert state.weights["motion"] > 1.5 * state.defaults["motion"]
    assert state.weights["sharpness"] < state.defaults["sharpness"]

    # (c) pick --auto on shots the director never saw follows the learned weights
    wanted = {s: judged.steadiest(s) for s in unseen}
    picked = project.auto_pick().picked
    assert set(picked) == set(unseen)
    learned_hits = sum(picked[s] == wanted[s] for s in unseen)
    fixed_hits = sum(fixed_top[s] == wanted[s] for s in unseen)
    assert learned_hits > len(unseen) / 2 and learned_hits > fixed_hits
    project.close()


def test_takes_rank_by_the_learned_total_and_keep_the_fixed_one(tmp_path: Path) -> None:
    judged = judged_project(tmp_path / "p", shots=12, takes=5, seed=3)
    project, ids = judged.project, judged.ids
    for shot_id in ids[:MIN_PICKS + 2]:
        project.pick(shot_id, judged.steadiest(shot_id))
    assert project.ranker().in_use
    views = project.takes(ids[-1])
    assert all(v.fixed_score is not None for v in views)
    assert any(abs((v.take.score or 0) - (v.fixed_score or 0)) > 1e-3 for v in views)
    ranked = sorted((v for v in views if v.rank), key=lambda v: v.rank or 0)
    assert [v.take.score for v in ranked] == sorted((v.take.score for v in ranked), reverse=True)
    score = project.effective_score()
    assert {v.take.number: score(v.take.model_copy(update={"score": v.fixed_score}))
            for v in views} == {v.take.number: v.take.score for v in views}
    project.close()


def test_too_few_picks_keep_the_fixed_weights_and_say_how_many_more(tmp_path: Path) -> None:
    judged = judged_project(tmp_path / "p", shots=10, takes=4, seed=1)
    project, ids = judged.project, judged.ids
    for shot_id in ids[:3]:
        project.pick(shot_id, judged.steadiest(shot_id))
    state = project.ranker()
    assert not state.in_use
    assert state.picks_needed == MIN_PICKS - 3
    assert f"{MIN_PICKS - 3} more shots picked by hand needed" in state.reason
    # the learned weights moved, but nothing ranks by them yet: every score is the stored one
    assert state.weights != state.defaults
    views = project.takes(ids[5])
    assert all(v.take.score == v.fixed_score for v in views)
    project.close()


def test_rejects_are_preferences_too(tmp_path: Path) -> None:
    judged = judged_project(tmp_path / "p", shots=2, takes=4, seed=2)
    project, ids = judged.project, judged.ids
    project.reject(ids[0], 1)
    project.reject(ids[0], 2)
    project.pick(ids[1], 3)
    state = project.ranker()
    # 2 standing takes over each of 2 rejected ones, plus the pick over its 3 others
    assert state.preferences == 2 * 2 + 3
    assert {v.take.rejected_by for v in project.takes(ids[0])[:2]} == {MadeBy.DIRECTOR}
    assert state.picked_shots == 1
    project.close()


def test_draw_until_good_judges_a_shot_by_the_learned_total(tmp_path: Path) -> None:
    """`render --until` stops on the score the director's ranker gives, not the stored one."""
    from shotcraft.projects.draw.until import effective_scores

    judged = judged_project(tmp_path / "p", shots=12, takes=5, seed=3)
    project, ids = judged.project, judged.ids
    for shot_id in ids[:MIN_PICKS + 2]:
        project.pick(shot_id, judged.steadiest(shot_id))
    assert project.ranker().in_use
    views = project.takes(ids[-1])
    takes = [v.take.model_copy(update={"score": v.fixed_score}) for v in views]  # as stored
    learned = effective_scores(project.store, takes)
    assert learned == {v.take.number: v.take.score for v in views}
    assert learned != {t.number: t.score for t in takes}
    # a threshold between the stored best and the learned best decides differently
    stored_best, learned_best = max(t.score or 0 for t in takes), max(learned.values())
    assert stored_best != learned_best
    project.close()


def test_only_the_director_s_own_picks_teach_the_ranker(tmp_path: Path) -> None:
    """pick --auto picks the ranker's own choice: learning from it would only teach the ranker
    itself. Mechanical picks leave it untouched and `ranker` says how many it left out."""
    judged = judged_project(tmp_path / "p", shots=14, takes=4, seed=5)
    project, ids = judged.project, judged.ids
    project.close()
    runner = CliRunner()
    auto = runner.invoke(app, ["pick", str(tmp_path / "p"), "--auto"])
    assert auto.exit_code == 0, auto.output
    shown = runner.invoke(app, ["ranker", str(tmp_path / "p")])
    assert shown.exit_code == 0, shown.output
    assert "rests on 0 preferences from 0 shots you picked by hand" in shown.stdout
    assert "left out: 14 picks not made by hand (14 made by pick --auto)" in shown.stdout
    assert f"not in use: {MIN_PICKS} more shots picked by hand needed" in shown.stdout

    for shot_id in ids[:3]:  # the director re-picks three by hand (the steadiest take)
        assert runner.invoke(app, ["pick", str(tmp_path / "p"), shot_id,
                                   str(judged.steadiest(shot_id))]).exit_code == 0
    listing = runner.invoke(app, ["ranker", str(tmp_path / "p"), "--json"])
    state = json.loads(listing.stdout)
    assert (state["picked_shots"], state["preferences"]) == (3, 3 * 3)
    assert state["left_out"] == {"auto": 11} and state["in_use"] is False
    shots = json.loads(runner.invoke(
        app, ["shots", str(tmp_path / "p"), "--json"]).stdout)["episodes"][0]["scenes"][0]["shots"]
    assert [s["picked_by"] for s in shots] == ["director"] * 3 + ["auto"] * 11

