"""Voices in the bible: distinct defaults handed out in order, and checked settings."""

from __future__ import annotations

import pytest

from shotcraft.shots.errors import SpecError
from shotcraft.storyboard.voices import (
    Voice,
    assign_voices,
    default_voices,
    make_voice,
    voice_gender,
)


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


@pytest.mark.parametrize(("description", "gender"), [
    ("男，28岁，顾氏集团总裁", "m"), ("女，23岁，设计师", "f"), ("（女）记者", "f"),
    ("Male, 40s, a detective", "m"), ("female lead", "f"), ("28岁，男", None), ("28岁，总裁，西装笔挺", None),
    ("顾言的前未婚妻", None), (None, None), ("", None),
])
def test_a_description_that_starts_with_a_gender_says_it(description, gender) -> None:
    assert voice_gender(description) == gender


def test_a_kinship_name_says_it_and_a_description_comes_first() -> None:
    assert voice_gender("50岁，憔悴，拄着拐杖", "林父") == "m"
    assert voice_gender(None, "顾母") == "f" and voice_gender(None, "李姐") == "f"
    assert voice_gender(None, "秘书") is None and voice_gender(None, "顾言") is None
    assert voice_gender("女，扮作父亲", "假父") == "f"


@pytest.mark.parametrize(("name", "gender"), [
    ("老翁", "m"), ("女孩", "f"), ("过客", None),  # 鲁迅's 《过客》
    ("王小姐", "f"), ("新娘", "f"), ("张老头", "m"), ("李先生", "m"),
    ("OLD MAN", "m"), ("GIRL", "f"), ("THE WOMAN", "f"), ("MANAGER", None),
    ("秘书", None), ("医生", None), ("女医生", None),  # a job says nothing
])
def test_a_name_that_says_what_the_person_is_gives_the_voice_kind(name, gender) -> None:
    assert voice_gender(None, name) == gender


def test_a_character_described_as_man_or_woman_gets_a_default_of_that_kind() -> None:
    """The bible's order alone would give 顾言 a woman's voice and 林晚晚 a man's."""
    names = ["顾言", "林晚晚", "秘书", "苏曼"]
    plain = assign_voices(names, {}, "zh")
    assert plain["顾言"][0].voice.endswith("+f2") and plain["林晚晚"][0].voice.endswith("+m3")
    genders = {"顾言": "m", "林晚晚": "f", "秘书": None, "苏曼": "f"}
    assigned = assign_voices(names, {}, "zh", genders)
    kinds = {name: voice.voice.partition("+")[2][0] for name, (voice, _) in assigned.items()}
    assert kinds["顾言"] == "m" and kinds["林晚晚"] == "f" and kinds["苏曼"] == "f"
    sounds = [(v.voice, v.pitch) for v, _ in assigned.values()]
    assert len(set(sounds)) == len(names)  # still never shared
