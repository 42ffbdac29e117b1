"""Plan before queueing: refusals burn no take number, credit budgets hold before money is spent."""

from __future__ import annotations

import pytest
from sqlmodel import select

from shotcraft.projects import Project
from shotcraft.projects.db import JobRow, TakeRow
from shotcraft.projects.draw import Draw
from shotcraft.shots.errors import BudgetExceeded, EngineError
from shotcraft.shots.models import Budget, Keyframe

pytestmark = pytest.mark.usefixtures("small_previz")

# kling-v1-6 std, 5 s: 2 Kling units a task (engine/kling/models.py)
KLING_STD_5 = 2.0


@pytest.fixture(autouse=True)
def _kling_std(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("SHOTCRAFT_KLING_ACCESS_KEY", "SHOTCRAFT_KLING_SECRET_KEY", "SHOTCRAFT_KLING_COST_TABLE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("SHOTCRAFT_KLING_MODEL_NAME", "kling-v1-6")
    monkeypatch.setenv("SHOTCRAFT_KLING_MODE", "std")


def _rows(project: Project) -> tuple[int, int]:
    with project.db.read() as session:
        return (len(session.exec(select(TakeRow)).all()), len(session.exec(select(JobRow)).all()))


def test_an_engine_refusal_is_one_sentence_and_burns_no_take_number(
    project: Project, monkeypatch: pytest.MonkeyPatch,
) -> None:
    shot = project.shots(episode=1)[0]
    project.draw(Draw(shots=[shot.id], takes=1))  # take 1 on previz
    monkeypatch.setenv("SHOTCRAFT_KLING_MODEL_NAME", "kling-v2-1")  # no text-to-video
    with pytest.raises(EngineError, match="kling needs a first frame") as refused:
        project.draw(Draw(shots=[shot.id], takes=3, engine="kling"))
    assert "\n" not in str(refused.value)
    assert _rows(project) == (1, 1), "nothing was queued, nothing submitted"
    summary = project.draw(Draw(shots=[shot.id], takes=1))
    assert [v.take.number for v in project.takes(shot.id)] == [1, 2], "no number was burnt"
    assert summary.done == 1


def test_a_refusal_names_the_shot_and_the_fix(project: Project, tmp_path) -> None:
    shot = project.shots(episode=1)[1]
    still = project.root / "refs" / "end.png"
    from PIL import Image

    Image.new("RGB", (64, 114), "gray").save(still)
    project.update_shot(shot.id, last_keyframe=Keyframe(path="refs/end.png"))
    with pytest.raises(EngineError) as refused:
        project.plan(Draw(shots=[shot.id], takes=2, engine="kling"))
    assert shot.id in str(refused.value) and "last frame" in str(refused.value)
    plan = project.plan(Draw(shots=[shot.id], takes=2, engine="kling", allow_downgrade=True))
    assert plan.shots[0].takes == 2
    assert any("last keyframe ignored" in d for d in plan.shots[0].downgrades)
    assert _rows(project) == (0, 0)


def test_a_run_over_a_shots_credit_budget_is_refused_with_the_figures(project: Project) -> None:
    shot = project.shots(episode=1)[0]
    project.update_shot(shot.id, budget=Budget(max_credits=5))
    with pytest.raises(BudgetExceeded) as refused:
        project.draw(Draw(shots=[shot.id], takes=3, engine="kling"))
    message = str(refused.value)
    assert f"would spend {3 * KLING_STD_5:g} credits on shot {shot.id}" in message
    assert "3 takes, 2 each" in message and "5 of 5 credits left" in message
    assert _rows(project) == (0, 0), "refused before anything was submitted"
    plan = project.plan(Draw(shots=[shot.id], takes=2, engine="kling"))
    assert (plan.takes, plan.credits) == (2, 2 * KLING_STD_5)


def test_an_episode_credit_budget_counts_every_shot_of_the_run(project: Project) -> None:
    shots = project.shots(episode=1)
    project.set_episode_budget(1, Budget(max_credits=KLING_STD_5 * (len(shots) - 1)))
    with pytest.raises(BudgetExceeded, match=f"on episode 1 \\({len(shots)} takes\\)"):
        project.draw(Draw(episode=1, takes=1, engine="kling"))
    assert _rows(project) == (0, 0)
    plan = project.plan(Draw(shots=[s.id for s in shots[:-1]], takes=1, engine="kling"))
    assert plan.credits == KLING_STD_5 * (len(shots) - 1)


def test_the_plan_is_what_render_queues(project: Project) -> None:
    shots = project.shots(episode=1)
    project.draw(Draw(shots=[shots[0].id], takes=2))
    plan = project.plan(Draw(episode=1, takes=2))
    assert _rows(project) == (2, 2), "a dry run writes nothing"
    assert plan.engine == "previz" and plan.shots[0].take_numbers == [3, 4]
    project.draw(Draw(episode=1, takes=2))
    for entry in plan.shots:
        views = [v for v in project.takes(entry.shot_id) if v.take.number in entry.take_numbers]
        assert [(v.take.number, v.take.seed) for v in views] == list(
            zip(entry.take_numbers, entry.seeds, strict=True))


def test_budget_caps_on_takes_are_still_notes_not_refusals(project: Project) -> None:
    shot = project.shots(episode=1)[0]
    project.update_shot(shot.id, budget=Budget(max_takes=2))
    plan = project.plan(Draw(shots=[shot.id], takes=5))
    assert plan.takes == 2
    assert plan.notes == [f"shot {shot.id} allows 2 takes; queued 2 of 5 for {shot.id}."]
