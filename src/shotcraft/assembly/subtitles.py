"""Subtitles: dialogue → timed cues → SRT file or burned-in drawtext filters.

Cues live on integer frames. `end_frame` is exclusive: a cue is on screen for frames
`start_frame .. end_frame - 1`, so consecutive cues may share a boundary and never overlap.
Long lines are split at punctuation into cues of at most two lines; wrapping into lines happens
only when a cue is written (SRT or drawtext text file), so `Cue.text` is the spoken words.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path

from pydantic import BaseModel

from shotcraft.assembly.timeline import Timeline
from shotcraft.shots.errors import AssemblyError

MAX_LINES = 2
CJK_LINE_CHARS = 16  # a comfortable line on a 9:16 phone screen
LATIN_LINE_CHARS = 42  # the Netflix-style Latin line length
CJK_LANGUAGES = {"zh", "ja", "ko", "cmn", "yue"}
NO_FONT = "no CJK font found: install fonts-wqy-microhei or fonts-noto-cjk, or set SHOTCRAFT_FONT"

_CJK_RE = re.compile(
    "[\u2e80-\u2fff\u3000-\u303f\u3040-\u30ff\u3100-\u31ff\u3400-\u4dbf\u4e00-\u9fff"
    "\uac00-\ud7af\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef\U00020000-\U0002fa1f]"
)
# a clause ends after punctuation (plus any closing quotes); Latin punctuation needs a space after
_CLAUSE_END_RE = re.compile(r"(?:[，。！？；：、…—]+|[,.!?;:]+(?=\s))[”’」』）)\"']*\s*")
# a line may not start with these: they stay glued to the character before
_NO_LINE_START = set("，。！？；：、…）」』”’,.!?;:)]}")


class Cue(BaseModel):
    index: int
    start_frame: int
    end_frame: int  # exclusive
    speaker: str
    text: str


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
        pieces: list[tuple[str, str, float]] = []  # (speaker, text, weight)
        for line in clip.dialogue:
            text = " ".join(line.text.split())
            if not text:
                continue
            for chunk in _split_line(text, capacity, cjk_width, latin_width):
                pieces.append((line.speaker, chunk, max(1.0, _width(chunk, cjk_width, latin_width))))
        bounds = _proportional_bounds([w for _, _, w in pieces], clip.duration_frames)
        for (speaker, text, _), (a, b) in zip(pieces, bounds, strict=True):
            if b > a:  # a clip shorter than its cue count cannot show every cue
                cues.append(Cue(index=len(cues) + 1, start_frame=clip_start + a,
                                end_frame=clip_start + b, speaker=speaker, text=text))
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
        lines.extend(_wrap(paragraph, capacity, cjk_width, latin_width) or [""])
    return "\n".join(lines)


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
    for number, cue in enumerate(cues, start=1):
        language = "zh" if has_cjk(cue.text) else "en"
        blocks.append(
            f"{number}\n{frames_to_srt_time(cue.start_frame, fps)} --> "
            f"{frames_to_srt_time(cue.end_frame, fps)}\n{wrap_text(cue.text, language=language)}\n"
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
    cues: list[Cue], *, work_dir: Path, width: int, height: int, font: Path | None
) -> str | None:
    """A drawtext filter chain burning `cues` (frames relative to the clip start) into a clip.

    Each cue's wrapped text goes to a content-named file in `work_dir` (drawtext reads it with
    `expansion=none`, so `%`, quotes and backslashes render literally). None when no cues.
    """
    if not cues:
        return None
    if font is None and any(has_cjk(cue.text) for cue in cues):
        raise AssemblyError(NO_FONT)
    work_dir = Path(work_dir)
    work_dir.mkdir(parents=True, exist_ok=True)
    fontsize = max(6, round(width / 18))
    border = max(1, fontsize // 4)
    filters = []
    for cue in cues:
        if cue.end_frame <= cue.start_frame:
            continue
        text = wrap_text(cue.text, language="zh" if has_cjk(cue.text) else "en")
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
        text_file = work_dir / f"subtitle-{digest}.txt"
        if not text_file.is_file():
            _write_atomic(text_file, text)
        options = [f"textfile={escape_filter_value(str(text_file.resolve()))}", "expansion=none"]
        if font is not None:
            options.append(f"fontfile={escape_filter_value(str(Path(font).resolve()))}")
        options += [
            f"fontsize={fontsize}",
            "fontcolor=white",
            f"line_spacing={max(1, fontsize // 5)}",
            "box=1",
            "boxcolor=black@0.55",
            f"boxborderw={border}",
            "borderw=1",
            "bordercolor=black",
            "x=(w-text_w)/2",
            # the block's bottom edge sits 12% up from the frame's bottom
            f"y={height}*0.88-text_h",
            f"enable='between(n,{cue.start_frame},{cue.end_frame - 1})'",
        ]
        filters.append("drawtext=" + ":".join(options))
    return ",".join(filters) or None


def _measure(language: str) -> tuple[float, float, float]:
    """(line capacity, width of a CJK char, width of a Latin char) for a language."""
    if language.split("-")[0].lower() in CJK_LANGUAGES:
        return float(CJK_LINE_CHARS), 1.0, 0.5
    return float(LATIN_LINE_CHARS), 2.6, 1.0


def _width(text: str, cjk_width: float, latin_width: float) -> float:
    return sum(cjk_width if _CJK_RE.match(ch) else latin_width for ch in text)


def _wrap(text: str, capacity: float, cjk_width: float, latin_width: float) -> list[str]:
    """Greedy wrap: Latin words stay whole, CJK breaks between characters, never before punctuation."""
    tokens = re.findall(r"[^\s\u2e80-\u9fff\uac00-\ud7af\uf900-\uffef]+|\s+|.", text)
    lines: list[str] = []
    current = ""
    for token in tokens:
        candidate = current + token
        if _width(candidate.rstrip(), cjk_width, latin_width) <= capacity or not current.strip():
            current = candidate
            continue
        if token.isspace():
            lines.append(current.rstrip())
            current = ""
            continue
        if token[0] in _NO_LINE_START and current:
            # carry the last character down with the punctuation instead of starting on it
            lines.append(current[:-1].rstrip())
            current = current[-1] + token
            continue
        # prefer breaking after a comma in the second half of the line over mid-phrase
        cut = max(current.rfind(mark) for mark in "，。！？；：、")
        if cut >= len(current) // 2 and cut < len(current) - 1:
            lines.append(current[: cut + 1].rstrip())
            current = current[cut + 1 :] + token
            continue
        lines.append(current.rstrip())
        current = token
    if current.strip():
        lines.append(current.strip())
    return [line for line in lines if line]


def _split_line(text: str, capacity: float, cjk_width: float, latin_width: float) -> list[str]:
    """Split a dialogue line into cue texts that each wrap into at most two lines."""
    clauses = []
    position = 0
    for match in _CLAUSE_END_RE.finditer(text):
        clauses.append(text[position : match.end()])
        position = match.end()
    if position < len(text):
        clauses.append(text[position:])

    def fits(candidate: str) -> bool:
        return len(_wrap(candidate.strip(), capacity, cjk_width, latin_width)) <= MAX_LINES

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
        lines = _wrap(clause.strip(), capacity, cjk_width, latin_width)
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
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = tempfile.NamedTemporaryFile(
        "w", encoding="utf-8", dir=path.parent, prefix=f".{path.name}.", suffix=".tmp",
        delete=False, newline="\n",
    )
    try:
        with handle:
            handle.write(text)
        os.replace(handle.name, path)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise
