"""Assembly: picked takes → episode MP4 (+ SRT, OTIO, contact sheet)."""

from assembly.episode import ClipRow, ExportOptions, ExportResult, export_episode, parse_transition
from assembly.normalize import CacheStats, normalize_clip, normalize_segments
from assembly.presets import DEFAULT_PRESET, PRESETS, Preset, get_preset
from assembly.runner import run
from assembly.timeline import Alternate, Clip, ClipSource, Timeline

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
