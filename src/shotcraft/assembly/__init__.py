"""Assembly: picked takes → episode MP4 (+ SRT, OTIO, contact sheet)."""

from shotcraft.assembly.episode import (
    ClipRow,
    ExportOptions,
    ExportResult,
    export_episode,
    parse_transition,
)
from shotcraft.assembly.normalize import CacheStats, normalize_clip, normalize_segments
from shotcraft.assembly.presets import DEFAULT_PRESET, PRESETS, Preset, get_preset
from shotcraft.assembly.runner import run
from shotcraft.assembly.timeline import Alternate, Clip, ClipSource, Timeline

__all__ = [
    "DEFAULT_PRESET",
    "PRESETS",
    "Alternate",
    "CacheStats",
    "Clip",
    "ClipRow",
    "ClipSource",
    "ExportOptions",
    "ExportResult",
    "Preset",
    "Timeline",
    "export_episode",
    "get_preset",
    "normalize_clip",
    "normalize_segments",
    "parse_transition",
    "run",
]
