"""Real MP4 clips for the provider stand-ins: a size, a rate, a length, and hard cuts.

Each shot of a multi-shot clip is ffmpeg's `testsrc2` turned to another hue (and negated every
other shot), so a shot-boundary detector sees a cut exactly where the stand-in put one and
nowhere else. Clips are made once per process and shape (ultrafast x264, high CRF: tiny files).
"""

from __future__ import annotations

import subprocess
import tempfile
import threading
from pathlib import Path

from shotcraft.shots.media import ffmpeg_binary

_CLIPS: dict[tuple[int, int, int, tuple[int, ...], bool], bytes] = {}
_LOCK = threading.Lock()


def clip(width: int, height: int, fps: int, frames: int, *, cuts: tuple[int, ...] = (),
         sound: bool = False) -> bytes:
    """An H.264 MP4 of `frames` frames at `fps`, cut hard at each frame index in `cuts` (with an
    AAC tone when `sound`)."""
    key = (width, height, fps, (frames, *cuts), sound)
    with _LOCK:
        if key in _CLIPS:
            return _CLIPS[key]
        bounds = [0, *sorted(c for c in cuts if 0 < c < frames), frames]
        inputs: list[str] = []
        for index, (start, end) in enumerate(zip(bounds, bounds[1:], strict=False)):
            look = f",hue=h={index * 97 % 360}" + (",negate" if index % 2 else "")
            inputs += ["-f", "lavfi", "-i",
                       f"testsrc2=size={width}x{height}:rate={fps},trim=end_frame={end - start}"
                       f"{look},setpts=PTS-STARTPTS"]
        parts = len(bounds) - 1
        graph = "".join(f"[{i}:v]" for i in range(parts)) + f"concat=n={parts}:v=1:a=0[v]"
        audio_in = (["-f", "lavfi", "-t", f"{frames / fps:.4f}", "-i",
                     "sine=frequency=440:sample_rate=48000"] if sound else [])
        audio_map = ["-map", f"{parts}:a", "-c:a", "aac", "-b:a", "64k", "-ac", "2"] if sound else []
        with tempfile.TemporaryDirectory(prefix="stand-in-clip-") as folder:
            out = Path(folder) / "clip.mp4"
            subprocess.run(
                [ffmpeg_binary(), "-v", "error", *inputs, *audio_in, "-filter_complex", graph,
                 "-map", "[v]", *audio_map, "-r", str(fps), "-c:v", "libx264",
                 "-preset", "ultrafast", "-crf", "45", "-pix_fmt", "yuv420p",
                 "-movflags", "+faststart", str(out)],
                check=True, capture_output=True)
            _CLIPS[key] = out.read_bytes()
        return _CLIPS[key]
