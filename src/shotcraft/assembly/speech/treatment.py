"""How OS (inner voice) and VO (voice-over) lines sound different from a line spoken in the scene.

- OS, the character's thought: the character's own voice, 8 % slower, close and dry — band-
  limited to 200-3200 Hz like a voice right at the ear, no room, 4 dB under a spoken line.
- VO, narration over the picture: the speaker's voice 8 pitch steps lower, with a short room
  (two echoes at 40 and 75 ms), so it sits apart from the scene.
- A spoken line: the voice as it is.

The treatment is part of each line's cache key.
"""

from __future__ import annotations

from typing import Literal

from shotcraft.storyboard.voices import Voice

Treatment = Literal["line", "os", "vo"]

OS_SPEED = 0.92
VO_PITCH_STEP = -8
FILTERS: dict[str, str] = {
    "line": "",
    "os": "highpass=f=200,lowpass=f=3200,volume=-4dB",
    "vo": "aecho=0.8:0.5:40|75:0.25|0.15",
}


def treatment_for(mode: str | None) -> Treatment:
    """The treatment of a dialogue mode ("OS", "VO" or None)."""
    return {"OS": "os", "VO": "vo"}.get((mode or "").upper(), "line")  # type: ignore[return-value]


def treated_voice(voice: Voice, treatment: Treatment) -> Voice:
    """The voice as the engine should speak a line with this treatment."""
    if treatment == "os":
        return voice.model_copy(update={"speed": max(0.5, round(voice.speed * OS_SPEED, 3))})
    if treatment == "vo":
        return voice.model_copy(update={"pitch": max(0, voice.pitch + VO_PITCH_STEP)})
    return voice
