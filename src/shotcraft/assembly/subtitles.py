r"""Subtitles: dialogue → timed cues → SRT file or burned-in drawtext filters.

Cues live on integer frames. `end_frame` is exclusive: a cue is on screen for frames
`start_frame .. end_frame - 1`, so consecutive cues may share a boundary and never overlap.
Long lines are split at punctuation into cues of at most two lines; wrapping into lines happens
only when a cue is written (SRT or drawtext text file), so `Cue.text` is the spoken words.
Lines break by Chinese typesetting's rules on jieba's words (assembly.linebreak). Burned
subtitles sit where a platform preset puts them (assembly.subtitle_style: inside 抖音's,
快手's, 视频号's or a player's safe area), at its size and outline, or where the options say.

Script text is data. SRT has no escape, and players read `{\an8}`-style override blocks and
`<i>`/`<font>` tags in it, so `srt_text` drops override blocks and swaps `< > { } \` for
look-alikes (‹ › ｛ ｝ ＼). Burned subtitles are drawn by drawtext from a text file with
`expansion=none`, which draws every character as written; lines are wrapped by the width the
font really gives them, inside the middle 90% of the frame, and characters the CJK font lacks
are drawn with a fallback font (`shotcraft.shots.fonts`) or named in a warning.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Literal

from shotcraft.assembly.linebreak import break_lines
from shotcraft.assembly.subtitle_style import Placement, SubtitleStyle
from shotcraft.assembly.timeline import Cue, Timeline
from shotcraft.shots.errors import AssemblyError
from shotcraft.shots.files import atomic_target
from shotcraft.shots.fonts import (
    covers,
    font_runs,
    fonts_for,
    missing_glyphs_sentence,
    needs_glyph,
    pil_font,
    undrawable,
)
from shotcraft.shots.models import DialogueLine

MAX_LINES = 2
CJK_LINE_CHARS = 16  # a comfortable line on a 9:16 phone screen
LATIN_LINE_CHARS = 42  # the Netflix-style Latin line length
CJK_LANGUAGES = {"zh", "ja", "ko", "cmn", "yue"}
SAFE_WIDTH = 0.9  # burned lines stay inside the middle 90% of the frame
NO_FONT = "no CJK font found: install fonts-wqy-microhei or fonts-noto-cjk, or set SHOTCRAFT_FONT"

_CJK_RE = re.compile(
    "[\u2e80-\u2fff\u3000-\u303f\u3040-\u30ff\u3100-\u31ff\u3400-\u4dbf\u4e00-\u9fff"
    "\uac00-\ud7af\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef\U00020000-\U0002fa1f]"
)
# a clause ends after punctuation (plus any closing quotes); Latin punctuation needs a space after
_CLAUSE_END_RE = re.compile(r"(?:[，。！？；：、…—]+|[,.!?;:]+(?=\s))[”’」』）)\"']*\s*")
# a line may not start with these: they stay glued to the character before
_NO_LINE_START = set("，。！？；：、…）」』”’,.!?;:)]}")
# what SRT players interpret: {\...} override blocks (libass, VLC) and <i>, <b>, <font ...> tags
_OVERRIDE_RE = re.compile(r"\{\\[^{}]*\}")
_SRT_LOOKALIKES = str.maketrans({"<": "‹", ">": "›", "{": "｛", "}": "｝", "\\": "＼"})


def has_cjk(text: str) -> bool:
    """True when the text contains Chinese, Japanese or Korean characters."""
    return _CJK_RE.search(text) is not None


def build_cues(timeline: Timeline, clip_starts: list[int], *, language: str = "zh") -> list[Cue]:
    """Turn each clip's dialogue into cues on the episode timeline, numbered from 1.

    Lines in one clip share its duration in proportion to their length; a line too long for
    two subtitle lines is split at punctuation into several cues, timed the same way. `language`
    sets the line measure: CJK languages count 16 characters a line, others 42.
    """
    if len(clip_starts) != len(timeline.clips):
        raise AssemblyError(
            f"build_cues needs one start frame per clip: got {len(clip_starts)} for "
            f"{len(timeline.clips)} clips."
        )
    capacity, cjk_width, latin_width = _measure(language)
    cues: list[Cue] = []
    for clip, clip_start in zip(timeline.clips, clip_starts, strict=True):
        pieces: list[tuple[DialogueLine, str, float]] = []  # (line, text, weight)
        for line in clip.dialogue:
            text = " ".join(line.text.split())
            if not text:
                continue
            for chunk in _split_line(text, capacity, cjk_width, latin_width):
                pieces.append((line, chunk, max(1.0, _width(chunk, cjk_width, latin_width))))
        bounds = _proportional_bounds([w for _, _, w in pieces], clip.duration_frames)
        for (line, text, _), (a, b) in zip(pieces, bounds, strict=True):
            if b > a:  # a clip shorter than its cue count cannot show every cue
                mode = line.mode.value if line.mode is not None else None
                cues.append(Cue(index=len(cues) + 1, start_frame=clip_start + a,
                                end_frame=clip_start + b, speaker=line.speaker, text=text,
                                mode=mode))
    return cues


def cues_for_clip(cues: list[Cue], clip_start: int, clip_frames: int) -> list[Cue]:
    """The cues that fall in one clip, re-timed relative to its first frame and clamped to it."""
    relative = []
    for cue in cues:
        start = max(cue.start_frame, clip_start) - clip_start
        end = min(cue.end_frame, clip_start + clip_frames) - clip_start
        if end > start:
            relative.append(cue.model_copy(update={"start_frame": start, "end_frame": end}))
    return relative


def wrap_text(text: str, *, language: str = "zh") -> str:
    """Wrap cue text into lines that fit the subtitle measure (keeps explicit newlines)."""
    capacity, cjk_width, latin_width = _measure(language)
    lines: list[str] = []
    for paragraph in text.split("\n"):
        lines.extend(_wrap(paragraph, capacity, _counter(cjk_width, latin_width)) or [""])
    return "\n".join(lines)


def srt_text(text: str) -> str:
    r"""Cue text a player shows as written: override blocks dropped, markup characters swapped.

    `{\an8}` and the like are formatting commands, never spoken, so they go; `<`, `>`, `{`, `}`
    and `\` become look-alikes (‹ › ｛ ｝ ＼) because SRT has no way to escape them.
    """
    text = _OVERRIDE_RE.sub("", text).translate(_SRT_LOOKALIKES)  # "-->" becomes "--›" too
    return "\n".join(" ".join(line.split()) for line in text.split("\n")).strip()


def frames_to_srt_time(frame: int, fps: int) -> str:
    """Frame number → `HH:MM:SS,mmm`, rounded to the nearest millisecond with integer maths."""
    ms = (frame * 1000 + fps // 2) // fps
    hours, ms = divmod(ms, 3_600_000)
    minutes, ms = divmod(ms, 60_000)
    seconds, ms = divmod(ms, 1000)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d},{ms:03d}"


def write_srt(cues: list[Cue], path: Path, fps: int) -> Path:
    """Write cues as a UTF-8 SRT file numbered from 1; atomic, so a failure keeps the old file."""
    blocks = []
    shown = [(cue, srt_text(cue.text)) for cue in cues]
    # a cue that was only an override tag has nothing to show: an empty block would end the file
    for number, (cue, text) in enumerate([(c, t) for c, t in shown if t], start=1):
        language = "zh" if has_cjk(text) else "en"
        blocks.append(
            f"{number}\n{frames_to_srt_time(cue.start_frame, fps)} --> "
            f"{frames_to_srt_time(cue.end_frame, fps)}\n{wrap_text(text, language=language)}\n"
        )
    _write_atomic(Path(path), "\n".join(blocks))
    return Path(path)


def escape_filter_value(value: str) -> str:
    """Escape a string for use as an option value inside an ffmpeg filtergraph.

    Two levels, as ffmpeg parses them: first the option value (`\\`, `'`, `:`), then the
    filtergraph description (`\\`, `'`, `[`, `]`, `,`, `;`).
    """
    level1 = re.sub(r"([\\':])", r"\\\1", value)
    return re.sub(r"([\\'\[\],;])", r"\\\1", level1)


def clip_subtitle_filter(
    cues: list[Cue], *, work_dir: Path, width: int, height: int, font: Path | None,
    where: str = "", warnings: list[str] | None = None, placement: Placement | None = None,
) -> str | None:
    """A drawtext filter chain burning `cues` (frames relative to the clip start) into a clip.

    Each cue's wrapped text goes to a content-named file in `work_dir` (drawtext reads it with
    `expansion=none`, so `%`, quotes, braces and backslashes render literally). The block is
    centred in the placement's clear band, its bottom edge on the placement's line (default:
    the `generic` preset's), and lines wrap by the width the font really gives them there. A
    cue one font cannot draw whole is drawn in runs, each with the font that has its
    characters; characters no installed font has are named in one sentence appended to
    `warnings` (`where` names the shot). None when no cues.
    """
    if not cues:
        return None
    place = placement or SubtitleStyle(preset="generic").resolve(width, height)
    font = place.font or font
    if font is None and any(has_cjk(cue.text) for cue in cues):
        raise AssemblyError(NO_FONT)
    work_dir = Path(work_dir)
    work_dir.mkdir(parents=True, exist_ok=True)
    fontsize = place.fontsize
    border = place.padding
    spacing = max(1, fontsize // 5)
    room = place.room
    centre = place.centre_x
    style = [f"fontsize={fontsize}", "fontcolor=white", "box=1", "boxcolor=black@0.55",
             f"boxborderw={border}", f"borderw={place.outline}", "bordercolor=black"]
    if place.outline == 0:
        style = [o for o in style if not o.startswith(("borderw", "bordercolor"))]
    filters: list[str] = []
    missing: list[str] = []
    for cue in cues:
        if cue.end_frame <= cue.start_frame:
            continue
        fonts = fonts_for(cue.text, font)
        missing += [c for c in undrawable(cue.text, fonts) if c not in missing]
        lines = burn_lines(cue.text, fonts, fontsize, room)
        enable = f"enable='between(n,{cue.start_frame},{cue.end_frame - 1})'"
        whole = _font_for_all("".join(lines), fonts)
        if whole is not False:
            options = [_text_option(work_dir, "\n".join(lines)), "expansion=none"]
            if whole is not None:
                options.append(f"fontfile={escape_filter_value(str(Path(whole).resolve()))}")
            # the block's bottom edge sits on the placement's line, centred in its clear band
            options += [*style, f"line_spacing={spacing}", f"x={centre:.1f}-text_w/2",
                        f"y={place.bottom - border}-text_h", enable]  # the box's edge on the line
            filters.append("drawtext=" + ":".join(options))
            continue
        pitch = fontsize + 2 * spacing
        for number, line in enumerate(lines):
            baseline = round(place.bottom - border - fontsize * 0.25
                             - (len(lines) - 1 - number) * pitch)
            runs = _runs(line, fonts)
            widths = [_measurer(tuple([run_font]), fontsize)(text) for text, run_font in runs]
            x = centre - sum(widths) / 2
            # one box under the whole line, as drawtext's own box would be
            filters.append(f"drawbox=x={round(x) - border}:y={baseline - round(fontsize * 0.95) - border}"
                           f":w={round(sum(widths)) + 2 * border}:h={round(fontsize * 1.2) + 2 * border}"
                           f":color=black@0.55:t=fill:{enable}")
            for (text, run_font), run_width in zip(runs, widths, strict=True):
                if text.strip():
                    filters.append("drawtext=" + ":".join([
                        _text_option(work_dir, text), "expansion=none",
                        f"fontfile={escape_filter_value(str(Path(run_font).resolve()))}",
                        *[o for o in style if not o.startswith("box")],
                        f"x={round(x)}", f"y={baseline}-max_glyph_a", enable]))
                x += run_width
    if missing and warnings is not None:
        warnings.append(missing_glyphs_sentence(where or "subtitles", missing, "burned subtitles"))
    return ",".join(filters) or None


def burn_lines(text: str, fonts: Sequence[Path], fontsize: int, room: float) -> list[str]:
    """The lines a burned cue is drawn in: each at most `room` pixels wide in these fonts."""
    measure = _measurer(tuple(fonts), fontsize)
    lines: list[str] = []
    for paragraph in text.split("\n"):
        lines.extend(_wrap(paragraph, room, measure) or [""])
    return lines


def _text_option(work_dir: Path, text: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
    text_file = work_dir / f"subtitle-{digest}.txt"
    if not text_file.is_file():
        _write_atomic(text_file, text)
    return f"textfile={escape_filter_value(str(text_file.resolve()))}"


def _font_for_all(text: str, fonts: Sequence[Path]) -> Path | None | Literal[False]:
    """The first font that draws every character of `text`, None for none given, False if none does."""
    if not fonts:
        return None
    needed = [c for c in dict.fromkeys(text) if needs_glyph(c)]
    for path in fonts:
        if all(covers(path, c) is not False for c in needed):
            return path
    if len(fonts) == 1:
        return fonts[0]  # nothing to fall back to: draw what it has
    return False


def _char_font(char: str, fonts: Sequence[Path]) -> Path:
    return next((f for f in fonts if covers(f, char) is not False), fonts[0])


def _runs(line: str, fonts: Sequence[Path]) -> list[tuple[str, Path]]:
    """`line` cut into (text, font) runs in drawing order, left to right."""
    runs: list[tuple[str, Path]] = []
    for char in line:
        last = runs[-1] if runs else ("", fonts[0])
        # spaces are runs of their own: a shaped right-to-left run would move its own space
        same = last[0] and last[0][-1].isspace() == char.isspace()
        if same and (char.isspace() or not needs_glyph(char) or covers(last[1], char) is not False):
            runs[-1] = (last[0] + char, last[1])
        else:
            runs.append((char, last[1] if char.isspace() else _char_font(char, fonts)))
    strong = next((unicodedata.bidirectional(c) for c in line
                   if unicodedata.bidirectional(c) in ("L", "R", "AL")), "L")
    # a right-to-left line reads its runs from the right; each run is shaped by drawtext itself
    return runs[::-1] if strong in ("R", "AL") else runs


def _measurer(fonts: tuple[Path, ...], fontsize: int) -> Callable[[str], float]:
    """Width in pixels of a string drawn at `fontsize`, each character in the font that has it."""
    if not fonts:
        return _counter(fontsize * 1.0, fontsize * 0.6)

    def measure(text: str) -> float:
        total = 0.0
        for run, path in font_runs(text, fonts):
            try:
                total += float(pil_font(path, fontsize).getlength(run))
            except OSError:
                total += _width(run, fontsize * 1.0, fontsize * 0.6)
        return total

    return measure


def _measure(language: str) -> tuple[float, float, float]:
    """(line capacity, width of a CJK char, width of a Latin char) for a language."""
    if language.split("-")[0].lower() in CJK_LANGUAGES:
        return float(CJK_LINE_CHARS), 1.0, 0.5
    return float(LATIN_LINE_CHARS), 2.6, 1.0


def _width(text: str, cjk_width: float, latin_width: float) -> float:
    return sum(cjk_width if _CJK_RE.match(ch) else latin_width for ch in text)


def _counter(cjk_width: float, latin_width: float) -> Callable[[str], float]:
    return lambda text: _width(text, cjk_width, latin_width)


def _wrap(text: str, capacity: float, measure: Callable[[str], float]) -> list[str]:
    """Lines of `text` at most `capacity` wide: Chinese typesetting's rules on jieba's words
    (assembly.linebreak): no split inside a word, no line opening on closing punctuation, no
    lone character, lines balanced."""
    return break_lines(text, capacity, measure)


def _split_line(text: str, capacity: float, cjk_width: float, latin_width: float) -> list[str]:
    """Split a dialogue line into cue texts that each wrap into at most two lines."""
    clauses = []
    position = 0
    for match in _CLAUSE_END_RE.finditer(text):
        clauses.append(text[position : match.end()])
        position = match.end()
    if position < len(text):
        clauses.append(text[position:])

    measure = _counter(cjk_width, latin_width)

    def fits(candidate: str) -> bool:
        return len(_wrap(candidate.strip(), capacity, measure)) <= MAX_LINES

    chunks: list[str] = []
    current = ""
    for clause in clauses:
        if fits(current + clause):
            current += clause
            continue
        if current.strip():
            chunks.append(current.strip())
        current = ""
        if fits(clause):
            current = clause
            continue
        # one clause longer than two lines: cut it after each two wrapped lines
        lines = _wrap(clause.strip(), capacity, measure)
        joiner = "" if has_cjk(clause) else " "
        for start in range(0, len(lines), MAX_LINES):
            piece = joiner.join(lines[start : start + MAX_LINES])
            if start + MAX_LINES >= len(lines):
                current = piece + (" " if clause[-1:].isspace() else "")
            else:
                chunks.append(piece)
    if current.strip():
        chunks.append(current.strip())
    return chunks


def _proportional_bounds(weights: list[float], frames: int) -> list[tuple[int, int]]:
    """Cut `frames` into consecutive integer spans proportional to `weights`."""
    total = sum(weights)
    if not weights or total <= 0:
        return []
    bounds = []
    cumulative = 0.0
    previous = 0
    for weight in weights:
        cumulative += weight
        end = round(frames * cumulative / total)
        bounds.append((previous, end))
        previous = end
    return bounds


def _write_atomic(path: Path, text: str) -> None:
    """`text` as `path`, complete or not at all (shots.files.atomic_target), LF line ends."""
    with atomic_target(path) as temp:
        temp.write_text(text, encoding="utf-8", newline="\n")
