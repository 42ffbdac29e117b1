"""Editor side files without the MP4: `export --no-video` against a full export of the same cut.

Generates S shots with 3 small takes each (the pick and two alternates), then times in one
process: (a) a cold-cache MP4 export at vertical-720, (b) every editor format (otio, otioz,
fcpxml, edl, srt) with --no-video, from take lengths the project already knows, (c) the same
with take lengths unknown (one ffprobe per take, as before the timeline carried them).
Goals: (b)/(a) ≤ 0.05 — an editor hand-off must not cost an encode.

    .venv/bin/python benchmarks/side_files.py --shots 30
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from shotcraft.assembly.episode import ExportOptions, export_episode  # noqa: E402
from shotcraft.assembly.timeline import Alternate, Clip, Timeline  # noqa: E402
from shotcraft.shots.media import ffmpeg_binary, sha256_file  # noqa: E402

FORMATS = ["otio", "otioz", "fcpxml", "edl", "srt"]


def make_take(path: Path, index: int) -> Path:
    subprocess.run(  # noqa: S603 - an argument list, never a shell
        [ffmpeg_binary(), "-v", "error", "-y", "-f", "lavfi", "-t", "1",
         "-i", "testsrc2=s=270x480:r=30", "-vf", f"hue=h={index * 7 % 360}",
         "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(path)],
        check=True,
    )
    return path


def timeline_for(takes: list[list[Path]], *, known: bool) -> Timeline:
    frames = 30 if known else None
    clips = [
        Clip(shot_id=f"E01-S{i // 10 + 1:02d}-{i % 10 + 1:03d}", scene_id=f"1-{i // 10 + 1}",
             duration_frames=30, media=shot[0], media_hash=sha256_file(shot[0]), take=1,
             media_frames=frames,
             alternates=[Alternate(take=n + 2, path=str(p), frames=frames)
                         for n, p in enumerate(shot[1:])])
        for i, shot in enumerate(takes)
    ]
    return Timeline(title="Benchmark", episode=1, fps=30, clips=clips)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shots", type=int, default=30, help="number of 1-second shots")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="shotcraft-bench-") as tmp:
        root = Path(tmp)
        (root / "takes").mkdir()
        print(f"generating {args.shots} shots × 3 takes of 1 s at 270×480 …", flush=True)
        takes = [[make_take(root / "takes" / f"t{s:03d}-{n}.mp4", s * 3 + n) for n in range(3)]
                 for s in range(args.shots)]
        video = ExportOptions(preset="vertical-720", subtitles="none")
        sides = ExportOptions(preset="vertical-720", subtitles="none", video=False,
                              formats=FORMATS)

        started = time.perf_counter()
        export_episode(timeline_for(takes, known=True), video, cache_dir=root / "cache",
                       out_path=root / "out" / "a.mp4")
        full = time.perf_counter() - started
        print(f"(a) MP4 export, cold cache:          {full:8.2f} s")

        started = time.perf_counter()
        export_episode(timeline_for(takes, known=True), sides, cache_dir=root / "cache",
                       out_path=root / "out" / "b.mp4")
        known = time.perf_counter() - started
        print(f"(b) {', '.join(FORMATS)} --no-video: {known:8.2f} s")

        started = time.perf_counter()
        export_episode(timeline_for(takes, known=False), sides, cache_dir=root / "cache",
                       out_path=root / "out" / "c.mp4")
        probed = time.perf_counter() - started
        print(f"(c) the same, probing every take:    {probed:8.2f} s")
        print(f"    (b)/(a) = {known / full:.3f}   (goal ≤ 0.05);  (b)/(c) = {known / probed:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
