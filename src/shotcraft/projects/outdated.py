"""Outdated takes: a take drawn from a spec or faces that have changed since.

Every take records what it was drawn from when it is drawn (shots.spec.drawn_from): the shot's
spec (kind, size, camera, angle, duration, characters, action, dialogue, prompt, keyframes) and
the content of the in-frame characters' reference images. Editing the shot, or a character's
references, makes the earlier takes outdated:

- the takes list says so, and which changes (CLI table and `--json`, the studio);
- an outdated take ranks below every current take of its kind, and `pick --auto` never picks it;
- a pick that is outdated is flagged by `stats` and before an export.

A take drawn before this was recorded (NULL `drawn_from`) has nothing to compare and is never
called outdated. A take the director picks anyway stays picked: being outdated is a warning.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from sqlmodel import col, select

from shotcraft.projects.convert import shot_from_row
from shotcraft.projects.db import ShotRow, TakeRow
from shotcraft.projects.store import Store
from shotcraft.shots.errors import ShotcraftError
from shotcraft.shots.media import sha256_file
from shotcraft.shots.models import CLIP_KINDS, Shot, TakeStatus
from shotcraft.shots.spec import changes, drawn_from, spec_hash
from shotcraft.storyboard.models import Character


@functools.lru_cache(maxsize=4096)
def _content_hash(path: str, size: int, mtime_ns: int) -> str:
    return sha256_file(path)


def reference_hashes(store: Store, characters: Iterable[Character],
                     names: Iterable[str]) -> dict[str, list[str]]:
    """The content hash of each reference image of each named character (missing files and
    paths outside the project are left out: they draw nothing)."""
    wanted = set(names)
    found: dict[str, list[str]] = {}
    for character in characters:
        if character.name not in wanted:
            continue
        hashes = []
        for reference in character.references:
            try:
                path = store.layout.resolve(reference, what="reference image")
                stat = Path(path).stat()
            except (ShotcraftError, OSError):
                continue
            hashes.append(_content_hash(str(path), stat.st_size, stat.st_mtime_ns))
        found[character.name] = hashes
    return found


def drawn_now(store: Store, shot: Shot, characters: list[Character] | None = None) -> dict[str, Any]:
    """What a take of `shot` drawn now would be drawn from."""
    people = characters if characters is not None else store.characters()
    return drawn_from(shot, reference_hashes(store, people, shot.characters))


def record(store: Store, shot: Shot) -> tuple[str, dict[str, Any]]:
    """(spec hash, drawn_from) to keep on a take drawn now from `shot`."""
    drawn = drawn_now(store, shot)
    return spec_hash(drawn), drawn


def outdated(recorded: dict[str, Any] | None, now: dict[str, Any]) -> list[str]:
    """What changed since a take was drawn ([]: it still matches its shot)."""
    return changes(recorded, now)


def sentence(what: list[str]) -> str:
    """"outdated: size, camera changed" — how the front-ends say it."""
    return f"outdated: {', '.join(what)} changed" if what else ""


class OutdatedPick(BaseModel):
    """A shot whose picked take no longer matches it."""

    shot_id: str
    take: int
    changed: list[str]

    def sentence(self) -> str:
        return (f"{self.shot_id}: the picked take {self.take} is outdated "
                f"({', '.join(self.changed)} changed since it was drawn); draw it again or pick "
                "a current take.")


def outdated_picks(store: Store, *, episode: int | None = None) -> list[OutdatedPick]:
    """The live shots (of an episode) whose picked clip is outdated, in storyboard order."""
    with store.db.read() as session:
        query = select(ShotRow).where(ShotRow.archived == False,  # noqa: E712
                                      col(ShotRow.picked_take).is_not(None))
        if episode is not None:
            query = query.where(ShotRow.episode == episode)
        rows = session.exec(query.order_by(col(ShotRow.episode), col(ShotRow.order))).all()
        picks = {(t.shot_id, t.number): t for t in session.exec(select(TakeRow).where(
            col(TakeRow.shot_id).in_([r.id for r in rows]),
            col(TakeRow.kind).in_(CLIP_KINDS))).all()}
    if not rows:
        return []
    characters = store.characters()
    found = []
    for row in rows:
        take = picks.get((row.id, row.picked_take or 0))
        if take is None or take.status != TakeStatus.DONE.value or not take.drawn_from:
            continue
        what = outdated(take.drawn_from, drawn_now(store, shot_from_row(row), characters))
        if what:
            found.append(OutdatedPick(shot_id=row.id, take=take.number, changed=what))
    return found
