"""Export options, declared once: the CLI's `export` flags and the studio's export screen are
both built from `export_declarations()`, and both turn what the user gave into ExportOptions
with `export_request`, so neither can offer what the other lacks.

The list is the episode-level options (preset, subtitles and their look, transition, sound,
strict, output…) followed by each export format's own options as the format registry declares
them (assembly.formats: `--bundle`, `--jianying-drafts`, …), so a new format's option appears
in both places with no code here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from shotcraft.assembly.episode import parse_sfx
from shotcraft.assembly.formats import formats as export_formats
from shotcraft.assembly.formats import names as format_names
from shotcraft.assembly.presets import PRESETS
from shotcraft.assembly.subtitle_style import PRESETS as SUBTITLE_PRESETS
from shotcraft.projects import export_options

Kind = Literal["choice", "bool", "switch", "path", "int", "float", "text", "formats", "many"]


class Declared(BaseModel):
    """One export option: its CLI flag(s), its widget in the studio, its help."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    name: str  # the key in the values both front-ends collect
    flag: str  # "--preset"; a switch is "--take-audio/--no-take-audio"
    kind: Kind
    help: str
    label: str
    default: Any = None
    choices: Callable[[], Sequence[str]] | None = None
    short: str | None = None  # "-o"
    format_option: bool = False  # declared by an export format (assembly.formats)
    alias: bool = False  # the CLI's short way to a choice the studio shows otherwise

    def flags(self) -> list[str]:
        return [self.short, self.flag] if self.short else [self.flag]


def _static(*values: str) -> Callable[[], Sequence[str]]:
    return lambda: values


EPISODE_OPTIONS: tuple[Declared, ...] = (
    Declared(name="output", flag="--output", short="-o", kind="path", label="Output MP4",
             help="Output MP4 (default: exports/episode-NN.mp4)."),
    Declared(name="preset", flag="--preset", kind="choice", label="Preset", default="vertical-1080",
             choices=lambda: list(PRESETS), help="The picture size: vertical-1080, vertical-720 or landscape-1080."),
    Declared(name="subtitles", flag="--subtitles", kind="choice", label="Subtitles", default="srt",
             choices=_static("srt", "burn", "none"), help="srt (a side file), burn (in the picture) or none."),
    Declared(name="subtitle_preset", flag="--subtitle-preset", kind="choice", label="Subtitle place",
             choices=lambda: list(SUBTITLE_PRESETS),
             help="Where burned subtitles go: inside douyin's, kuaishou's, wechat-channels' or a "
                  "player's (generic) safe area (default: douyin for vertical, generic otherwise)."),
    Declared(name="subtitle_size", flag="--subtitle-size", kind="int", label="Subtitle size",
             help="Burned subtitles' font size in pixels of a 1080-pixel-wide frame (default: the preset's, 50 or 60)."),
    Declared(name="subtitle_font", flag="--subtitle-font", kind="path", label="Subtitle font",
             help="A font file for burned subtitles (default: the installed CJK font)."),
    Declared(name="subtitle_outline", flag="--subtitle-outline", kind="int", label="Outline",
             help="Burned subtitles' outline width in pixels of a 1080-pixel-wide frame (0: none)."),
    Declared(name="subtitle_position", flag="--subtitle-position", kind="float", label="Subtitle bottom",
             help="Where burned subtitles end, as a share of the height (0.76 = 76 % down), "
                  "instead of the preset's place."),
    Declared(name="transition", flag="--transition", kind="text", label="Transitions", default="cut",
             help="cut or crossfade[:FRAMES]."),
    Declared(name="voice", flag="--voice", kind="choice", label="Voice",
             choices=_static("none", "bible", "scratch"),
             help="bible: each line in its character's voice; scratch: one voice reads every "
                  "line; none: no voice."),
    Declared(name="music", flag="--music", kind="path", label="Music",
             help="A music bed, ducked under dialogue."),
    Declared(name="sfx", flag="--sfx", kind="many", label="Sound effects",
             help="SHOT_ID=FILE: a sound effect from the shot's first frame (repeatable; in the "
                  "studio, comma-separated)."),
    Declared(name="take_audio", flag="--take-audio/--no-take-audio", kind="switch",
             label="Takes' own sound", default=True,
             help="Keep the takes' own sound (e.g. Kling native sound) in the mix."),
    Declared(name="strict", flag="--strict", kind="bool", label="Strict: never cut a line",
             default=False,
             help="Refuse to export when a line would be cut (--voice bible); nothing is written."),
    Declared(name="video", flag="--video/--no-video", kind="switch", label="video (MP4)", default=True,
             help="--no-video: write only the side files, no MP4 encode."),
    Declared(name="formats", flag="--format", kind="formats", label="Side files",
             choices=lambda: format_names(),
             help="Also write this side file (repeatable): " + ", ".join(format_names()) + "."),
    Declared(name="otio", flag="--otio", kind="bool", label="OTIO", default=False, alias=True,
             help="The same as --format otio."),
    Declared(name="sheet", flag="--sheet", kind="bool", label="Sheet", default=False, alias=True,
             help="The same as --format sheet."),
)


def export_declarations() -> list[Declared]:
    """Every export option, episode-level first, then the formats' own (each once)."""
    found = list(EPISODE_OPTIONS)
    seen = {d.name for d in found}
    for fmt in export_formats():
        for option in fmt.options:
            if option.name in seen:
                continue
            seen.add(option.name)
            found.append(Declared(name=option.name, flag=option.flag, format_option=True,
                                  kind="bool" if option.type == "bool" else "path",
                                  default=option.default, label=option.flag, help=option.help))
    return found


def export_request(values: Mapping[str, Any], *, language: str) -> tuple[Any, Path | None]:
    """(ExportOptions, output path or None) from what a front-end collected, by declaration
    name; a bad value is a SpecError naming the option."""
    declared = {d.name: d for d in export_declarations()}
    unknown = set(values) - set(declared)
    if unknown:
        raise ValueError(f"not export options: {', '.join(sorted(unknown))}")
    given = {k: v for k, v in values.items() if v is not None}
    fields = {name: given[name] for name, d in declared.items()
              if name in given and not d.format_option and name not in ("output", "sfx")}
    options = export_options(
        **fields, sfx=parse_sfx(list(given.get("sfx") or [])),
        format_options={name: given[name] for name, d in declared.items()
                        if d.format_option and name in given},
        language="zh" if language.startswith("zh") else "en")
    output = given.get("output")
    return options, Path(output).expanduser() if output else None
