"""The storyboard contact sheet: a PNG, and a PDF beside it (frames come from the takes)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from shotcraft.assembly import sheet
from shotcraft.assembly.formats.base import ExportFormat
from shotcraft.assembly.timeline import Timeline


class SheetFormat(ExportFormat):
    name = "sheet"
    suffix = "-sheet.png"
    description = "storyboard contact sheet (PNG + PDF)"

    def write(self, timeline: Timeline, path: Path, options: Mapping[str, Any]) -> list[Path]:
        return sheet.write_contact_sheet(timeline, Path(path))
