"""Takes know what they were drawn from: an edited shot or a changed face makes them outdated —
listed as such, ranked below current takes, never auto-picked, flagged in stats and at export."""

from __future__ import annotations

from pathlib import Path

import pytest

from shotcraft.projects import Project
from shotcraft.projects.draw import Draw
from shotcraft.shots.errors import ProjectError
from shotcraft.shots.models import CameraMove, Move, ShotSize, TakeStatus
from tests.projects.faces import FACES

pytestmark = pytest.mark.usefixtures("small_previz")

LINE = "E01-S01-003"  # 顾言：你迟到了。


def test_a_take_records_what_it_was_drawn_from(project: Project) -> None:
    project.draw(Draw(shots=[LINE], takes=1))
    [view] = project.takes(LINE)
    drawn = view.take.drawn_from
    assert drawn is not None and view.take.spec_hash
    shot = project.shot(LINE)
    assert drawn["spec"]["size"] == shot.size.value
    assert drawn["spec"]["duration"] == str(shot.duration_frames)
    assert set(drawn["references"]) == set(shot.characters)
    assert view.outdated == []


def test_editing_the_shot_outdates_earlier_takes_which_rank_below_new_ones(project: Project) -> None:
    project.draw(Draw(shots=[LINE], takes=2))
    project.update_shot(LINE, size=ShotSize.WS, camera=CameraMove(move=Move.HANDHELD))
    old = project.takes(LINE)
    assert all(set(v.outdated) >= {"size", "camera", "prompt"} for v in old)
    project.draw(Draw(shots=[LINE], takes=1))
    views = {v.take.number: v for v in project.takes(LINE)}
    assert views[3].outdated == [] and views[3].rank == 1
    assert sorted(views[n].rank for n in (1, 2)) == [2, 3]  # whatever they scored


def test_pick_auto_never_picks_an_outdated_take(project: Project) -> None:
    project.draw(Draw(shots=[LINE], takes=2))
    project.update_shot(LINE, duration_frames=120)
    result = project.auto_pick(episode=1)
    assert LINE not in result.picked
    assert any(note.startswith(f"{LINE}: not picked, every take is outdated") for note in result.notes)
    assert project.shot(LINE).picked_take is None
    project.draw(Draw(shots=[LINE], takes=1))
    assert project.auto_pick(episode=1).picked[LINE] == 3


def test_a_pick_that_becomes_outdated_is_flagged_in_stats_and_before_export(project: Project) -> None:
    project.draw(Draw(shots=[LINE], takes=1))
    project.pick(LINE, 1)
    assert project.stats(episode=1).outdated_picks == []
    project.update_shot(LINE, action="顾言放下咖啡杯。")
    [flag] = project.stats(episode=1).outdated_picks
    assert (flag.shot_id, flag.take, flag.changed) == (LINE, 1, ["action"])
    assert project.outdated_picks(episode=1) == [flag]
    assert project.shot(LINE).picked_take == 1  # a warning: the director's pick stands


def test_changing_a_characters_references_outdates_the_takes_drawn_with_the_old_face(
        project: Project) -> None:
    project.draw(Draw(shots=[LINE], takes=1))
    project.add_reference("顾言", FACES / "obama.jpg")
    [view] = project.takes(LINE)
    assert view.outdated == ["顾言's references"]
    project.draw(Draw(shots=[LINE], takes=1))
    project.remove_reference("顾言", FACES / "obama.jpg")  # by the image it was added from
    views = {v.take.number: v for v in project.takes(LINE)}
    assert views[1].outdated == []  # drawn with no reference: matches again
    assert views[2].outdated == ["顾言's references"]


def test_a_take_added_from_a_file_is_current_for_the_shot_as_it_was(project: Project) -> None:
    project.draw(Draw(shots=[LINE], takes=1))
    path = project.take_path(project.takes(LINE)[0].take)
    assert path is not None
    added = project.add_take(LINE, path)
    assert added.drawn_from is not None
    project.update_shot(LINE, size=ShotSize.CU)
    assert all(v.outdated for v in project.takes(LINE) if v.take.status is TakeStatus.DONE)


def test_remove_reference_takes_the_listed_path_or_its_file_name_and_names_what_it_cannot_find(
        project: Project) -> None:
    added = project.add_reference("顾言", FACES / "obama.jpg").reference
    project.add_reference("顾言", FACES / "obama2.jpg")
    assert len(project.remove_reference("顾言", Path(added).name).references) == 1
    with pytest.raises(ProjectError, match=r"顾言 has no reference nothing\.png \(references: refs/"):
        project.remove_reference("顾言", "nothing.png")
