"""Find the hard cuts in a clip with ffmpeg's scene score (the `select` filter's `scene`).

A frame whose scene score passes the threshold starts a new shot. Cuts closer together than
`min_gap` frames are one cut (a flash or a dissolve's frames). Used to split a multi-shot clip at
its real cuts, and to refuse to split one whose cuts are not where the plan put them.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from shotcraft.shots import ffmpeg
from shotcraft.shots.errors import MediaError

THRESHOLD = 0.3  # ffmpeg's documented example value for scene changes
_TIME = re.compile(r"pts_time:([0-9.]+)")


def detect_cuts(path: Path, fps: float, *, threshold: float = THRESHOLD,
                min_gap: int | None = None) -> list[int]:
    """Frame indices (at `fps`) where a new shot starts in `path`, first frame excluded."""
    gap = min_gap if min_gap is not None else max(1, round(fps / 4))
    with tempfile.TemporaryDirectory(prefix="shotcraft-cuts-") as folder:
        report = Path(folder) / "cuts.txt"  # a plain temp path: nothing from the project in the filter
        ffmpeg.run(["-v", "error", "-nostdin", "-i", str(path), "-an", "-vf",
                    f"select='gt(scene,{threshold})',metadata=print:file={report.as_posix()}",
                    "-f", "null", "-"], what=f"finding the cuts in {Path(path).name}",
                   error=MediaError)
        text = report.read_text() if report.exists() else ""
    cuts: list[int] = []
    for match in _TIME.finditer(text):
        frame = round(float(match[1]) * fps)
        if frame > 0 and (not cuts or frame - cuts[-1] >= gap):
            cuts.append(frame)
    return cuts


def cuts_match(found: list[int], planned: list[int], tolerance: int) -> bool:
    """Whether the clip's cuts are the planned ones: as many, each within `tolerance` frames."""
    return len(found) == len(planned) and all(
        abs(a - b) <= tolerance for a, b in zip(found, planned, strict=True))
