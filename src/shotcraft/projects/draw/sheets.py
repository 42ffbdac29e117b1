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

from shotcraft.projects.db import ShotRow
from shotcraft.projects.store import Store
from shotcraft.shots.errors import ProjectError
from shotcraft.shots.models import Shot, ShotSize
from shotcraft.storyboard.prompts import NEGATIVE_PROMPT, compose_sheet_prompt, sheet_view

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


def _sheet_row(name: str) -> ShotRow:
    return ShotRow(
        id=sheet_id(name), episode=0, scene_id="", order=0, size=ShotSize.MCU.value,
        duration_frames=1, characters=[name], negative_prompt=NEGATIVE_PROMPT,
        takes_wanted=SHEET_TAKES, content_hash=f"sheet:{name}", edited=["archived"],
        archived=True,
    )


def ensure_sheet(store: Store, name: str) -> Shot:
    """The sheet shot of the character `name` (a name or an alias), made on first use."""
    character = store.character(name)
    shot_id = sheet_id(character.name)
    with store.db.write() as session:
        if session.get(ShotRow, shot_id) is None:
            session.add(_sheet_row(character.name))
    return store.shot(shot_id)


def sheet_to_plan(store: Store, name: str) -> Shot:
    """The character's sheet shot as it is, or as `ensure_sheet` would make it: a plan of a
    first sheet writes nothing."""
    character = store.character(name)
    shot_id = sheet_id(character.name)
    with store.db.read() as session:
        exists = session.get(ShotRow, shot_id) is not None
    if exists:
        return store.shot(shot_id)
    return Shot(id=shot_id, episode=0, scene_id="", order=0, size=ShotSize.MCU,
                duration_frames=1, characters=[character.name],
                negative_prompt=NEGATIVE_PROMPT, takes_wanted=SHEET_TAKES)


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
