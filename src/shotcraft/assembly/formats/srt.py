"""SRT subtitles: the timeline's cues (assembly.subtitles builds them from the dialogue)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from shotcraft.assembly import subtitles
from shotcraft.assembly.formats.base import ExportFormat
from shotcraft.assembly.timeline import Timeline
from shotcraft.shots.files import atomic_target


class SrtFormat(ExportFormat):
    name = "srt"
    suffix = ".srt"
    description = "SRT subtitles"

    def write(self, timeline: Timeline, path: Path, options: Mapping[str, Any]) -> list[Path]:
        # atomic_target gives the file the umask's mode (write_srt alone leaves a temp's 0600)
        with atomic_target(Path(path)) as temp:
            subtitles.write_srt(timeline.subtitles, temp, timeline.fps)
        return [Path(path)]
