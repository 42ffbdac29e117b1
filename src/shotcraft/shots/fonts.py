"""Which characters a font can draw, and fallback fonts for the ones it cannot (via fontconfig).

Burned subtitles, previz captions and the contact sheet draw with one CJK font; emoji, Hebrew or
Arabic in a line are missing from it. `fonts_for` adds, per character the main font lacks, the
font fontconfig says covers it (DejaVu for Hebrew and Arabic, Symbola for emoji), and
`undrawable` names what no installed font can draw, so a caller can say so instead of drawing
tofu boxes. Without fontconfig (`fc-scan`, `fc-list`) nothing is known: no fallbacks, no warning.
"""

from __future__ import annotations

import bisect
import functools
import shutil
import subprocess
import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import Any

# faces to avoid as a fallback when a regular sans one covers the character too
_PLAIN_RANK = ("mono", "bold", "oblique", "italic", "serif", "condensed", "light", "_hint")


@functools.cache
def font_charset(path: Path) -> tuple[tuple[int, int], ...] | None:
    """The code point ranges the font's first face covers; None when fontconfig cannot tell."""
    fc_scan = shutil.which("fc-scan")
    if fc_scan is None:
        return None
    result = subprocess.run([fc_scan, "--format", "%{charset}\n", str(path)],
                            capture_output=True, text=True, check=False)
    first = result.stdout.splitlines()[0] if result.returncode == 0 and result.stdout else ""
    ranges = []
    for part in first.split():
        low, _, high = part.partition("-")
        try:
            ranges.append((int(low, 16), int(high or low, 16)))
        except ValueError:
            return None
    return tuple(sorted(ranges)) or None


def covers(path: Path, char: str) -> bool | None:
    """Whether the font has a glyph for `char`; None when unknown."""
    ranges = font_charset(Path(path))
    if ranges is None:
        return None
    code = ord(char)
    at = bisect.bisect_right(ranges, (code, 0x10FFFF)) - 1
    return at >= 0 and ranges[at][0] <= code <= ranges[at][1]


def needs_glyph(char: str) -> bool:
    """False for spaces, controls, joiners, direction marks and variation selectors."""
    if char.isspace():
        return False
    return unicodedata.category(char) not in ("Cc", "Cf", "Zs", "Zl", "Zp") and not (
        "\ufe00" <= char <= "\ufe0f" or "\U000e0100" <= char <= "\U000e01ef")


@functools.cache
def fallback_font(char: str) -> Path | None:
    """A font file fontconfig says covers `char` (a regular sans face first), or None."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return None
    result = subprocess.run([fc_list, f":charset={ord(char):x}", "file"],
                            capture_output=True, text=True, check=False)
    files = sorted({line.split(":")[0].strip() for line in result.stdout.splitlines() if line.strip()},
                   key=lambda name: (sum(word in name.lower() for word in _PLAIN_RANK), name))
    for file in files:
        # .pcf/.otb bitmap faces cannot be scaled to a subtitle's size
        if Path(file).suffix.lower() in (".ttf", ".otf", ".ttc") and Path(file).is_file():
            return Path(file)
    return None


def fonts_for(text: str, primary: Path | None) -> list[Path]:
    """`primary`, then the fallback fonts `text` needs for the characters `primary` lacks."""
    fonts = [Path(primary)] if primary is not None else []
    for char in dict.fromkeys(text):
        if not needs_glyph(char) or any(covers(f, char) is not False for f in fonts):
            continue  # drawn already (or fontconfig cannot tell)
        found = fallback_font(char)
        if found is not None and found not in fonts:
            fonts.append(found)
    return fonts


def undrawable(text: str, fonts: Sequence[Path]) -> list[str]:
    """The distinct characters of `text` that none of `fonts` can draw (in order of appearance).

    Empty when fontconfig cannot tell, so an unknown is never reported as missing.
    """
    if not fonts or any(font_charset(Path(f)) is None for f in fonts):
        return []
    return [char for char in dict.fromkeys(text)
            if needs_glyph(char) and not any(covers(f, char) for f in fonts)]


def missing_glyphs_sentence(where: str, chars: Sequence[str], what: str) -> str:
    """E.g. "E01-S01-003: 2 characters cannot be drawn in burned subtitles: 🦄 ✡"."""
    shown = " ".join(chars[:12]) + (" …" if len(chars) > 12 else "")
    count = f"{len(chars)} character{'s' if len(chars) != 1 else ''}"
    return f"{where}: {count} cannot be drawn in {what} (no installed font has them): {shown}"


def font_runs(text: str, fonts: Sequence[Path]) -> list[tuple[str, Path]]:
    """`text` cut into (text, font) runs in logical order, each character in the first font of
    `fonts` that has it (the first font when none has it); spaces stay with the run before."""
    runs: list[tuple[str, Path]] = []
    for char in text:
        if runs and not needs_glyph(char):
            path = runs[-1][1]
        else:
            path = next((Path(f) for f in fonts if covers(Path(f), char) is not False), Path(fonts[0]))
        if runs and runs[-1][1] == path:
            runs[-1] = (runs[-1][0] + char, path)
        else:
            runs.append((char, path))
    return runs


@functools.cache
def pil_font(path: Path, size: int) -> Any:
    """Pillow's FreeType font for `path` at `size` pixels, loaded once."""
    from PIL import ImageFont

    return ImageFont.truetype(str(path), size)


def draw_text(draw: Any, xy: tuple[float, float], text: str, *, font: Any, path: Path | None,
              fill: Any) -> float:
    """Draw `text` with Pillow at `xy` (top left) in `font` (loaded from `path`), each character
    the font lacks in a fallback font on the same baseline; returns the width drawn."""
    fonts = fonts_for(text, path) if path is not None else []
    if len(fonts) < 2 or not hasattr(font, "getmetrics"):
        draw.text(xy, text, font=font, fill=fill)
        return float(font.getlength(text))
    x, y = xy
    baseline = y + font.getmetrics()[0]
    for run, run_path in font_runs(text, fonts):
        run_font = font if run_path == fonts[0] else pil_font(run_path, int(font.size))
        draw.text((x, baseline), run, font=run_font, fill=fill, anchor="ls")
        x += float(run_font.getlength(run))
    return x - xy[0]
