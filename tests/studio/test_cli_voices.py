"""`shotcraft voice`, the voice column of `characters`, and `export --voice bible` end to end."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from shotcraft.assembly.speech import espeak
from shotcraft.assembly.speech.rate import CALIBRATION
from tests.projects.conftest import SCRIPT, write_script
from tests.studio.conftest import invoke

SHOWN = re.compile(r"^(?P<name>\S+): espeak (?P<voice>\S+), speed (?P<speed>[\d.]+), "
                   r"pitch (?P<pitch>\d+)(?P<language>, \w+)? \((?P<source>default|set)\), "
                   r"(?P<rate>[\d.]+) (?P<unit>characters|words) a second$")


def shown(project_dir: Path, name: str, *args: str) -> dict[str, str]:
    result = invoke("voice", project_dir, name, *args)
    assert result.exit_code == 0, result.output
    found = SHOWN.match(result.stdout.strip())
    assert found, result.stdout
    return found.groupdict()


def test_a_default_voice_speaks_at_the_short_drama_pace_until_one_is_set(project_dir: Path) -> None:
    """espeak's Mandarin says about 4 characters a second at its normal speed; a default voice
    is sped up to the 5.0 short dramas speak at, measured, not guessed."""
    default = shown(project_dir, "林晚")
    assert (default["voice"], default["pitch"], default["source"]) == ("cmn+f2", "70", "default")
    assert 1.1 <= float(default["speed"]) <= 1.4 and abs(float(default["rate"]) - 5.0) <= 0.15
    assert default["unit"] == "characters"
    set_ = shown(project_dir, "林晚", "--voice", "zh+f3", "--speed", "0.9")
    assert (set_["voice"], set_["speed"], set_["source"]) == ("zh+f3", "0.9", "set")
    assert float(set_["rate"]) < float(default["rate"]) - 0.5  # the director's speed is kept
    data = json.loads(invoke("voice", project_dir, "顾言", "--json").stdout)
    assert data["voice"] | {"speed": None} == {"engine": "espeak", "voice": "cmn+m3",
                                               "speed": None, "pitch": 35, "language": None,
                                               "default": True}
    assert 1.1 <= data["voice"]["speed"] <= 1.4 and abs(data["rate"] - 5.0) <= 0.15


def test_a_set_voice_survives_reimport_and_clear_gives_the_default_back(
    project_dir: Path, tmp_path: Path,
) -> None:
    set_ = shown(project_dir, "顾言", "--voice", "cmn+m1", "--pitch", "40")
    # a default voice changed without a speed is paced again for its new variant
    assert abs(float(set_["rate"]) - 5.0) <= 0.15 and set_["source"] == "set"
    changed = write_script(tmp_path, SCRIPT.replace("你迟到了。", "你又迟到了。"), name="v2.txt")
    assert invoke("import", project_dir, changed).exit_code == 0
    assert shown(project_dir, "顾言") == set_
    cleared = shown(project_dir, "顾言", "--clear")
    assert (cleared["voice"], cleared["pitch"], cleared["source"]) == ("cmn+m3", "35", "default")


def test_characters_json_and_table_show_each_voice(project_dir: Path) -> None:
    invoke("voice", project_dir, "顾言", "--voice", "cmn+m1", "--language", "zh")
    people = json.loads(invoke("characters", project_dir, "--json").stdout)
    assert [(p["name"], p["voice"] | {"speed": None}) for p in people] == [
        ("林晚", {"engine": "espeak", "voice": "cmn+f2", "speed": None, "pitch": 70,
                 "language": None, "default": True}),
        ("顾言", {"engine": "espeak", "voice": "cmn+m1", "speed": None, "pitch": 35,
                 "language": "zh", "default": False}),
    ]
    assert all(abs(p["rate"] - 5.0) <= 0.15 for p in people)  # both at the short-drama pace
    table = invoke("characters", project_dir).stdout
    assert "voice" in table.splitlines()[0] and "(default)" in table and "(set)" in table


@pytest.mark.parametrize(("args", "sentence"), [
    (["--speed", "3"], "error: speed: 3 is outside 0.5-2.0 (1 is normal speed)"),
    (["--pitch", "120"], "error: pitch: 120 is outside 0-99 (50 is the voice's own)"),
    (["--voice", "cmn+zz"], "error: voice: 'cmn+zz' is not an espeak-ng voice: 'zz' is no variant;"),
    (["--engine", "azure"],
     "error: unknown speech engine 'azure'; installed: espeak, kling, openai."),
])
def test_a_bad_voice_is_one_sentence_and_keeps_the_old_one(project_dir, args, sentence) -> None:
    invoke("voice", project_dir, "林晚", "--voice", "cmn+f4")
    result = invoke("voice", project_dir, "林晚", *args)
    assert result.exit_code == 1
    assert result.stderr.startswith(sentence) and len(result.stderr.strip().splitlines()) == 1
    assert "cmn+f4" in invoke("voice", project_dir, "林晚").stdout


def test_clear_with_another_option_is_a_usage_error(project_dir: Path) -> None:
    assert invoke("voice", project_dir, "林晚", "--clear", "--speed", "1.1").exit_code == 2


def test_export_bible_speaks_each_line_in_its_voice_and_resynthesises_only_a_changed_line(
    project_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[str] = []  # the lines spoken (a default voice's measuring passage aside)
    real = espeak.EspeakEngine.synthesize

    def counted(self, text, voice, out, task_file=None):  # noqa: ANN001, ANN202
        if text != CALIBRATION["zh"]:
            calls.append(text)
        return real(self, text, voice, out, task_file)

    monkeypatch.setattr(espeak.EspeakEngine, "synthesize", counted)
    invoke("voice", project_dir, "林晚", "--voice", "cmn+f4", "--speed", "1.1")
    args = ("export", project_dir, "--episode", 1, "--voice", "bible", "--preset", "vertical-720",
            "--subtitles", "none", "--json")
    first = invoke(*args)
    assert first.exit_code == 0, first.stderr
    lines = json.loads(first.stdout)["voice_lines"]
    # the episode's hook (E01-S01-000) plays 林晚's line first, then the scene plays it again
    assert [(line["speaker"], line["voice"]["voice"], line["treatment"]) for line in lines] == [
        ("林晚", "cmn+f4", "line"), ("顾言", "cmn+m3", "line"), ("林晚", "cmn+f4", "line"),
        ("顾言", "cmn+m3", "os")]
    assert lines[2]["voice"]["speed"] == 1.1 and all(line["seconds"] > 0.5 for line in lines)
    assert len(calls) == 3  # the line said twice is synthesised once

    calls.clear()
    changed = write_script(tmp_path, SCRIPT.replace("是你来早了。", "是你来得太早了。"), name="v2.txt")
    assert invoke("import", project_dir, changed).exit_code == 0
    second = json.loads(invoke(*args).stdout)["voice_lines"]
    assert calls == ["是你来得太早了。"]
    assert [line["cached"] for line in second] == [False, True, True, True]


def test_export_voice_none_speaks_no_line(project_dir: Path) -> None:
    result = invoke("export", project_dir, "--episode", 2, "--voice", "none", "--preset",
                    "vertical-720", "--subtitles", "none", "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["voice_lines"] == []


def test_a_new_language_alone_keeps_the_variant_and_changes_what_it_speaks(project_dir) -> None:
    result = shown(project_dir, "顾言", "--language", "en")
    assert (result["voice"], result["language"], result["unit"]) == ("en+m3", ", en", "words")
    assert abs(float(result["rate"]) - 2.7) <= 0.1  # re-paced: English at 2.7 words a second
