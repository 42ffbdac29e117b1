"""Tables and the database connection.

SQLite by default (WAL, busy timeout, foreign keys); any SQLAlchemy URL works. Every
read-modify-write runs in `BEGIN IMMEDIATE` (`Database.write()`): with plain deferred
transactions two processes under WAL silently lose updates, because both read before either
takes the write lock.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

from pydantic import BaseModel
from sqlalchemy import Column, UniqueConstraint, event
from sqlalchemy.engine import Connection, Engine, make_url
from sqlmodel import Field, Session, SQLModel, create_engine

from shotcraft.projects.stored_json import (
    SHAPES,
    CheckedJSON,
    StoredValueError,
    VersionedJSON,
    damage,
)

BUSY_TIMEOUT_MS = 30_000


def utcnow() -> datetime:
    return datetime.now(UTC)


def _json(default: Any = None) -> Any:
    factory: Any = dict if isinstance(default, dict) else list
    return Field(default_factory=factory, sa_column=Column(CheckedJSON(factory), nullable=False))


def _versioned(schema: str, default: Any = None) -> Any:
    """A JSON column whose values carry a schema version (see projects/stored_json.py)."""
    if default is None:
        return Field(default=None, sa_column=Column(VersionedJSON(schema), nullable=True))
    factory: Any = dict if isinstance(default, dict) else list
    return Field(default_factory=factory, sa_column=Column(VersionedJSON(schema), nullable=False))


class ProjectRow(SQLModel, table=True):
    __tablename__ = "project"
    id: int = Field(default=1, primary_key=True)
    title: str
    fps: int = 30
    aspect: str = "9:16"
    language: str = "en"
    script_path: str | None = None  # inside the project: script/<name>
    script_format: str | None = None
    settings: dict[str, Any] = _versioned("project.settings", {})
    created_at: datetime = Field(default_factory=utcnow)


class EpisodeRow(SQLModel, table=True):
    __tablename__ = "episode"
    number: int = Field(primary_key=True)
    title: str | None = None
    budget: dict[str, Any] | None = _versioned("episode.budget")


class SceneRow(SQLModel, table=True):
    __tablename__ = "scene"
    id: str = Field(primary_key=True)  # "1-2"
    episode: int = Field(index=True)
    number: int
    heading: str = ""
    location: str = ""
    time: str | None = None
    interior: bool | None = None
    characters: list[str] = _json([])
    notes: list[str] = _json([])
    archived: bool = False


class ShotRow(SQLModel, table=True):
    __tablename__ = "shot"
    id: str = Field(primary_key=True)
    episode: int = Field(index=True)
    scene_id: str = Field(index=True)
    order: int = Field(index=True)
    kind: str = "action"
    size: str = "MS"
    camera_move: str = "static"
    camera_intensity: float = 0.5
    angle: str | None = None  # shots.models.Angle; None: eye level (migration 0010)
    duration_frames: int
    characters: list[str] = _json([])
    action: str | None = None
    dialogue: list[dict[str, Any]] = _versioned("shot.dialogue", [])
    prompt: str = ""
    negative_prompt: str = ""
    first_keyframe: dict[str, Any] | None = _versioned("shot.first_keyframe")
    last_keyframe: dict[str, Any] | None = _versioned("shot.last_keyframe")
    takes_wanted: int = 3
    budget: dict[str, Any] | None = _versioned("shot.budget")
    picked_take: int | None = None
    picked_by: str | None = None  # a MadeBy value (migration 0011); None: not recorded
    picked_keyframe: int | None = None
    # frames of the picked take the shot plays, [trim_in, trim_out), set by import-edit
    # (migration 0006); None: untrimmed
    trim_in: int | None = None
    trim_out: int | None = None
    notes: str | None = None
    source_lines: list[int] = _json([])
    content_hash: str = Field(default="", index=True)
    # names of fields the director edited by hand; re-import keeps their values
    edited: list[str] = _json([])
    archived: bool = False
    updated_at: datetime = Field(default_factory=utcnow)


class CharacterRow(SQLModel, table=True):
    __tablename__ = "character"
    name: str = Field(primary_key=True)
    aliases: list[str] = _json([])
    # what a camera sees (the only words prompts use) and who they are (migration 0010 split
    # the old `description` into these two)
    appearance: str | None = None
    biography: str | None = None
    references: list[str] = _json([])
    first_scene: str | None = None
    first_line: int | None = None
    # storyboard.voices.Voice as a dict (migration 0007); None: the character gets a default
    voice: dict[str, Any] | None = _versioned("character.voice")
    ip_adapter_scale: float | None = None
    order: int = 0
    edited: list[str] = _json([])


class ProviderStateRow(SQLModel, table=True):
    """What an engine or provider keeps in the project about one subject, beside the domain
    tables rather than as columns of them (migration 0009): e.g. ("kling", "element",
    "林晚") → the Kling element made from her references, {id, region, references_hash,
    created_at}. Not a secret: ids that name things in the provider's account."""

    __tablename__ = "provider_state"
    provider: str = Field(primary_key=True)  # the engine's or provider's name
    kind: str = Field(primary_key=True)  # what it is ("element")
    subject: str = Field(primary_key=True)  # whose it is (a character's name)
    value: dict[str, Any] = _json({})
    updated_at: datetime = Field(default_factory=utcnow)


class TakeRow(SQLModel, table=True):
    __tablename__ = "take"
    __table_args__ = (UniqueConstraint("shot_id", "number", name="uq_take_shot_number"),)
    id: int | None = Field(default=None, primary_key=True)
    shot_id: str = Field(index=True)
    number: int
    kind: str = "video"
    origin: str = "engine"
    engine: str = "previz"
    engine_version: str = ""
    seed: int | None = None
    params: dict[str, Any] = _versioned("take.params", {})
    reference_hashes: dict[str, Any] = _json({})
    downgrades: list[str] = _json([])
    status: str = Field(default="queued", index=True)
    reason: str | None = None
    reject_reason: str | None = None  # a RejectReason value
    rejected_by: str | None = None  # a MadeBy value (migration 0011)
    media_path: str | None = None
    thumbnail_path: str | None = None
    duration_frames: int | None = None
    fps: float | None = None
    width: int | None = None
    height: int | None = None
    scores: dict[str, Any] = _versioned("take.scores", {})
    score: float | None = None
    explanations: dict[str, Any] = _versioned("take.explanations", {})
    cost_seconds: float = 0.0
    cost_credits: float | None = None
    provider: dict[str, Any] = _versioned("take.provider", {})
    parent_take: int | None = None  # a lip-sync take: the number of its video take
    audio_hash: str | None = None  # a lip-sync take: SHA-256 of the dialogue audio sent
    # what the take was drawn from (shots.spec.drawn_from) and its hash, recorded when it is
    # drawn (migration 0010); None for takes drawn before: they are never called outdated
    spec_hash: str | None = None
    drawn_from: dict[str, Any] | None = Field(default=None,
                                              sa_column=Column(CheckedJSON(dict), nullable=True))
    created_at: datetime = Field(default_factory=utcnow)
    finished_at: datetime | None = None


class JobRow(SQLModel, table=True):
    """One take to produce. Survives restarts; `provider_state` is what a cloud engine
    checkpointed (task ids), so a restart resumes polling instead of re-submitting."""

    __tablename__ = "job"
    id: int | None = Field(default=None, primary_key=True)
    take_id: int = Field(index=True, unique=True)
    shot_id: str = Field(index=True)
    state: str = Field(default="queued", index=True)  # queued/running/done/failed/cancelled
    engine: str = "previz"
    options: dict[str, Any] = _versioned("job.options", {})  # engine params, allow_downgrade, ...
    worker: str | None = None  # "host:pid" holding the lease
    heartbeat_at: datetime | None = None
    attempts: int = 0
    provider_state: dict[str, Any] = _versioned("job.provider_state", {})
    error: str | None = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class Database:
    """Owns the SQLAlchemy engine; hands out read and write sessions."""

    def __init__(self, url: str, *, read_only: bool = False) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        self.read_only = read_only
        connect_args: dict[str, Any] = {}
        if self.is_sqlite:
            connect_args = {"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False}
        self.engine: Engine = create_engine(url, connect_args=connect_args)
        if self.is_sqlite:
            _configure_sqlite(self.engine, read_only=read_only)
        self._write_engine = self.engine.execution_options(sqlite_begin="IMMEDIATE")

    @classmethod
    def read_only_file(cls, path: Path) -> Database:
        """A SQLite file opened for reading only, for a folder that cannot be written.

        WAL needs its -shm file to read: with the -wal and -shm files there it opens with
        `mode=ro`; without them (a cleanly closed project) with `immutable=1`, which reads the
        file alone, never creating side files or taking locks."""
        wal = path.with_name(path.name + "-wal")
        shm = path.with_name(path.name + "-shm")
        mode = "mode=ro" if wal.exists() and shm.exists() else "immutable=1"
        return cls(f"sqlite:///file:{quote(str(path.resolve()))}?{mode}&uri=true", read_only=True)

    @contextmanager
    def read(self) -> Iterator[Session]:
        try:
            with Session(self.engine, expire_on_commit=False) as session:
                yield session
        except StoredValueError as exc:
            raise self.located(exc) from exc

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A transaction that holds the write lock from its first statement."""
        try:
            with Session(self._write_engine, expire_on_commit=False) as session:
                with session.begin():
                    yield session
        except StoredValueError as exc:
            raise self.located(exc) from exc

    def damaged_values(self) -> list[DamagedValue]:
        """Every stored JSON value that does not read (not JSON, no valid envelope, the wrong
        shape), read as raw text so that nothing else fails first."""
        found: list[DamagedValue] = []
        with self.engine.connect() as connection:
            for table in SQLModel.metadata.sorted_tables:
                checked = [c for c in table.columns if isinstance(c.type, VersionedJSON | CheckedJSON)]
                if not checked:
                    continue
                keys = [c.name for c in table.columns
                        if (c.name in _NAMING_COLUMNS or c.primary_key) and c not in checked]
                names = ", ".join(f'"{name}"' for name in [*keys, *(c.name for c in checked)])
                rows = connection.exec_driver_sql(f'SELECT {names} FROM "{table.name}"').all()
                for row in rows:
                    key = dict(zip(keys, row[:len(keys)], strict=True))
                    for column, text in zip(checked, row[len(keys):], strict=True):
                        schema = column.type.schema if isinstance(column.type, VersionedJSON) else None
                        shape = column.type.shape if isinstance(column.type, CheckedJSON) else None
                        why = damage(text, schema=schema, shape=shape)
                        if why is not None:
                            kind = shape or SHAPES[str(schema)]
                            found.append(DamagedValue(table=table.name, column=column.name,
                                                      key=key, why=why, schema_name=schema,
                                                      nullable=bool(column.nullable),
                                                      empty=kind()))
        return found

    def located(self, error: StoredValueError) -> StoredValueError:
        """`error` naming the row it came from and the command that repairs it."""
        try:
            damaged = self.damaged_values()
        except Exception:  # noqa: BLE001 - the sentence without the row is still a sentence
            damaged = []
        folder = self.folder
        doctor = f"shotcraft doctor {folder}" if folder is not None else "shotcraft doctor DIR"
        if not damaged:
            return StoredValueError(f"{error.message.rstrip('.')}; run `{doctor}` to find and "
                                    "repair it (a backup is made first).", schema=error.schema,
                                    why=error.why)
        first = damaged[0]
        more = f" (and {len(damaged) - 1} more)" if len(damaged) > 1 else ""
        return StoredValueError(
            f"{first.where} has a damaged {first.column} value ({first.why}){more}; run "
            f"`{doctor}` to repair what can be repaired (a backup is made first).",
            schema=error.schema, why=first.why)

    @property
    def folder(self) -> Path | None:
        """The project folder of a SQLite file database (None for another database)."""
        if not self.is_sqlite:
            return None
        database = make_url(self.url).database or ""
        if database.startswith("file:"):
            database = unquote(database.removeprefix("file:"))
        return Path(database).parent if database and database != ":memory:" else None

    @contextmanager
    def locked(self) -> Iterator[Connection]:
        """A Core connection in a transaction that holds the write lock (for migrations)."""
        with self._write_engine.begin() as connection:
            yield connection

    @contextmanager
    def wait_at_most(self, seconds: float) -> Iterator[None]:
        """Transactions begun on this thread inside the block wait at most `seconds` for a
        project another process holds (then raise "database is locked"), instead of the
        usual busy timeout: the studio tries a write at once and, when the project is busy,
        hands it to a worker rather than freezing."""
        previous = getattr(_patience, "ms", None)
        _patience.ms = max(0, int(seconds * 1000))
        try:
            yield
        finally:
            _patience.ms = previous

    def dispose(self) -> None:
        self.engine.dispose()


# the columns that name a row in a sentence ("take 3 of shot E01-S01-002")
_NAMING_COLUMNS = ("id", "number", "name", "shot_id", "take_id")


class DamagedValue(BaseModel):
    """A stored JSON value that does not read: where it is and what is wrong with it."""

    table: str
    column: str
    key: dict[str, Any]
    why: str
    nullable: bool
    schema_name: str | None  # a versioned column's schema (its value is stored in an envelope)
    empty: Any  # what the column holds when there is nothing: [] or {}

    @property
    def where(self) -> str:
        key = self.key
        if self.table == "take":
            return f"take {key.get('number')} of shot {key.get('shot_id')}"
        if self.table == "job":
            return f"the render job {key.get('id')} of shot {key.get('shot_id')}"
        if self.table == "project":
            return "the project's settings"
        if self.table == "episode":
            return f"episode {key.get('number')}"
        if self.table == "character":
            return f"the character {key.get('name')}"
        if self.table == "provider_state":
            return f"{key.get('provider')}'s {key.get('kind')} of {key.get('subject')}"
        return f"{self.table} {key.get('id', '')}".strip()


_patience = threading.local()  # Database.wait_at_most's busy timeout for this thread


def _configure_sqlite(engine: Engine, *, read_only: bool = False) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # take transaction control away from pysqlite so BEGIN IMMEDIATE is ours to emit
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        if not read_only:  # switching the journal mode is a write
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
        wait = getattr(_patience, "ms", None)
        wait = BUSY_TIMEOUT_MS if wait is None else wait
        if connection.info.get("busy_timeout_ms", BUSY_TIMEOUT_MS) != wait:
            connection.exec_driver_sql(f"PRAGMA busy_timeout={wait}")
            connection.info["busy_timeout_ms"] = wait
        connection.exec_driver_sql(f"BEGIN {mode}")
