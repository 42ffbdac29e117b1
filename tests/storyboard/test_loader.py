"""Reading script files: encodings, line endings, format detection and clear errors."""

from __future__ import annotations

import pytest

from shotcraft.shots.errors import ScriptError
from shotcraft.storyboard.breakdown import breakdown
from shotcraft.storyboard.loader import decode_script, detect_format, load_script, parse_script
from shotcraft.storyboard.script import ElementKind, ScriptFormat

FOUNTAIN = """Title: Night Shift

INT. DINER - NIGHT

MARA wipes the counter.

MARA
(tired)
We're closed.

JONAH (O.S.)
Not for me.
"""

JUBEN = """第1集 重逢

1-1 日 内 咖啡馆
人物：林晓、陈默

△林晓推门而入，愣住了。

陈默：（低声）好久不见。

林晓：你怎么在这里？
"""


# --- detection ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "suffix", "expected"),
    [
        (FOUNTAIN, None, ScriptFormat.FOUNTAIN),
        (JUBEN, None, ScriptFormat.JUBEN),
        (JUBEN, ".fountain", ScriptFormat.FOUNTAIN),
        ("林晓：你好。\n陈默：你好。\n", ".spmd", ScriptFormat.FOUNTAIN),
        ("场景在雨夜展开。\n\n△她站在门口。\n", ".txt", ScriptFormat.JUBEN),
        ("人物：王总\n王总：开会。\n", None, ScriptFormat.JUBEN),
        ("EXT. 天台 - NIGHT\n\n林晓看着城市。\n", None, ScriptFormat.FOUNTAIN),
        ("Some words.\n\nMARA\nHello.\n", None, ScriptFormat.FOUNTAIN),
        ("林晓看着窗外的雨，一言不发。陈默递过一杯茶。\n", None, ScriptFormat.JUBEN),
        ("Just a note to self.\n", None, ScriptFormat.FOUNTAIN),
    ],
)
def test_detect_format_from_suffix_then_content(text, suffix, expected):
    assert detect_format(text, suffix) == expected


# --- decoding -------------------------------------------------------------------------------------


def test_decode_accepts_utf8_with_or_without_bom_and_gb18030():
    text = "林晓：你好。"
    assert decode_script(text.encode("utf-8")) == text
    assert decode_script(b"\xef\xbb\xbf" + text.encode("utf-8")) == text
    assert decode_script(text.encode("gb18030")) == text
    assert decode_script(text.encode("utf-16")) == text


def test_undecodable_file_names_the_file(tmp_path):
    path = tmp_path / "broken.txt"
    path.write_bytes(b"\xff\xff\xff\x80\x80")
    with pytest.raises(ScriptError, match="not UTF-8, UTF-16, GBK or GB18030 text") as caught:
        load_script(path)
    assert caught.value.file == str(path)
    assert str(path) in str(caught.value)


def test_missing_file_names_the_file(tmp_path):
    path = tmp_path / "nowhere.fountain"
    with pytest.raises(ScriptError, match="not found") as caught:
        load_script(path)
    assert caught.value.file == str(path)


def test_folder_is_not_a_script(tmp_path):
    with pytest.raises(ScriptError, match="folder"):
        load_script(tmp_path)


def test_empty_script_is_an_error(tmp_path):
    path = tmp_path / "empty.fountain"
    path.write_text("\n\n  \n", encoding="utf-8")
    with pytest.raises(ScriptError, match="empty"):
        load_script(path)


def test_unknown_format_is_an_error():
    with pytest.raises(ScriptError, match="unknown script format 'pdf'"):
        parse_script(FOUNTAIN, format="pdf")


# --- parsing through the real parsers -------------------------------------------------------------


def test_fountain_file_with_bom_and_crlf_loads(tmp_path):
    path = tmp_path / "night.txt"
    path.write_bytes(b"\xef\xbb\xbf" + FOUNTAIN.replace("\n", "\r\n").encode("utf-8"))
    script = load_script(path)
    assert script.format == ScriptFormat.FOUNTAIN
    assert script.path == str(path)
    [scene] = script.episodes[0].scenes
    assert scene.heading == "INT. DINER - NIGHT"
    lines = [e for e in scene.elements if e.kind is ElementKind.DIALOGUE]
    assert [(e.speaker, e.text) for e in lines] == [("MARA", "We're closed."), ("JONAH", "Not for me.")]
    assert all("\r" not in e.text for e in scene.elements)
    assert lines[0].line == 7


def test_gb18030_juben_loads_and_breaks_down(tmp_path):
    path = tmp_path / "重逢.txt"
    path.write_bytes(JUBEN.replace("\n", "\r\n").encode("gb18030"))
    script = load_script(path)
    assert script.format == ScriptFormat.JUBEN
    assert script.language == "zh"
    board = breakdown(script)
    assert [c.name for c in board.characters][:2] == ["林晓", "陈默"]
    texts = [d.text for s in board.shots() for d in s.dialogue]
    assert texts == ["好久不见。", "你怎么在这里？"]


def test_explicit_format_overrides_detection(tmp_path):
    path = tmp_path / "misnamed.fountain"
    path.write_text(JUBEN, encoding="utf-8")
    assert detect_format(JUBEN, path.suffix) == ScriptFormat.FOUNTAIN
    script = load_script(path, format="juben")
    assert script.format == ScriptFormat.JUBEN
    assert script.episodes[0].scenes[0].location == "咖啡馆"


def test_parse_script_detects_from_the_path_suffix():
    script = parse_script("林晓\n你好。\n", path="scene.fountain")
    assert script.format == ScriptFormat.FOUNTAIN


def test_a_script_over_the_size_limit_is_refused_with_its_size(tmp_path, monkeypatch) -> None:
    from pathlib import Path

    big = tmp_path / "series.txt"
    with big.open("wb") as handle:  # sparse: 9.3 MB on paper, nothing on disk
        handle.truncate(9_300_000)
    read = []
    monkeypatch.setattr(Path, "read_bytes", lambda self: read.append(self) or b"")
    with pytest.raises(ScriptError) as caught:
        load_script(big)
    assert str(caught.value).startswith(f"{big} is 9.3 MB and looks like binary data")
    assert "scripts over 8 MB are refused" in str(caught.value)
    assert caught.value.file == str(big)
    assert not read  # refused from its size, before it was read


def test_the_script_size_limit_can_be_raised(tmp_path, monkeypatch) -> None:
    script = tmp_path / "ep.fountain"
    script.write_text(FOUNTAIN + "\n" + "MARA wipes the counter again.\n" * 40_000, encoding="utf-8")
    monkeypatch.setenv("SHOTCRAFT_MAX_SCRIPT_MB", "1")
    with pytest.raises(ScriptError, match=r"is 1\.2 MB and looks like prose \(a novel or a book\), not a script; scripts over 1 MB"):
        load_script(script)
    monkeypatch.setenv("SHOTCRAFT_MAX_SCRIPT_MB", "2")
    assert load_script(script).action_count() >= 1  # read and parsed under the raised limit
