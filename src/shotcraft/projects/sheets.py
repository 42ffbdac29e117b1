"""Character sheets: keyframe portraits of one character alone, drawn to find reference images.

A character's sheet is stored as a shot with the id `SHEET-<name>` (the bible's name, e.g.
`SHEET-林晚`), so its takes are numbered, stored, ranked and pickable like any keyframe take,
with no table of their own. The sheet shot belongs to no scene and is kept archived, which is
how every storyboard query (episodes, `shots`, auto-pick, exports, the studio's board) already
leaves a shot out; re-import never matches it (its content hash is `sheet:<name>`).

Takes alternate between a front view (odd take numbers) and a three-quarter view (even ones);
the prompt is composed per take from the bible's description when a batch is drawn
(`sheet_for_take`), so an edited description is used by the next takes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from shotcraft.projects.db import ShotRow
from shotcraft.projects.store import Store
from shotcraft.shots.errors import EngineError, ProjectError
from shotcraft.shots.models import Shot, ShotSize, TakeKind
from shotcraft.storyboard.prompts import NEGATIVE_PROMPT, compose_sheet_prompt, sheet_view

if TYPE_CHECKING:
    from shotcraft.projects.render import RenderSummary

SHEET_PREFIX = "SHEET-"
SHEET_TAKES = 4  # two of each view, unless --takes says otherwise


def sheet_id(name: str) -> str:
    """The shot id of a character's sheet."""
    return f"{SHEET_PREFIX}{name}"


def is_sheet(shot_id: str) -> bool:
    return shot_id.startswith(SHEET_PREFIX)


def same_view(first: int, other: int) -> bool:
    """Whether two takes of a sheet draw the same view (and so can share one engine batch)."""
    return sheet_view(first) == sheet_view(other)


def ensure_sheet(store: Store, name: str) -> Shot:
    """The sheet shot of the character `name` (a name or an alias), made on first use."""
    character = store.character(name)
    shot_id = sheet_id(character.name)
    with store.db.write() as session:
        row = session.get(ShotRow, shot_id)
        if row is None:
            row = ShotRow(
                id=shot_id, episode=0, scene_id="", order=0, size=ShotSize.MCU.value,
                duration_frames=1, characters=[character.name], negative_prompt=NEGATIVE_PROMPT,
                takes_wanted=SHEET_TAKES, content_hash=f"sheet:{character.name}",
                edited=["archived"], archived=True,
            )
            session.add(row)
    return store.shot(shot_id)


def existing_sheet(store: Store, name: str) -> str:
    """The id of the character's sheet; ProjectError saying how to draw one if there is none."""
    character = store.character(name)
    shot_id = sheet_id(character.name)
    with store.db.read() as session:
        if session.get(ShotRow, shot_id) is None:
            raise ProjectError(f"{character.name} has no character sheet yet; draw one with "
                               f"`shotcraft render DIR --character {character.name}`.")
    return shot_id


def sheet_for_take(store: Store, shot: Shot, take_number: int) -> Shot:
    """The sheet shot as drawn for `take_number`: its prompt composed for that take's view."""
    character = store.character(shot.characters[0])
    return shot.model_copy(update={
        "prompt": compose_sheet_prompt(character, take_number),
        "characters": [character.name],
        "first_keyframe": None, "last_keyframe": None,  # a portrait starts from nothing
    })


def render_sheet(store: Store, name: str, *, engine: str | None = None,
                 **kwargs: Any) -> RenderSummary:
    """Draw keyframe portraits of one character alone as takes of its sheet."""
    from shotcraft.engine.registry import get_engine
    from shotcraft.engine.settings import EngineSettings
    from shotcraft.projects.render import render

    store.character(name)  # an unknown name is refused before anything is made
    engine_name = engine or EngineSettings().default_engine
    engine_obj = get_engine(engine_name, **(kwargs.get("engine_settings") or {}))
    if not engine_obj.capabilities(TakeKind.KEYFRAME).keyframes:
        raise EngineError(
            f"{engine_name} cannot draw stills, so it cannot draw a character sheet; use an "
            "engine that draws keyframes (previz, diffusers with a keyframe model, or kling)."
        )
    sheet = ensure_sheet(store, name)
    kwargs.pop("kind", None)
    kwargs.pop("shot_ids", None)
    kwargs.pop("episode", None)
    return render(store, shot_ids=[sheet.id], engine=engine_name, kind=TakeKind.KEYFRAME, **kwargs)
