"""`stats`: the producer's numbers on real previz takes, checked against a count by hand."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from shotcraft.projects import Project
from shotcraft.projects.draw import Draw
from shotcraft.projects.stats import reject_reason
from shotcraft.shots.models import RejectReason

pytestmark = pytest.mark.usefixtures("small_previz")


def test_stats_count_draws_rejects_and_spend_per_picked_shot_and_minute(project: Project) -> None:
    first, second = project.shots(episode=1)[:2]
    project.draw(Draw(shots=[first.id], takes=4))
    project.draw(Draw(shots=[second.id], takes=2))
    project.reject(first.id, 1)
    project.reject(first.id, 3, "face")
    project.pick(first.id, 2)
    project.pick(second.id, 1)

    numbers = project.stats()
    # by hand: 4 + 2 draws over 2 picked shots; every take's own compute seconds
    spent = sum(v.take.cost_seconds for s in (first, second) for v in project.takes(s.id))
    minutes = (first.duration_frames + second.duration_frames) / project.fps / 60
    assert spent > 0
    assert numbers.picked_shots == 2 and numbers.draws == 6
    assert numbers.draws_per_pick_mean == 3.0 and numbers.draws_per_pick_max == 4
    assert numbers.rejects == {"unspecified": 1, "face": 1}
    assert numbers.takes_failed == 0
    assert numbers.seconds_per_pick == pytest.approx(spent / 2, abs=1e-3)
    assert numbers.seconds_per_minute == pytest.approx(spent / minutes, abs=1e-2)
    assert numbers.credits_per_pick == 0.0 and numbers.credits_per_minute == 0.0
    assert numbers.finished_minutes == pytest.approx(minutes, abs=1e-4)
    all_ids = [s.id for s in project.shots()]
    assert numbers.unpicked_ids == [s for s in all_ids if s not in (first.id, second.id)]
    assert numbers.unpicked_shots == len(all_ids) - 2
    # both picked shots have two takes standing (the first after its reject): both are judged
    assert numbers.ranker_fixed.shots == 2

    later = project.stats(episode=2)
    assert later.picked_shots == 0 and later.draws_per_pick_mean is None
    assert later.seconds_per_minute is None and later.rejects == {}


def test_reject_reasons_are_read_where_recorded_and_unspecified_elsewhere() -> None:
    assert reject_reason(SimpleNamespace(reject_reason=RejectReason.FACE)) == "face"
    assert reject_reason(SimpleNamespace(reject_reason="hands")) == "hands"  # a raw column value
    assert reject_reason(SimpleNamespace(reject_reason=None)) == "unspecified"
