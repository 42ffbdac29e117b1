"""A rejected take keeps why the director threw it away; a reason can be corrected or taken back."""

from __future__ import annotations

import pytest

from shotcraft.projects import Project
from shotcraft.projects.draw import Draw
from shotcraft.shots.errors import ProjectError, SpecError
from shotcraft.shots.models import RejectReason, TakeStatus


@pytest.fixture
def shot_id(project: Project, small_previz: None) -> str:
    shot = project.shots(episode=1)[0]
    project.draw(Draw(shots=[shot.id], takes=2))
    return shot.id


def stored(project: Project, shot_id: str, number: int):  # noqa: ANN201
    return next(v.take for v in project.takes(shot_id) if v.take.number == number)


def test_a_reject_stores_its_reason_and_survives_reopening(project: Project, shot_id: str) -> None:
    returned = project.reject(shot_id, 1, "hands")
    assert returned.status is TakeStatus.REJECTED and returned.reject_reason is RejectReason.HANDS
    root = project.root
    project.close()
    take = stored(Project.open(root), shot_id, 1)
    assert take.status is TakeStatus.REJECTED and take.reject_reason is RejectReason.HANDS
    assert stored(Project.open(root), shot_id, 2).reject_reason is None


def test_rejecting_again_corrects_the_reason_and_a_plain_reject_keeps_it(project: Project, shot_id: str) -> None:
    project.reject(shot_id, 1, RejectReason.FACE)
    project.reject(shot_id, 1, "Motion ")  # the director changes his mind; typed loosely
    assert stored(project, shot_id, 1).reject_reason is RejectReason.MOTION
    project.reject(shot_id, 1)
    assert stored(project, shot_id, 1).reject_reason is RejectReason.MOTION


def test_a_plain_reject_has_no_reason(project: Project, shot_id: str) -> None:
    project.reject(shot_id, 2)
    take = stored(project, shot_id, 2)
    assert take.status is TakeStatus.REJECTED and take.reject_reason is None


def test_an_unknown_reason_is_one_sentence_listing_the_valid_ones_and_changes_nothing(
    project: Project, shot_id: str,
) -> None:
    with pytest.raises(SpecError) as caught:
        project.reject(shot_id, 1, "lighting")
    assert caught.value.field == "reason"
    assert str(caught.value) == ("reason: 'lighting' is not a reject reason; use one of face, hands, "
                                 "body, motion, continuity, artefact, other.")
    assert stored(project, shot_id, 1).status is TakeStatus.DONE


def test_rejecting_the_picked_take_clears_the_pick_and_keeps_the_reason(project: Project, shot_id: str) -> None:
    project.pick(shot_id, 2)
    project.reject(shot_id, 2, "continuity")
    assert project.shot(shot_id).picked_take is None
    view = next(v for v in project.takes(shot_id) if v.take.number == 2)
    assert view.rank is None and not view.picked
    assert view.take.reject_reason is RejectReason.CONTINUITY


def test_undoing_a_reject_makes_the_take_rankable_and_pickable_again(project: Project, shot_id: str) -> None:
    project.reject(shot_id, 1, "artefact")
    project.unreject(shot_id, 1)
    view = next(v for v in project.takes(shot_id) if v.take.number == 1)
    assert view.take.status is TakeStatus.DONE and view.take.reject_reason is None
    assert view.rank is not None
    project.pick(shot_id, 1)
    assert project.shot(shot_id).picked_take == 1
    with pytest.raises(ProjectError, match="is done, not rejected"):
        project.unreject(shot_id, 1)
