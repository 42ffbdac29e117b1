"""The storyboard contact sheet: a PNG, and a PDF beside it (frames come from the takes)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from shotcraft.assembly.formats.base import ExportFormat
from shotcraft.assembly.timeline import Timeline


class SheetFormat(ExportFormat):
    name = "sheet"
    suffix = "-sheet.png"
    description = "storyboard contact sheet (PNG + PDF)"

    def targets(self, episode_output: Path, options: Mapping[str, Any]) -> list[tuple[Path, bool]]:
        png = self.path_for(episode_output)
        return [(png, False), (png.with_suffix(".pdf"), False)]

    def write(self, timeline: Timeline, path: Path, options: Mapping[str, Any]) -> list[Path]:
        # the sheet draws with Pillow: imported when one is written, not when the format is
        # listed (every command's start lists the formats, for their flags)
        from shotcraft.assembly.sheet import write_contact_sheet

        return write_contact_sheet(timeline, Path(path))
