"""Bounds through the Project facade (what the studio calls): refused before any query or queue."""

from __future__ import annotations

import pytest

from shotcraft.projects import Project
from shotcraft.projects.draw import Draw
from shotcraft.shots.errors import ProjectError, SpecError

HUGE = 99999999999999999999999


@pytest.mark.parametrize(("changes", "field"), [
    ({"duration_frames": 0}, "duration_frames"),
    ({"duration_frames": -30}, "duration_frames"),
    ({"duration_frames": HUGE}, "duration_frames"),
    ({"takes_wanted": 0}, "takes_wanted"),
    ({"takes_wanted": 101}, "takes_wanted"),
])
def test_a_shot_edit_out_of_range_is_refused_and_the_shot_kept(project: Project, changes: dict[str, int],
                                                                field: str) -> None:
    shot = project.shots()[0]
    with pytest.raises(SpecError) as caught:
        project.update_shot(shot.id, **changes)
    assert caught.value.field == field and "\n" not in str(caught.value)
    assert project.shot(shot.id) == shot


def test_numbers_the_database_cannot_hold_are_refused_as_missing(project: Project) -> None:
    shot = project.shots()[0].id
    with pytest.raises(ProjectError, match=f"shot {shot} has no take {HUGE}"):
        project.pick(shot, HUGE)
    with pytest.raises(ProjectError, match=f"shot {shot} has no take {HUGE}"):
        project.reject(shot, HUGE)
    for call in (lambda: project.storyboard(episode=HUGE), lambda: project.totals(episode=HUGE),
                 lambda: project.auto_pick(episode=HUGE), lambda: project.episode_budget(-HUGE)):
        with pytest.raises(ProjectError, match="there is no episode"):
            call()


@pytest.mark.parametrize(("kwargs", "field"), [({"takes": 101}, "takes"), ({"takes": 0}, "takes"),
                                               ({"seed": -1}, "seed"), ({"seed": 2**31 - 1}, "seed")])
def test_render_out_of_range_queues_nothing(project: Project, kwargs: dict[str, int], field: str) -> None:
    with pytest.raises(SpecError) as caught:
        project.draw(Draw(shots=[project.shots()[0].id], **kwargs))
    assert caught.value.field == field
    assert project.jobs() == [] and project.totals().takes_queued == 0
