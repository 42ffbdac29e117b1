"""Voices in the bible: distinct defaults handed out in order, and checked settings."""

from __future__ import annotations

import pytest

from shotcraft.shots.errors import SpecError
from shotcraft.storyboard.voices import Voice, assign_voices, default_voices, make_voice


def test_no_two_characters_share_a_default_voice_even_past_the_list() -> None:
    names = [f"角色{n}" for n in range(25)]
    assigned = assign_voices(names, {}, "zh")
    sounds = {(v.voice, v.pitch) for v, _ in assigned.values()}
    assert len(sounds) == 25
    assert all(default for _, default in assigned.values())
    assert assigned["角色0"][0].voice == "cmn+f2" and assigned["角色1"][0].voice == "cmn+m3"


def test_a_fountain_script_gets_english_defaults() -> None:
    assert [v.voice for v in default_voices("en")][:2] == ["en+f2", "en+m3"]


def test_a_voice_set_on_one_character_is_never_another_ones_default() -> None:
    set_voice = Voice(voice="zh+m3", pitch=35)  # zh is espeak-ng's cmn: the second default
    assigned = assign_voices(["林晚", "顾言", "苏晴"], {"林晚": set_voice}, "zh")
    assert assigned["林晚"] == (set_voice, False)
    assert [assigned[n][0].voice for n in ("顾言", "苏晴")] == ["cmn+f4", "cmn+m1"]


def test_setting_one_voice_leaves_the_other_defaults_where_they_were() -> None:
    before = assign_voices(["林晚", "顾言", "苏晴"], {}, "zh")
    after = assign_voices(["林晚", "顾言", "苏晴"], {"林晚": Voice(voice="cmn+f5")}, "zh")
    assert after["顾言"] == before["顾言"] and after["苏晴"] == before["苏晴"]


@pytest.mark.parametrize(("values", "sentence"), [
    ({"voice": "cmn+f2", "speed": 0.3}, "speed: 0.3 is outside 0.5-2.0 (1 is normal speed)"),
    ({"voice": "cmn+f2", "pitch": 100}, "pitch: 100 is outside 0-99 (50 is the voice's own)"),
    ({"voice": "cmn+f2", "speed": "fast"}, "speed: 'fast' is not a number"),
    ({"voice": "a voice"}, "voice: 'a voice' is not a name (letters, digits, + - _ . / only)"),
])
def test_a_bad_voice_setting_is_one_sentence_naming_the_field(values, sentence) -> None:
    with pytest.raises(SpecError) as caught:
        make_voice(**values)
    assert str(caught.value) == sentence
