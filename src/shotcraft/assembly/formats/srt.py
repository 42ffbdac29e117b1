"""SRT subtitles: the timeline's cues (assembly.subtitles builds them from the dialogue)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from shotcraft.assembly.formats.base import ExportFormat
from shotcraft.assembly.timeline import Timeline


class SrtFormat(ExportFormat):
    name = "srt"
    suffix = ".srt"
    description = "SRT subtitles"

    def write(self, timeline: Timeline, path: Path, options: Mapping[str, Any]) -> list[Path]:
        from shotcraft.assembly import subtitles

        return [subtitles.write_srt(timeline.subtitles, Path(path), timeline.fps)]
