"""Shot editing: a shot's spec (update_shot), and the shot list: split, merge, insert,
delete, reorder.

Each edit is one write transaction. Edits survive re-import of the same script:
- a shot the director removed (delete, the original of a split, the second of a merge) is
  archived with "archived" in its `edited` list, so re-import keeps it archived;
- a shot made by hand (insert, the parts of a split) has content_hash "manual:<uuid>", which
  no script shot matches and which re-import never archives;
- merged content is marked edited (action, dialogue, duration, characters) so it is kept.
Re-import rewrites the `order` of script shots, so a hand reorder lasts until the next import.
"""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlmodel import col, select

from shotcraft.projects.convert import (
    EDITABLE_SHOT_FIELDS,
    field_columns,
    shot_columns,
    shot_from_row,
)
from shotcraft.projects.db import ProjectRow, ShotRow, utcnow
from shotcraft.projects.store import Store
from shotcraft.shots.errors import ProjectError, SpecError
from shotcraft.shots.media import probe, sha256_file
from shotcraft.shots.models import DialogueLine, Keyframe, Shot, ShotKind

DEFAULT_INSERT_SECONDS = 2


def update_shot(store: Store, shot_id: str, **changes: Any) -> Shot:
    """Edit a shot's spec; the edit is validated, saved at once and survives re-import."""
    unknown = set(changes) - set(EDITABLE_SHOT_FIELDS)
    if unknown:
        raise SpecError(
            f"cannot be edited (editable: {', '.join(EDITABLE_SHOT_FIELDS)})",
            field=sorted(unknown)[0],
        )
    with store.db.write() as session:
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
                store.layout.resolve(keyframe.path, what="keyframe")
        edited = set(row.edited)
        for field in changes:
            for column, value in field_columns(field, updated).items():
                setattr(row, column, value)
            edited.add(field)
        row.edited = sorted(edited)
        row.updated_at = utcnow()
        session.add(row)
    return updated


def split_shot(store: Store, shot_id: str, *, at_line: int | None = None) -> tuple[Shot, Shot]:
    """Split a shot in two: before dialogue line `at_line` (0-based), or in half by duration.

    The two parts get new ids (the next free numbers in the scene); the original is archived.
    """
    with store.db.write() as session:
        row = _live_row(session, shot_id)
        shot = shot_from_row(row)
        first_lines, second_lines = _split_lines(shot.dialogue, at_line, shot_id)
        if shot.duration_frames < 2:
            raise ProjectError(f"shot {shot_id} is one frame long and cannot be split.")
        first_frames = _first_part_frames(shot, first_lines, second_lines, at_line)
        rows = _episode_rows(session, shot.episode)
        _shift_orders(session, rows, after=shot.order, by=1)
        taken = set(session.exec(select(ShotRow.id)).all())
        first_id = _next_id(shot_id, taken)
        taken.add(first_id)
        second_id = _next_id(shot_id, taken)
        first = shot.model_copy(update={
            "id": first_id, "duration_frames": first_frames, "dialogue": first_lines,
            "content_hash": _manual_hash(), "picked_take": None,
        })
        second = shot.model_copy(update={
            "id": second_id, "order": shot.order + 1, "duration_frames": shot.duration_frames - first_frames,
            # the action line comes before the dialogue, so it stays with the first part
            "dialogue": second_lines, "action": None, "content_hash": _manual_hash(),
            "picked_take": None,
        })
        for part in (first, second):
            session.add(_new_row(part, edited=row.edited))
        _archive(session, row)
    return first, second


def merge_with_next(store: Store, shot_id: str) -> Shot:
    """Merge a shot with the next shot of its scene: text joined, durations summed; the next archived."""
    with store.db.write() as session:
        row = _live_row(session, shot_id)
        rows = [r for r in _episode_rows(session, row.episode) if not r.archived]
        position = next(i for i, r in enumerate(rows) if r.id == shot_id)
        following = rows[position + 1] if position + 1 < len(rows) else None
        if following is None or following.scene_id != row.scene_id:
            raise ProjectError(f"shot {shot_id} is the last of its scene; there is nothing to merge it with.")
        shot, other = shot_from_row(row), shot_from_row(following)
        actions = [a for a in (shot.action, other.action) if a]
        merged = shot.model_copy(update={
            "action": "\n".join(actions) if actions else None,
            "dialogue": [*shot.dialogue, *other.dialogue],
            "duration_frames": shot.duration_frames + other.duration_frames,
            "characters": list(dict.fromkeys([*shot.characters, *other.characters])),
        })
        columns = shot_columns(merged)
        for column in ("action", "dialogue", "duration_frames", "characters"):
            setattr(row, column, columns[column])
        row.edited = sorted(set(row.edited) | {"action", "dialogue", "duration_frames", "characters"})
        row.trim_in = row.trim_out = None  # an editor's trim of half the merged shot no longer fits
        row.updated_at = utcnow()
        session.add(row)
        _archive(session, following)
    return merged


def insert_shot_after(store: Store, shot_id: str) -> Shot:
    """Insert an empty hand-made shot (kind insert, two seconds) right after a shot."""
    with store.db.write() as session:
        row = _live_row(session, shot_id)
        rows = _episode_rows(session, row.episode)
        _shift_orders(session, rows, after=row.order, by=1)
        taken = set(session.exec(select(ShotRow.id)).all())
        fps = _fps(session)
        shot = Shot(
            id=_next_id(shot_id, taken), episode=row.episode, scene_id=row.scene_id,
            order=row.order + 1, kind=ShotKind.INSERT, duration_frames=DEFAULT_INSERT_SECONDS * fps,
            content_hash=_manual_hash(),
        )
        session.add(_new_row(shot, edited=[]))
    return shot


def delete_shot(store: Store, shot_id: str) -> None:
    """Archive a shot (never deleted: its takes stay on disk); re-import keeps it archived."""
    with store.db.write() as session:
        _archive(session, _live_row(session, shot_id))


def move_shot(store: Store, shot_id: str, step: int) -> Shot:
    """Move a shot up (step -1) or down (+1) within its episode; across a scene edge it changes scene."""
    if step not in (-1, 1):
        raise ProjectError(f"a shot moves one place at a time, not {step}.")
    with store.db.write() as session:
        row = _live_row(session, shot_id)
        rows = [r for r in _episode_rows(session, row.episode) if not r.archived]
        position = next(i for i, r in enumerate(rows) if r.id == shot_id)
        target = position + step
        if not 0 <= target < len(rows):
            where = "first" if step < 0 else "last"
            raise ProjectError(f"shot {shot_id} is already the {where} of episode {row.episode}.")
        neighbour = rows[target]
        if neighbour.scene_id != row.scene_id:
            # crossing a scene edge: the shot joins the neighbouring scene at its near end
            row.scene_id = neighbour.scene_id
        else:
            row.order, neighbour.order = neighbour.order, row.order
            neighbour.updated_at = utcnow()
            session.add(neighbour)
        row.updated_at = utcnow()
        session.add(row)
        return shot_from_row(row)


def set_keyframe(store: Store, shot_id: str, which: str, image: str | Path | None, *,
                 chain_previous: bool = False) -> Shot:
    """Set a shot's first or last keyframe from any image file (copied into refs/keyframes/),
    chain it from the previous shot's last frame, or clear it (image None, no chaining)."""
    if which not in ("first", "last"):
        raise SpecError(f"must be first or last, not {which!r}", field="keyframe")
    field = f"{which}_keyframe"
    if image is None or str(image).strip() == "":
        value = Keyframe(chain_previous=True) if chain_previous else None
        return update_shot(store, shot_id, **{field: value})
    source = Path(image).expanduser()
    if not source.is_absolute():
        inside = store.root / source
        source = inside if inside.exists() else Path.cwd() / source
    if not source.is_file():
        raise ProjectError(f"{source} does not exist or is not a file.")
    if not probe(source).is_image:
        raise SpecError(f"{source.name} is not an image (png, jpg, webp)", field=field)
    target = store.layout.refs / "keyframes" / f"{sha256_file(source)[:16]}{source.suffix.lower()}"
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists():
        shutil.copyfile(source, target)
    keyframe = Keyframe(path=store.layout.relative(target), chain_previous=chain_previous)
    return update_shot(store, shot_id, **{field: keyframe})


# -- helpers ------------------------------------------------------------------------------


def _live_row(session: Any, shot_id: str) -> ShotRow:
    row = session.get(ShotRow, shot_id)
    if row is None:
        raise ProjectError(f"there is no shot {shot_id} in this project.")
    if row.archived:
        raise ProjectError(f"shot {shot_id} is archived; it cannot be edited.")
    return row


def _episode_rows(session: Any, episode: int) -> list[ShotRow]:
    return list(session.exec(
        select(ShotRow).where(ShotRow.episode == episode).order_by(col(ShotRow.order))).all())


def _shift_orders(session: Any, rows: list[ShotRow], *, after: int, by: int) -> None:
    for row in rows:
        if row.order > after:
            row.order += by
            session.add(row)


def _archive(session: Any, row: ShotRow) -> None:
    row.archived = True
    row.edited = sorted(set(row.edited) | {"archived"})
    row.updated_at = utcnow()
    session.add(row)


def _new_row(shot: Shot, *, edited: list[str]) -> ShotRow:
    keep = set(edited) | {"action", "dialogue", "duration_frames"}
    return ShotRow(id=shot.id, **shot_columns(shot), edited=sorted(keep - {"archived"}),
                   updated_at=utcnow())


def _manual_hash() -> str:
    return f"manual:{uuid.uuid4().hex}"


def _next_id(shot_id: str, taken: set[str]) -> str:
    """The next number after the highest one in the shot's scene (E01-S02-007 → E01-S02-00N)."""
    prefix, _, _ = shot_id.rpartition("-")
    numbers = [int(t.rpartition("-")[2]) for t in taken
               if t.rpartition("-")[0] == prefix and t.rpartition("-")[2].isdigit()]
    return f"{prefix}-{max(numbers, default=0) + 1:03d}"


def _fps(session: Any) -> int:
    meta = session.get(ProjectRow, 1)
    return meta.fps if meta else 30


def _spec_error(exc: ValidationError) -> SpecError:
    first = exc.errors()[0]
    field = ".".join(str(part) for part in first.get("loc", ())) or None
    return SpecError(first.get("msg", "invalid value").rstrip(".") + ".", field=field)


def _split_lines(
    lines: list[DialogueLine], at_line: int | None, shot_id: str,
) -> tuple[list[DialogueLine], list[DialogueLine]]:
    if at_line is None:
        half = (len(lines) + 1) // 2
        return list(lines[:half]), list(lines[half:])
    if not 0 < at_line < len(lines):
        raise ProjectError(
            f"shot {shot_id} has {len(lines)} dialogue lines; split before line 1 to {len(lines) - 1}."
        )
    return list(lines[:at_line]), list(lines[at_line:])


def _first_part_frames(
    shot: Shot, first: list[DialogueLine], second: list[DialogueLine], at_line: int | None,
) -> int:
    """Half the frames, or at a dialogue line the share of the spoken text."""
    total = shot.duration_frames
    if at_line is None:
        return total // 2
    a = sum(len(line.text) for line in first)
    b = sum(len(line.text) for line in second)
    share = round(total * a / (a + b)) if a + b else total // 2
    return min(max(share, 1), total - 1)
