"""The `lipsync` metric of a lip-sync take: the mouth check (ranking/mouth.py) as a score.

1.0 when the take passes (its length matches its audio, a face is found in most frames, the
mouth moves while the line is spoken and clearly less in the pauses). A take that fails scores
below 0.5 however close it came: half for how far its mouth moves while spoken (against the
needed MIN_SPEECH_MOTION), half for how much more than in the pauses (against MIN_RATIO),
times 0.98 — and 0 when the length, the face or the speech is missing. The explanation is the
check's own line, with its figures.
"""

from __future__ import annotations

from pathlib import Path

from shotcraft.ranking.metrics import DEFAULT_WEIGHTS, MetricScore
from shotcraft.ranking.mouth import (
    MIN_RATIO,
    MIN_SPEECH_MOTION,
    MouthSync,
    mouth_sync,
)

PASSING = 0.5  # a take that fails the check always scores under this


def lipsync_value(result: MouthSync) -> float:
    """The metric's value for a mouth check (see the module's docstring)."""
    if result.ok:
        return 1.0
    if result.failed in ("length", "face", "speech") or result.speech_motion is None:
        return 0.0  # wrong length, no face or no speech: nothing to give credit for
    moving = min(1.0, result.speech_motion / MIN_SPEECH_MOTION)
    apart = 1.0 if result.ratio is None else min(1.0, result.ratio / MIN_RATIO)
    return round(PASSING * 0.98 * (moving + apart) / 2, 4)


def lipsync_metric(video: Path, audio: Path | None = None) -> MetricScore:
    """Measure a lip-sync take against the audio it was made to speak (default: its own track)."""
    result = mouth_sync(video, audio)
    return MetricScore(name="lipsync", value=lipsync_value(result),
                       weight=DEFAULT_WEIGHTS["lipsync"], explanation=result.explanation())
