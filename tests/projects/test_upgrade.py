"""A project written by 0.1.0 (round 1, before migrations) opens with today's code, intact.

`tests/data/projects/round1/` is that project (see its README); every test copies it first.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from sqlmodel import select
from typer.testing import CliRunner

from shotcraft.assembly.episode import ExportOptions
from shotcraft.projects import Project
from shotcraft.projects import schema as schema_module
from shotcraft.projects.draw.elements import kept_element
from shotcraft.projects.schema import BASELINE, HEAD, head
from shotcraft.shots.errors import ProjectError
from shotcraft.studio.cli import app

ROUND1 = Path(__file__).resolve().parent.parent / "data" / "projects" / "round1"
SHOTS = [f"E01-S01-00{n}" for n in range(1, 6)]
runner = CliRunner()


@pytest.fixture
def old_project(tmp_path: Path) -> Path:
    folder = tmp_path / "round1"
    shutil.copytree(ROUND1, folder)
    return folder


def backups(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if ".backup-" in p.name)


def stored_revision(db_file: Path) -> str | None:
    with closing(sqlite3.connect(db_file)) as conn, conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if "alembic_version" not in tables:
            return None
        return conn.execute("SELECT version_num FROM alembic_version").fetchone()[0]


def test_a_round1_project_opens_with_every_shot_take_pick_and_edit(old_project: Path) -> None:
    project = Project.open(old_project)
    shots = project.shots()
    assert [s.id for s in shots] == SHOTS
    assert all(s.picked_take is not None for s in shots)
    assert project.shot("E01-S01-002").prompt.startswith("林晚推门而入, hand-edited prompt")
    views = [v for shot_id in SHOTS for v in project.takes(shot_id)]
    assert len(views) == 10
    assert [v.take.status.value for v in views].count("rejected") == 1
    assert all(v.take.reject_reason is None for v in views)  # rejected before reasons existed
    assert sum(v.picked for v in views) == 5
    assert all(v.take.scores and v.take.score is not None for v in views)
    assert all(v.explanations["sharpness"] for v in views)
    for view in views:
        assert project.take_path(view.take) is not None and project.take_path(view.take).is_file()
        assert view.take.thumbnail_path and (old_project / view.take.thumbnail_path).is_file()
    lin, gu = project.character("林晚"), project.character("顾言")
    assert lin.references and all((old_project / ref).is_file() for ref in lin.references)
    assert gu.description == "30岁, 黑西装"
    # a round-1 edit still survives a re-import of the same script
    project.import_script(old_project / "script" / "short.txt")
    assert project.shot("E01-S01-002").prompt.startswith("林晚推门而入, hand-edited prompt")
    assert len([v for v in project.takes("E01-S01-005")]) == 2
    project.close()


def test_the_cli_lists_the_upgraded_shots_and_takes(old_project: Path) -> None:
    result = runner.invoke(app, ["shots", str(old_project), "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    board = json.loads(result.stdout)
    shots = [s for ep in board["episodes"] for sc in ep["scenes"] for s in sc["shots"]]
    assert [s["id"] for s in shots] == SHOTS
    assert all(s["picked_take"] for s in shots)
    assert sum(s["takes"]["takes_done"] for s in shots) == 10
    result = runner.invoke(app, ["takes", str(old_project), "E01-S01-005", "--json"],
                           catch_exceptions=False)
    assert result.exit_code == 0, result.output
    takes = json.loads(result.stdout)
    assert [(t["take"], t["rejected"], t["picked"]) for t in takes] == [(1, True, False), (2, False, True)]
    assert [t["reject_reason"] for t in takes] == [None, None]
    assert all(Path(t["path"]).is_file() for t in takes)
    assert takes[1]["scores"]["sharpness"] > 0.5


def test_opening_backs_up_the_old_database_once(old_project: Path) -> None:
    db_file = old_project / "shotcraft.db"
    Project.open(old_project).close()
    (backup,) = backups(old_project)
    assert backup.name.startswith(f"shotcraft.db.backup-{BASELINE}-")
    with closing(sqlite3.connect(backup)) as conn:
        assert conn.execute("SELECT count(*) FROM take").fetchone()[0] == 10
        assert conn.execute("SELECT schema_version FROM project").fetchone()[0] == 1
        assert conn.execute("SELECT name FROM sqlite_master WHERE name='alembic_version'").fetchone() is None
    assert stored_revision(db_file) == head()
    before = db_file.read_bytes()
    Project.open(old_project).close()
    assert backups(old_project) == [backup]  # no second backup, no second migration
    assert stored_revision(db_file) == head()
    assert db_file.read_bytes() == before


def test_a_project_from_a_newer_shotcraft_is_refused_untouched(old_project: Path) -> None:
    db_file = old_project / "shotcraft.db"
    Project.open(old_project).close()
    with closing(sqlite3.connect(db_file)) as conn, conn:
        conn.execute("UPDATE alembic_version SET version_num = '0099_from_the_future'")
    assert not list(old_project.glob("shotcraft.db-*"))  # checkpointed: the file is all there is
    for backup in backups(old_project):
        backup.unlink()
    before = db_file.read_bytes()
    with pytest.raises(ProjectError) as caught:
        Project.open(old_project)
    message = str(caught.value)
    assert "was saved by a newer shotcraft (schema 0099_from_the_future)" in message
    assert f"(schema {head()})" in message and message.endswith("upgrade shotcraft to open it.")
    assert db_file.read_bytes() == before
    assert backups(old_project) == []
    result = runner.invoke(app, ["shots", str(old_project), "--json"])
    assert result.exit_code == 1 and "newer shotcraft" in result.stderr


def test_a_failed_migration_leaves_the_old_database_usable(
    old_project: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    from shotcraft.projects import stored_json

    def broken(*args: object, **kwargs: object) -> int:
        raise RuntimeError("disk on fire")

    # Alembic loads the revision files afresh on every upgrade, so 0002 imports this one
    monkeypatch.setattr(stored_json, "rewrite_column", broken)
    with pytest.raises(ProjectError, match=r"failed \(disk on fire\), so it was left unchanged; a backup"):
        Project.open(old_project)
    db_file = old_project / "shotcraft.db"
    assert stored_revision(db_file) is None  # not even stamped
    with closing(sqlite3.connect(db_file)) as conn, conn:
        assert conn.execute("SELECT count(*) FROM take").fetchone()[0] == 10
        assert conn.execute("SELECT schema_version FROM project").fetchone()[0] == 1
        assert json.loads(conn.execute("SELECT scores FROM take WHERE id = 1").fetchone()[0])["motion"] == 1.0
    monkeypatch.undo()
    project = Project.open(old_project)  # the next open, with a working revision, upgrades it
    assert len(project.shots()) == 5
    project.close()
    assert stored_revision(db_file) == head()


def test_two_processes_opening_an_old_project_migrate_it_once(
    old_project: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    import threading

    real_backup = schema_module._backup
    entered = threading.Event()

    def slow_backup(db_file: Path, revision: str) -> Path:
        entered.set()
        threading.Event().wait(0.5)  # hold the write lock while the other opener arrives
        return real_backup(db_file, revision)

    monkeypatch.setattr(schema_module, "_backup", slow_backup)
    errors: list[BaseException] = []

    def open_it() -> None:
        try:
            Project.open(old_project).close()
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    first = threading.Thread(target=open_it)
    first.start()
    assert entered.wait(10)
    second = threading.Thread(target=open_it)  # a separate connection: it waits on the file lock
    second.start()
    first.join(30)
    second.join(30)
    assert errors == []
    assert len(backups(old_project)) == 1
    assert stored_revision(old_project / "shotcraft.db") == head()


def test_the_upgraded_project_exports_episode_1(old_project: Path, tmp_path: Path) -> None:
    project = Project.open(old_project)
    result = project.export(1, ExportOptions(preset="test-small", subtitles="none"),
                            out=tmp_path / "ep1.mp4")
    assert result.output.is_file() and result.output.stat().st_size > 0
    assert [clip.shot_id for clip in result.clips] == SHOTS
    assert [clip.take for clip in result.clips] == [s.picked_take for s in project.shots()]
    project.close()


def test_the_cli_says_once_that_it_upgraded_and_where_the_backup_is(old_project: Path) -> None:
    first = runner.invoke(app, ["shots", str(old_project)], catch_exceptions=False)
    assert first.exit_code == 0, first.output
    (backup,) = backups(old_project)
    assert f"upgraded the project from schema {BASELINE} to {HEAD}" in first.stderr
    assert backup.name in first.stderr
    again = runner.invoke(app, ["shots", str(old_project)], catch_exceptions=False)
    assert again.exit_code == 0 and "upgraded" not in again.stderr


def test_a_0002_project_gains_per_character_ip_adapter_scales_at_the_engine_default(
    old_project: Path,
) -> None:
    db_file = _schema_at(old_project, "0002_versioned_json")  # what the previous release left on disk
    assert stored_revision(db_file) == "0002_versioned_json"

    project = _open_upgraded(old_project, "0002_versioned_json")
    lin = project.character("林晚")
    assert lin.ip_adapter_scale is None and lin.references  # unset: drawn as before
    assert project.character("顾言").description == "30岁, 黑西装"
    project.update_character("林晚", ip_adapter_scale=0.8)
    project.close()
    assert Project.open(old_project).character("林晚").ip_adapter_scale == 0.8


def test_a_0003_project_has_no_element_until_a_kling_render_makes_one(old_project: Path) -> None:
    """0004 gave each character an empty Kling element; 0009 moves elements into the engine's
    own state, where a character with none has no row."""
    from shotcraft.projects.db import CharacterRow, ProviderStateRow

    db_file = _schema_at(old_project, "0003_character_ip_adapter_scale")  # the previous release's schema
    assert stored_revision(db_file) == "0003_character_ip_adapter_scale"

    project = _open_upgraded(old_project, "0003_character_ip_adapter_scale")
    with project.store.db.read() as session:
        assert session.exec(select(CharacterRow)).all()
        assert session.exec(select(ProviderStateRow)).all() == []  # none made yet
    assert project.character("林晚").references  # the bible is intact
    record = {"id": "863121023120580600", "region": "api-singapore.klingai.com",
              "references_hash": "ab" * 32, "created_at": "2026-12-06T00:00:00+00:00"}
    with project.store.db.write() as session:
        session.add(ProviderStateRow(provider="kling", kind="element", subject="林晚",
                                     value=record))
    project.close()
    reopened = Project.open(old_project)
    assert kept_element(reopened.store, "kling", "林晚") == record
    reopened.close()


def test_a_0008_project_keeps_each_kling_element_as_the_engine_s_own_state(
    old_project: Path,
) -> None:
    """The element on `character.kling_element` becomes the row ("kling", "element", name),
    the same record; the column is gone from the character table."""
    record = {"id": "863121023120580600", "region": "api-singapore.klingai.com",
              "references_hash": "cd" * 32, "created_at": "2026-12-06T00:00:00+00:00"}
    db_file = _schema_at(old_project, "0008_take_lipsync")  # the release before this one
    with closing(sqlite3.connect(db_file)) as conn, conn:
        conn.execute("UPDATE character SET kling_element = ? WHERE name = '林晚'",
                     (json.dumps(record),))

    project = _open_upgraded(old_project, "0008_take_lipsync")
    assert kept_element(project.store, "kling", "林晚") == record
    assert kept_element(project.store, "kling", "顾言") is None  # NULL: none was made
    project.close()
    with closing(sqlite3.connect(db_file)) as conn:
        columns = {row[1] for row in conn.execute("PRAGMA table_info(character)")}
    assert "kling_element" not in columns and {"name", "references", "voice"} <= columns


def test_a_project_made_before_the_draw_request_draws_picks_and_exports_as_it_did(
    old_project: Path, tmp_path: Path,
) -> None:
    """Made by the release before `Draw` (schema 0008): its takes, picks and scores are read
    as they were; `render` draws the next take under the next number and seed, the plan's
    --json keeps its shape, and the episode exports with the new pick."""
    _schema_at(old_project, "0008_take_lipsync")
    project = _open_upgraded(old_project, "0008_take_lipsync")
    before = {(v.take.shot_id, v.take.number): (v.take.seed, v.take.score, v.take.media_path)
              for shot_id in SHOTS for v in project.takes(shot_id)}
    project.close()

    planned = runner.invoke(app, ["render", str(old_project), "--shot", SHOTS[0], "--takes", "1",
                                  "--dry-run", "--json"], catch_exceptions=False)
    assert planned.exit_code == 0, planned.output
    plan = json.loads(planned.stdout)
    assert set(plan) == {"engine", "kind", "takes", "resumed", "credits", "notes", "shots"}
    [entry] = plan["shots"]
    numbers = [n for (shot_id, n) in before if shot_id == SHOTS[0]]
    assert (plan["engine"], plan["kind"], entry["take_numbers"]) == (
        "previz", "video", [max(numbers) + 1])
    drawn = runner.invoke(app, ["render", str(old_project), "--shot", SHOTS[0], "--takes", "1"],
                          catch_exceptions=False)
    assert drawn.exit_code == 0, drawn.output
    assert "drew 1 takes, 0 failed" in drawn.stdout

    project = Project.open(old_project)
    after = {(v.take.shot_id, v.take.number): (v.take.seed, v.take.score, v.take.media_path)
             for shot_id in SHOTS for v in project.takes(shot_id)}
    assert {key: after[key] for key in before} == before  # nothing old was touched
    [new] = [key for key in after if key not in before]
    assert new == (SHOTS[0], max(numbers) + 1) and after[new][2]
    project.pick(SHOTS[0], new[1])
    result = project.export(1, ExportOptions(preset="test-small", subtitles="none"),
                            out=tmp_path / "ep1.mp4")
    assert result.output.is_file() and [c.shot_id for c in result.clips] == SHOTS
    assert result.clips[0].take == new[1]
    assert [c.take for c in result.clips[1:]] == [s.picked_take for s in project.shots()[1:]]
    project.close()


def test_a_0004_project_keeps_its_rejected_takes_without_a_reason_and_can_give_one(
    old_project: Path,
) -> None:
    from shotcraft.shots.models import RejectReason, TakeStatus

    db_file = _schema_at(old_project, "0004_character_kling_element")  # the previous release's schema
    with closing(sqlite3.connect(db_file)) as conn:
        columns = {row[1] for row in conn.execute("PRAGMA table_info(take)")}
    assert "reject_reason" not in columns

    project = _open_upgraded(old_project, "0004_character_kling_element")
    (rejected,) = [v.take for v in project.takes("E01-S01-005") if v.take.status is TakeStatus.REJECTED]
    assert rejected.number == 1 and rejected.reject_reason is None
    project.reject("E01-S01-005", 1, "face")  # the director says now why he threw it away
    project.close()
    reopened = Project.open(old_project)
    assert reopened.takes("E01-S01-005")[0].take.reject_reason is RejectReason.FACE
    reopened.close()


def test_a_0004_project_gains_untrimmed_shots_and_keeps_its_picks(old_project: Path) -> None:
    from shotcraft.projects.db import ShotRow

    _schema_at(old_project, "0004_character_kling_element")  # the previous release's schema
    project = _open_upgraded(old_project, "0004_character_kling_element")
    shots = project.shots()
    assert [s.id for s in shots] == SHOTS
    assert all(s.trim_in is None and s.trim_out is None for s in shots)  # untrimmed
    assert all(s.picked_take is not None for s in shots)
    with project.store.db.write() as session:
        row = session.get(ShotRow, "E01-S01-002")
        row.trim_in, row.trim_out = 6, 48
        session.add(row)
    project.close()
    reopened = Project.open(old_project)
    trimmed = reopened.shot("E01-S01-002")
    assert (trimmed.trim_in, trimmed.trim_out) == (6, 48)
    reopened.close()


def test_a_0006_project_keeps_a_stored_voice_name_and_gives_the_rest_defaults(
    old_project: Path,
) -> None:
    db_file = _schema_at(old_project, "0006_shot_trim")  # the previous release's schema
    with closing(sqlite3.connect(db_file)) as conn, conn:
        conn.execute("UPDATE character SET voice = 'cmn+f5' WHERE name = '顾言'")
    project = _open_upgraded(old_project, "0006_shot_trim")
    voices = {v.name: v for v in project.character_voices()}
    assert (voices["顾言"].voice.voice, voices["顾言"].default) == ("cmn+f5", False)
    assert voices["林晚"].default and voices["林晚"].voice.voice not in ("cmn+f5", "")
    project.set_voice("林晚", speed=1.2)
    project.close()
    reopened = Project.open(old_project)
    assert reopened.character("林晚").voice.speed == 1.2  # type: ignore[union-attr]
    with closing(sqlite3.connect(db_file)) as conn:
        stored = json.loads(conn.execute(
            "SELECT voice FROM character WHERE name = '顾言'").fetchone()[0])
    assert stored == {"schema": "character.voice", "version": 2,
                      "data": {"engine": "espeak", "voice": "cmn+f5"}}
    reopened.close()


def test_a_0007_project_opens_with_its_takes_as_videos_without_a_parent(old_project: Path) -> None:
    """0008 adds lip-sync takes; every earlier take stays what it was, with no parent or audio."""
    db_file = _schema_at(old_project, "0007_character_voice")  # the previous release's schema
    with closing(sqlite3.connect(db_file)) as conn:
        before = conn.execute("SELECT shot_id, number, kind, status FROM take ORDER BY id").fetchall()
    project = _open_upgraded(old_project, "0007_character_voice")
    assert head() == "0011_picked_by"
    assert stored_revision(db_file) == head()
    views = [v for shot in project.shots() for v in project.takes(shot.id)]
    assert [(v.take.shot_id, v.take.number, v.take.kind.value, v.take.status.value)
            for v in views] == [tuple(row) for row in before]
    assert all(v.take.parent_take is None and v.take.audio_hash is None for v in views)
    project.close()


def test_a_0009_project_opens_with_no_take_outdated_and_its_descriptions_split(
        old_project: Path) -> None:
    """0010 records what takes are drawn from and splits descriptions: nothing drawn before is
    called outdated (there is nothing to compare), every shot is at eye level, and a
    description becomes appearance (what prompts use) and biography."""
    db_file = _schema_at(old_project, "0009_provider_state")
    with closing(sqlite3.connect(db_file)) as conn, conn:
        conn.execute("UPDATE character SET description = '23岁，落魄设计师，白衬衫' "
                     "WHERE name = '林晚'")
    project = _open_upgraded(old_project, "0009_provider_state")
    views = [v for shot in project.shots() for v in project.takes(shot.id)]
    assert views and all(v.take.drawn_from is None and not v.outdated for v in views)
    assert all(shot.angle is None for shot in project.shots())
    lin = project.character("林晚")
    assert (lin.appearance, lin.biography) == ("23岁，白衬衫", "落魄设计师")
    # a description the director wrote is theirs: kept whole, as the appearance, still edited
    gu = project.character("顾言")
    assert (gu.appearance, gu.biography) == ("30岁, 黑西装", None)
    project.import_script(old_project / "script" / "short.txt")
    assert project.character("顾言").appearance == "30岁, 黑西装"
    assert project.auto_pick(episode=1).notes == []  # picks stand; nothing is outdated


def test_a_0010_project_keeps_its_picks_unrecorded_and_its_rejects_as_the_director_s(
    old_project: Path,
) -> None:
    """0011 records who made each pick and reject. Nobody knows who made an older pick, so it
    stays unrecorded and teaches the ranker nothing; only the director could reject."""
    from shotcraft.shots.models import MadeBy

    _schema_at(old_project, "0010_take_drawn_from")
    project = _open_upgraded(old_project, "0010_take_drawn_from")
    assert head() == "0011_picked_by"
    shots = project.shots()
    assert all(s.picked_take is not None and s.picked_by is None for s in shots)
    views = [v for shot in shots for v in project.takes(shot.id)]
    rejected = [v.take for v in views if v.take.status.value == "rejected"]
    assert len(rejected) == 1 and rejected[0].rejected_by is MadeBy.DIRECTOR
    state = project.ranker()
    assert state.picked_shots == 0 and state.left_out == {"unrecorded": 5}
    project.pick(SHOTS[0], project.shot(SHOTS[0]).picked_take or 1)  # picked again, by hand
    assert project.shot(SHOTS[0]).picked_by is MadeBy.DIRECTOR
    assert project.ranker().left_out == {"unrecorded": 4}
    project.close()


def _schema_at(project_dir: Path, revision: str) -> Path:
    """Put the project's database at an earlier release's schema (as that release left it);
    its file."""
    from alembic import command

    db_file = project_dir / "shotcraft.db"
    config = schema_module.alembic_config(url=f"sqlite:///{db_file}")
    command.stamp(config, BASELINE)
    command.upgrade(config, revision)
    return db_file


def _open_upgraded(project_dir: Path, revision: str) -> Project:
    """Open a project left at `revision`: it is upgraded to head, with one backup named so."""
    project = Project.open(project_dir)
    (backup,) = backups(project_dir)
    assert backup.name.startswith(f"shotcraft.db.backup-{revision}-")
    assert stored_revision(project_dir / "shotcraft.db") == head()
    return project
