"""The database schema's recorded migrations (Alembic), run when a project is created or opened.

`Project.create` builds a new database by running every revision, and `Project.open` brings an
older one up to date, so a new and an upgraded project have the same schema. Before upgrading a
SQLite file it writes a backup beside it, `shotcraft.db.backup-<revision>-<UTC time>`, with
sqlite3's online backup API (WAL contents included); the whole upgrade runs in one
`BEGIN IMMEDIATE` transaction, so a second process opening the same project waits and then
finds it current, and a failed revision rolls back and leaves the file as it was. A database
at a revision this program doesn't know (made by a newer shotcraft) is refused untouched.

Other SQLAlchemy URLs (`db_url`) run the same revisions but get no file backup — back them up
with the database's own tools — and no cross-process lock beyond what their DDL takes.

A project made before migrations (round 1, 0.1.0) has the tables but no `alembic_version`: it is
recognised as the baseline revision, stamped, then upgraded.
"""

from __future__ import annotations

import functools
import logging
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url

from shotcraft import __version__
from shotcraft.projects.db import Database
from shotcraft.shots.errors import ProjectError
from shotcraft.shots.files import atomic_target

if TYPE_CHECKING:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
BASELINE = "0001_round1"  # what round 1 made with create_all()
# The newest revision. Kept here so opening a current project never imports Alembic (a quarter
# of a second at start-up); tests/projects/test_schema.py checks it against versions/.
HEAD = "0011_picked_by"
log = logging.getLogger(__name__)


def alembic_config(*, connection: Any = None, url: str | None = None) -> Config:
    """An Alembic config pointing into the package; no alembic.ini needed."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("file_template", "%%(rev)s")  # versions/0003_add_shot_colour.py
    if url is not None:
        config.set_main_option("sqlalchemy.url", url)
    config.attributes["connection"] = connection
    return config


@functools.cache
def _script() -> ScriptDirectory:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config())


def head() -> str:
    """The newest revision this program knows."""
    return HEAD


@functools.cache
def known_revisions() -> frozenset[str]:
    return frozenset(r.revision for r in _script().walk_revisions())


def stored_revision(connection: Any) -> tuple[str | None, bool]:
    """The database's revision and whether it is stamped: (BASELINE, False) for a round-1
    project (tables, no `alembic_version`), (None, False) for an empty database."""
    inspector = inspect(connection)
    if inspector.has_table("alembic_version"):
        rows = connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
        if len(rows) > 1:
            raise ProjectError(f"the database has {len(rows)} schema revisions at once ({', '.join(rows)}).")
        if rows:
            return rows[0], True
    if inspector.has_table("project"):
        return BASELINE, False
    return None, False


@dataclass(frozen=True)
class Upgrade:
    """What opening a project changed: from which revision to which, and the backup kept."""

    old: str
    new: str
    backup: Path | None

    def sentence(self) -> str:
        kept = f"; the old database is kept as {self.backup.name}" if self.backup else ""
        return f"upgraded the project from schema {self.old} to {self.new}{kept}."


def migrate(db: Database, db_file: Path | None = None) -> Upgrade | None:
    """Bring `db` to the newest revision; says what changed (None: it was current or new).

    `db_file` is the SQLite file to back up first (None: no backup, e.g. a db_url database).
    Raises ProjectError for a database made by a newer shotcraft or a revision that fails.
    """
    where = str(db_file) if db_file is not None else _redacted(db.url)
    with db.engine.connect() as connection:
        stored, _ = stored_revision(connection)
    if stored == HEAD:
        return None
    _refuse_unknown(stored, where)
    from alembic import command

    with db.locked() as connection:
        # another process may have upgraded while we waited for the lock
        stored, stamped = stored_revision(connection)
        if stored == HEAD:
            return None
        _refuse_unknown(stored, where)
        backup = _backup(db_file, stored) if db_file is not None and stored is not None else None
        config = alembic_config(connection=connection)
        try:
            if stored == BASELINE and not stamped:
                command.stamp(config, BASELINE)
            command.upgrade(config, "head")
        except Exception as exc:
            reason = (str(exc).splitlines() or [type(exc).__name__])[0][:200].rstrip(".")
            kept = f"; a backup is at {backup.name}" if backup else ""
            raise ProjectError(
                f"upgrading {where} from schema {stored or 'none'} to {HEAD} failed ({reason}), "
                f"so it was left unchanged{kept}."
            ) from exc
    log.info("upgraded %s from schema %s to %s; backup: %s", where, stored, HEAD, backup)
    return Upgrade(stored, HEAD, backup) if stored is not None else None


def _refuse_unknown(revision: str | None, where: str) -> None:
    if revision is not None and revision not in known_revisions():
        raise ProjectError(
            f"{where} was saved by a newer shotcraft (schema {revision}); this is shotcraft "
            f"{__version__} (schema {head()}) — upgrade shotcraft to open it."
        )


def backup_database(db_file: Path, label: str) -> Path:
    """Copy the database beside itself (`shotcraft.db.backup-LABEL-TIME`) with SQLite's online
    backup API; never overwrites. Returns the copy's path."""
    return _backup(db_file, label)


def _backup(db_file: Path, revision: str) -> Path:
    """Copy the database beside itself with the online backup API; never overwrites."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    base = db_file.with_name(f"{db_file.name}.backup-{revision}-{stamp}")
    target, n = base, 1
    while target.exists():
        n += 1
        target = base.with_name(f"{base.name}-{n}")
    with atomic_target(target) as partial:
        source = sqlite3.connect(db_file)
        copy = sqlite3.connect(partial)
        try:
            source.backup(copy)
            copy.execute("PRAGMA journal_mode=DELETE")  # the backup is one self-contained file
        finally:
            copy.close()
            source.close()
    return target


def _redacted(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def schema_tables(db: Database) -> dict[str, Any]:
    """Tables → columns, indexes and unique constraints (to compare two databases' schemas)."""
    with db.engine.connect() as connection:
        inspector = inspect(connection)
        return {
            table: {
                "columns": [(c["name"], str(c["type"]), c["nullable"])
                            for c in inspector.get_columns(table)],
                "indexes": sorted((i["name"], tuple(i["column_names"]), bool(i["unique"]))
                                  for i in inspector.get_indexes(table)),
                "unique": sorted((u["name"], tuple(u["column_names"]))
                                 for u in inspector.get_unique_constraints(table)),
                "pk": inspector.get_pk_constraint(table)["constrained_columns"],
            }
            for table in sorted(inspector.get_table_names())
        }


__all__ = ["BASELINE", "HEAD", "Upgrade", "alembic_config", "backup_database", "head", "migrate",
           "schema_tables", "stored_revision"]
