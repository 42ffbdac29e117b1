"""Each line is synthesised once: cache/speech/<sha256>.wav, keyed by everything that shapes it.

The key is the SHA-256 of (engine name, engine version, the voice as JSON, the text, the
treatment). A cached line is a 48 kHz mono 16-bit WAV with its treatment applied; it is written
under a temp name and renamed, so a killed export never leaves half a line under a final name.
A changed line gets a new key and is the only one synthesised again.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
import wave
from pathlib import Path

import numpy as np
from pydantic import BaseModel

from shotcraft.assembly.speech.base import get_engine
from shotcraft.assembly.speech.treatment import FILTERS, Treatment, treated_voice
from shotcraft.shots import ffmpeg
from shotcraft.shots.errors import AssemblyError
from shotcraft.shots.files import atomic_target
from shotcraft.storyboard.voices import Voice

RATE = 48_000


class SpokenLine(BaseModel):
    """One synthesised line: its cached WAV and how long it really speaks."""

    path: Path
    seconds: float  # measured from the written file
    key: str
    cached: bool  # True when no synthesis was needed


def speech_key(engine: str, version: str, voice: Voice, text: str, treatment: Treatment) -> str:
    blob = json.dumps([engine, version, voice.model_dump(mode="json"), text, treatment],
                      ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def speak(text: str, voice: Voice, treatment: Treatment, cache_dir: Path) -> SpokenLine:
    """The line `text` in `voice` with `treatment`, from cache/speech or synthesised once."""
    engine = get_engine(voice.engine)
    key = speech_key(engine.name, engine.version(), voice, text, treatment)
    target = Path(cache_dir) / "speech" / f"{key}.wav"
    cached = target.is_file()
    if not cached:
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=target.parent, prefix=".synth-") as work:
            raw = Path(work) / "raw.wav"
            task_file = target.with_name(f"{key}.task.json")  # a remote task's id, kept till stored
            engine.synthesize(text, treated_voice(voice, treatment), raw, task_file=task_file)
            with atomic_target(target) as temp:
                chain = ",".join(f for f in (FILTERS[treatment], f"aresample={RATE}") if f)
                ffmpeg.run(["-hide_banner", "-nostdin", "-y", "-i", str(raw), "-af", chain,
                            "-ac", "1", "-c:a", "pcm_s16le", "-map_metadata", "-1",
                            "-fflags", "+bitexact", "-f", "wav", str(temp)],
                           what="treat a spoken line", error=AssemblyError,
                           failed="ffmpeg could not treat a spoken line")
            task_file.unlink(missing_ok=True)
    samples = read_samples(target)
    return SpokenLine(path=target, seconds=len(samples) / RATE, key=key, cached=cached)


def read_samples(path: Path) -> np.ndarray:
    """A cached line as mono int16 samples at 48 kHz."""
    with wave.open(str(path), "rb") as handle:
        if handle.getframerate() != RATE or handle.getsampwidth() != 2:
            raise AssemblyError(f"{path.name} in cache/speech is not 48 kHz 16-bit; delete it.")
        data = np.frombuffer(handle.readframes(handle.getnframes()), dtype=np.int16)
        return data.reshape(-1, handle.getnchannels())[:, 0].copy()
