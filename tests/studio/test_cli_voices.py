"""`shotcraft voice`, the voice column of `characters`, and `export --voice bible` end to end."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shotcraft.assembly.speech import espeak
from tests.projects.conftest import SCRIPT, write_script
from tests.studio.conftest import invoke


def test_a_character_shows_its_default_voice_until_one_is_set(project_dir: Path) -> None:
    shown = invoke("voice", project_dir, "林晚")
    assert shown.exit_code == 0
    assert shown.stdout.strip() == "林晚: espeak cmn+f2, speed 1, pitch 70 (default)"
    set_ = invoke("voice", project_dir, "林晚", "--voice", "zh+f3", "--speed", "1.05")
    assert set_.stdout.strip() == "林晚: espeak zh+f3, speed 1.05, pitch 70 (set)"
    data = json.loads(invoke("voice", project_dir, "顾言", "--json").stdout)
    assert data == {"name": "顾言", "voice": {"engine": "espeak", "voice": "cmn+m3", "speed": 1.0,
                                              "pitch": 35, "language": None, "default": True}}


def test_a_set_voice_survives_reimport_and_clear_gives_the_default_back(
    project_dir: Path, tmp_path: Path,
) -> None:
    assert invoke("voice", project_dir, "顾言", "--voice", "cmn+m1", "--pitch", "40").exit_code == 0
    changed = write_script(tmp_path, SCRIPT.replace("你迟到了。", "你又迟到了。"), name="v2.txt")
    assert invoke("import", project_dir, changed).exit_code == 0
    assert "cmn+m1, speed 1, pitch 40 (set)" in invoke("voice", project_dir, "顾言").stdout
    cleared = invoke("voice", project_dir, "顾言", "--clear")
    assert cleared.stdout.strip() == "顾言: espeak cmn+m3, speed 1, pitch 35 (default)"


def test_characters_json_and_table_show_each_voice(project_dir: Path) -> None:
    invoke("voice", project_dir, "顾言", "--voice", "cmn+m1", "--language", "zh")
    people = json.loads(invoke("characters", project_dir, "--json").stdout)
    assert [(p["name"], p["voice"]) for p in people] == [
        ("林晚", {"engine": "espeak", "voice": "cmn+f2", "speed": 1.0, "pitch": 70,
                 "language": None, "default": True}),
        ("顾言", {"engine": "espeak", "voice": "cmn+m1", "speed": 1.0, "pitch": 35,
                 "language": "zh", "default": False}),
    ]
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
    calls: list[str] = []
    real = espeak.EspeakEngine.synthesize
    monkeypatch.setattr(espeak.EspeakEngine, "synthesize",
                        lambda self, text, voice, out, task_file=None:
                        calls.append(text) or real(self, text, voice, out, task_file))
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
    result = invoke("voice", project_dir, "顾言", "--language", "en")
    assert result.stdout.strip() == "顾言: espeak en+m3, speed 1, pitch 35, en (set)"
