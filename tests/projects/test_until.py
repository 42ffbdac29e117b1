"""Draw until good: a shot is drawn a batch at a time and stops at its score, cap, budget or a
failed batch; re-running the same command after a crash goes on where it stopped."""

from __future__ import annotations

import pytest

from shotcraft.engine.protocol import RenderedTake
from shotcraft.projects import Project
from shotcraft.projects.draw import Draw
from shotcraft.shots.errors import SpecError
from shotcraft.shots.models import Budget, TakeStatus

pytestmark = pytest.mark.usefixtures("small_previz")

GOOD = "E01-S01-000"  # the hook's close-up: previz scores its takes about 0.99, any sensible
# threshold is reached (its slow moves at the tests' tenth size can read as a stutter)
POOR = "E01-S02-001"  # a night street: previz scores it about 0.7, never 0.95




def _numbers(project: Project, shot_id: str) -> list[int]:
    return [v.take.number for v in project.takes(shot_id)]


def test_a_threshold_reached_by_the_first_batch_stops_the_shot_there(project: Project) -> None:
    events: list = []
    summary = project.draw(Draw(what="until", shots=[GOOD], until=0.0), on_event=events.append)
    [stop] = summary.shots
    assert stop.stopped_by == "score" and stop.takes == 2 and stop.drawn == 2
    assert _numbers(project, GOOD) == [1, 2]  # one batch of the default two, no more
    best = max(project.takes(GOOD), key=lambda v: v.take.score or 0).take
    assert (stop.best_take, stop.best_score) == (best.number, best.score)
    assert stop.sentence.startswith(f"{GOOD}: take {best.number} scored ")
    assert stop.sentence.endswith("≥ 0.00 after 2 takes")
    # the progress stream: one run-wide count first, the takes, then the shot's stop
    assert events[0].kind == "queued" and events[0].total == 8
    assert [e.kind for e in events].count("done") == 2
    assert events[-1].kind == "stopped" and events[-1].message == stop.sentence
    assert events[-1].total == events[-1].finished == 2


@pytest.mark.usefixtures("ceilings_unknown")
def test_a_shot_that_never_scores_enough_stops_at_the_cap_and_resumes_past_it(
    project: Project,
) -> None:
    summary = project.draw(Draw(what="until", shots=[POOR], until=0.95, max_takes=3))
    [stop] = summary.shots
    assert stop.stopped_by == "max_takes" and stop.takes == 3
    assert _numbers(project, POOR) == [1, 2, 3]  # a batch of 2, then 1 up to the cap
    assert stop.sentence.startswith(f"{POOR}: stopped at the 3-take cap; best take ")
    assert stop.best_score is not None and stop.best_score < 0.95

    again = project.draw(Draw(what="until", shots=[POOR], until=0.95, max_takes=3))
    assert again.shots[0].stopped_by == "max_takes" and again.done == 0
    more = project.draw(Draw(what="until", shots=[POOR], until=0.95, max_takes=4, takes=1))
    assert more.shots[0].stopped_by == "max_takes" and more.done == 1
    takes = [v.take for v in project.takes(POOR)]
    assert [t.number for t in takes] == [1, 2, 3, 4]
    assert len({t.seed for t in takes}) == 4  # the loop goes on from the last seed


@pytest.mark.usefixtures("ceilings_unknown")
def test_the_shot_budget_stops_the_loop_before_the_cap(project: Project) -> None:
    project.update_shot(POOR, budget=Budget(max_takes=3))
    summary = project.draw(Draw(what="until", shots=[POOR], until=0.95, max_takes=8))
    [stop] = summary.shots
    assert stop.stopped_by == "budget" and stop.takes == 3
    assert _numbers(project, POOR) == [1, 2, 3]
    assert "stopped by the budget after 3 takes" in stop.sentence
    assert "allows 3 takes" in stop.sentence


def test_a_shot_already_holding_a_good_take_draws_nothing(project: Project) -> None:
    project.draw(Draw(shots=[GOOD], takes=1))
    summary = project.draw(Draw(what="until", shots=[GOOD], until=0.5))
    [stop] = summary.shots
    assert stop.stopped_by == "already_good" and stop.drawn == 0
    assert stop.sentence.endswith("nothing drawn")
    assert _numbers(project, GOOD) == [1] and summary.done == 0


def test_the_episode_form_draws_only_shots_without_a_pick(project: Project) -> None:
    shots = [s.id for s in project.shots(episode=2)]
    project.draw(Draw(shots=shots[:-1], takes=1))
    for shot_id in shots[:-1]:
        project.pick(shot_id, 1)
    summary = project.draw(Draw(what="until", episode=2, until=0.0))
    assert [s.shot_id for s in summary.shots] == [shots[-1]]
    assert _numbers(project, shots[-1]) == [1, 2]
    assert [_numbers(project, s) for s in shots[:-1]] == [[1]] * (len(shots) - 1)


def test_a_batch_the_engine_fails_entirely_stops_the_shot(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shotcraft.engine.previz as previz

    def out_of_memory(self, request, **kwargs):  # noqa: ANN001, ANN003
        return [RenderedTake(take_number=n, seed=s, failed="the GPU ran out of memory")
                for n, s in zip(request.take_numbers, request.seeds, strict=True)]

    monkeypatch.setattr(previz.PrevizEngine, "render", out_of_memory)
    summary = project.draw(Draw(what="until", shots=[POOR], until=0.9, max_takes=8))
    [stop] = summary.shots
    assert stop.stopped_by == "failed" and stop.drawn == 2  # not six more failures to the cap
    assert "the GPU ran out of memory" in stop.sentence
    assert summary.failed == 2 and summary.done == 0


@pytest.mark.usefixtures("ceilings_unknown")
def test_an_interrupted_run_goes_on_without_drawing_a_take_twice(project: Project) -> None:
    class Crash(Exception):
        pass

    done: list[int] = []

    def crash_in_the_second_batch(event) -> None:  # noqa: ANN001
        if event.kind == "done":
            done.append(event.take)
            if len(done) == 3:
                raise Crash

    with pytest.raises(Crash):
        project.draw(Draw(what="until", shots=[POOR], until=0.95, max_takes=4), on_event=crash_in_the_second_batch)
    left = [v.take for v in project.takes(POOR)]
    assert [t.number for t in left] == [1, 2, 3, 4]
    assert [t.status for t in left].count(TakeStatus.DONE) == 3  # take 4 never got stored

    summary = project.draw(Draw(what="until", shots=[POOR], until=0.95, max_takes=4))
    assert summary.resumed == 1 and summary.queued == 0  # take 4, under its own number and seed
    assert summary.shots[0].stopped_by == "max_takes"
    takes = [v.take for v in project.takes(POOR)]
    assert [t.number for t in takes] == [1, 2, 3, 4]  # nothing past the cap, nothing twice
    assert all(t.status is TakeStatus.DONE for t in takes)
    assert len({t.seed for t in takes}) == 4
    assert not [j for j in project.jobs() if j["state"] in ("queued", "running")]


@pytest.mark.usefixtures("ceilings_unknown")
def test_the_dry_run_plan_is_an_upper_bound_and_writes_nothing(project: Project) -> None:
    project.draw(Draw(shots=[GOOD], takes=1))
    plan = project.plan(Draw(what="until", shots=[GOOD, POOR], until=0.9, max_takes=6))
    by_shot = {entry.shot_id: entry for entry in plan.shots}
    assert by_shot[GOOD].takes == 0 and "already good" in by_shot[GOOD].notes[0]
    assert by_shot[POOR].takes == 6 and by_shot[POOR].take_numbers == [1, 2, 3, 4, 5, 6]
    assert _numbers(project, POOR) == []


def test_the_dry_run_refuses_a_score_previz_cannot_reach_as_the_run_would(project: Project) -> None:
    with pytest.raises(SpecError, match=f"previz takes of {POOR} cannot reach 0.9"):
        project.plan(Draw(what="until", shots=[GOOD, POOR], until=0.9, max_takes=6))
    assert _numbers(project, POOR) == []


@pytest.mark.parametrize(("until", "max_takes", "field"), [
    (1.01, 8, "until"), (-0.1, 8, "until"), (float("nan"), 8, "until"),
    (0.8, 0, "max-takes"), (0.8, 101, "max-takes"),
])
def test_out_of_range_thresholds_and_caps_are_refused_before_drawing(
    project: Project, until: float, max_takes: int, field: str,
) -> None:
    with pytest.raises(SpecError) as caught:
        project.draw(Draw(what="until", shots=[GOOD], until=until, max_takes=max_takes))
    assert caught.value.field == field
    assert _numbers(project, GOOD) == []


def test_an_episode_budget_shared_by_a_round_stops_the_shots_it_leaves_nothing(
    project: Project,
) -> None:
    project.set_episode_budget(2, Budget(max_takes=3))
    summary = project.draw(Draw(what="until", episode=2, until=0.0))
    rules = [stop.stopped_by for stop in summary.shots]
    assert rules == ["score", "score", "budget", "budget"]  # 2 + 1 takes, then the budget is spent
    assert "episode 2 allows 3 takes" in summary.shots[2].sentence
    assert project.totals(episode=2).takes_done == 3


@pytest.mark.usefixtures("ceilings_unknown")
def test_a_credit_budget_that_refuses_the_next_batch_stops_the_shot_before_spending(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shotcraft.engine.previz as previz

    monkeypatch.setattr(previz.PrevizEngine, "describe_cost", lambda self, request: 1.0)
    project.update_shot(POOR, budget=Budget(max_credits=1.5))
    plan = project.plan(Draw(what="until", shots=[POOR], until=0.95))
    assert plan.takes == 0 and "would spend 2 credits" in plan.shots[0].notes[0]
    summary = project.draw(Draw(what="until", shots=[POOR], until=0.95))
    [stop] = summary.shots
    assert stop.stopped_by == "budget" and stop.takes == 0 and stop.best_take is None
    assert "this run would spend 2 credits on shot" in stop.sentence
    assert stop.sentence.endswith("; no take finished")
    assert _numbers(project, POOR) == []  # refused before a take number was burnt


def test_a_rejected_take_is_never_good_enough_but_counts_against_the_cap(project: Project) -> None:
    project.draw(Draw(what="until", shots=[GOOD], until=0.0))
    for number in (1, 2):
        project.reject(GOOD, number)
    summary = project.draw(Draw(what="until", shots=[GOOD], until=0.0, max_takes=4))
    [stop] = summary.shots
    assert stop.stopped_by == "score" and stop.best_take in (3, 4)  # drawn again, not "good"
    assert stop.takes == 4 and _numbers(project, GOOD) == [1, 2, 3, 4]


def test_a_score_previz_takes_cannot_reach_is_refused_before_any_draw(project: Project) -> None:
    """previz draws a night street dark and its camera as the model says: one small probe shows
    what every take of it scores, so asking for more is one sentence, not eight draws."""
    from typer.testing import CliRunner

    from shotcraft.studio.cli import app

    with pytest.raises(SpecError) as refused:
        project.draw(Draw(what="until", shots=[POOR], until=0.95))
    sentence = str(refused.value)
    assert f"previz takes of {POOR} cannot reach 0.95: they score at most 0." in sentence
    assert "exposure at most" in sentence and "ask for --until 0." in sentence
    assert project.takes(POOR) == []  # nothing drawn, nothing queued
    result = CliRunner().invoke(app, ["render", str(project.root), "--shot", POOR,
                                      "--until", "0.95"])
    assert result.exit_code == 1
    assert result.stderr.strip().count("\n") == 0 and "cannot reach 0.95" in result.stderr
    # a score its takes reach is drawn as before, the probe left no file behind
    summary = project.draw(Draw(what="until", shots=[POOR], until=0.5))
    assert summary.shots[0].stopped_by == "score"
    assert not [p for p in (project.root / "work").rglob("*") if "probe" in p.name]
