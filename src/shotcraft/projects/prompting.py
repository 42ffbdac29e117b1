"""Prompts that say what the shot is.

A shot's prompt is composed from its spec (storyboard.prompts.compose_prompt) whenever the
spec changes — kind, size, camera, angle, characters, action, dialogue or duration, by an
edit in the studio or `shotcraft shot`, or by a re-import over edited shots — unless the
director wrote the prompt by hand. A hand-written prompt is kept as written and marked as such
("prompt" in the row's edited fields, `Shot.prompt_by_hand`); `--auto-prompt` (or clearing the
prompt) gives it back to the composer.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import col, select

from shotcraft.projects.convert import character_from_row, scene_from_row
from shotcraft.projects.db import CharacterRow, ProjectRow, SceneRow
from shotcraft.shots.models import Shot
from shotcraft.storyboard.models import Character, Scene
from shotcraft.storyboard.prompts import compose_prompt

# the spec a prompt is composed from: editing any of these composes it again
PROMPT_FIELDS = frozenset({"kind", "size", "camera", "angle", "characters", "action", "dialogue",
                           "duration_frames"})


def compose(shot: Shot, scene: Scene | None, characters: list[Character], *,
            language: str = "en") -> str:
    """The composed prompt of a shot in its scene, with the appearance of those in frame."""
    in_frame = [c for c in characters if c.name in shot.characters]
    setting = scene or Scene(id=shot.scene_id, episode=shot.episode, number=0, heading="",
                             location="")
    return compose_prompt(shot, setting, in_frame, language=language)


def compose_in(session: Any, shot: Shot) -> str:
    """`compose` with the scene, bible and language read in an open session."""
    scene_row = session.get(SceneRow, shot.scene_id)
    characters = [character_from_row(r) for r in session.exec(
        select(CharacterRow).order_by(col(CharacterRow.order))).all()]
    meta = session.get(ProjectRow, 1)
    return compose(shot, scene_from_row(scene_row) if scene_row else None, characters,
                   language=meta.language if meta else "en")
