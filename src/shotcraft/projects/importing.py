"""Script import: parse and break down a script, then merge the fresh storyboard over the
stored one (ids, edits, takes and picks of unchanged shots kept), written in bulk."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from sqlmodel import select

from shotcraft.projects.convert import EDITABLE_SHOT_FIELDS, field_columns, shot_columns
from shotcraft.projects.db import CharacterRow, EpisodeRow, ProjectRow, SceneRow, ShotRow, utcnow
from shotcraft.projects.store import Store
from shotcraft.shots.errors import ProjectError
from shotcraft.shots.files import atomic_target
from shotcraft.storyboard.models import Storyboard


class ImportReport(BaseModel):
    script: str
    format: str
    episodes: int
    scenes: int
    shots: int
    characters: int
    dialogue_lines: int
    action_lines: int
    kept: int  # shots matched to an existing shot (id, edits and takes kept)
    added: int
    archived: int
    fitted: Any = None  # with import --fit-voices: the lengths the voices set (fit.FitReport)


# The phases an import reports, in order, with the share of a long import done when each
# starts (measured on benchmarks/import_speed.py: parse ~15 %, breakdown ~40 %, write the rest).
IMPORT_PHASES: tuple[tuple[str, float], ...] = (("parse", 0.0), ("breakdown", 0.15), ("write", 0.55))

ImportProgressCallback = Callable[[str, float], None]


def import_script(
    store: Store, path: str | Path, *, format: str | None = None,
    progress: ImportProgressCallback | None = None,
) -> ImportReport:
    """Parse and break down a script; re-import keeps ids, edits and takes of unchanged shots.

    `progress(phase, fraction)` is called as each phase starts ("parse", "breakdown",
    "write", see IMPORT_PHASES) and once more with ("done", 1.0) when the import is saved.
    """
    from shotcraft.storyboard import breakdown, load_script

    def report(phase: str) -> None:
        if progress is not None:
            progress(phase, dict(IMPORT_PHASES).get(phase, 1.0))

    source = Path(path)
    report("parse")
    script = load_script(source, format=format)
    meta = store.meta()
    report("breakdown")
    board = breakdown(script, fps=meta.fps, aspect=meta.aspect)
    shots = board.shots()
    if not shots:
        raise ProjectError(f"{source} has no scenes, action or dialogue to make shots from.")
    report("write")
    # keep the script verbatim inside the project
    store.layout.script.mkdir(parents=True, exist_ok=True)
    kept_copy = store.layout.script / source.name
    if source.resolve() != kept_copy.resolve():
        _keep_copy(source, kept_copy)
    with store.db.write() as session:
        kept, added, archived = _merge_storyboard(session, board)
        row = session.get(ProjectRow, 1)
        assert row is not None
        row.script_path = store.layout.relative(kept_copy)
        row.script_format = script.format.value
        row.language = script.language
        if script.title and (row.title == store.root.name or not row.title):
            row.title = script.title
        session.add(row)
    report("done")
    return ImportReport(
        script=str(source), format=script.format.value, episodes=len(board.episodes),
        scenes=sum(len(ep.scenes) for ep in board.episodes), shots=len(shots),
        characters=len(board.characters), dialogue_lines=script.dialogue_count(),
        action_lines=script.action_count(), kept=kept, added=added, archived=archived,
    )


def _keep_copy(source: Path, kept_copy: Path) -> None:
    """Copy the script in under a temp name, then rename: a full disk never leaves half a
    script in place of the copy an earlier import kept."""
    try:
        with atomic_target(kept_copy) as temp:
            shutil.copyfile(source, temp)
    except OSError as exc:
        if exc.filename is None or not Path(exc.filename).name.startswith(f".{kept_copy.stem}."):
            raise
        # name the file the director knows, not the temp
        raise OSError(exc.errno, exc.strerror, str(kept_copy)) from exc


def _merge_storyboard(session: Any, board: Storyboard) -> tuple[int, int, int]:
    """Write a fresh breakdown over the stored one, keeping what the director made.

    Shots match on their content hash (what the script said), in order; a matched shot keeps
    its id, its edited fields, its takes and picks. Unmatched old shots are archived, never
    deleted; new shots take their breakdown id, or the next free number in their scene.
    Rows are written in bulk (one INSERT / UPDATE statement per table): a 100-episode
    script is tens of thousands of rows.
    """
    from sqlalchemy import update

    existing = session.exec(select(ShotRow)).all()
    by_hash: dict[str, list[ShotRow]] = {}
    for row in sorted(existing, key=lambda r: (r.archived, r.episode, r.order)):
        by_hash.setdefault(row.content_hash, []).append(row)
    taken_ids = {row.id for row in existing}
    matched: set[str] = set()
    inserts: list[dict[str, Any]] = []
    shot_defaults = _defaults(ShotRow)
    updates: list[dict[str, Any]] = []
    now = utcnow()

    old_episodes = {row.number for row in session.exec(select(EpisodeRow)).all()}
    old_scenes = {row.id for row in session.exec(select(SceneRow)).all()}
    episode_rows: list[dict[str, Any]] = []
    scene_rows: list[dict[str, Any]] = []
    for episode in board.episodes:
        episode_rows.append({"number": episode.number, "title": episode.title})
        for scene in episode.scenes:
            scene_rows.append({
                "id": scene.id, "episode": episode.number, "number": scene.number,
                "heading": scene.heading, "location": scene.location, "time": scene.time,
                "interior": scene.interior, "characters": list(scene.characters),
                "notes": list(scene.notes), "archived": False,
            })
            for shot in scene.shots:
                candidates = by_hash.get(shot.content_hash)
                row = None
                while candidates:
                    candidate = candidates.pop(0)
                    if candidate.id not in matched:
                        row = candidate
                        break
                if row is not None:
                    matched.add(row.id)
                    columns = shot_columns(shot)
                    for field in row.edited:
                        if field in EDITABLE_SHOT_FIELDS:
                            for column in field_columns(field, shot):
                                columns.pop(column, None)
                    # a shot the director archived (studio delete/merge/split) stays archived
                    updates.append({"id": row.id, **columns, "archived": "archived" in row.edited,
                                    "updated_at": now})
                    continue
                shot_id = shot.id
                if shot_id in taken_ids:
                    shot_id = _next_free_id(shot_id, taken_ids)
                taken_ids.add(shot_id)
                matched.add(shot_id)
                inserts.append({**shot_defaults, "id": shot_id, **shot_columns(shot),
                                "updated_at": now})

    _upsert(session, EpisodeRow, "number", episode_rows, old_episodes)
    _upsert(session, SceneRow, "id", scene_rows, old_scenes)
    live_scenes = {row["id"] for row in scene_rows}
    stale_scenes = [{"id": sid, "archived": True} for sid in old_scenes - live_scenes]
    if stale_scenes:
        session.execute(update(SceneRow), stale_scenes)
    if inserts:
        _insert_many(session, ShotRow, inserts)
    # rows differ in which columns they carry (edited fields are left out): group by shape
    by_shape: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row_values in updates:
        by_shape.setdefault(tuple(sorted(row_values)), []).append(row_values)
    for group in by_shape.values():
        session.execute(update(ShotRow), group)
    # shots made by hand in the studio ("manual:" hash) match no script shot; keep them
    to_archive = [{"id": row.id, "archived": True} for row in existing
                  if row.id not in matched and not row.archived
                  and not row.content_hash.startswith("manual:")]
    if to_archive:
        session.execute(update(ShotRow), to_archive)

    stored = {row.name: row for row in session.exec(select(CharacterRow)).all()}
    for order, character in enumerate(board.characters):
        row = stored.get(character.name) or CharacterRow(name=character.name)
        for field in ("aliases", "description", "references", "first_scene", "first_line"):
            if field not in row.edited:
                value = getattr(character, field)
                setattr(row, field, list(value) if isinstance(value, list) else value)
        row.order = order
        session.add(row)
    return len(updates), len(inserts), len(to_archive)


def _insert_many(session: Any, model: Any, rows: list[dict[str, Any]]) -> None:
    """One prepared INSERT for many rows. On SQLite the JSON columns are encoded here (empty
    values as constants) and the rows go straight to the driver: a first import of a long
    series is tens of thousands of JSON values, and that encoding is most of its write time."""
    from sqlalchemy import JSON, insert

    from shotcraft.projects.stored_json import VersionedJSON, json_text_encoder

    table: Any = model.__table__
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        connection.execute(insert(table), rows)
        return
    columns = [column for column in table.columns if column.name in rows[0]]
    names = [column.name for column in columns]
    dialect = connection.dialect

    def identity(value: Any) -> Any:
        return value

    encoders: list[Callable[[Any], Any]] = []
    for column in columns:
        if isinstance(column.type, JSON | VersionedJSON):
            # JSON text exactly as the column type writes it (versioned: in its envelope)
            encoders.append(json_text_encoder(column.type))
        else:
            # bound exactly as SQLAlchemy would bind it (e.g. UTC datetimes)
            processor = column.type.dialect_impl(dialect).bind_processor(dialect)
            encoders.append(processor or identity)
    pairs = list(zip(names, encoders, strict=True))
    quoted = ", ".join('"' + name + '"' for name in names)
    marks = ", ".join("?" for _ in names)
    sql = f'INSERT INTO "{table.name}" ({quoted}) VALUES ({marks})'
    connection.exec_driver_sql(sql, [tuple(encode(row.get(name)) for name, encode in pairs)
                                     for row in rows])


def _defaults(model: Any) -> dict[str, Any]:
    """Column defaults for a bulk INSERT (Core inserts skip the model's Python defaults)."""
    values: dict[str, Any] = {}
    for name, field in model.model_fields.items():
        if field.default_factory is not None:
            values[name] = field.default_factory()
        elif field.default is not None and not callable(field.default):
            values[name] = field.default
    return values


def _upsert(session: Any, model: Any, key: str, rows: list[dict[str, Any]], existing: set[Any]) -> None:
    from sqlalchemy import update

    defaults = _defaults(model)
    new = [{**defaults, **row} for row in rows if row[key] not in existing]
    old = [row for row in rows if row[key] in existing]
    if new:
        _insert_many(session, model, new)
    if old:
        session.execute(update(model), old)


def _next_free_id(shot_id: str, taken: set[str]) -> str:
    prefix, _, number = shot_id.rpartition("-")
    candidate = int(number)
    while f"{prefix}-{candidate:03d}" in taken:
        candidate += 1
    return f"{prefix}-{candidate:03d}"

