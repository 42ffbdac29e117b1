"""The pace short dramas speak at, and how much speaking a line holds.

A line's length is counted in speech units: Chinese characters (each one syllable) plus words
of Latin script. The pace is how many of those a short drama's actors say a second:

- Chinese, 5.0 characters a second. Published figures: everyday Mandarin runs about 240
  syllables a minute (4.0 a second) and CCTV's 新闻联播 about 300 characters a minute (5.0 a
  second); read Mandarin measured with pauses over 150 ms removed runs 5.18 syllables a second
  (Pellegrino, Coupé & Marsico, "A cross-language perspective on speech information rate",
  Language 87(3), 2011). A short drama's lines come as fast as the news: 5.0.
- English, 2.7 words a second (162 a minute): conversation runs about 150 words a minute (the
  National Center for Voice and Speech's figure) and television newscasters 175 and more; a
  short drama's dialogue sits between the two.

No produced short-drama episode was measured for these numbers: they are the published figures
above. The breakdown times a line at this pace plus LINE_AIR, and default voices are set to
speak at it (their real rate is measured per engine and voice: assembly.speech.rate).
"""

from __future__ import annotations

import re

from shotcraft.storyboard.text import CJK_RE

PACE: dict[str, float] = {"zh": 5.0, "en": 2.7}  # speech units a second (see above)
# after the last word: the subtitle's tail (0.2 s) and a breath before the cut
LINE_AIR = 0.35

_WORD_RE = re.compile(r"[A-Za-z0-9]+(?:['’][A-Za-z]+)?")


def speech_units(text: str) -> tuple[int, int]:
    """(Chinese characters, Latin-script words) in `text`: what speaking it takes."""
    return len(CJK_RE.findall(text)), len(_WORD_RE.findall(text))


def paced_seconds(text: str) -> float:
    """How long `text` takes to say at the short-drama pace (without the air after it)."""
    chinese, words = speech_units(text)
    return chinese / PACE["zh"] + words / PACE["en"]


def pace_unit(language: str | None) -> str:
    """The pace's key for a language: "zh" for Chinese, "en" for anything else."""
    return "zh" if (language or "zh").split("-")[0].lower() in ("zh", "cmn", "yue") else "en"
