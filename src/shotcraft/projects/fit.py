"""Fit: shot lengths that follow the dialogue as the characters' voices really speak it.

Spoken lengths come from the per-line speech cache (assembly.speech), so only lines not yet
spoken are synthesised. A shot's length is the shortest at which every one of its lines,
placed as the subtitles place it, ends (audio plus the cue's tail) before the next line or the
shot's end.

- `fit` lengthens the shots whose lines run past them, never shorter than they are and never
  past `max_stretch` times their length (the pace the director keeps: 1.5 by default). A line
  still too long at that limit is reported with the seconds the next line will cut off it.
- `follow=True` (import's option, before takes are judged) sets every dialogue shot whose
  length nobody edited to what its lines need: shorter where the voices are quicker than the
  breakdown's estimate, longer within `max_stretch` where they are slower, never under the
  breakdown's shortest shot.

All changes are written in one transaction and marked as edited lengths (re-import keeps
them); takes are kept (export holds a shorter take's last frame to the shot's length).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from sqlmodel import select

from shotcraft.assembly import subtitles
from shotcraft.assembly.speech.timing import TAIL_SECONDS, cuts, misfits, spoken_seconds
from shotcraft.assembly.timeline import Clip, Cue, Timeline
from shotcraft.projects.db import ShotRow, utcnow
from shotcraft.projects.export import build_timeline
from shotcraft.projects.store import Store
from shotcraft.projects.takes import take_views
from shotcraft.projects.voices import speaker_voices
from shotcraft.shots.errors import ProjectError, SpecError
from shotcraft.storyboard.breakdown import MIN_SHOT_SECONDS
from shotcraft.storyboard.voices import Voice

_ROOMY = 100_000  # frames: long enough that every piece of every line gets a cue
DEFAULT_MAX_STRETCH = 1.5  # a shot grows at most by half: a vertical drama keeps its pace


class ShotFit(BaseModel):
    shot_id: str
    old_frames: int
    new_frames: int
    fps: int
    takes: int  # kept as they are
    trimmed: bool = False  # an editor's trim sets this shot's length: left for the director
    needed_frames: int | None = None  # what its lines need, where max_stretch held it shorter

    @property
    def capped(self) -> bool:
        return self.needed_frames is not None and self.needed_frames > self.new_frames

    def as_json(self) -> dict[str, Any]:
        return {**self.model_dump(), "old_seconds": round(self.old_frames / self.fps, 3),
                "new_seconds": round(self.new_frames / self.fps, 3), "capped": self.capped}


class LineCut(BaseModel):
    """A line the voice track will stop short, and the seconds of it lost."""

    shot_id: str
    speaker: str
    text: str
    seconds: float
    lost_seconds: float

    def sentence(self) -> str:
        return (f"{self.shot_id}: {self.speaker}'s line runs {self.seconds:.1f} s and is cut by "
                f"{self.lost_seconds:.1f} s where the next line starts or the episode ends")


class FitReport(BaseModel):
    episodes: list[int]
    lines: list[str]  # one sentence per line that does not fit
    changes: list[ShotFit]
    dry_run: bool
    synthesised: int = 0  # lines spoken now rather than found in the cache
    max_stretch: float | None = DEFAULT_MAX_STRETCH
    cut_before: list[LineCut] = []  # lines cut with the lengths as they were
    cut_after: list[LineCut] = []  # lines still cut with the new lengths (max_stretch held them)

    def as_json(self) -> dict[str, Any]:
        return {"episodes": self.episodes, "lines": self.lines, "dry_run": self.dry_run,
                "synthesised": self.synthesised, "max_stretch": self.max_stretch,
                "changes": [change.as_json() for change in self.changes],
                "cut_before": [c.model_dump() for c in self.cut_before],
                "cut_after": [c.model_dump() for c in self.cut_after],
                "cut_seconds_before": round(sum(c.lost_seconds for c in self.cut_before), 3),
                "cut_seconds_after": round(sum(c.lost_seconds for c in self.cut_after), 3)}


def fit(store: Store, *, episode: int | None = None, dry_run: bool = False,
        max_stretch: float | None = DEFAULT_MAX_STRETCH, follow: bool = False) -> FitReport:
    """Lengthen the shots whose lines run past them, within `max_stretch` (None: no limit);
    with `follow`, also shorten unedited dialogue shots to what their lines need. Unless
    `dry_run`, write the new lengths."""
    if max_stretch is not None and not max_stretch >= 1.0:
        raise SpecError(f"must be at least 1 (1.5 lets a shot grow by half), not {max_stretch:g}",
                        field="max_stretch")
    episodes = [episode] if episode is not None else store.episodes()
    if episode is not None and episode not in store.episodes():
        raise ProjectError(f"there is no episode {episode} in this project.")
    voices = speaker_voices(store)
    cache = store.layout.cache
    cache.mkdir(parents=True, exist_ok=True)
    before = _cached(cache)
    edited = _edited_lengths(store) if follow else set()
    report = FitReport(episodes=episodes, lines=[], changes=[], dry_run=dry_run,
                       max_stretch=max_stretch)
    for number in episodes:
        timeline = build_timeline(store, number)
        starts = timeline.clip_starts()
        cues = subtitles.build_cues(timeline, starts, language=store.language)
        seconds = spoken_seconds(cues, voices, cache, store.language)
        report.cut_before += _line_cuts(timeline, cues, seconds)
        flagged = misfits(timeline, starts, cues, seconds)
        report.lines.extend(m.sentence() for m in flagged)
        chosen = list(dict.fromkeys(m.shot_id for m in flagged))
        if follow:
            chosen += [clip.shot_id for clip in timeline.clips
                       if clip.dialogue and clip.shot_id not in chosen and clip.shot_id not in edited]
        for shot_id in chosen:
            change = _change(store, timeline, shot_id, voices, max_stretch, follow=follow)
            if change is not None:
                report.changes.append(change)
        lengths = {c.shot_id: c.new_frames for c in report.changes if not c.trimmed}
        after = timeline.model_copy(update={"clips": [
            clip.model_copy(update={"duration_frames": lengths.get(clip.shot_id, clip.duration_frames)})
            for clip in timeline.clips]})
        after_cues = subtitles.build_cues(after, after.clip_starts(), language=store.language)
        report.cut_after += _line_cuts(after, after_cues,
                                       spoken_seconds(after_cues, voices, cache, store.language))
    if not dry_run:
        _write(store, [c for c in report.changes if not c.trimmed])
    report.synthesised = max(0, _cached(cache) - before)
    return report


def _change(store: Store, timeline: Timeline, shot_id: str, voices: Mapping[str, Voice],
            max_stretch: float | None, *, follow: bool) -> ShotFit | None:
    clip = next(c for c in timeline.clips if c.shot_id == shot_id)
    shot = store.shot(shot_id)
    trimmed = shot.trim_in is not None and shot.trim_out is not None
    floor = min(clip.duration_frames, round(MIN_SHOT_SECONDS * timeline.fps)) if follow else (
        clip.duration_frames)
    needed = _fitting_frames(timeline, clip, store, voices, start=floor)
    limit = math.floor(clip.duration_frames * max_stretch) if max_stretch is not None else needed
    new = max(floor, min(needed, limit))
    if new == clip.duration_frames:
        return None
    return ShotFit(shot_id=shot_id, old_frames=clip.duration_frames, fps=timeline.fps,
                   new_frames=new, takes=len(take_views(store, shot_id)), trimmed=trimmed,
                   needed_frames=needed if needed > new else None)


def _line_cuts(timeline: Timeline, cues: list[Cue], seconds: Mapping[int, float]) -> list[LineCut]:
    """The lines the voice track would cut in `timeline`, each with its shot."""
    starts = timeline.clip_starts()
    shot_of = {cue.index: next(clip.shot_id for clip, start in reversed(
        list(zip(timeline.clips, starts, strict=True))) if start <= cue.start_frame) for cue in cues}
    return [LineCut(shot_id=shot_of[c.index], speaker=c.speaker, text=c.text, seconds=c.seconds,
                    lost_seconds=c.lost_seconds)
            for c in cuts(cues, seconds, fps=timeline.fps, total_frames=timeline.duration_frames)]


def _edited_lengths(store: Store) -> set[str]:
    """Shots whose length the director set by hand (fit's own lengths count as set too)."""
    with store.db.read() as session:
        rows = session.exec(select(ShotRow.id, ShotRow.edited).where(
            ShotRow.archived == False)).all()  # noqa: E712
    return {shot_id for shot_id, edited in rows if "duration_frames" in (edited or [])}


def _fitting_frames(timeline: Timeline, clip: Clip, store: Store,
                    voices: Mapping[str, Voice], *, start: int | None = None) -> int:
    """The shortest length, from `start` (the clip's own length), at which every line of the
    clip fits."""
    def alone(frames: int) -> tuple[Timeline, list[Cue]]:
        one = timeline.model_copy(update={"clips": [clip.model_copy(update={"duration_frames": frames})]})
        return one, subtitles.build_cues(one, [0], language=store.language)

    roomy, cues = alone(_ROOMY)
    seconds = spoken_seconds(cues, voices, store.layout.cache, store.language)
    fps = timeline.fps
    # each line's share of the shot is fixed by its text, so scale the longest need up to it
    floor = clip.duration_frames if start is None else start
    estimate = floor
    for number, cue in enumerate(cues):
        room = (cues[number + 1].start_frame if number + 1 < len(cues) else _ROOMY) - cue.start_frame
        need = seconds.get(cue.index, 0.0) * fps + TAIL_SECONDS * fps + 1
        estimate = max(estimate, int(need * _ROOMY / max(room, 1)) - 2)
    frames = max(floor, estimate)
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
