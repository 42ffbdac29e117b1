"""The dialogue voice track: every cue spoken in its speaker's voice, at its start frame.

Each cue's line comes from the per-line cache (speech.cache). A line runs at its voice's own
speed — never sped up, so a character keeps their voice — and stops where the next line starts
or the episode ends; `SpokenCue.cut_seconds` says how much of it that cut off.
"""

from __future__ import annotations

import wave
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
from pydantic import BaseModel

from shotcraft.assembly.audio import samples_for
from shotcraft.assembly.speech.cache import RATE, read_samples, speak
from shotcraft.assembly.speech.rate import at_pace
from shotcraft.assembly.speech.treatment import treatment_for
from shotcraft.assembly.timeline import Cue
from shotcraft.shots.files import atomic_target
from shotcraft.storyboard.characters import is_narrator
from shotcraft.storyboard.voices import Voice, assign_voices, narrator_voice


class SpokenCue(BaseModel):
    """What the voice track did with one cue (`seconds` is the measured spoken length)."""

    index: int
    speaker: str
    text: str
    start_frame: int
    voice: Voice
    treatment: str
    seconds: float
    cut_seconds: float  # spoken length the next line (or the episode's end) cut off
    cached: bool


class VoiceTrack(BaseModel):
    path: Path
    lines: list[SpokenCue]

    @property
    def synthesised(self) -> int:
        return sum(not line.cached for line in self.lines)


def voices_for(cues: Sequence[Cue], voices: Mapping[str, Voice], language: str,
               cache_dir: Path | None = None) -> dict[str, Voice]:
    """`voices` plus a distinct default for every speaker of `cues` that has none; with
    `cache_dir`, those defaults speak at the short-drama pace (speech.rate.at_pace)."""
    speakers = list(dict.fromkeys(cue.speaker for cue in cues))
    chosen: dict[str, Voice | None] = dict(voices)
    added: set[str] = set()
    for name in speakers:  # 旁白 / NARRATOR: the narrator's voice, unless the bible has one
        if name not in chosen and is_narrator(name):
            chosen[name] = narrator_voice(language)
            added.add(name)
    assigned = assign_voices([*chosen, *speakers], chosen, language)
    found = {name: voice for name, (voice, _) in assigned.items()}
    if cache_dir is not None:
        for name, (voice, default) in assigned.items():
            if default or name in added:
                found[name] = at_pace(voice, cache_dir, language)
    return found


def voice_track(cues: Sequence[Cue], voices: Mapping[str, Voice], *, fps: int, total_frames: int,
                cache_dir: Path, out: Path, language: str = "zh") -> VoiceTrack:
    """Speak every cue in its speaker's voice into a 48 kHz stereo WAV of the episode's length."""
    everyone = voices_for(cues, voices, language, cache_dir)
    ordered = [cue for cue in sorted(cues, key=lambda c: c.start_frame) if cue.text.strip()]
    length = samples_for(total_frames, fps)
    track = np.zeros(length, dtype=np.int16)
    lines: list[SpokenCue] = []
    for number, cue in enumerate(ordered):
        voice = everyone[cue.speaker]
        treatment = treatment_for(getattr(cue, "mode", None))
        spoken = speak(cue.text, voice, treatment, cache_dir)
        samples = read_samples(spoken.path)
        start = samples_for(cue.start_frame, fps)
        stop = samples_for(ordered[number + 1].start_frame, fps) if number + 1 < len(ordered) else length
        end = min(stop, length, start + len(samples))
        if end > start:
            track[start:end] = samples[: end - start]
        lines.append(SpokenCue(
            index=cue.index, speaker=cue.speaker, text=cue.text, start_frame=cue.start_frame,
            voice=voice, treatment=treatment, seconds=round(spoken.seconds, 3),
            cut_seconds=round(max(0, start + len(samples) - max(end, start)) / RATE, 3),
            cached=spoken.cached))
    out = Path(out)
    with atomic_target(out) as temp, wave.open(str(temp), "wb") as handle:
        handle.setnchannels(2)
        handle.setsampwidth(2)
        handle.setframerate(RATE)
        handle.writeframes(np.repeat(track[:, None], 2, axis=1).tobytes())
    return VoiceTrack(path=out, lines=lines)
