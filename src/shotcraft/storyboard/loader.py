"""Reading a script file: decoding, line endings, and telling Fountain from a Chinese 剧本.

Format detection, first rule that applies:

1. a `.fountain` or `.spmd` file is Fountain;
2. Chinese text with 剧本 markers (第N集, a "1-2 日 内 ..." scene heading, △ action lines,
   人物： lists) is a 剧本;
3. INT./EXT./EST./I/E scene headings, or an all-caps character cue followed by its line, is
   Fountain;
4. text with more Chinese characters than Latin letters is a 剧本; anything else is Fountain.

An explicit `format` always wins. Formats are plugins (storyboard/formats.py): each says how
sure it is of a text, and these rules are the built-in ones' (storyboard/readers.py).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from shotcraft.shots.errors import ScriptError
from shotcraft.shots.settings import GeneralSettings
from shotcraft.storyboard import formats
from shotcraft.storyboard.script import Script, ScriptFormat

FOUNTAIN_SUFFIXES = (".fountain", ".spmd")
# A 100-episode series is about 1 MB of text; 8 MB leaves room for the longest real script
# while keeping a mistaken video or archive from being read whole into memory.
MAX_SCRIPT_MB = 8.0
MAX_SCRIPT_ENV = "SHOTCRAFT_MAX_SCRIPT_MB"

CJK_RE = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
LATIN_RE = re.compile(r"[A-Za-z]")
JUBEN_MARKERS = (
    re.compile(r"第\s*[0-9０-９一二三四五六七八九十百零两]+\s*集"),
    re.compile(r"^\s*[0-9０-９]+\s*[-－—]\s*[0-9０-９]+.*[日夜晨昏].*[内外]", re.MULTILINE),
    re.compile(r"^\s*[0-9０-９]+\s*[-－—]\s*[0-9０-９]+.*[内外].*[日夜晨昏]", re.MULTILINE),
    re.compile(r"^\s*△", re.MULTILINE),
    re.compile(r"^\s*人物\s*[:：]", re.MULTILINE),
)
FOUNTAIN_HEADING = re.compile(r"^\s*(?:INT|EXT|EST|INT\./EXT|INT/EXT|I/E)[.\s]", re.MULTILINE)
# a cue: after a blank line, a line of capitals (optional extension) directly followed by text
FOUNTAIN_CUE = re.compile(
    r"(?:\A|\n[ \t]*\n)[ \t]*[A-Z][A-Z0-9 .'\-]*[A-Z](?:[ \t]*\(.*\))?[ \t]*\^?\n[ \t]*\S"
)


def detect_format(text: str, suffix: str | None = None) -> str:
    """Which script format a script needs, from its file suffix and then its content."""
    return formats.detect(text, suffix)


def _format_of(value: ScriptFormat | str, file: str | None) -> str:
    name = str(value).strip().lower()
    if name not in formats.names():
        known = ", ".join(formats.names())
        raise ScriptError(f"unknown script format {value!r}; installed: {known}", file=file)
    return name


def parse_script(
    text: str, *, path: str | None = None, format: ScriptFormat | str | None = None
) -> Script:
    """Parse script text (Fountain or 剧本, detected unless `format` is given) into a Script."""
    text = normalise_newlines(text.removeprefix("\ufeff"))
    if not text.strip():
        raise ScriptError("the script is empty", file=path)
    suffix = Path(path).suffix if path else None
    chosen = _format_of(format, path) if format is not None else detect_format(text, suffix)
    return formats.get(chosen).parse(text, path=path)


def normalise_newlines(text: str) -> str:
    """CRLF and lone CR line endings become LF."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def decode_script(data: bytes, *, file: str | None = None) -> str:
    """Script bytes as text: UTF-8 (BOM or not), UTF-16 with a BOM, else GB18030."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        # older Chinese tools save 剧本 as GBK/GB18030
        return data.decode("gb18030")
    except UnicodeDecodeError:
        raise ScriptError("not UTF-8 or GB18030 text", file=file) from None


def max_script_bytes() -> int:
    """The largest script `load_script` reads: `max_script_mb` of the settings (MAX_SCRIPT_MB
    by default, SHOTCRAFT_MAX_SCRIPT_MB)."""
    megabytes = GeneralSettings().max_script_mb
    if not megabytes > 0:
        raise ScriptError(f"{MAX_SCRIPT_ENV} must be more than 0 MB, not {megabytes:g}")
    return int(megabytes * 1_000_000)


def _too_big(file: Path, size: int, limit: int, *, more: bool = False) -> ScriptError:
    # a re-import replaces the storyboard, so the way out is several projects, not several files
    at_least = "over " if more else ""
    error = ScriptError(
        f"{file} is {at_least}{size / 1e6:.1f} MB; scripts over {limit / 1e6:g} MB are refused "
        f"(split the series into several projects, or raise {MAX_SCRIPT_ENV})."
    )
    error.file = str(file)
    return error


def load_script(path: str | Path, *, format: ScriptFormat | str | None = None) -> Script:
    """Read a script file and parse it; the format is detected unless given."""
    file = Path(path)
    if not file.exists():
        raise ScriptError("script file not found", file=str(file))
    if file.is_dir():
        raise ScriptError("is a folder, not a script file", file=str(file))
    limit = max_script_bytes()
    try:
        with file.open("rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            if size > limit:
                raise _too_big(file, size, limit)
            # read one byte past the limit: a file still growing (or a FIFO) is caught too
            data = handle.read(limit + 1)
    except OSError as error:
        raise ScriptError(f"cannot read the script ({error.strerror})", file=str(file)) from None
    if len(data) > limit:
        raise _too_big(file, len(data), limit, more=True)
    text = normalise_newlines(decode_script(data, file=str(file)))
    return parse_script(text, path=str(file), format=format)
