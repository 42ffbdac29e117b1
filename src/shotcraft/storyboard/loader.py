"""Reading a script file: decoding, line endings, and telling Fountain from a Chinese 剧本.

Format detection, first rule that applies:

1. a `.fountain` or `.spmd` file is Fountain;
2. Chinese text with 剧本 markers (第N集, a "1-2 日 内 ..." scene heading — also in bold or
   after Markdown `#` —, △ ∆ ▲ action lines, 人物： lists) is a 剧本;
3. speeches written on one line (`John: (beat) Hello.`, at least three, and more than twice the
   Fountain cues) are the 剧本 line layout, in English too;
4. INT./EXT./EST./I/E scene headings, or an all-caps character cue followed by its line, is
   Fountain;
5. text with more Chinese characters than Latin letters is a 剧本; anything else is Fountain.

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
from shotcraft.storyboard.text import (
    clean_text,
    decode,
    describe_binary,
    looks_like_prose,
)

FOUNTAIN_SUFFIXES = (".fountain", ".spmd")
# A 100-episode series is about 1 MB of text; 8 MB leaves room for the longest real script
# while keeping a mistaken video or archive from being read whole into memory.
MAX_SCRIPT_MB = 8.0
MAX_SCRIPT_ENV = "SHOTCRAFT_MAX_SCRIPT_MB"

LATIN_RE = re.compile(r"[A-Za-z]")
_LEAD = r"^[ \t]*(?:[#*【\[]+[ \t]*)?"  # Markdown heading marks, bold, a bracket
JUBEN_MARKERS = (
    re.compile(r"第\s*[0-9０-９一二三四五六七八九十百零两]+\s*集"),
    re.compile(_LEAD + r"场?\s*[0-9０-９]+\s*[-－—–]\s*[0-9０-９]+.*[日夜晨昏暗].*[内外]", re.MULTILINE),
    re.compile(_LEAD + r"场?\s*[0-9０-９]+\s*[-－—–]\s*[0-9０-９]+.*[内外].*[日夜晨昏暗]", re.MULTILINE),
    re.compile(r"^\s*[△▲∆]", re.MULTILINE),
    re.compile(_LEAD + r"(?:出场)?人物(?:小传)?\s*[:：】]", re.MULTILINE),
)
FOUNTAIN_HEADING = re.compile(r"^\s*(?:INT|EXT|EST|INT\./EXT|INT/EXT|I/E)[.\s]", re.MULTILINE)
# a cue: after a blank line, a line of capitals (optional extension) directly followed by text
FOUNTAIN_CUE = re.compile(
    r"(?:\A|\n[ \t]*\n)[ \t]*[A-Z][A-Z0-9 .'\-]*[A-Z](?:[ \t]*\(.*\))?[ \t]*\^?\n[ \t]*\S"
)
# a speech written on one line, "John: (beat) Hello." — the line layout, in English
_COLON_LINE = re.compile(r"^[ \t]*([A-Za-z][A-Za-z .'\-]{0,30}?)[ \t]*(?:\([^()\n]*\))?[ \t]*:[ \t]*\S",
                         re.MULTILINE)
_TITLE_KEYS = frozenset("title credit author authors source draft date contact copyright notes "
                        "revision synopsis characters logline".split())


def colon_speeches(text: str) -> int:
    """Lines like `John: Hello.`, not counting title-page keys or `CLOSE ON:`-style directions."""
    count = 0
    for match in _COLON_LINE.finditer(text):
        name = match.group(1).strip()
        if name.lower() in _TITLE_KEYS or len(name.split()) > 3:
            continue
        if name.isupper() and name.endswith((" ON", " TO", " IN", " OUT", " OVER")):
            continue
        count += 1
    return count


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
    """Parse script text (Fountain or 剧本, detected unless `format` is given) into a Script.

    The text gets the hygiene of `storyboard.text.clean_text` first (line endings, invisible
    characters, HTML entities, compatibility forms); `Script.reading` says what it changed."""
    text, reading = clean_text(text.removeprefix("\ufeff"))
    if not text.strip():
        raise ScriptError("the script is empty", file=path)
    suffix = Path(path).suffix if path else None
    chosen = _format_of(format, path) if format is not None else detect_format(text, suffix)
    script = formats.get(chosen).parse(text, path=path)
    script.reading = reading
    return script


def normalise_newlines(text: str) -> str:
    """CRLF and lone CR line endings become LF."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def decode_script(data: bytes, *, file: str | None = None) -> str:
    """Script bytes as text: UTF-8/16/32 (BOM or not), then GBK/GB18030 (see storyboard.text)."""
    return decode(data, file=file)[0]


def max_script_bytes() -> int:
    """The largest script `load_script` reads: `max_script_mb` of the settings (MAX_SCRIPT_MB
    by default, SHOTCRAFT_MAX_SCRIPT_MB)."""
    megabytes = GeneralSettings().max_script_mb
    if not megabytes > 0:
        raise ScriptError(f"{MAX_SCRIPT_ENV} must be more than 0 MB, not {megabytes:g}")
    return int(megabytes * 1_000_000)


def _too_big(file: Path, size: int, limit: int, head: bytes, *, more: bool = False) -> ScriptError:
    # a re-import replaces the storyboard, so the way out is several projects, not several files
    at_least = "over " if more else ""
    looks = describe_binary(head)
    if looks is None:
        text = head.decode("utf-8", errors="ignore") or head.decode("gb18030", errors="ignore")
        looks = ("prose (a novel or a book), not a script" if looks_like_prose(text)
                 else "a script, and a very long one")
    error = ScriptError(
        f"{file} is {at_least}{size / 1e6:.1f} MB and looks like {looks}; scripts over "
        f"{limit / 1e6:g} MB are refused (split the series into several projects, or raise "
        f"{MAX_SCRIPT_ENV})."
    )
    error.file = str(file)
    return error


def _not_a_script(file: Path, looks: str) -> ScriptError:
    hint = ("write or paste the script into it first" if looks == "an empty file"
            else "export it as plain text (.txt) or Fountain (.fountain) and import that")
    error = ScriptError(f"{file} looks like {looks}, not a script; {hint}.")
    error.file = str(file)
    return error


def read_script_text(path: str | Path) -> tuple[str, str]:
    """(text, encoding name) of a script file: refused, in one sentence naming the file, when it
    is missing, a folder, too big, empty, or not text (a PDF, an image, a Word file...)."""
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
                raise _too_big(file, size, limit, handle.read(65536))
            # read one byte past the limit: a file still growing (or a FIFO) is caught too
            data = handle.read(limit + 1)
    except OSError as error:
        raise ScriptError(f"cannot read the script ({error.strerror})", file=str(file)) from None
    if len(data) > limit:
        raise _too_big(file, len(data), limit, data[:65536], more=True)
    looks = describe_binary(data)
    if looks is not None:
        raise _not_a_script(file, looks)
    return decode(data, file=str(file))


def load_script(path: str | Path, *, format: ScriptFormat | str | None = None) -> Script:
    """Read a script file and parse it; the format is detected unless given."""
    text, encoding = read_script_text(path)
    if not text.strip():
        raise _not_a_script(Path(path), "an empty file")
    script = parse_script(text, path=str(path), format=format)
    if script.reading is not None:
        script.reading.encoding = encoding
    return script
