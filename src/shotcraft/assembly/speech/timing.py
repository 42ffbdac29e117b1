"""Cue times from spoken lengths, the lines that do not fit their shot, and the lines cut.

A cue starts where its line's place in the shot puts it (subtitles.build_cues) and ends when
its spoken audio ends plus TAIL_SECONDS, never past the next cue's start or the episode's end.
A line fits when its audio and the tail end before its shot does (or before the shot's next line).
A line is cut when its audio runs into the next line (or past the episode's end): the voice
track stops it there, and those seconds are lost (`cuts`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path

from pydantic import BaseModel

from shotcraft.assembly.speech.cache import SpokenLine, speak
from shotcraft.assembly.speech.track import voices_for
from shotcraft.assembly.speech.treatment import treatment_for
from shotcraft.assembly.timeline import Cue, Timeline
from shotcraft.storyboard.voices import Voice

TAIL_SECONDS = 0.2  # the subtitle stays this long after the line's audio ends


class Misfit(BaseModel):
    """One line whose audio runs past the room its shot gives it."""

    shot_id: str
    index: int  # the cue's number
    speaker: str
    text: str
    seconds: float  # measured spoken length
    room_seconds: float  # from the line's start to the shot's next line or its end
    shot_seconds: float
    shared: bool  # the shot has other lines, so the line has only part of it
    cut_seconds: float = 0.0  # of its audio, what the next line (or the episode's end) cuts off

    def sentence(self) -> str:
        said = f"{self.shot_id}: {self.speaker}'s line runs {self.seconds:.1f} s"
        if self.shared:
            said = f"{said}, its part of the {self.shot_seconds:.1f} s shot is {self.room_seconds:.1f} s"
        else:
            said = f"{said}, the shot is {self.shot_seconds:.1f} s"
        if self.cut_seconds > 0:
            return (f"{said}: {self.cut_seconds:.1f} s of it is cut where the next line starts "
                    "or the episode ends")
        over = self.seconds - self.room_seconds
        if over > 0:
            room = "its part" if self.shared else "the shot"
            return f"{said}: it runs {over:.1f} s past {room} (nothing cut)"
        return f"{said}: only its subtitle's tail runs over (nothing cut)"

    @property
    def heard(self) -> bool:
        """Whether a viewer hears the trouble: the line is cut, or its voice runs on past its
        room (a subtitle's tail alone is not)."""
        return self.cut_seconds > 0 or self.seconds > self.room_seconds


class Cut(BaseModel):
    """A line the voice track stops short: the next line starts (or the episode ends) first."""

    index: int
    speaker: str
    text: str
    seconds: float  # measured spoken length
    lost_seconds: float  # the end of it that is never heard


def spoken_lines(cues: Sequence[Cue], voices: Mapping[str, Voice], cache_dir: Path,
                 language: str = "zh") -> dict[int, SpokenLine]:
    """Each cue's line as spoken, by cue index, through the per-line cache."""
    everyone = voices_for(cues, voices, language, cache_dir)
    return {
        cue.index: speak(cue.text, everyone[cue.speaker], treatment_for(getattr(cue, "mode", None)),
                         cache_dir)
        for cue in cues if cue.text.strip()
    }


def spoken_seconds(cues: Sequence[Cue], voices: Mapping[str, Voice], cache_dir: Path,
                   language: str = "zh") -> dict[int, float]:
    """Each cue's measured spoken length in seconds, by cue index (see spoken_lines)."""
    return {index: line.seconds
            for index, line in spoken_lines(cues, voices, cache_dir, language).items()}


def speech_frames(seconds: float, fps: int) -> int:
    """Frames a line's audio covers, rounded up (a cue never ends before its line does)."""
    return math.ceil(seconds * fps - 1e-6)


def time_to_speech(cues: Sequence[Cue], seconds: Mapping[int, float], *, fps: int,
                   total_frames: int, tail: float = TAIL_SECONDS) -> list[Cue]:
    """The cues ending when their line's audio ends plus `tail`, within the next cue and the episode."""
    ordered = sorted(cues, key=lambda c: c.start_frame)
    timed: list[Cue] = []
    for number, cue in enumerate(ordered):
        if cue.index not in seconds:
            timed.append(cue)
            continue
        following = ordered[number + 1].start_frame if number + 1 < len(ordered) else total_frames
        end = cue.start_frame + speech_frames(seconds[cue.index], fps) + round(tail * fps)
        end = min(end, following, total_frames)
        timed.append(cue.model_copy(update={"end_frame": max(end, cue.start_frame + 1)}))
    return timed


def cuts(cues: Sequence[Cue], seconds: Mapping[int, float], *, fps: int,
         total_frames: int) -> list[Cut]:
    """The lines whose audio runs into the next line's start (or past `total_frames`), with
    the seconds of each that the voice track cuts off."""
    ordered = sorted((c for c in cues if c.index in seconds), key=lambda c: c.start_frame)
    found: list[Cut] = []
    for number, cue in enumerate(ordered):
        stop = ordered[number + 1].start_frame if number + 1 < len(ordered) else total_frames
        over = cue.start_frame + speech_frames(seconds[cue.index], fps) - min(stop, total_frames)
        if over > 0:
            found.append(Cut(index=cue.index, speaker=cue.speaker, text=cue.text,
                             seconds=round(seconds[cue.index], 3),
                             lost_seconds=round(min(over / fps, seconds[cue.index]), 3)))
    return found


def misfits(timeline: Timeline, starts: Sequence[int], cues: Sequence[Cue],
            seconds: Mapping[int, float], *, tail: float = TAIL_SECONDS) -> list[Misfit]:
    """The lines whose audio plus `tail` runs past their shot's next line or its end, each
    with what of it the next line cuts off."""
    fps = timeline.fps
    lost = {cut.index: cut.lost_seconds for cut in cuts(
        cues, seconds, fps=fps, total_frames=starts[-1] + timeline.clips[-1].duration_frames)}
    found: list[Misfit] = []
    for clip, start in zip(timeline.clips, starts, strict=True):
        end = start + clip.duration_frames
        mine = sorted((c for c in cues if start <= c.start_frame < end and c.index in seconds),
                      key=lambda c: c.start_frame)
        for number, cue in enumerate(mine):
            stop = mine[number + 1].start_frame if number + 1 < len(mine) else end
            need = speech_frames(seconds[cue.index], fps) + round(tail * fps)
            if cue.start_frame + need > stop:
                found.append(Misfit(
                    shot_id=clip.shot_id, index=cue.index, speaker=cue.speaker, text=cue.text,
                    seconds=round(seconds[cue.index], 3),
                    room_seconds=round((stop - cue.start_frame) / fps, 3),
                    shot_seconds=round(clip.duration_frames / fps, 3), shared=len(mine) > 1,
                    cut_seconds=lost.get(cue.index, 0.0)))
    return found
