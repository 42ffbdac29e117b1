"""Script bytes → clean text: the encoding, what a file that is not a script looks like, and the
hygiene every script gets before a reader sees it.

What happens, in order (each step is counted in `TextReading` and named in the import report):

1. **What the bytes are.** A PDF, an image, a Word or ZIP file, audio, video or other binary data
   is refused with one sentence naming what it looks like; an empty file too.
2. **Encoding.** A byte-order mark says UTF-8, UTF-16 or UTF-32; UTF-16 without one is known by
   its zero bytes; then UTF-8; then GBK, and GB18030 (its superset) for the rest.
3. **Line endings.** CRLF, lone CR and the Unicode line/paragraph separators become LF; a BOM
   left inside the text is dropped.
4. **Invisible characters.** Zero-width spaces and joiners, soft hyphens, word joiners and
   direction marks are removed: they make `顾言\u200b` a second 顾言.
5. **HTML entities** (`&quot;`, `&amp;`, `&#8220;`) left by web editors are decoded.
6. **Compatibility forms** (Unicode NFKC) of the characters a script's structure depends on:
   Kangxi radicals and CJK compatibility ideographs (`⽇` → `日`), full-width letters and digits
   (`１－１` keeps its dash, `１` → `1`), no-break and other typographic spaces. Full-width
   punctuation (`，：（）`) and the ideographic space are kept as written: they are the text of
   the lines, and the readers fold them themselves.
"""

from __future__ import annotations

import codecs
import html
import re
import unicodedata

from pydantic import BaseModel

from shotcraft.shots.errors import ScriptError

__all__ = ["CJK_RE", "TextReading", "clean_text", "decode", "describe_binary", "looks_like_prose"]

# a Chinese (or Japanese kanji) character: the unified and compatibility ideographs
CJK_RE = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


class TextReading(BaseModel):
    """How a script file was read: the encoding and what the hygiene changed."""

    encoding: str = "UTF-8"  # as named in the report: UTF-8, UTF-8 (BOM), UTF-16 LE, GBK, GB18030…
    line_endings: str = "LF"  # LF, CRLF, CR or mixed
    zero_width: int = 0  # invisible characters removed
    html_entities: int = 0  # entities decoded
    compatibility: int = 0  # characters replaced by their NFKC form (⽇ → 日, １ → 1)

    def changes(self) -> list[str]:
        """What the hygiene did, in words; empty when the file was already clean."""
        said = []
        if self.encoding not in ("UTF-8", "ASCII"):
            said.append(f"read as {self.encoding}")
        if self.line_endings != "LF":
            said.append(f"{self.line_endings} line endings made LF")
        if self.zero_width:
            said.append(f"{self.zero_width} invisible characters removed")
        if self.html_entities:
            said.append(f"{self.html_entities} HTML entities decoded")
        if self.compatibility:
            said.append(f"{self.compatibility} compatibility characters normalised (NFKC)")
        return said


# -- 1. what the bytes are -------------------------------------------------------------------------

_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "a PDF document"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"PK\x03\x04", "a ZIP archive (a .docx, .xlsx or .pages file is one)"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Word or Excel document (.doc/.xls)"),
    (b"{\\rtf", "a rich-text (RTF) document"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"Rar!", "a RAR archive"),
    (b"ID3", "an MP3 audio file"),
    (b"fLaC", "a FLAC audio file"),
    (b"OggS", "an Ogg audio or video file"),
    (b"\x1aE\xdf\xa3", "a Matroska/WebM video"),
    (b"SQLite format 3\x00", "an SQLite database"),
)


def describe_binary(data: bytes) -> str | None:
    """What `data` looks like when it is not text ("a PDF document"), or None for text."""
    if not data:
        return "an empty file"
    head = data[:64]
    for magic, what in _SIGNATURES:
        if head.startswith(magic):
            return what
    if head[:4] == b"RIFF" and head[8:12] in (b"WAVE", b"AVI ", b"WEBP"):
        return {b"WAVE": "a WAV audio file", b"AVI ": "an AVI video", b"WEBP": "a WebP image"}[head[8:12]]
    if head[4:8] == b"ftyp":
        return "an MP4/MOV video or audio file"
    if data.startswith((b"\xff\xfe", b"\xfe\xff", b"\xef\xbb\xbf")) or _utf16_without_bom(data):
        return None  # text with a byte-order mark or UTF-16's zero bytes
    sample = data[:8192]
    if b"\x00" in sample:
        return "binary data (it holds zero bytes, which text never does)"
    controls = sum(1 for b in sample if b < 9 or 13 < b < 32)
    if controls > len(sample) // 20:
        return "binary data (it is mostly control bytes)"
    return None


def _utf16_without_bom(data: bytes) -> str | None:
    """"utf-16-le"/"utf-16-be" when every other byte of the start is zero (ASCII as UTF-16)."""
    sample = data[:4096]
    sample = sample[: len(sample) // 2 * 2]
    if len(sample) < 4:
        return None
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    # ASCII, digits and newlines as UTF-16 carry a zero byte, always on the same side
    if odd and even <= odd // 10:
        codec = "utf-16-le"
    elif even and odd <= even // 10:
        codec = "utf-16-be"
    else:
        return None
    try:
        text = sample.decode(codec)
    except UnicodeDecodeError:
        return None
    printable = sum(1 for c in text if c.isprintable() or c in "\n\r\t")
    return codec if printable >= len(text) * 0.95 else None


# -- 2. encoding -----------------------------------------------------------------------------------

_BOMS: tuple[tuple[bytes, str, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le", "UTF-32 LE"),
    (codecs.BOM_UTF32_BE, "utf-32-be", "UTF-32 BE"),
    (codecs.BOM_UTF8, "utf-8", "UTF-8 (BOM)"),
    (codecs.BOM_UTF16_LE, "utf-16-le", "UTF-16 LE"),
    (codecs.BOM_UTF16_BE, "utf-16-be", "UTF-16 BE"),
)


def decode(data: bytes, *, file: str | None = None) -> tuple[str, str]:
    """(text, encoding name) of script bytes; a ScriptError for bytes no encoding reads."""
    for bom, codec, name in _BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom):].decode(codec), name
            except UnicodeDecodeError:
                raise ScriptError(f"starts with a {name} byte-order mark but is not {name} text",
                                  file=file) from None
    bare = _utf16_without_bom(data)
    if bare:
        try:
            return data.decode(bare), "UTF-16 LE" if bare.endswith("le") else "UTF-16 BE"
        except UnicodeDecodeError:
            pass
    try:
        text = data.decode("utf-8")
        return text, "ASCII" if text.isascii() else "UTF-8"
    except UnicodeDecodeError:
        pass
    # older Chinese tools save 剧本 as GBK; GB18030 is its superset (and decodes the rest of GBK's gaps)
    for codec, name in (("gbk", "GBK"), ("gb18030", "GB18030")):
        try:
            return data.decode(codec), name
        except UnicodeDecodeError:
            continue
    raise ScriptError("not UTF-8, UTF-16, GBK or GB18030 text; save it as UTF-8 and import that",
                      file=file)


# -- 3-6. hygiene ----------------------------------------------------------------------------------

_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e\u200e\u200f\u202a\u202b\u202c\u202d\u202e" \
             "\u2066\u2067\u2068\u2069"
_INVISIBLE_SET = frozenset(_INVISIBLE)
_ENTITY_RE = re.compile(r"&(?:[A-Za-z][A-Za-z0-9]{1,31}|#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6});")
# the compatibility characters a script's structure depends on, with their NFKC forms
_COMPAT_RANGES = ((0x2E80, 0x2EFF), (0x2F00, 0x2FDF), (0xF900, 0xFAFF), (0x2F800, 0x2FA1F),
                  (0xFF10, 0xFF19), (0xFF21, 0xFF3A), (0xFF41, 0xFF5A), (0x2000, 0x200A))
_COMPAT: dict[str, str] = {}
for _low, _high in _COMPAT_RANGES:
    for _cp in range(_low, _high + 1):
        _char = chr(_cp)
        _form = unicodedata.normalize("NFKC", _char)
        if _form != _char:
            _COMPAT[_char] = _form if _form.strip() else " "
_COMPAT["\u00a0"] = " "
_COMPAT["\u202f"] = " "


def clean_text(text: str) -> tuple[str, TextReading]:
    """`text` with LF line endings, no invisible characters, entities decoded and compatibility
    forms normalised, and a TextReading counting each change (its encoding left as UTF-8)."""
    crlf = text.count("\r\n")
    lone_cr = text.count("\r") - crlf
    lone_lf = text.count("\n") - crlf
    styles = [name for name, count in (("CRLF", crlf), ("CR", lone_cr), ("LF", lone_lf)) if count]
    line_endings = styles[0] if len(styles) == 1 else ("mixed" if styles else "LF")
    if crlf or lone_cr:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "\u2028" in text or "\u2029" in text:
        text = text.replace("\u2028", "\n").replace("\u2029", "\n")
    present = set(text)  # one pass in C; the steps below run only for what is there
    zero_width = 0
    invisible = present & _INVISIBLE_SET
    if invisible:
        zero_width = sum(text.count(c) for c in invisible)
        text = text.translate(dict.fromkeys(map(ord, invisible)))
    entities = 0
    if "&" in present:
        def unescape(match: re.Match[str]) -> str:
            nonlocal entities
            plain = html.unescape(match.group())
            entities += plain != match.group()
            return plain

        text = _ENTITY_RE.sub(unescape, text)
    compat = 0
    forms = present & _COMPAT.keys()
    if forms:
        compat = sum(text.count(c) for c in forms)
        text = text.translate({ord(c): _COMPAT[c] for c in forms})
    return text, TextReading(line_endings=line_endings, zero_width=zero_width,
                             html_entities=entities, compatibility=compat)


# -- prose -----------------------------------------------------------------------------------------

_SCRIPT_LINE = re.compile(
    r"^\s*(?:[#*【\[]*\s*)?(?:"
    r"第\s*[0-9一二三四五六七八九十百零两]+\s*[集场章回幕]"  # 第1集 / 第1场
    r"|场\s*\d|\d+\s*[-—–]\s*\d+"  # 场1 / 1-1
    r"|(?:INT|EXT|EST|I/E)[./\s]"  # INT. / EXT.
    r"|[△▲∆※◆]"  # action marks
    r"|人物\s*[:：]|出场人物|Scene\s+\d"
    r"|[^\s:：，。！？]{1,12}\s*(?:[（(][^（）()]*[）)])?\s*[:：]\s*\S"  # 名：台词
    r")",
    re.IGNORECASE,
)


def looks_like_prose(text: str, *, sample: int = 400) -> bool:
    """True when fewer than one line in ten of the first `sample` lines has any script mark
    (a heading, an action mark, a cast list or a speaker cue): a novel, a treatment, a story."""
    lines = [line for line in text.splitlines() if line.strip()][:sample]
    if len(lines) < 5:
        return False
    marked = sum(1 for line in lines if _SCRIPT_LINE.match(line))
    return marked * 10 < len(lines)
