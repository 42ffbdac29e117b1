"""Voices of the cast: the one set on each character, or a distinct default (storyboard.voices).

A voice set here is checked by its engine before it is stored (an unknown espeak-ng voice is
refused with a few that exist) and kept on the character's row, listed as edited, so re-import
never changes it. Setting only some fields (`--speed 1.1`) starts from the voice the character
has now, default or not.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from shotcraft.assembly.speech import get_engine
from shotcraft.assembly.speech.rate import at_pace, known_rate
from shotcraft.projects.convert import character_from_row
from shotcraft.projects.store import Store, character_row
from shotcraft.shots.errors import ShotcraftError, SpecError
from shotcraft.storyboard.models import Character
from shotcraft.storyboard.voices import (
    Voice,
    assign_voices,
    language_base,
    make_voice,
    voice_gender,
)

VOICE_FIELDS = ("engine", "voice", "speed", "pitch", "language")


class CharacterVoice(BaseModel):
    """A character's effective voice; `default` is True when none was set on it."""

    name: str
    voice: Voice
    default: bool

    def as_json(self) -> dict[str, Any]:
        return {**self.voice.model_dump(mode="json"), "default": self.default}


def character_voices(store: Store) -> list[CharacterVoice]:
    """Every character's voice, in the bible's order; a default one speaks at the short-drama
    pace (its speed set from its measured rate, assembly.speech.rate), where its engine runs."""
    people = store.characters()
    assigned = assign_voices([c.name for c in people], {c.name: c.voice for c in people},
                             store.language, {c.name: voice_gender(c.description, c.name) for c in people})
    return [CharacterVoice(name=name, voice=_paced(store, voice) if default else voice,
                           default=default)
            for name, (voice, default) in assigned.items()]


def _paced(store: Store, voice: Voice) -> Voice:
    try:
        return at_pace(voice, store.layout.cache, store.language)
    except ShotcraftError:
        return voice  # no engine to measure with here: the export says why in one sentence


def speaking_rate_of(store: Store, entry: CharacterVoice) -> float | None:
    """A character's measured rate: speech units a second (characters for Chinese, words
    otherwise) in its voice, measured once per engine and voice; None where measuring would
    be billed (a cloud voice not measured yet) or no engine runs here."""
    try:
        return known_rate(entry.voice, store.layout.cache, store.language)
    except ShotcraftError:
        return None


def character_voice(store: Store, name: str) -> CharacterVoice:
    person = store.character(name)
    return next(v for v in character_voices(store) if v.name == person.name)


def speaker_voices(store: Store) -> dict[str, Voice]:
    """Speaker name or alias → voice, as the export's voice track looks them up."""
    aliases = {c.name: c.aliases for c in store.characters()}
    voices: dict[str, Voice] = {}
    for entry in character_voices(store):
        for name in (entry.name, *aliases.get(entry.name, [])):
            voices.setdefault(name, entry.voice)
    return voices


def check_voice(value: Voice | dict[str, Any] | None) -> Voice | None:
    """A voice its engine can speak (None stays None); SpecError naming the field otherwise."""
    if value is None:
        return None
    voice = value if isinstance(value, Voice) else make_voice(**value)
    get_engine(voice.engine).check(voice)
    return voice


def set_voice(store: Store, name: str, **fields: Any) -> CharacterVoice:
    """Set some of a character's voice fields (engine, voice, speed, pitch, language).

    A default voice changed without a speed keeps speaking at the short-drama pace: its new
    speed is measured for the new voice (a speed the director set is never changed)."""
    unknown = set(fields) - set(VOICE_FIELDS)
    if unknown:
        raise SpecError("is not a voice setting", field=sorted(unknown)[0])
    current = character_voice(store, name)
    values = {**current.voice.model_dump(), **{k: v for k, v in fields.items() if v is not None}}
    if fields.get("language") and not fields.get("voice") and "+" in current.voice.voice:
        # a new language without a voice id: the same variant, speaking that language
        variant = current.voice.voice.partition("+")[2]
        values["voice"] = f"{language_base(fields['language'])}+{variant}"
    if current.default and fields.get("speed") is None:
        values["speed"] = 1.0  # the new voice's own normal speed, paced below
    voice = check_voice(values)
    if voice is not None and current.default and fields.get("speed") is None:
        voice = _paced(store, voice)
    _store(store, current.name, voice)
    return character_voice(store, current.name)


def clear_voice(store: Store, name: str) -> CharacterVoice:
    """Forget the voice set on a character: it speaks in a default again."""
    _store(store, store.character(name).name, None)
    return character_voice(store, name)


def _store(store: Store, name: str, voice: Voice | None) -> Character:
    with store.db.write() as session:
        row = character_row(session, name)
        row.voice = voice.model_dump(mode="json") if voice is not None else None
        row.edited = sorted(set(row.edited) | {"voice"})
        session.add(row)
        return character_from_row(row)
