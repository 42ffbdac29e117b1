"""How fast a voice really speaks, measured, and the speed that brings it to the pace.

A voice's rate is measured by speaking a calibration passage — real dialogue in the voice's
language, with the commas and full stops that make an engine pause — through the per-line cache
(speech.cache) and dividing its speech units (storyboard.pace) by the seconds it lasts. The
rate is kept in `cache/speech/rates.json` under the same key as the passage's audio (engine,
engine version, the voice, the text), so each engine and voice is measured once. A project
that cannot be written (read-only) is measured in the user's cache folder instead.

`at_pace` gives a voice the speed at which it speaks at a pace (by default the short-drama pace,
storyboard.pace): the speed is scaled by pace ÷ measured rate, and measured again once, since an
engine's pauses do not scale with its speed. It stays within the voices' 0.5–2.0.
"""

from __future__ import annotations

import errno
import json
import threading
from pathlib import Path

import platformdirs

from shotcraft.assembly.speech.base import get_engine
from shotcraft.assembly.speech.cache import speak, speech_key
from shotcraft.shots.files import atomic_target
from shotcraft.storyboard.pace import PACE, pace_unit, speech_units
from shotcraft.storyboard.voices import MAX_SPEED, MIN_SPEED, Voice

# Public-domain dialogue. zh: the opening lines of 鲁迅's 《过客》 (1925), as in
# tests/data/scripts/guoke-luxun; en: Lewis Carroll, "Alice's Adventures in Wonderland" (1865),
# chapter VII.
CALIBRATION: dict[str, str] = {
    "zh": "孩子。喂，孩子！怎么不动了呢？有谁走来了，看一看罢。不用看他。扶我进去罢。"
          "太阳要下去了。可是，已经近来了。阿阿，是一个乞丐。老丈，你晚上好？阿，好！托福。你好？",
    "en": "Have some wine, the March Hare said in an encouraging tone. I don't see any wine, "
          "she remarked. There isn't any, said the March Hare. Then it wasn't very civil of "
          "you to offer it, said Alice angrily.",
}
RATES_FILE = "rates.json"
_lock = threading.Lock()


def calibration_units(language: str | None) -> int:
    """Speech units in the calibration passage of `language`."""
    chinese, words = speech_units(CALIBRATION[pace_unit(language)])
    return chinese + words


def speaking_rate(voice: Voice, cache_dir: Path, language: str | None = None) -> float:
    """Speech units a second `voice` really says (characters for Chinese, words otherwise)."""
    try:
        return _measured(voice, cache_dir, language)
    except PermissionError:
        return _measured(voice, user_cache(), language)
    except OSError as exc:
        if exc.errno != errno.EROFS:
            raise
        return _measured(voice, user_cache(), language)


def user_cache() -> Path:
    """Where rates go when a project cannot be written: the user's cache folder."""
    return Path(platformdirs.user_cache_dir("shotcraft")) / "voices"


def _measured(voice: Voice, cache_dir: Path, language: str | None) -> float:
    unit = pace_unit(voice.language or language)
    text = CALIBRATION[unit]
    engine = get_engine(voice.engine)
    key = speech_key(engine.name, engine.version(), voice, text, "line")
    rates = _read(cache_dir)
    if key in rates:
        return float(rates[key])
    line = speak(text, voice, "line", cache_dir)
    rate = round(calibration_units(unit) / max(line.seconds, 1e-3), 3)
    with _lock:
        rates = _read(cache_dir)
        rates[key] = rate
        target = Path(cache_dir) / "speech" / RATES_FILE
        target.parent.mkdir(parents=True, exist_ok=True)
        with atomic_target(target) as temp:
            temp.write_text(json.dumps(rates, sort_keys=True, indent=1), encoding="utf-8")
    return rate


def known_rate(voice: Voice, cache_dir: Path, language: str | None = None) -> float | None:
    """The voice's rate where it costs nothing to know: measured already, or on a free engine;
    None for a paid engine's voice not measured yet (its export measures its lines anyway)."""
    engine = get_engine(voice.engine)
    text = CALIBRATION[pace_unit(voice.language or language)]
    key = speech_key(engine.name, engine.version(), voice, text, "line")
    cached = _read(cache_dir).get(key)
    if cached is None:
        cached = _read(user_cache()).get(key)  # measured where the project was read-only
    if cached is not None or engine.paid:
        return cached
    return speaking_rate(voice, cache_dir, language)


def at_pace(voice: Voice, cache_dir: Path, language: str | None = None,
            pace: float | None = None) -> Voice:
    """`voice` at the speed where it speaks `pace` units a second (default: the short-drama
    pace of its language), within the 0.5–2.0 voices allow. A paid engine's voice is left as it
    is: measuring it would bill a synthesis nobody asked for."""
    if get_engine(voice.engine).paid:
        return voice
    wanted = pace if pace is not None else PACE[pace_unit(voice.language or language)]
    current = voice
    for _ in range(2):  # the second pass corrects for pauses that do not scale with speed
        rate = speaking_rate(current, cache_dir, language)
        speed = min(MAX_SPEED, max(MIN_SPEED, round(current.speed * wanted / rate, 2)))
        if abs(speed - current.speed) < 0.01:
            break
        current = current.model_copy(update={"speed": speed})
    return current


def _read(cache_dir: Path) -> dict[str, float]:
    path = Path(cache_dir) / "speech" / RATES_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {k: float(v) for k, v in data.items()} if isinstance(data, dict) else {}
