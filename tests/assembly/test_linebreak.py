"""Subtitle lines break by Chinese typesetting's rules, checked on a real writer's lines (鲁迅's
《过客》, tests/data/scripts/guoke-luxun) and the lines a director saw broken badly."""

from __future__ import annotations

from pathlib import Path

import jieba
import pytest

from shotcraft.assembly.linebreak import CLOSING, OPENING, break_lines
from shotcraft.assembly.subtitles import burn_lines, wrap_text
from shotcraft.shots.media import cjk_font
from shotcraft.storyboard import load_script

SCRIPT = Path(__file__).resolve().parents[1] / "data" / "scripts" / "guoke-luxun" / "过客.txt"
SEEN_BROKEN = [  # lines an SRT broke as 前一\n天。 and 举\n行
    "我们把婚礼的时间，定在了你生日的前一天。",
    "这场发布会将在明天上午十点，于集团总部正式举行。",
]


def real_lines() -> list[str]:
    script = load_script(SCRIPT)
    return [element.text for episode in script.episodes for scene in episode.scenes
            for element in scene.elements if element.speaker and element.text]


def word_edges(text: str) -> set[int]:
    """Positions (in the text without spaces) where jieba puts a word boundary."""
    edges, at = {0}, 0
    for word in jieba.lcut(text.replace(" ", "")):
        at += len(word)
        edges.add(at)
    return edges


def check(lines: list[str], text: str) -> None:
    assert "".join(lines).replace(" ", "") == text.replace(" ", ""), lines
    edges, at = word_edges(text), 0
    for number, line in enumerate(lines):
        assert line[0] not in CLOSING, f"line {number + 1} opens on {line[0]!r}: {lines}"
        assert line[-1] not in OPENING, f"line {number + 1} ends on {line[-1]!r}: {lines}"
        spoken = [ch for ch in line if ch not in CLOSING | OPENING]
        assert len(lines) == 1 or len(spoken) > 1, f"a lone character: {lines}"
        at += len(line.replace(" ", ""))
        if number + 1 < len(lines):  # the break itself sits between two of jieba's words,
            near = {at - k for k in range(4)}  # punctuation glued to the word before it
            assert near & edges, f"a word split at line {number + 1}: {lines}"


def test_the_real_script_has_lines_long_enough_to_wrap() -> None:
    lines = real_lines()
    assert len(lines) == 15 and sum(len(line) > 16 for line in lines) >= 5


@pytest.mark.parametrize("capacity", [10, 12, 16])
def test_srt_lines_of_a_real_play_break_by_the_rules(capacity: int) -> None:
    from shotcraft.assembly.subtitles import _counter

    for text in real_lines() + SEEN_BROKEN:
        check(break_lines(text, capacity, _counter(1.0, 0.5)), text)


@pytest.mark.parametrize("text", SEEN_BROKEN)
def test_words_the_old_wrap_split_stay_whole(text: str) -> None:
    wrapped = wrap_text(text, language="zh").split("\n")
    assert all(not line.startswith(("天", "行")) for line in wrapped), wrapped
    check(wrapped, text)


def test_burned_lines_of_a_real_play_break_by_the_rules() -> None:
    font = cjk_font()
    assert font is not None, "scripts/setup-system.sh installs a CJK font"
    for text in real_lines():
        check(burn_lines(text, [font], 48, 600.0), text)


def test_lines_are_balanced_rather_than_a_full_line_and_a_stub() -> None:
    from shotcraft.assembly.subtitles import _counter

    lines = break_lines("老丈，我实在冒昧，我想在你那里讨一杯水喝。", 16, _counter(1.0, 0.5))
    assert len(lines) == 2 and abs(len(lines[0]) - len(lines[1])) <= 4, lines
    assert lines[0].endswith("，")  # the break falls between clauses
