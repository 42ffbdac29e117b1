"""The schema is built and changed only by the recorded migrations."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlmodel import SQLModel

from shotcraft.projects import Project
from shotcraft.projects.db import Database
from shotcraft.projects.schema import BASELINE, HEAD, alembic_config, head, schema_tables

ROOT = Path(__file__).resolve().parent.parent.parent
ROUND1 = ROOT / "tests" / "data" / "projects" / "round1"


def sqlite_master(db_file: Path) -> set[tuple[str, str, str]]:
    with closing(sqlite3.connect(db_file)) as conn:
        return {(kind, name, sql) for kind, name, sql in conn.execute(
            "SELECT type, name, sql FROM sqlite_master WHERE tbl_name != 'alembic_version'")}


def test_the_baseline_revision_is_exactly_what_round1_made(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'baseline.db'}")
    with db.locked() as connection:
        command.upgrade(alembic_config(connection=connection), BASELINE)
    db.dispose()
    assert sqlite_master(tmp_path / "baseline.db") == sqlite_master(ROUND1 / "shotcraft.db")


def test_a_new_and_an_upgraded_project_have_the_same_schema(tmp_path: Path) -> None:
    shutil.copytree(ROUND1, tmp_path / "old")
    upgraded = Project.open(tmp_path / "old")
    new = Project.create(tmp_path / "new")
    assert schema_tables(new.db) == schema_tables(upgraded.db)
    assert "reject_reason" in {c[0] for c in schema_tables(new.db)["take"]["columns"]}
    assert "schema_version" not in {c[0] for c in schema_tables(new.db)["project"]["columns"]}
    upgraded.close()
    new.close()


def test_the_models_match_the_newest_revision(tmp_path: Path) -> None:
    project = Project.create(tmp_path / "p")
    with project.db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, SQLModel.metadata) == []
        assert context.get_current_revision() == head()
    project.close()


def test_the_new_migration_script_finds_nothing_to_do(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "new_migration.py"), "--check"],
                            capture_output=True, text=True, cwd=tmp_path, check=False)
    assert result.returncode == 0, result.stderr
    assert "no migration needed" in result.stdout


def test_a_db_url_project_is_upgraded_without_a_file_backup(tmp_path: Path) -> None:
    shutil.copytree(ROUND1, tmp_path / "proj")
    elsewhere = tmp_path / "server"
    elsewhere.mkdir()
    (tmp_path / "proj" / "shotcraft.db").rename(elsewhere / "old.db")
    project = Project.open(tmp_path / "proj", db_url=f"sqlite:///{elsewhere / 'old.db'}")
    assert len(project.shots()) == 5
    project.close()
    assert sorted(p.name for p in elsewhere.iterdir()) == ["old.db"]
    assert not list((tmp_path / "proj").glob("*.backup-*"))


def test_head_names_the_newest_revision_file() -> None:
    from alembic.script import ScriptDirectory

    newest = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert newest == HEAD, f"a revision was added: set HEAD = {newest!r} in projects/schema.py"


def test_opening_a_current_project_does_not_import_alembic(tmp_path: Path) -> None:
    Project.create(tmp_path / "p").close()
    code = ("import sys; from shotcraft.projects import Project; "
            f"Project.open({str(tmp_path / 'p')!r}).close(); "
            "print(sorted(m for m in sys.modules if m.startswith('alembic')))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    assert result.stdout.strip() == "[]"


def test_a_backup_includes_the_wal_and_never_overwrites_another(tmp_path: Path) -> None:
    from shotcraft.projects.db import TakeRow
    from shotcraft.projects.schema import _backup

    project = Project.create(tmp_path / "p")
    with project.db.write() as session:
        session.add(TakeRow(shot_id="E01-S01-001", number=1))
    db_file = project.layout.db
    assert (tmp_path / "p" / "shotcraft.db-wal").stat().st_size > 0  # the take is in the WAL
    first, second = _backup(db_file, HEAD), _backup(db_file, HEAD)
    project.close()
    assert first != second and first.name.startswith(f"shotcraft.db.backup-{HEAD}-")
    for backup in (first, second):
        with closing(sqlite3.connect(backup)) as conn:
            assert conn.execute("SELECT count(*) FROM take").fetchone()[0] == 1
            assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"


def test_a_new_project_stores_shot_trims_as_nullable_frame_numbers(tmp_path: Path) -> None:
    project = Project.create(tmp_path / "p")
    columns = {name: (kind, nullable) for name, kind, nullable in
               schema_tables(project.db)["shot"]["columns"]}
    assert columns["trim_in"] == ("INTEGER", True) and columns["trim_out"] == ("INTEGER", True)
    project.close()


def test_a_new_project_stores_character_voices_as_nullable_json(tmp_path: Path) -> None:
    project = Project.create(tmp_path / "p")
    columns = {name: (kind, nullable) for name, kind, nullable in
               schema_tables(project.db)["character"]["columns"]}
    assert columns["voice"] == ("JSON", True)
    project.close()
