"""Shot-list editing: split, merge, insert, delete, reorder — and each survives re-import."""

from __future__ import annotations

from pathlib import Path

import pytest

from shotcraft.projects import Project
from shotcraft.shots.errors import ProjectError
from shotcraft.shots.models import ShotKind


def ids(project: Project, episode: int = 1) -> list[str]:
    return [shot.id for shot in project.shots(episode=episode)]


def test_merge_joins_dialogue_sums_duration_and_archives_the_next(project: Project) -> None:
    merged = project.merge_with_next("E01-S01-003")
    assert [d.text for d in merged.dialogue] == ["你迟到了。", "是你来早了。"]
    assert merged.duration_frames == 90
    assert "E01-S01-004" not in ids(project)
    stored = project.shot("E01-S01-003")
    assert stored.duration_frames == 90 and len(stored.dialogue) == 2
    assert project.shot("E01-S01-004").archived


def test_merge_refuses_the_last_shot_of_a_scene(project: Project) -> None:
    with pytest.raises(ProjectError, match="last of its scene"):
        project.merge_with_next("E01-S01-004")


def test_split_at_a_dialogue_line_gives_each_part_its_lines(project: Project) -> None:
    project.merge_with_next("E01-S01-003")
    first, second = project.split_shot("E01-S01-003", at_line=1)
    assert (first.id, second.id) == ("E01-S01-005", "E01-S01-006")
    assert [d.text for d in project.shot(first.id).dialogue] == ["你迟到了。"]
    assert [d.text for d in project.shot(second.id).dialogue] == ["是你来早了。"]
    assert first.duration_frames + second.duration_frames == 90
    # E01-S01-000 is the episode's hook, a flash-forward that opens it
    assert ids(project)[:6] == ["E01-S01-000", "E01-S01-001", "E01-S01-002", "E01-S01-005",
                                "E01-S01-006", "E01-S02-001"]
    assert project.shot("E01-S01-003").archived


def test_split_in_half_by_duration(project: Project) -> None:
    first, second = project.split_shot("E01-S01-002")
    assert (first.duration_frames, second.duration_frames) == (52, 53)
    assert first.action == "林晚（25岁，白裙）推门走进咖啡馆。" and second.action is None
    order = ids(project)
    assert order.index(first.id) + 1 == order.index(second.id) == 3


def test_split_refuses_a_line_outside_the_dialogue(project: Project) -> None:
    with pytest.raises(ProjectError, match="dialogue lines"):
        project.split_shot("E01-S01-003", at_line=1)


def test_insert_adds_an_empty_insert_shot_right_after(project: Project) -> None:
    shot = project.insert_shot_after("E01-S01-001")
    assert shot.kind == ShotKind.INSERT and shot.id == "E01-S01-005"
    assert ids(project)[:4] == ["E01-S01-000", "E01-S01-001", "E01-S01-005", "E01-S01-002"]
    assert project.shot(shot.id).duration_frames == 60
    assert project.shot(shot.id).content_hash.startswith("manual:")


def test_delete_archives_and_keeps_the_row(project: Project) -> None:
    project.delete_shot("E01-S02-002")
    assert "E01-S02-002" not in ids(project)
    assert project.shot("E01-S02-002").archived
    with pytest.raises(ProjectError, match="archived"):
        project.delete_shot("E01-S02-002")


def test_move_swaps_within_a_scene_and_crosses_scene_edges(project: Project) -> None:
    project.move_shot("E01-S01-003", -1)
    assert ids(project)[:5] == ["E01-S01-000", "E01-S01-001", "E01-S01-003", "E01-S01-002",
                                "E01-S01-004"]
    # the last shot of scene 1 moving down becomes the first of scene 2
    moved = project.move_shot("E01-S01-004", 1)
    assert moved.scene_id == "1-2"
    board = project.storyboard(episode=1)
    assert [s.id for s in board.episodes[0].scenes[1].shots][0] == "E01-S01-004"
    with pytest.raises(ProjectError, match="already the first"):
        project.move_shot("E01-S01-000", -1)


def test_edits_survive_reimport_of_the_same_script(project: Project, script_file: Path) -> None:
    project.merge_with_next("E01-S01-003")
    inserted = project.insert_shot_after("E01-S02-001")
    project.delete_shot("E01-S02-003")
    first, second = project.split_shot("E01-S01-002")
    report = project.import_script(script_file)
    assert report.added == 0
    live = ids(project)
    assert inserted.id in live and first.id in live and second.id in live
    assert "E01-S01-004" not in live and "E01-S02-003" not in live and "E01-S01-002" not in live
    assert len(project.shot("E01-S01-003").dialogue) == 2
    assert project.shot("E01-S01-003").duration_frames == 90
