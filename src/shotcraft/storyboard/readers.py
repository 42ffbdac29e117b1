"""shotcraft's own script formats: Fountain and the Chinese 剧本 (`shotcraft.scripts` entry points).

How sure each is of a text follows the loader's rules, first that applies (storyboard/loader.py):
Chinese text with 剧本 markers is a 剧本 (3); speeches written on one line (`John: Hello.`, at
least three and more than twice the Fountain cues) are the 剧本 line layout, in English too (3);
INT./EXT. headings or an all-caps cue followed by its line is Fountain (2); more Chinese
characters than Latin letters is a 剧本 (1); anything else is Fountain, the first listed (0).
"""

from __future__ import annotations

from shotcraft.storyboard.formats import ScriptReader
from shotcraft.storyboard.fountain import parse_fountain
from shotcraft.storyboard.juben import parse_juben
from shotcraft.storyboard.loader import (
    FOUNTAIN_CUE,
    FOUNTAIN_HEADING,
    FOUNTAIN_SUFFIXES,
    JUBEN_MARKERS,
    LATIN_RE,
    colon_speeches,
)
from shotcraft.storyboard.script import Script
from shotcraft.storyboard.text import CJK_RE


class FountainReader(ScriptReader):
    name = "fountain"
    suffixes = FOUNTAIN_SUFFIXES
    description = "Fountain (.fountain, .spmd), the screenwriters' plain-text format"

    def detect(self, text: str) -> int:
        return 2 if FOUNTAIN_HEADING.search(text) or FOUNTAIN_CUE.search(text) else 0

    def parse(self, text: str, *, path: str | None = None) -> Script:
        return parse_fountain(text, path=path)


class JubenReader(ScriptReader):
    name = "juben"
    description = ("Chinese 剧本 (第N集, 1-2 日 内 / 场1-1 / 第1场 headings, △ action, 人物： "
                   "lists, 名：line speeches)")

    def detect(self, text: str) -> int:
        cjk = CJK_RE.findall(text)
        if cjk and any(marker.search(text) for marker in JUBEN_MARKERS):
            return 3
        speeches = colon_speeches(text)
        if speeches >= 3 and speeches > 2 * len(FOUNTAIN_CUE.findall(text)):
            return 3  # the line layout, in any language: above Fountain's cues
        return 1 if len(cjk) > len(LATIN_RE.findall(text)) else 0

    def parse(self, text: str, *, path: str | None = None) -> Script:
        return parse_juben(text, path=path)
