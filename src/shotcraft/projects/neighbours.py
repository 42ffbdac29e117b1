"""The shot before: its characters and the last frame of its picked take.

Continuity reads them twice: a chained shot starts from the previous shot's last frame (the
engine request, projects/draw/batch.py), and the continuity metric compares a take's first
frame with it (projects/scoring.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlmodel import col, select

from shotcraft.projects.db import ShotRow, TakeRow
from shotcraft.projects.media import frame_of
from shotcraft.projects.store import Store
from shotcraft.shots.errors import ShotcraftError
from shotcraft.shots.models import Shot


def previous_last_frame(store: Store, shot: Shot) -> tuple[Path | None, str | None]:
    """The last frame of the previous shot's picked take (chaining and continuity), or None
    and why not, in words that end "shot X chains from the previous shot, but …"."""
    with store.db.read() as session:
        prev = _previous_row(session, shot)
        if prev is None:
            return None, f"it is the first shot of episode {shot.episode}"
        if prev.picked_take is None:
            return None, f"{prev.id} has no picked take yet"
        take = session.exec(select(TakeRow).where(
            TakeRow.shot_id == prev.id, TakeRow.number == prev.picked_take)).first()
    pick = f"take {prev.picked_take} of {prev.id} (its pick)"
    if take is None:
        return None, f"{pick} is not in the project"
    if not take.media_path:
        return None, f"{pick} has no file"
    try:
        return frame_of(store.layout, store.layout.resolve(take.media_path), "last"), None
    except ShotcraftError as exc:
        return None, f"the last frame of {pick} could not be read: {str(exc).rstrip('.')}"


def previous_characters(store: Store, shot: Shot) -> list[str]:
    """The characters in frame of the shot before this one in its episode (none for the first)."""
    with store.db.read() as session:
        prev = _previous_row(session, shot)
        return list(prev.characters) if prev is not None else []


def _previous_row(session: Any, shot: Shot) -> ShotRow | None:
    return session.exec(select(ShotRow).where(
        ShotRow.episode == shot.episode, col(ShotRow.order) < shot.order,
        ShotRow.archived == False,  # noqa: E712
    ).order_by(col(ShotRow.order).desc())).first()
