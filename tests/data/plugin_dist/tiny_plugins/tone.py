"""A speech engine that says every line as a tone, a tenth of a second per character."""

from __future__ import annotations

import math
import struct
import wave
from pathlib import Path

from shotcraft.assembly.speech import SpeechEngine
from shotcraft.storyboard.voices import Voice

RATE = 48000


class ToneSpeech(SpeechEngine):
    name = "tone"

    def version(self) -> str:
        return "tone-1"

    def check(self, voice: Voice) -> None:
        return None  # every voice id is a pitch name it can hum

    def synthesize(self, text: str, voice: Voice, out: Path, task_file: Path | None = None) -> float:
        seconds = max(0.2, 0.1 * len(text.strip()))
        hertz = 220.0 * 2 ** ((voice.pitch - 50) / 24)
        samples = [int(8000 * math.sin(2 * math.pi * hertz * i / RATE))
                   for i in range(int(seconds * RATE))]
        with wave.open(str(out), "wb") as handle:
            handle.setnchannels(1)
            handle.setsampwidth(2)
            handle.setframerate(RATE)
            handle.writeframes(struct.pack(f"<{len(samples)}h", *samples))
        return seconds
