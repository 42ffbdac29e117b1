"""Subtitle lines broken the way Chinese typesetting breaks them, on words jieba finds.

Rules, for the SRT and for burned subtitles alike:

- A line breaks only between words: jieba's words for Chinese (`前一天`, `举行` stay whole),
  spaces for Latin script. Only a word wider than a whole line is cut between characters.
- Punctuation stays with its word (避头尾): closing marks (，。！？；：、…）」』”’》 and their
  Latin kin) and dashes/ellipses go with the word before them, so no line starts with one;
  opening marks (（「『“‘《) go with the word after them, so no line ends with one.
- No lone character: a line of a single character (punctuation aside) is never made while
  another break fits.
- Lines are balanced: of the breaks that give the fewest lines, the one with the most even
  lines wins (the least sum of squared widths), a break after a clause's punctuation earning
  a little, so a two-line subtitle is not one full line and a stub, and breaks fall between
  clauses where they can.

jieba (a maintained, widely used Chinese segmenter with its own dictionary) is loaded on the
first CJK line, quietly; its dictionary cache lives in the system temp folder.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable
from types import ModuleType

import jieba

# closing marks glue to the word before them; opening marks to the word after them
CLOSING = set("，。！？；：、…）」』”’》〉】〕,.!?;:)]}%—～·")
OPENING = set("（「『“‘《〈【〔([{")
CLAUSE_END = set("，。！？；：、…—,.!?;:")  # a break after these falls between clauses
_CJK_RE = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f]")
_LATIN_RUN = re.compile(r"[^\s\u2e80-\u9fff\uac00-\ud7af\uf900-\uffef]+|\s+")

Measure = Callable[[str], float]


@functools.cache
def _jieba() -> ModuleType:
    """jieba with its dictionary loaded (once, on the first CJK line), quietly."""
    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba


def words(text: str) -> list[str]:
    """`text` as the units a line may break between: words with their punctuation glued on,
    and runs of spaces. Joined, they give `text` back."""
    raw = _segments(text)
    glued: list[str] = []
    pending = ""  # opening marks waiting for the word after them
    for token in raw:
        if token.isspace():
            if pending:
                glued.append(pending)
                pending = ""
            glued.append(token)
            continue
        if all(ch in OPENING for ch in token):
            pending += token
            continue
        if glued and not glued[-1].isspace() and all(ch in CLOSING for ch in token) and not pending:
            glued[-1] += token
            continue
        glued.append(pending + token)
        pending = ""
    if pending:
        glued.append(pending)
    return glued


def _segments(text: str) -> list[str]:
    """Latin runs and spaces as they are; CJK stretches cut by jieba into words."""
    found: list[str] = []
    position = 0
    for match in _LATIN_RUN.finditer(text):
        if match.start() > position:
            found += _cjk_words(text[position:match.start()])
        found.append(match.group())
        position = match.end()
    if position < len(text):
        found += _cjk_words(text[position:])
    return found


def _cjk_words(text: str) -> list[str]:
    if not _CJK_RE.search(text):
        return list(text) if all(ch in CLOSING | OPENING for ch in text) else [text]
    return [w for w in _jieba().lcut(text, HMM=True) if w]


def break_lines(text: str, capacity: float, measure: Measure) -> list[str]:
    """`text` in as few lines as fit `capacity` (in `measure`'s unit), broken by the rules
    above; `text` whole when it fits on one line."""
    text = text.strip()
    if not text or measure(text) <= capacity:
        return [text] if text else []
    tokens: list[str] = []
    for word in words(text):
        if not word.isspace() and measure(word) > capacity:
            tokens.extend(word)  # a word wider than a line: the one place it is cut
        else:
            tokens.append(word)
    return _balanced(tokens, capacity, measure)


def _line(tokens: list[str]) -> str:
    return "".join(tokens).strip()


def _lone(line: str) -> bool:
    """A line of one character, punctuation aside."""
    return len([ch for ch in line if ch not in CLOSING and ch not in OPENING and not ch.isspace()]) == 1


def _balanced(tokens: list[str], capacity: float, measure: Measure) -> list[str]:
    """The fewest lines that fit, no lone character, then the most even lines (least sum of
    squared widths), a break after a clause's punctuation earning (0.3 × capacity)²."""
    count = len(tokens)
    bonus = (0.3 * capacity) ** 2
    width: dict[tuple[int, int], float] = {}

    def fits(i: int, j: int) -> float | None:
        if (i, j) not in width:
            line = _line(tokens[i:j])
            width[(i, j)] = measure(line) if line else 0.0
        value = width[(i, j)]
        return value if value <= capacity else None

    # best[j] = (lines, lone lines, cost, cut points) for tokens[:j]
    best: dict[int, tuple[int, int, float, tuple[int, ...]]] = {0: (0, 0, 0.0, ())}
    for j in range(1, count + 1):
        clause = j < count and tokens[j - 1].rstrip()[-1:] in CLAUSE_END
        for i in range(j):
            if i not in best:
                continue
            line_width = fits(i, j)
            if line_width is None:
                continue
            lines, lone, cost, cuts = best[i]
            candidate = (lines + 1, lone + _lone(_line(tokens[i:j])),
                         cost + line_width**2 - (bonus if clause else 0.0), (*cuts, j))
            if j not in best or candidate[:3] < best[j][:3]:
                best[j] = candidate
    broken: list[str] = []
    start = 0
    for cut in best[count][3]:
        line = _line(tokens[start:cut])
        if line:
            broken.append(line)
        start = cut
    return broken
