"""A shot that starts on the previous shot's last frame: what a render says when it cannot."""

from __future__ import annotations

import pytest
from sqlmodel import select

from shotcraft.projects import Project
from shotcraft.projects.db import TakeRow
from shotcraft.projects.draw import Draw
from shotcraft.shots.errors import SpecError
from shotcraft.shots.models import Keyframe, TakeStatus

pytestmark = pytest.mark.usefixtures("small_previz")


def _chain(project: Project, shot_id: str) -> None:
    project.update_shot(shot_id, first_keyframe=Keyframe(chain_previous=True))


def _reason(project: Project, shot_id: str) -> str:
    """The refusal, planned before anything is queued: no take number is burnt."""
    before = [v.take.number for v in project.takes(shot_id)]
    with pytest.raises(SpecError) as refused:
        project.draw(Draw(shots=[shot_id], takes=1))
    assert [v.take.number for v in project.takes(shot_id)] == before
    return str(refused.value)


def test_first_shot_of_an_episode_has_no_previous_shot_to_chain_from(project: Project) -> None:
    first = project.shots(episode=1)[0]
    _chain(project, first.id)
    reason = _reason(project, first.id)
    assert f"shot {first.id} chains from the previous shot, but it is the first shot of episode 1." in reason
    assert "picked take" not in reason


def test_previous_shot_without_a_pick_is_named(project: Project) -> None:
    previous, shot = project.shots(episode=1)[:2]
    project.draw(Draw(shots=[previous.id], takes=1))  # a take, but nobody picked it
    _chain(project, shot.id)
    reason = _reason(project, shot.id)
    assert f"shot {shot.id} chains from the previous shot, but {previous.id} has no picked take yet." in reason


def test_picked_take_without_a_file_says_so(project: Project) -> None:
    previous, shot = project.shots(episode=1)[:2]
    project.draw(Draw(shots=[previous.id], takes=1))
    project.pick(previous.id, 1)
    with project.db.write() as session:
        row = session.exec(select(TakeRow).where(TakeRow.shot_id == previous.id)).one()
        row.media_path = None
        session.add(row)
    _chain(project, shot.id)
    reason = _reason(project, shot.id)
    assert f"but take 1 of {previous.id} (its pick) has no file." in reason
    assert "no picked take" not in reason


def test_picked_take_whose_last_frame_cannot_be_read_gives_the_cause(project: Project) -> None:
    previous, shot = project.shots(episode=1)[:2]
    project.draw(Draw(shots=[previous.id], takes=1))
    take = project.pick(previous.id, 1)
    media = project.take_path(take)
    assert media is not None
    media.write_bytes(b"not a video")  # damaged on disk after it was registered
    for cached in (project.root / "media" / "frames").glob(f"{media.stem}-last.png"):
        cached.unlink()
    _chain(project, shot.id)
    reason = _reason(project, shot.id)
    assert f"but the last frame of take 1 of {previous.id} (its pick) could not be read: " in reason
    assert "no picked take" not in reason


def test_chained_shot_renders_from_the_picked_take_of_the_previous_shot(project: Project) -> None:
    previous, shot = project.shots(episode=1)[:2]
    project.draw(Draw(shots=[previous.id], takes=1))
    project.pick(previous.id, 1)
    _chain(project, shot.id)
    summary = project.draw(Draw(shots=[shot.id], takes=1))
    assert summary.done == 1
    take = project.takes(shot.id)[0].take
    assert take.status is TakeStatus.DONE and "first_frame" in take.reference_hashes
