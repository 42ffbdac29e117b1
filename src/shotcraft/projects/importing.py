"""Script import: parse and break down a script, then merge the fresh storyboard over the
stored one (ids, edits, takes and picks of unchanged shots kept), written in bulk.

`dry_run=True` reads and breaks the script down and says what an import would do — nothing in
the project changes (an `--assist llm` dry run does fill the answer cache, so the real import
after it asks nothing again). `assist="llm"` has the text rewritten first (projects/assist.py).
"""

from __future__ import annotations

import gc
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from sqlalchemy import JSON, insert, update
from sqlmodel import select

from shotcraft.projects.assist import rewrite as rewrite_text
from shotcraft.projects.convert import (
    EDITABLE_SHOT_FIELDS,
    field_columns,
    shot_columns,
    shot_from_row,
)
from shotcraft.projects.db import CharacterRow, EpisodeRow, ProjectRow, SceneRow, ShotRow, utcnow
from shotcraft.projects.prompting import PROMPT_FIELDS, compose
from shotcraft.projects.store import Store
from shotcraft.projects.stored_json import CheckedJSON, VersionedJSON, json_text_encoder
from shotcraft.shots.errors import ProjectError
from shotcraft.shots.files import atomic_target
from shotcraft.shots.models import Shot
from shotcraft.storyboard import breakdown, load_script
from shotcraft.storyboard.assist import diff
from shotcraft.storyboard.loader import parse_script, read_script_text
from shotcraft.storyboard.models import Scene, Storyboard
from shotcraft.storyboard.report import ScriptReport, read_report
from shotcraft.storyboard.text import clean_text

ASSISTS = ("llm",)


class AssistReport(BaseModel):
    """What `--assist llm` did: the model, the parts sent, the rewritten file and its diff."""

    model: str
    server: str
    parts: int
    asked: int  # requests sent; 0 when every part came from the cache
    cached: int  # parts answered from the project's cache
    rewritten: str  # the rewritten script, relative to the project (script/NAME.assist.txt)
    diff: str = ""  # unified diff of the script as written → as rewritten (dry runs)


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
    dry_run: bool = False  # True: nothing was saved; kept/added/archived say what an import would do
    read: ScriptReport | None = None  # what was read: scenes, characters, speakers, warnings
    assist: AssistReport | None = None


# The phases an import reports, in order, with the share of a long import done when each
# starts (measured on benchmarks/import_speed.py: parse ~15 %, breakdown ~40 %, write the rest).
IMPORT_PHASES: tuple[tuple[str, float], ...] = (("parse", 0.0), ("breakdown", 0.15), ("write", 0.55))

ImportProgressCallback = Callable[[str, float], None]


@contextmanager
def _cycles_collected_after() -> Iterator[None]:
    """Python's cycle collector paused while an import builds its tens of thousands of models:
    each of its passes walks every live object again, and during a long series' import that was
    about 40 % of the import's time. Reference counting frees everything as before."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def import_script(
    store: Store, path: str | Path, *, format: str | None = None,
    progress: ImportProgressCallback | None = None, dry_run: bool = False,
    assist: str | None = None,
) -> ImportReport:
    """Parse and break down a script; re-import keeps ids, edits and takes of unchanged shots
    (see `_import_script`)."""
    with _cycles_collected_after():
        return _import_script(store, path, format=format, progress=progress, dry_run=dry_run,
                              assist=assist)


def _import_script(
    store: Store, path: str | Path, *, format: str | None = None,
    progress: ImportProgressCallback | None = None, dry_run: bool = False,
    assist: str | None = None,
) -> ImportReport:
    """Parse and break down a script; re-import keeps ids, edits and takes of unchanged shots.

    `progress(phase, fraction)` is called as each phase starts ("parse", "breakdown",
    "write", see IMPORT_PHASES) and once more with ("done", 1.0) when the import is saved (a
    dry run stops after "breakdown"). `assist="llm"` rewrites the text with the LLM first.
    """
    def report(phase: str) -> None:
        if progress is not None:
            progress(phase, dict(IMPORT_PHASES).get(phase, 1.0))

    if assist is not None and assist not in ASSISTS:
        raise ProjectError(f"unknown assist {assist!r}; use one of {', '.join(ASSISTS)}")
    source = Path(path)
    report("parse")
    rewrite = None
    rewritten = store.layout.script / f"{source.stem}.assist.txt"
    original_text = ""
    if assist == "llm":
        raw, encoding = read_script_text(source)
        original_text, _ = clean_text(raw)
        if not original_text.strip():
            raise ProjectError(f"{source} is empty; there is nothing to rewrite.")
        rewrite = rewrite_text(original_text, cache_dir=store.layout.cache / "llm",
                               source=source.name)
        script = parse_script(rewrite.text, path=str(rewritten), format="juben")
        if script.reading is not None:
            script.reading.encoding = encoding
    else:
        script = load_script(source, format=format)
    meta = store.meta()
    report("breakdown")
    board = breakdown(script, fps=meta.fps, aspect=meta.aspect)
    shots = board.shots()
    if not shots:
        raise ProjectError(f"{source} has no scenes, action or dialogue to make shots from.")
    read = read_report(script, board, path=str(source))
    assist_report = None
    if rewrite is not None:
        assist_report = AssistReport(
            model=rewrite.model, server=rewrite.server, parts=rewrite.parts, asked=rewrite.asked,
            cached=rewrite.cached, rewritten=store.layout.relative(rewritten),
            diff=diff(original_text, rewrite.text, original_name=source.name,
                      rewritten_name=store.layout.relative(rewritten)) if dry_run else "")

    def done(kept: int, added: int, archived: int) -> ImportReport:
        return ImportReport(
            script=str(source), format=str(script.format), episodes=len(board.episodes),
            scenes=sum(len(ep.scenes) for ep in board.episodes), shots=len(shots),
            characters=len(board.characters), dialogue_lines=script.dialogue_count(),
            action_lines=script.action_count(), kept=kept, added=added, archived=archived,
            dry_run=dry_run, read=read, assist=assist_report,
        )

    if dry_run:
        with store.db.read() as session:
            return done(*_would_merge(session, board))
    report("write")
    # keep the script verbatim inside the project (and the rewrite beside it): staged beside
    # them and renamed over them only once the storyboard is committed, so a failed import
    # changes none of them
    store.layout.script.mkdir(parents=True, exist_ok=True)
    kept_copy = store.layout.script / source.name
    with _staged_copy(source, kept_copy), \
            _staged_text(rewritten, rewrite.text if rewrite is not None else None), \
            store.db.write() as session:
        kept, added, archived = _merge_storyboard(session, board)
        row = session.get(ProjectRow, 1)
        assert row is not None
        row.script_path = store.layout.relative(rewritten if rewrite is not None else kept_copy)
        row.script_format = str(script.format)
        row.language = script.language
        if script.title and (row.title == store.root.name or not row.title):
            row.title = script.title
        session.add(row)
    report("done")
    return done(kept, added, archived)


def _would_merge(session: Any, board: Storyboard) -> tuple[int, int, int]:
    """(kept, added, archived) an import of `board` would give: `_merge_storyboard`'s matching,
    read without writing."""
    existing = session.exec(select(ShotRow)).all()
    by_hash: dict[str, list[Any]] = {}
    for row in sorted(existing, key=lambda r: (r.archived, r.episode, r.order)):
        by_hash.setdefault(row.content_hash, []).append(row)
    matched: set[str] = set()
    for shot in board.shots():
        candidates = by_hash.get(shot.content_hash)
        if candidates:
            matched.add(candidates.pop(0).id)
    archived = sum(1 for row in existing if row.id not in matched and not row.archived
                   and not row.content_hash.startswith("manual:"))
    return len(matched), len(board.shots()) - len(matched), archived


@contextmanager
def _staged_copy(source: Path, kept_copy: Path) -> Iterator[None]:
    """Copy the script in under a temp name; the block commits the storyboard, and only when
    it ends without an error is the temp renamed over the kept copy. A full disk, a busy
    database or a kill never leaves a new script beside an old storyboard (or half a script
    in place of the copy an earlier import kept)."""
    if source.resolve() == kept_copy.resolve():
        yield
        return
    with atomic_target(kept_copy) as temp:
        try:
            shutil.copyfile(source, temp)
        except OSError as exc:
            if exc.filename is None or not Path(exc.filename).name.startswith(f".{kept_copy.stem}."):
                raise
            # name the file the director knows, not the temp
            raise OSError(exc.errno, exc.strerror, str(kept_copy)) from exc
        yield


@contextmanager
def _staged_text(path: Path, text: str | None) -> Iterator[None]:
    """Write `text` (None: nothing) under a temp name beside `path`; renamed over it only when
    the block ends without an error, as the kept script copy is."""
    if text is None:
        yield
        return
    with atomic_target(path) as temp:
        temp.write_text(text, encoding="utf-8")
        yield


def _merge_storyboard(session: Any, board: Storyboard) -> tuple[int, int, int]:
    """Write a fresh breakdown over the stored one, keeping what the director made.

    Shots match on their content hash (what the script said), in order; a matched shot keeps
    its id, its edited fields, its takes and picks. Unmatched old shots are archived, never
    deleted; new shots take their breakdown id, or the next free number in their scene.
    Rows are written in bulk (one INSERT / UPDATE statement per table): a 100-episode
    script is tens of thousands of rows.
    """
    board = _with_edited_bible(session, board)
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
                    if "prompt" not in row.edited and PROMPT_FIELDS & set(row.edited):
                        # the director's edits and the script's new words, composed together
                        columns["prompt"] = _merged_prompt(row, shot, scene, board)
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
        for field in ("aliases", "appearance", "biography", "references", "first_scene",
                      "first_line"):
            if field not in row.edited:
                value = getattr(character, field)
                setattr(row, field, list(value) if isinstance(value, list) else value)
        row.order = order
        session.add(row)
    return len(updates), len(inserts), len(to_archive)


def _with_edited_bible(session: Any, board: Storyboard) -> Storyboard:
    """The fresh storyboard with the appearances the director edited in the bible, and the
    prompts of the shots those characters are in composed with them."""
    stored = {row.name: row for row in session.exec(select(CharacterRow)).all()}
    changed: dict[str, str | None] = {}
    characters = []
    for character in board.characters:
        row = stored.get(character.name)
        if row is not None and "appearance" in row.edited and row.appearance != character.appearance:
            changed[character.name] = row.appearance
            character = character.model_copy(update={"appearance": row.appearance})
        characters.append(character)
    if not changed:
        return board
    board = board.model_copy(update={"characters": characters})
    for episode in board.episodes:
        for scene in episode.scenes:
            for shot in scene.shots:
                if set(shot.characters) & set(changed):
                    shot.prompt = compose(shot, scene, characters, language=board.language)
    return board


def _merged_prompt(row: ShotRow, shot: Shot, scene: Scene, board: Storyboard) -> str:
    """The prompt of a re-imported shot whose spec the director edited: composed from the
    edited fields as they are and the rest as the script now says."""
    kept = shot_from_row(row)
    merged = shot.model_copy(update={field: getattr(kept, field) for field in row.edited
                                     if field in EDITABLE_SHOT_FIELDS})
    return compose(merged, scene, board.characters, language=board.language)


def _insert_many(session: Any, model: Any, rows: list[dict[str, Any]]) -> None:
    """One prepared INSERT for many rows. On SQLite the JSON columns are encoded here (empty
    values as constants) and the rows go straight to the driver: a first import of a long
    series is tens of thousands of JSON values, and that encoding is most of its write time."""
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
        if isinstance(column.type, JSON | VersionedJSON | CheckedJSON):
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
    # column by column: one map() per column runs the encoders without a Python loop per cell
    values = []
    for name, encode in pairs:
        column = [row.get(name) for row in rows]
        values.append(column if encode is identity else list(map(encode, column)))
    connection.exec_driver_sql(sql, list(zip(*values, strict=True)))


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

