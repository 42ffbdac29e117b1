"""An export format: the episode's cut as a CSV shot list (shot, take, first frame, frames)."""

from __future__ import annotations

import csv
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from shotcraft.assembly.formats import ExportFormat
from shotcraft.assembly.timeline import Timeline
from shotcraft.shots.files import atomic_target


class ShotListFormat(ExportFormat):
    name = "shotlist"
    suffix = "-shotlist.csv"
    description = "shot list (CSV)"

    def write(self, timeline: Timeline, path: Path, options: Mapping[str, Any]) -> list[Path]:
        with atomic_target(Path(path)) as temp, open(temp, "w", newline="", encoding="utf-8") as out:
            rows = csv.writer(out)
            rows.writerow(["shot", "take", "start_frame", "frames"])
            start = 0
            for clip in timeline.clips:
                rows.writerow([clip.shot_id, clip.take or "", start, clip.duration_frames])
                start += clip.duration_frames
        return [Path(path)]
