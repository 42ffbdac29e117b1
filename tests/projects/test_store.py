"""The project folder and its store: create/open, import, re-import, edits, concurrency."""

from __future__ import annotations

import multiprocessing
import sqlite3
from pathlib import Path

import pytest

from shotcraft.projects import Project
from shotcraft.shots.errors import ProjectError, ScriptError, SpecError
from shotcraft.shots.models import CameraMove, Keyframe, Move
from tests.projects.conftest import SCRIPT, write_script


def test_new_project_is_a_folder_with_a_wal_database(tmp_path: Path) -> None:
    project = Project.create(tmp_path / "p", title="T", aspect="16:9", fps=24)
    for folder in ("script", "refs", "media/takes", "cache", "exports"):
        assert (project.root / folder).is_dir()
    mode = sqlite3.connect(project.root / "shotcraft.db").execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"
    reopened = Project.open(tmp_path / "p")
    assert (reopened.title, reopened.aspect, reopened.fps) == ("T", "16:9", 24)


def test_creating_twice_or_opening_a_plain_folder_is_a_clear_error(tmp_path: Path) -> None:
    Project.create(tmp_path / "p")
    with pytest.raises(ProjectError, match="already holds"):
        Project.create(tmp_path / "p")
    with pytest.raises(ProjectError, match="not a shotcraft project"):
        Project.open(tmp_path)
    with pytest.raises(SpecError, match="aspect"):
        Project.create(tmp_path / "q", aspect="4:3")


def test_import_builds_the_storyboard_and_keeps_the_script_verbatim(project: Project, script_file: Path) -> None:
    board = project.storyboard()
    assert [ep.number for ep in board.episodes] == [1, 2]
    assert [s.id for s in board.episodes[0].scenes] == ["1-1", "1-2"]
    dialogue = [d.text for shot in board.shots() for d in shot.dialogue]
    assert "".join(dialogue).count("你迟到了") == 1
    assert {c.name for c in board.characters} >= {"林晚", "顾言"}
    kept = project.root / "script" / script_file.name
    assert kept.read_bytes() == script_file.read_bytes()


def test_a_broken_script_names_the_file_and_saves_nothing(tmp_path: Path) -> None:
    project = Project.create(tmp_path / "p")
    empty = write_script(tmp_path, "", name="empty.txt")
    with pytest.raises(ScriptError, match="empty.txt"):
        project.import_script(empty)
    assert project.storyboard().shots() == []


def test_reimport_keeps_ids_edits_and_archives_removed_shots(project: Project, tmp_path: Path) -> None:
    before = {shot.id: shot for shot in project.shots()}
    target = next(s for s in before.values() if any("签字" in d.text for d in s.dialogue))
    project.update_shot(target.id, prompt="my own prompt", camera=CameraMove(move=Move.DOLLY_IN, intensity=0.9))
    removed = next(s for s in before.values() if any("她到底是谁" in d.text for d in s.dialogue))

    edited = SCRIPT.replace("顾言OS：她到底是谁？\n", "").replace("△林晚推门", "△林晚推门")
    edited = edited.replace("林晚：签字吧。", "林晚：签字吧。\n顾言：我不签。")
    report = project.import_script(write_script(tmp_path, edited, name="drama.txt"))

    after = {shot.id: shot for shot in project.shots()}
    assert target.id in after
    assert after[target.id].prompt == "my own prompt"
    assert after[target.id].camera.move is Move.DOLLY_IN
    assert removed.id not in after
    archived = project.storyboard(include_archived=True).shots()
    assert any(s.id == removed.id and s.archived for s in archived)
    assert report.archived >= 1 and report.added >= 1
    assert any(any("我不签" in d.text for d in s.dialogue) for s in after.values())
    # unchanged shots kept their ids
    unchanged = [s for s in before if s != removed.id]
    assert all(shot_id in after or shot_id == removed.id for shot_id in unchanged)


def test_update_shot_validates_fields_and_keeps_paths_inside(project: Project) -> None:
    shot = project.shots()[0]
    with pytest.raises(SpecError, match="duration_frames"):
        project.update_shot(shot.id, duration_frames=0)
    with pytest.raises(SpecError, match="first_keyframe"):
        project.update_shot(shot.id, first_keyframe={"path": "../../etc/passwd"})
    with pytest.raises(SpecError, match="picked_take"):
        project.update_shot(shot.id, picked_take=3)
    project.update_shot(shot.id, first_keyframe=Keyframe(chain_previous=True))
    assert project.shot(shot.id).first_keyframe == Keyframe(chain_previous=True)


def _queue_many(root: str, rounds: int) -> None:
    from shotcraft.projects.draw.plan import RenderPlan, ShotPlan
    from shotcraft.projects.draw.queue import queue_takes
    from shotcraft.shots.models import TakeKind

    project = Project.open(root)
    shot = project.shots()[0]
    for _ in range(rounds):
        queue_takes(project.store, RenderPlan(engine="previz", kind=TakeKind.VIDEO, shots=[ShotPlan(shot_id=shot.id, episode=shot.episode, takes=1)]))


def test_two_processes_allocating_takes_never_collide(project: Project) -> None:
    ctx = multiprocessing.get_context("spawn")
    workers = [ctx.Process(target=_queue_many, args=(str(project.root), 15)) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
        assert worker.exitcode == 0
    numbers = sorted(v.take.number for v in project.takes(project.shots()[0].id))
    assert numbers == list(range(1, 31))


def test_unknown_shot_is_a_project_error(project: Project) -> None:
    with pytest.raises(ProjectError, match="no shot E09"):
        project.shot("E09-S01-001")
