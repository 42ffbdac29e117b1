"""Scoring stored takes: the ranking stage as a project runs it.

One decode at the technical analysis size gives the technical, motion and continuity metrics
and the thumbnail; identity decodes its own sampled frames at the shot size's analysis size and
matches their faces to the characters in frame, against the bible's usable references
(embeddings cached by content in `cache/faces/`). `rescore` runs the same on finished takes, so
takes scored before a reference was added, or before the face model was installed, are totalled
over the same metrics as new ones.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel
from pydantic_settings import SettingsConfigDict
from sqlmodel import col, select

from shotcraft.projects.cast import faces_cache
from shotcraft.projects.convert import shot_from_row
from shotcraft.projects.db import ShotRow, TakeRow
from shotcraft.projects.filmstrip import filmstrip
from shotcraft.projects.neighbours import previous_characters, previous_last_frame
from shotcraft.projects.store import Store
from shotcraft.ranking import faces
from shotcraft.ranking.identity import (
    Bible,
    build_bible,
    cut_faces,
    sample_frames,
    score_take_identity,
)
from shotcraft.ranking.lipsync import lipsync_metric
from shotcraft.ranking.metrics import analysis_frames, score_frames
from shotcraft.shots.errors import ProjectError, ShotcraftError, SpecError, is_disk_full
from shotcraft.shots.files import atomic_target
from shotcraft.shots.media import probe
from shotcraft.shots.models import Shot, TakeKind, TakeStatus
from shotcraft.shots.settings import Section

RESCORED = (TakeStatus.DONE.value, TakeStatus.REJECTED.value)


class IdentitySettings(Section):
    """`[identity]`; `SHOTCRAFT_IDENTITY_THRESHOLD=0.6` etc."""

    section = "identity"
    model_config = SettingsConfigDict(env_prefix="SHOTCRAFT_IDENTITY_", extra="ignore")

    # `pick --auto` passes over a take whose identity is under this when another take of the
    # shot reaches it
    threshold: float = 0.5

    def checked(self) -> IdentitySettings:
        if not 0.0 <= self.threshold <= 1.0:
            raise SpecError(
                f"SHOTCRAFT_IDENTITY_THRESHOLD is {self.threshold:g}; it must be between 0 and 1.",
                field="identity_threshold",
            )
        return self


def bible(store: Store) -> Any:
    """The usable reference embeddings of every character (from the cache where measured)."""
    references = {}
    for character in store.characters():
        paths = []
        for reference in character.references:
            try:
                paths.append(store.layout.resolve(reference, what=f"{character.name}'s reference"))
            except ShotcraftError:
                continue  # a path outside the project is never read
        references[character.name] = paths
    return build_bible(references, cache_dir=faces_cache(store))


def score_and_thumbnail(
    store: Store, stored: Path, *, kind: TakeKind, info: Any, shot: Shot,
    previous_last: Path | None, thumbnail: bool = True, lipsync_audio: Path | None = None,
) -> tuple[Any, Path]:
    """Score a stored take (identity included where it can be measured), keep its middle
    frame as the thumbnail and its first, middle and last frames as its filmstrip.

    A lip-sync take is also given the `lipsync` metric (the mouth check against
    `lipsync_audio`, the dialogue it was made to speak; its own track when that is gone)."""
    from PIL import Image

    frames, fps = analysis_frames(stored, kind=kind, info=info)
    previous = None
    if previous_last is not None:
        with Image.open(previous_last) as image:
            previous = np.asarray(image.convert("RGB"))
    # the bible (every reference hashed, embeddings from the cache) only where faces are judged
    identity = score_take_identity(stored, kind=kind, size=shot.size, in_frame=shot.characters,
                                   bible=bible(store) if shot.characters else Bible(), info=info)
    cut = None
    shared = [c for c in shot.characters if c in previous_characters(store, shot)] if (
        previous is not None) else []
    if previous is not None and shared and _model_ready():
        # the same people on both sides of the cut: faces need more pixels than the 144 px
        # technical frames, so the first frame is decoded at the shot size's identity size
        first = sample_frames(stored, kind=TakeKind.KEYFRAME, size=shot.size, info=info)[0]
        cut = cut_faces(first, previous, shared)
    synced, synced_note = (_lipsync(stored, lipsync_audio) if kind is TakeKind.LIPSYNC
                           else (None, None))
    scores = score_frames(frames, fps=fps, camera=shot.camera if kind.moving else None,
                          previous_last_frame=previous, cut=cut, identity=identity.metric,
                          lipsync=synced)
    scores_notes = {} if identity.metric is not None else {"identity": identity.note}
    if synced_note:
        scores_notes["lipsync"] = synced_note
    thumb = store.layout.frames / f"{stored.stem}-thumb.png"
    if thumbnail and not thumb.exists():
        # a full disk leaves half a PNG under the temp name only, and it is removed
        with atomic_target(thumb) as temp:
            Image.fromarray(frames[len(frames) // 2]).save(temp, format="PNG")
    if thumbnail:
        # first, middle and last frames for the takes screen, made while the clip is warm
        filmstrip(store.layout, stored, kind=kind, fps=info.fps or None,
                  frames=None if info.is_image else info.frames, info=info)
    return Scored(scores=scores, notes=scores_notes), thumb


def _lipsync(stored: Path, audio: Path | None) -> tuple[Any, str | None]:
    """The lip-sync metric, or None and why it was left out (no face model)."""
    missing = faces.missing_reason()
    if missing is not None:
        return None, f"mouth check left out: {missing}"
    return lipsync_metric(stored, audio if audio is not None and audio.is_file() else None), None


def _model_ready() -> bool:
    return faces.missing_reason() is None


class Scored(BaseModel):
    """A take's scores plus the notes of metrics left out (e.g. why identity is not counted)."""

    scores: Any
    notes: dict[str, str] = {}

    @property
    def total(self) -> float:
        return float(self.scores.total)

    def as_dict(self) -> dict[str, float]:
        return dict(self.scores.as_dict())

    def explanations(self) -> dict[str, str]:
        return {**self.notes, **{m.name: m.explanation for m in self.scores.metrics}}


class RescoreResult(BaseModel):
    shot_id: str
    take: int
    before: float | None
    after: float | None
    identity: float | None
    identity_explanation: str
    error: str | None = None  # why the take could not be scored again (it keeps its scores)


def rescore(store: Store, *, shot_ids: list[str] | None = None,
            progress: Callable[[int, int, RescoreResult], None] | None = None) -> list[RescoreResult]:
    """Score every finished take of the shots again (all shots when none are named)."""
    with store.db.read() as session:
        query = select(ShotRow)
        if shot_ids:
            query = query.where(col(ShotRow.id).in_(shot_ids))
        shot_rows = session.exec(query.order_by(col(ShotRow.episode), col(ShotRow.order))).all()
        found = {row.id for row in shot_rows}
        missing = [s for s in shot_ids or [] if s not in found]
        if missing:
            raise ProjectError(f"there is no shot {missing[0]} in this project.")
        shots = [shot_from_row(row) for row in shot_rows]
        takes = session.exec(select(TakeRow).where(
            col(TakeRow.shot_id).in_([s.id for s in shots]),
            col(TakeRow.status).in_(RESCORED), TakeRow.media_path != None,  # noqa: E711
        ).order_by(col(TakeRow.shot_id), col(TakeRow.number))).all()
    by_shot: dict[str, list[TakeRow]] = {}
    for take in takes:
        by_shot.setdefault(take.shot_id, []).append(take)
    total = len(takes)
    results: list[RescoreResult] = []
    for shot in shots:
        rows = by_shot.get(shot.id, [])
        if not rows:
            continue
        previous, _why = previous_last_frame(store, shot)
        for row in rows:
            kind = TakeKind(row.kind)
            try:
                path = store.layout.resolve(row.media_path or "",
                                            what=f"take {row.number} of {shot.id}")
                info = probe(path, count_frames=kind.moving)
                audio = (store.layout.cache / "lipsync" / f"{row.audio_hash}.wav"
                         if row.audio_hash else None)
                scored, _thumb = score_and_thumbnail(store, path, kind=kind, info=info,
                                                     shot=shot, previous_last=previous,
                                                     thumbnail=False, lipsync_audio=audio)
            except ShotcraftError as exc:
                if is_disk_full(exc):
                    raise
                # one unreadable take (a file deleted by hand) keeps its old scores; the rest go on
                result = RescoreResult(shot_id=shot.id, take=row.number, before=row.score,
                                       after=row.score, identity=None, identity_explanation="",
                                       error=str(exc))
                results.append(result)
                if progress is not None:
                    progress(len(results), total, result)
                continue
            with store.db.write() as session:
                fresh = session.get(TakeRow, row.id)
                if fresh is None:
                    continue
                before = fresh.score
                fresh.scores = scored.as_dict()
                fresh.explanations = scored.explanations()
                fresh.score = scored.total
                session.add(fresh)
            identity = scored.scores.get("identity")
            result = RescoreResult(
                shot_id=shot.id, take=row.number, before=before, after=scored.total,
                identity=identity.value if identity is not None else None,
                identity_explanation=scored.explanations().get("identity", ""),
            )
            results.append(result)
            if progress is not None:
                progress(len(results), total, result)
    return results
