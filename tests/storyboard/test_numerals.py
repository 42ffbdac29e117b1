"""One reading of numbers for both script parsers (storyboard/numerals.py)."""

import pytest

from shotcraft.shots.errors import ScriptError
from shotcraft.storyboard.fountain import parse_fountain
from shotcraft.storyboard.juben import parse_juben
from shotcraft.storyboard.numerals import parse_number


@pytest.mark.parametrize(
    ("text", "value"),
    [("12", 12), ("１２", 12), ("0", 0), ("零", 0), ("〇", 0), ("-1", -1), ("－3", -3),
     ("十", 10), ("十二", 12), ("二十", 20), ("二十一", 21), ("九十九", 99), ("两百", 200),
     ("一百五", 150), ("一百零五", 105), ("一百一十", 110), ("三千二", 3200), ("两千", 2000),
     ("一千零一", 1001), ("二〇", 20), ("一〇五", 105), ("十万", 100000), ("一万五", 15000),
     ("一万零五", 10005), ("一万二千", 12000), ("二十万零三百", 200300)],
)  # fmt: skip
def test_numbers_read_as_written(text, value):
    assert parse_number(text) == value


@pytest.mark.parametrize(
    "text",
    ["十十", "零十", "一二十百", "一百零", "五五十", "", "-", "12a", "万", "一万五十", "万万"],
)
def test_malformed_numbers_are_not_numbers(text):
    assert parse_number(text) is None


@pytest.mark.parametrize(
    ("numeral", "number"), [("一百五", 150), ("一百零五", 105), ("两千", 2000), ("十二", 12),
                            ("２１", 21)],
)  # fmt: skip
def test_both_parsers_read_the_same_episode_number(numeral, number):
    fountain = parse_fountain(f"# 第{numeral}集\n\nINT. A - DAY\n\nAction.\n")
    juben = parse_juben(f"第{numeral}集\n1-1 日 内 办公室\n△他来了。")
    assert [ep.number for ep in fountain.episodes] == [number]
    assert [ep.number for ep in juben.episodes] == [number]


@pytest.mark.parametrize("numeral", ["-1", "0", "零", "－2"])
def test_episode_numbers_below_one_name_the_file_and_line_in_both_parsers(numeral):
    with pytest.raises(ScriptError, match="episode numbers start at 1") as fountain:
        parse_fountain(f"INT. A - DAY\n\nOne.\n\n# 第{numeral}集\n\nINT. B - DAY\n\nTwo.\n",
                       path="ep.fountain")  # fmt: skip
    with pytest.raises(ScriptError, match="episode numbers start at 1") as juben:
        parse_juben(f"1-1 日 内 办公室\n△雨。\n第{numeral}集\n1-1 日 内 街道", path="ep.txt")
    assert (fountain.value.file, fountain.value.line) == ("ep.fountain", 5)
    assert (juben.value.file, juben.value.line) == ("ep.txt", 3)
