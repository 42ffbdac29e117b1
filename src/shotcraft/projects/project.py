"""The Project facade: the only API the front-ends (CLI, studio) call."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError
from sqlmodel import col, select

from shotcraft.projects.convert import (
    EDITABLE_SHOT_FIELDS,
    character_from_row,
    field_columns,
    scene_from_row,
    shot_columns,
    shot_from_row,
    take_from_row,
)
from shotcraft.projects.db import (
    CharacterRow,
    Database,
    EpisodeRow,
    ProjectRow,
    SceneRow,
    ShotRow,
    TakeRow,
    utcnow,
)
from shotcraft.projects.paths import Layout
from shotcraft.projects.schema import migrate
from shotcraft.shots.errors import ProjectError, ShotcraftError, SpecError
from shotcraft.shots.models import Budget, Shot, Take, TakeKind, TakeStatus
from shotcraft.storyboard.models import Character, Episode, Scene, Storyboard

if TYPE_CHECKING:
    from shotcraft.assembly.episode import ExportOptions, ExportResult
    from shotcraft.projects.render import RenderSummary

ASPECTS = ("9:16", "16:9", "1:1")


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


class TakeView(BaseModel):
    """A take as the front-ends show it: the take plus its rank and whether it is picked."""

    take: Take
    rank: int | None = None
    picked: bool = False
    explanations: dict[str, str] = {}


class Totals(BaseModel):
    takes_done: int = 0
    takes_queued: int = 0
    takes_failed: int = 0
    seconds: float = 0.0
    credits: float = 0.0


class Project:
    """A project folder: `shotcraft.db`, `script/`, `refs/`, `media/`, `cache/`, `exports/`."""

    def __init__(self, root: Path, db: Database) -> None:
        self.layout = Layout(root)
        self.db = db

    # -- opening -------------------------------------------------------------------------

    @classmethod
    def create(
        cls, root: str | Path, *, title: str | None = None, aspect: str = "9:16", fps: int = 30,
        db_url: str | None = None,
    ) -> Project:
        root = Path(root)
        if aspect not in ASPECTS:
            raise SpecError(f"must be one of {', '.join(ASPECTS)}, not {aspect!r}", field="aspect")
        if not 1 <= fps <= 120:
            raise SpecError(f"must be between 1 and 120, not {fps}", field="fps")
        if (root / "shotcraft.db").exists():
            raise ProjectError(f"{root} already holds a shotcraft project.")
        if root.exists() and not root.is_dir():
            raise ProjectError(f"{root} exists and is not a folder.")
        layout = Layout(root)
        layout.make()
        db = Database(db_url or f"sqlite:///{layout.db}")
        migrate(db)  # the schema is built by the recorded migrations, as an upgrade would
        with db.write() as session:
            session.add(ProjectRow(title=title or layout.root.name, fps=fps, aspect=aspect,
                                   settings={"db_url": db_url} if db_url else {}))
        return cls(layout.root, db)

    @classmethod
    def open(cls, root: str | Path, *, db_url: str | None = None) -> Project:
        layout = Layout(Path(root))
        if db_url is None and not layout.db.is_file():
            raise ProjectError(
                f"{root} is not a shotcraft project (no shotcraft.db); create one with `shotcraft new {root}`."
            )
        db = Database(db_url or f"sqlite:///{layout.db}")
        try:
            migrate(db, None if db_url else layout.db)  # backs up, then upgrades an older project
        except BaseException:
            db.dispose()
            raise
        return cls(layout.root, db)

    def close(self) -> None:
        self.db.dispose()

    @property
    def root(self) -> Path:
        return self.layout.root

    def _meta(self) -> ProjectRow:
        with self.db.read() as session:
            row = session.get(ProjectRow, 1)
        if row is None:
            raise ProjectError(f"{self.root} has an empty database; create the project again.")
        return row

    @property
    def title(self) -> str:
        return self._meta().title

    @property
    def fps(self) -> int:
        return self._meta().fps

    @property
    def aspect(self) -> str:
        return self._meta().aspect

    @property
    def language(self) -> str:
        return self._meta().language

    # -- import --------------------------------------------------------------------------

    def import_script(self, path: str | Path, *, format: str | None = None) -> ImportReport:
        """Parse and break down a script; re-import keeps ids, edits and takes of unchanged shots."""
        from shotcraft.storyboard import breakdown, load_script

        source = Path(path)
        script = load_script(source, format=format)
        meta = self._meta()
        board = breakdown(script, fps=meta.fps, aspect=meta.aspect)
        shots = board.shots()
        if not shots:
            raise ProjectError(f"{source} has no scenes, action or dialogue to make shots from.")
        # keep the script verbatim inside the project
        self.layout.script.mkdir(parents=True, exist_ok=True)
        kept_copy = self.layout.script / source.name
        if source.resolve() != kept_copy.resolve():
            shutil.copyfile(source, kept_copy)
        with self.db.write() as session:
            kept, added, archived = _merge_storyboard(session, board)
            row = session.get(ProjectRow, 1)
            assert row is not None
            row.script_path = self.layout.relative(kept_copy)
            row.script_format = script.format.value
            row.language = script.language
            if script.title and (row.title == self.root.name or not row.title):
                row.title = script.title
            session.add(row)
        return ImportReport(
            script=str(source), format=script.format.value, episodes=len(board.episodes),
            scenes=sum(len(ep.scenes) for ep in board.episodes), shots=len(shots),
            characters=len(board.characters), dialogue_lines=script.dialogue_count(),
            action_lines=script.action_count(), kept=kept, added=added, archived=archived,
        )

    # -- reading -------------------------------------------------------------------------

    def storyboard(self, *, episode: int | None = None, include_archived: bool = False) -> Storyboard:
        """Episodes → scenes → shots, in order, with the character bible. Four queries."""
        meta = self._meta()
        with self.db.read() as session:
            ep_rows = session.exec(select(EpisodeRow).order_by(col(EpisodeRow.number))).all()
            scene_q = select(SceneRow).order_by(col(SceneRow.episode), col(SceneRow.number))
            shot_q = select(ShotRow).order_by(col(ShotRow.episode), col(ShotRow.order))
            if episode is not None:
                scene_q = scene_q.where(SceneRow.episode == episode)
                shot_q = shot_q.where(ShotRow.episode == episode)
            if not include_archived:
                scene_q = scene_q.where(SceneRow.archived == False)  # noqa: E712
                shot_q = shot_q.where(ShotRow.archived == False)  # noqa: E712
            scene_rows = session.exec(scene_q).all()
            shot_rows = session.exec(shot_q).all()
            characters = [character_from_row(r) for r in session.exec(
                select(CharacterRow).order_by(col(CharacterRow.order))).all()]
        scenes: dict[str, Scene] = {r.id: scene_from_row(r) for r in scene_rows}
        for row in shot_rows:
            scene = scenes.get(row.scene_id)
            if scene is not None:
                scene.shots.append(shot_from_row(row))
        episodes = []
        for ep in ep_rows:
            if episode is not None and ep.number != episode:
                continue
            ep_scenes = [s for s in scenes.values() if s.episode == ep.number]
            if ep_scenes or include_archived:
                episodes.append(Episode(number=ep.number, title=ep.title, scenes=ep_scenes))
        return Storyboard(title=meta.title, fps=meta.fps, aspect=meta.aspect,
                          language=meta.language, episodes=episodes, characters=characters)

    def episodes(self) -> list[int]:
        with self.db.read() as session:
            numbers = session.exec(
                select(ShotRow.episode).where(ShotRow.archived == False).distinct()  # noqa: E712
            ).all()
        return sorted(numbers)

    def shots(self, *, episode: int | None = None) -> list[Shot]:
        return self.storyboard(episode=episode).shots()

    def shot(self, shot_id: str) -> Shot:
        with self.db.read() as session:
            row = session.get(ShotRow, shot_id)
        if row is None:
            raise ProjectError(f"there is no shot {shot_id} in this project.")
        return shot_from_row(row)

    def scene(self, scene_id: str) -> Scene:
        with self.db.read() as session:
            row = session.get(SceneRow, scene_id)
        if row is None:
            raise ProjectError(f"there is no scene {scene_id} in this project.")
        return scene_from_row(row)

    def characters(self) -> list[Character]:
        with self.db.read() as session:
            rows = session.exec(select(CharacterRow).order_by(col(CharacterRow.order))).all()
        return [character_from_row(r) for r in rows]

    def character(self, name: str) -> Character:
        for character in self.characters():
            if character.name == name or name in character.aliases:
                return character
        raise ProjectError(f"there is no character {name} in this project.")

    # -- editing -------------------------------------------------------------------------

    def update_shot(self, shot_id: str, **changes: Any) -> Shot:
        """Edit a shot's spec; the edit is validated, saved at once and survives re-import."""
        unknown = set(changes) - set(EDITABLE_SHOT_FIELDS)
        if unknown:
            raise SpecError(
                f"cannot be edited (editable: {', '.join(EDITABLE_SHOT_FIELDS)})",
                field=sorted(unknown)[0],
            )
        with self.db.write() as session:
            row = session.get(ShotRow, shot_id)
            if row is None:
                raise ProjectError(f"there is no shot {shot_id} in this project.")
            current = shot_from_row(row)
            try:
                updated = Shot.model_validate({**current.model_dump(), **changes})
            except ValidationError as exc:
                raise _spec_error(exc) from exc
            for keyframe in (updated.first_keyframe, updated.last_keyframe):
                if keyframe and keyframe.path:
                    self.layout.resolve(keyframe.path, what="keyframe")
            edited = set(row.edited)
            for field in changes:
                for column, value in field_columns(field, updated).items():
                    setattr(row, column, value)
                edited.add(field)
            row.edited = sorted(edited)
            row.updated_at = utcnow()
            session.add(row)
        return updated

    def set_episode_budget(self, episode: int, budget: Budget | None) -> None:
        with self.db.write() as session:
            row = session.get(EpisodeRow, episode)
            if row is None:
                raise ProjectError(f"there is no episode {episode} in this project.")
            row.budget = budget.model_dump(mode="json") if budget else None
            session.add(row)

    def episode_budget(self, episode: int) -> Budget | None:
        with self.db.read() as session:
            row = session.get(EpisodeRow, episode)
        return Budget(**row.budget) if row and row.budget else None

    def update_character(self, name: str, **changes: Any) -> Character:
        allowed = {"description", "aliases", "voice"}
        if set(changes) - allowed:
            raise SpecError("cannot be edited", field=sorted(set(changes) - allowed)[0])
        with self.db.write() as session:
            row = _character_row(session, name)
            for field, value in changes.items():
                setattr(row, field, value)
            row.edited = sorted(set(row.edited) | set(changes))
            session.add(row)
            return character_from_row(row)

    def add_reference(self, name: str, image: str | Path) -> Character:
        """Copy a reference image into refs/ and attach it to a character."""
        from shotcraft.shots.media import probe, sha256_file

        source = Path(image)
        info = probe(source)  # refuses missing or unreadable files
        if not info.is_image:
            raise SpecError(f"{source.name} is not an image (png, jpg, webp)", field="references")
        digest = sha256_file(source)[:16]
        target = self.layout.refs / f"{digest}{source.suffix.lower()}"
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists():
            shutil.copyfile(source, target)
        relative = self.layout.relative(target)
        with self.db.write() as session:
            row = _character_row(session, name)
            if relative not in row.references:
                row.references = [*row.references, relative]
            row.edited = sorted(set(row.edited) | {"references"})
            session.add(row)
            return character_from_row(row)

    def remove_reference(self, name: str, reference: str) -> Character:
        with self.db.write() as session:
            row = _character_row(session, name)
            if reference not in row.references:
                raise ProjectError(f"{name} has no reference {reference}.")
            row.references = [r for r in row.references if r != reference]
            row.edited = sorted(set(row.edited) | {"references"})
            session.add(row)
            return character_from_row(row)

    # -- takes and picks -----------------------------------------------------------------

    def takes(self, shot_id: str, *, kind: TakeKind | None = None) -> list[TakeView]:
        """Takes of a shot, ranked (rank 1 = best done take of its kind), in take order."""
        from shotcraft.shots.ranking import rank_takes

        with self.db.read() as session:
            shot = session.get(ShotRow, shot_id)
            if shot is None:
                raise ProjectError(f"there is no shot {shot_id} in this project.")
            rows = session.exec(
                select(TakeRow).where(TakeRow.shot_id == shot_id).order_by(col(TakeRow.number))
            ).all()
        views = []
        ranks: dict[int, int] = {}
        for take_kind in TakeKind:
            done = [take_from_row(r) for r in rows if r.kind == take_kind.value
                    and r.status == TakeStatus.DONE.value]
            for position, take in enumerate(rank_takes(done), start=1):
                ranks[take.number] = position
        for row in rows:
            if kind is not None and row.kind != kind.value:
                continue
            picked = (row.number == shot.picked_take and row.kind == TakeKind.VIDEO.value) or (
                row.number == shot.picked_keyframe and row.kind == TakeKind.KEYFRAME.value
            )
            views.append(TakeView(
                take=take_from_row(row), rank=ranks.get(row.number), picked=picked,
                explanations={k: str(v) for k, v in row.explanations.items()},
            ))
        return views

    def take_path(self, take: Take) -> Path | None:
        return self.layout.resolve(take.media_path, what="take") if take.media_path else None

    def pick(self, shot_id: str, take_number: int) -> Take:
        """Pick a done take; a keyframe take becomes the first frame of later video takes."""
        with self.db.write() as session:
            shot = session.get(ShotRow, shot_id)
            if shot is None:
                raise ProjectError(f"there is no shot {shot_id} in this project.")
            row = session.exec(select(TakeRow).where(
                TakeRow.shot_id == shot_id, TakeRow.number == take_number)).first()
            if row is None:
                raise ProjectError(f"shot {shot_id} has no take {take_number}.")
            if row.status != TakeStatus.DONE.value:
                raise ProjectError(
                    f"take {take_number} of {shot_id} is {row.status}; only a done take can be picked."
                )
            if row.kind == TakeKind.KEYFRAME.value:
                shot.picked_keyframe = take_number
            else:
                shot.picked_take = take_number
            session.add(shot)
            return take_from_row(row)

    def unpick(self, shot_id: str) -> None:
        with self.db.write() as session:
            shot = session.get(ShotRow, shot_id)
            if shot is None:
                raise ProjectError(f"there is no shot {shot_id} in this project.")
            shot.picked_take = None
            session.add(shot)

    def auto_pick(self, *, episode: int | None = None) -> dict[str, int]:
        """Pick the top-ranked video take of every shot without a pick; returns what was picked."""
        picked: dict[str, int] = {}
        for shot in self.shots(episode=episode):
            if shot.picked_take is not None:
                continue
            views = [v for v in self.takes(shot.id, kind=TakeKind.VIDEO) if v.rank == 1]
            if views:
                self.pick(shot.id, views[0].take.number)
                picked[shot.id] = views[0].take.number
        return picked

    def reject(self, shot_id: str, take_number: int) -> None:
        """Throw a take away: it stays on disk and in the list, but never ranks or gets picked."""
        with self.db.write() as session:
            row = session.exec(select(TakeRow).where(
                TakeRow.shot_id == shot_id, TakeRow.number == take_number)).first()
            if row is None:
                raise ProjectError(f"shot {shot_id} has no take {take_number}.")
            if row.status != TakeStatus.DONE.value:
                raise ProjectError(f"take {take_number} of {shot_id} is {row.status}, not done.")
            row.status = TakeStatus.REJECTED.value
            session.add(row)
            shot = session.get(ShotRow, shot_id)
            if shot is not None and shot.picked_take == take_number and row.kind == "video":
                shot.picked_take = None
                session.add(shot)

    def totals(self, *, shot_id: str | None = None, episode: int | None = None) -> Totals:
        """Takes and spend per shot or episode (or the whole project)."""
        query = select(TakeRow)
        with self.db.read() as session:
            if shot_id is not None:
                query = query.where(TakeRow.shot_id == shot_id)
            elif episode is not None:
                ids = select(ShotRow.id).where(ShotRow.episode == episode)
                query = query.where(col(TakeRow.shot_id).in_(ids))
            rows = session.exec(query).all()
        return _totals(rows)

    def totals_by_shot(self, *, episode: int | None = None) -> dict[str, Totals]:
        """One query for every shot's totals (the storyboard table needs them all at once)."""
        with self.db.read() as session:
            query = select(TakeRow)
            if episode is not None:
                ids = select(ShotRow.id).where(ShotRow.episode == episode)
                query = query.where(col(TakeRow.shot_id).in_(ids))
            rows = session.exec(query).all()
        grouped: dict[str, list[TakeRow]] = {}
        for row in rows:
            grouped.setdefault(row.shot_id, []).append(row)
        return {shot_id: _totals(group) for shot_id, group in grouped.items()}

    def top_scores(self) -> dict[str, float]:
        with self.db.read() as session:
            rows = session.exec(select(TakeRow.shot_id, TakeRow.score).where(
                TakeRow.status == TakeStatus.DONE.value, TakeRow.score != None)).all()  # noqa: E711
        best: dict[str, float] = {}
        for shot_id, score in rows:
            if score is not None and score > best.get(shot_id, -1.0):
                best[shot_id] = score
        return best

    def data_version(self) -> int:
        """A number that changes whenever another process commits (cheap change polling)."""
        with self.db.engine.connect() as conn:
            if self.db.is_sqlite:
                return int(conn.exec_driver_sql("PRAGMA data_version").scalar() or 0)
        return 0

    # -- render and export (see projects/render.py and projects/export.py) ----------------

    def render(self, **kwargs: Any) -> RenderSummary:
        from shotcraft.projects.render import render

        return render(self, **kwargs)

    def add_take(self, shot_id: str, file: str | Path) -> Take:
        from shotcraft.projects.render import add_take

        return add_take(self, shot_id, Path(file))

    def export(
        self, episode: int, options: ExportOptions | None = None, *, out: str | Path | None = None,
        progress: Callable[[str, float], None] | None = None, cancel: Any = None,
    ) -> ExportResult:
        from shotcraft.projects.export import export

        return export(self, episode, options, out=Path(out) if out else None,
                      progress=progress, cancel=cancel)

    # -- shot-list editing (see projects/editing.py) --------------------------------------

    def split_shot(self, shot_id: str, *, at_line: int | None = None) -> tuple[Shot, Shot]:
        from shotcraft.projects.editing import split_shot

        return split_shot(self, shot_id, at_line=at_line)

    def merge_with_next(self, shot_id: str) -> Shot:
        from shotcraft.projects.editing import merge_with_next

        return merge_with_next(self, shot_id)

    def insert_shot_after(self, shot_id: str) -> Shot:
        from shotcraft.projects.editing import insert_shot_after

        return insert_shot_after(self, shot_id)

    def delete_shot(self, shot_id: str) -> None:
        from shotcraft.projects.editing import delete_shot

        delete_shot(self, shot_id)

    def move_shot(self, shot_id: str, step: int) -> Shot:
        from shotcraft.projects.editing import move_shot

        return move_shot(self, shot_id, step)

    def set_keyframe(self, shot_id: str, which: str, image: str | Path | None, *,
                     chain_previous: bool = False) -> Shot:
        from shotcraft.projects.editing import set_keyframe

        return set_keyframe(self, shot_id, which, image, chain_previous=chain_previous)


def _totals(rows: Iterable[TakeRow]) -> Totals:
    totals = Totals()
    for row in rows:
        if row.status == TakeStatus.DONE.value or row.status == TakeStatus.REJECTED.value:
            totals.takes_done += 1
        elif row.status in (TakeStatus.QUEUED.value, TakeStatus.RUNNING.value):
            totals.takes_queued += 1
        elif row.status == TakeStatus.FAILED.value:
            totals.takes_failed += 1
        totals.seconds += row.cost_seconds or 0.0
        totals.credits += row.cost_credits or 0.0
    return totals


def _character_row(session: Any, name: str) -> CharacterRow:
    row = session.get(CharacterRow, name)
    if row is None:
        for candidate in session.exec(select(CharacterRow)).all():
            if name in candidate.aliases:
                return candidate
        raise ProjectError(f"there is no character {name} in this project.")
    return row


def _spec_error(exc: ValidationError) -> SpecError:
    first = exc.errors()[0]
    field = ".".join(str(part) for part in first.get("loc", ())) or None
    return SpecError(first.get("msg", "invalid value").rstrip(".") + ".", field=field)


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


__all__ = ["ImportReport", "Project", "ShotcraftError", "TakeView", "Totals"]
