"""Voices of the character bible: what each character sounds like, and distinct defaults.

A `Voice` names a speech engine and that engine's voice, with speed, pitch and language. The
checks here are the ones every engine shares (speed 0.5-2.0, pitch 0-99, a voice id without
spaces); an engine checks its own voice ids (assembly.speech).

A character without a voice gets a default from `DEFAULT_VOICES[language]`, a list of clearly
different espeak-ng variants and pitches, handed out in the bible's order and never one that
another character already has, so two characters never sound the same by accident.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from shotcraft.shots.errors import SpecError

MIN_SPEED, MAX_SPEED = 0.5, 2.0
MIN_PITCH, MAX_PITCH = 0, 99
_VOICE_ID_RE = re.compile(r"^[A-Za-z0-9_.+\-/]+$")


class Voice(BaseModel):
    """How one character speaks: engine, the engine's voice id, speed (1 = normal), pitch
    (0-99, 50 = the voice's own), language (zh, en, …; None: the project's)."""

    model_config = ConfigDict(frozen=True)

    engine: str = "espeak"
    voice: str
    speed: float = 1.0
    pitch: int = 50
    language: str | None = None

    @field_validator("engine", "voice")
    @classmethod
    def _word(cls, value: str) -> str:
        value = value.strip()
        if not value or not _VOICE_ID_RE.match(value):
            raise ValueError(f"{value!r} is not a name (letters, digits, + - _ . / only)")
        return value

    @field_validator("speed")
    @classmethod
    def _speed(cls, value: float) -> float:
        if not MIN_SPEED <= value <= MAX_SPEED:  # NaN fails too
            raise ValueError(f"{value:g} is outside {MIN_SPEED}-{MAX_SPEED} (1 is normal speed)")
        return round(float(value), 3)

    @field_validator("pitch")
    @classmethod
    def _pitch(cls, value: int) -> int:
        if not MIN_PITCH <= value <= MAX_PITCH:
            raise ValueError(f"{value} is outside {MIN_PITCH}-{MAX_PITCH} (50 is the voice's own)")
        return value


def make_voice(**values: Any) -> Voice:
    """A Voice from plain values (CLI flags, stored JSON); SpecError naming the bad field."""
    try:
        return Voice.model_validate({k: v for k, v in values.items() if v is not None})
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first.get("loc", ())) or "voice"
        message = str(first.get("msg", "invalid value")).removeprefix("Value error, ")
        if first.get("type") == "missing":
            message = "is required"
        elif first.get("type", "").endswith("_parsing"):
            message = f"{first.get('input')!r} is not a number"
        raise SpecError(message, field=field) from exc


# (variant, pitch): alternately female and male, far apart in pitch, so neighbours in the
# bible (who often share scenes) differ most. espeak-ng's Mandarin voice is "cmn".
_VARIANTS = [("f2", 70), ("m3", 35), ("f4", 55), ("m1", 20), ("f1", 85), ("m6", 50),
             ("f3", 40), ("m2", 65), ("f5", 60), ("m4", 30)]
_BASES = {"zh": "cmn", "en": "en"}
NARRATOR_VARIANT = ("m7", 30)  # a low, even voice for 旁白 / NARRATOR lines with no character


def language_base(language: str | None) -> str:
    """The espeak-ng voice for a project language ("zh" → "cmn", "en" → "en")."""
    key = (language or "zh").split("-")[0].lower()
    return _BASES.get(key, key)


def default_voices(language: str | None) -> list[Voice]:
    """The default voices for a language, in the order characters receive them."""
    base = language_base(language)
    return [Voice(voice=f"{base}+{variant}", pitch=pitch) for variant, pitch in _VARIANTS]


def narrator_voice(language: str | None) -> Voice:
    variant, pitch = NARRATOR_VARIANT
    return Voice(voice=f"{language_base(language)}+{variant}", pitch=pitch, speed=0.95)


_FEMALE = frozenset({"女", "女性", "female", "woman", "girl", "f"})
_MALE = frozenset({"男", "男性", "male", "man", "boy", "m"})
_FIRST_CLAUSE_RE = re.compile(r"[，,、;；:：()（）\s]+")


# a name ending in a kinship word says who it is in Chinese scripts: 林父, 顾母, 王叔, 李姐
_MALE_KIN = frozenset("父爸爷叔伯舅哥弟")
_FEMALE_KIN = frozenset("母妈奶婶姨姑姐妹嫂")


# a character named by what they are says it too: 老翁 and 女孩 in 鲁迅's 《过客》, 王小姐, 新娘,
# THE OLD MAN, GIRL — a person word at the end of the name (never a job: 秘书, 医生 say nothing)
_FEMALE_NOUNS = ("女孩", "女孩子", "女孩儿", "姑娘", "女人", "少女", "妇人", "老妇", "老妇人", "女子",
                 "小姐", "太太", "夫人", "阿姨", "女士", "新娘", "母亲", "妈妈", "奶奶", "外婆",
                 "婆婆", "老太", "老太太", "大娘", "大妈", "妻子", "女儿", "公主", "皇后", "女王",
                 "修女", "老婆婆")
_MALE_NOUNS = ("老翁", "老头", "老头儿", "老汉", "老伯", "男孩", "男孩子", "男人", "少年", "先生",
               "公子", "少爷", "丈夫", "父亲", "爸爸", "爷爷", "外公", "新郎", "儿子", "皇帝",
               "王子", "和尚", "老爷", "大叔", "小伙", "小伙子", "男子", "老者")
_FEMALE_WORDS = frozenset({"girl", "woman", "lady", "mother", "mom", "mum", "grandma", "wife",
                           "daughter", "sister", "aunt", "queen", "princess", "bride", "mrs",
                           "ms", "miss", "nun", "grandmother"})
_MALE_WORDS = frozenset({"boy", "man", "gentleman", "father", "dad", "grandpa", "husband", "son",
                         "brother", "uncle", "king", "prince", "groom", "mr", "sir", "monk",
                         "grandfather", "guy"})


def voice_gender(description: str | None, name: str | None = None) -> str | None:
    """"f" or "m" when a character's description says so first (`男，28岁，…`, `(女) …`,
    `Male, 40s`), or its name ends in a kinship word (林父, 顾母, 李姐) or a person word (老翁,
    女孩, 王小姐, OLD MAN), else None: a default voice never guesses from a job or a costume."""
    if description:
        first = next((part for part in _FIRST_CLAUSE_RE.split(description.strip()) if part), "")
        first = first.lower()
        if first in _FEMALE or first in _MALE:
            return "f" if first in _FEMALE else "m"
    name = (name or "").strip()
    if name.endswith(_FEMALE_NOUNS):
        return "f"
    if name.endswith(_MALE_NOUNS):
        return "m"
    last_word = (re.findall(r"[a-z]+", name.lower()) or [""])[-1]
    if last_word in _FEMALE_WORDS or last_word in _MALE_WORDS:
        return "f" if last_word in _FEMALE_WORDS else "m"
    last = name[-1:]
    return "m" if last in _MALE_KIN else "f" if last in _FEMALE_KIN else None


def assign_voices(names: Iterable[str], chosen: Mapping[str, Voice | None],
                  language: str | None,
                  genders: Mapping[str, str | None] | None = None) -> dict[str, tuple[Voice, bool]]:
    """Each name's voice and whether it is a default: the voice set on it, or a default.

    The n-th character of the bible gets the n-th default, so setting one character's voice
    never changes another's; only a default already in use (set on someone, or given to an
    earlier character) is skipped for the next free one. Past the list, the list comes back
    at other pitches, so no two characters ever share a voice. A character whose description
    says 男 or 女 (`genders`: "m"/"f") gets the next free default of that kind.
    """
    genders = genders or {}
    names = list(names)
    taken = {_sound(v) for v in chosen.values() if v is not None}
    taken_ids = {_normal(v) for v in chosen.values() if v is not None}
    listed = default_voices(language)
    result: dict[str, tuple[Voice, bool]] = {}
    for position, name in enumerate(names):
        voice = chosen.get(name)
        if voice is not None:
            result[name] = (voice, False)
            continue
        step = position
        kind = genders.get(name)
        while True:
            candidate = _candidate(listed, step)
            step += 1
            if kind is not None and _kind(candidate) != kind:
                continue
            if _sound(candidate) not in taken and (
                    _normal(candidate) not in taken_ids or step > len(listed)):
                break
        taken.add(_sound(candidate))
        result[name] = (candidate, True)
    return result


def _candidate(listed: list[Voice], step: int) -> Voice:
    """The step-th default: the list, then the list again 7 pitch steps up each round."""
    rounds, index = divmod(step, len(listed))
    voice = listed[index]
    if rounds:
        voice = voice.model_copy(update={"pitch": (voice.pitch + 7 * rounds) % (MAX_PITCH + 1)})
    return voice


def _kind(voice: Voice) -> str:
    """"f" or "m": the espeak-ng variant's kind (`cmn+f2` → "f")."""
    variant = voice.voice.partition("+")[2]
    return variant[:1].lower()


def _normal(voice: Voice) -> tuple[str, str]:
    base, plus, variant = voice.voice.lower().partition("+")
    return voice.engine, f"{language_base(base)}{plus}{variant}"


def _sound(voice: Voice) -> tuple[str, str, int]:
    return voice.engine, voice.voice, voice.pitch
