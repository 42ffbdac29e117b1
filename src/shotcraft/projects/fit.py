"""Fit: lengthen the shots whose dialogue, spoken in the characters' voices, runs past them.

Spoken lengths come from the per-line speech cache (assembly.speech), so only lines not yet
spoken are synthesised. A shot's new length is the shortest at which every one of its lines,
placed as the subtitles place it, ends (audio plus the cue's tail) before the next line or the
shot's end; never shorter than it is. All changes are written in one transaction; takes are
kept (export holds a shorter take's last frame to the shot's length).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from shotcraft.assembly import subtitles
from shotcraft.assembly.speech.timing import TAIL_SECONDS, misfits, spoken_seconds
from shotcraft.assembly.timeline import Clip, Cue, Timeline
from shotcraft.projects.db import ShotRow, utcnow
from shotcraft.projects.export import build_timeline
from shotcraft.projects.store import Store
from shotcraft.projects.takes import take_views
from shotcraft.projects.voices import speaker_voices
from shotcraft.shots.errors import ProjectError
from shotcraft.storyboard.voices import Voice

_ROOMY = 100_000  # frames: long enough that every piece of every line gets a cue


class ShotFit(BaseModel):
    shot_id: str
    old_frames: int
    new_frames: int
    fps: int
    takes: int  # kept as they are
    trimmed: bool = False  # an editor's trim sets this shot's length: left for the director

    def as_json(self) -> dict[str, Any]:
        return {**self.model_dump(), "old_seconds": round(self.old_frames / self.fps, 3),
                "new_seconds": round(self.new_frames / self.fps, 3)}


class FitReport(BaseModel):
    episodes: list[int]
    lines: list[str]  # one sentence per line that does not fit
    changes: list[ShotFit]
    dry_run: bool
    synthesised: int = 0  # lines spoken now rather than found in the cache

    def as_json(self) -> dict[str, Any]:
        return {"episodes": self.episodes, "lines": self.lines, "dry_run": self.dry_run,
                "synthesised": self.synthesised,
                "changes": [change.as_json() for change in self.changes]}


def fit(store: Store, *, episode: int | None = None, dry_run: bool = False) -> FitReport:
    """Flag every line that runs past its shot and (unless `dry_run`) lengthen those shots."""
    episodes = [episode] if episode is not None else store.episodes()
    if episode is not None and episode not in store.episodes():
        raise ProjectError(f"there is no episode {episode} in this project.")
    voices = speaker_voices(store)
    cache = store.layout.cache
    cache.mkdir(parents=True, exist_ok=True)
    before = _cached(cache)
    lines: list[str] = []
    changes: list[ShotFit] = []
    for number in episodes:
        timeline = build_timeline(store, number)
        starts = timeline.clip_starts()
        cues = subtitles.build_cues(timeline, starts, language=store.language)
        seconds = spoken_seconds(cues, voices, cache, store.language)
        flagged = misfits(timeline, starts, cues, seconds)
        lines.extend(m.sentence() for m in flagged)
        for shot_id in dict.fromkeys(m.shot_id for m in flagged):
            clip = next(c for c in timeline.clips if c.shot_id == shot_id)
            shot = store.shot(shot_id)
            changes.append(ShotFit(
                shot_id=shot_id, old_frames=clip.duration_frames, fps=timeline.fps,
                new_frames=_fitting_frames(timeline, clip, store, voices),
                takes=len(take_views(store, shot_id)),
                trimmed=shot.trim_in is not None and shot.trim_out is not None))
    if not dry_run:
        _write(store, [c for c in changes if not c.trimmed])
    return FitReport(episodes=episodes, lines=lines, changes=changes, dry_run=dry_run,
                     synthesised=max(0, _cached(cache) - before))


def _fitting_frames(timeline: Timeline, clip: Clip, store: Store,
                    voices: Mapping[str, Voice]) -> int:
    """The shortest length, from the clip's own, at which every line of the clip fits."""
    def alone(frames: int) -> tuple[Timeline, list[Cue]]:
        one = timeline.model_copy(update={"clips": [clip.model_copy(update={"duration_frames": frames})]})
        return one, subtitles.build_cues(one, [0], language=store.language)

    roomy, cues = alone(_ROOMY)
    seconds = spoken_seconds(cues, voices, store.layout.cache, store.language)
    fps = timeline.fps
    # each line's share of the shot is fixed by its text, so scale the longest need up to it
    estimate = clip.duration_frames
    for number, cue in enumerate(cues):
        room = (cues[number + 1].start_frame if number + 1 < len(cues) else _ROOMY) - cue.start_frame
        need = seconds.get(cue.index, 0.0) * fps + TAIL_SECONDS * fps + 1
        estimate = max(estimate, int(need * _ROOMY / max(room, 1)) - 2)
    frames = max(clip.duration_frames, estimate)
    while True:  # rounding of the shares: a frame or two at most
        one, placed = alone(frames)
        if len(placed) == len(cues) and not misfits(one, [0], placed, seconds):
            return frames
        frames += 1


def _write(store: Store, changes: list[ShotFit]) -> None:
    if not changes:
        return
    with store.db.write() as session:  # one transaction: every shot lengthened, or none
        for change in changes:
            row = session.get(ShotRow, change.shot_id)
            if row is None or row.archived:
                raise ProjectError(f"shot {change.shot_id} changed while fitting; run fit again.")
            row.duration_frames = change.new_frames
            row.edited = sorted(set(row.edited) | {"duration_frames"})  # re-import keeps it
            row.updated_at = utcnow()
            session.add(row)


def _cached(cache: Path) -> int:
    folder = cache / "speech"
    return sum(1 for _ in folder.glob("*.wav")) if folder.is_dir() else 0
