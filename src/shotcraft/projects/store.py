"""The store: a project's database and folder layout, with the typed queries everything in
projects/ is built on (the Project facade, importing, the render queue, export, editing)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlmodel import col, select

from shotcraft.projects.convert import character_from_row, scene_from_row, shot_from_row
from shotcraft.projects.db import CharacterRow, Database, EpisodeRow, ProjectRow, SceneRow, ShotRow
from shotcraft.projects.paths import Layout
from shotcraft.shots.errors import ProjectError
from shotcraft.shots.models import Budget, Shot, Take
from shotcraft.shots.names import normalise_name
from shotcraft.storyboard.models import Character, Episode, Scene, Storyboard


class Store:
    """A project folder's database and layout; reads come back as domain models."""

    def __init__(self, root: Path, db: Database) -> None:
        self.layout = Layout(root)
        self.db = db

    @property
    def root(self) -> Path:
        return self.layout.root

    def close(self) -> None:
        self.db.dispose()

    # -- the project row -------------------------------------------------------------------

    def meta(self) -> ProjectRow:
        """The project's one settings row (title, fps, aspect, language, script)."""
        with self.db.read() as session:
            row = session.get(ProjectRow, 1)
        if row is None:
            raise ProjectError(f"{self.root} has an empty database; create the project again.")
        return row

    @property
    def title(self) -> str:
        return self.meta().title

    @property
    def fps(self) -> int:
        return self.meta().fps

    @property
    def aspect(self) -> str:
        return self.meta().aspect

    @property
    def language(self) -> str:
        return self.meta().language

    # -- the storyboard --------------------------------------------------------------------

    def storyboard(self, *, episode: int | None = None, include_archived: bool = False) -> Storyboard:
        """Episodes → scenes → shots, in order, with the character bible. Four queries."""
        meta = self.meta()
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
        """Numbers of the episodes that have live shots."""
        with self.db.read() as session:
            numbers = session.exec(
                select(ShotRow.episode).where(ShotRow.archived == False).distinct()  # noqa: E712
            ).all()
        return sorted(numbers)

    def shots(self, *, episode: int | None = None) -> list[Shot]:
        """Live shots in storyboard order."""
        return self.storyboard(episode=episode).shots()

    def shot(self, shot_id: str) -> Shot:
        """One shot by id (archived ones too); ProjectError if there is none."""
        with self.db.read() as session:
            row = session.get(ShotRow, shot_id)
        if row is None:
            raise ProjectError(f"there is no shot {shot_id} in this project.")
        return shot_from_row(row)

    def scene(self, scene_id: str) -> Scene:
        """One scene by id, without its shots; ProjectError if there is none."""
        with self.db.read() as session:
            row = session.get(SceneRow, scene_id)
        if row is None:
            raise ProjectError(f"there is no scene {scene_id} in this project.")
        return scene_from_row(row)

    def characters(self) -> list[Character]:
        """The character bible, in order of first appearance."""
        with self.db.read() as session:
            rows = session.exec(select(CharacterRow).order_by(col(CharacterRow.order))).all()
        return [character_from_row(r) for r in rows]

    def character(self, name: str) -> Character:
        """A character by name or alias (in its one form: shots.names); ProjectError if there
        is none."""
        name = normalise_name(name)
        for character in self.characters():
            if character.name == name or name in character.aliases:
                return character
        raise ProjectError(f"there is no character {name} in this project.")

    # -- budgets, media, change polling ---------------------------------------------------

    def episode_budget(self, episode: int) -> Budget | None:
        """The episode's budget, if one was set."""
        with self.db.read() as session:
            row = session.get(EpisodeRow, episode)
        return Budget(**row.budget) if row and row.budget else None

    def set_episode_budget(self, episode: int, budget: Budget | None) -> None:
        """Set (or clear, with None) an episode's budget."""
        with self.db.write() as session:
            row = session.get(EpisodeRow, episode)
            if row is None:
                raise ProjectError(f"there is no episode {episode} in this project.")
            row.budget = budget.model_dump(mode="json") if budget else None
            session.add(row)

    def take_path(self, take: Take) -> Path | None:
        """The absolute path of a take's media file (None for a take without one)."""
        return self.layout.resolve(take.media_path, what="take") if take.media_path else None

    def data_version(self) -> int:
        """A number that changes whenever another process commits (cheap change polling)."""
        with self.db.engine.connect() as conn:
            if self.db.is_sqlite:
                return int(conn.exec_driver_sql("PRAGMA data_version").scalar() or 0)
        return 0


def character_row(session: Any, name: str) -> CharacterRow:
    """The row of the character called `name` (or with `name` among its aliases), in
    `session`; ProjectError when there is none. The name is normalised first (NFKC, no
    zero-width characters) as stored names are."""
    name = normalise_name(name)
    row = session.get(CharacterRow, name)
    if row is None:
        for candidate in session.exec(select(CharacterRow)).all():
            if name in candidate.aliases:
                return candidate
        raise ProjectError(f"there is no character {name} in this project.")
    return row
