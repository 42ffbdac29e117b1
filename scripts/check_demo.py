"""Check what `make demo` produced: a playable 1080×1920 30 fps H.264 + AAC episode whose
duration is the sum of its shots (± 1 frame), plus the SRT, OTIO and contact sheet."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from shotcraft.shots.media import ffprobe_binary, probe


def main(folder: str = "demo") -> int:
    root = Path(folder)
    exports = root / "exports"
    video = exports / "episode-01.mp4"
    info = probe(video)
    shots = subprocess.run(
        [sys.executable, "-m", "shotcraft.studio.cli", "shots", str(root), "--episode", "1", "--json"],
        capture_output=True, text=True, check=True,
    )
    data = json.loads(shots.stdout)
    expected = sum(s["duration_frames"] for sc in data["episodes"][0]["scenes"] for s in sc["shots"])
    problems = []
    if (info.width, info.height) != (1080, 1920):
        problems.append(f"size {info.width}×{info.height}")
    if abs(info.fps - 30) > 0.01:
        problems.append(f"fps {info.fps}")
    if info.codec != "h264" or info.audio_codec != "aac":
        problems.append(f"codecs {info.codec}/{info.audio_codec}")
    if abs(info.frames - expected) > 1:
        problems.append(f"{info.frames} frames, the shots add up to {expected}")
    # decode it all: a playable file decodes without errors
    decode = subprocess.run([ffprobe_binary() or "ffprobe", "-v", "error", "-count_frames", "-i", str(video)],
                            capture_output=True, text=True, check=False)
    if decode.returncode != 0 or decode.stderr.strip():
        problems.append(f"decode errors: {decode.stderr.strip()[:200]}")
    for name in ("episode-01.srt", "episode-01.otio", "episode-01-sheet.png"):
        if not (exports / name).is_file():
            problems.append(f"missing {name}")
    if problems:
        print("demo check failed: " + "; ".join(problems))
        return 1
    print(f"demo check: {video} {info.width}×{info.height} {info.fps:g} fps {info.codec}+{info.audio_codec}, "
          f"{info.frames} frames = the shots' {expected}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(*sys.argv[1:]))
