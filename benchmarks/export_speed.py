"""Episode export speed: shotcraft's cached ffmpeg export against a moviepy baseline.

Generates N small takes (2 s, 540×960, varied lavfi sources), builds a Timeline, then times in
one process: (a) a cold-cache export at vertical-1080, (b) the re-export after one clip's media
changed, (c) the same cut with moviepy (resize to 1080×1920, concatenate, libx264 at the same
crf/preset). Goals: (c)/(a) ≥ 5 and (b)/(a) ≤ 0.15.

    .venv/bin/python benchmarks/export_speed.py --takes 60
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
from shotcraft.assembly.presets import get_preset  # noqa: E402
from shotcraft.assembly.timeline import Clip, Timeline  # noqa: E402
from shotcraft.shots.media import ffmpeg_binary, sha256_file  # noqa: E402

SOURCES = ["testsrc2", "smptebars", "mandelbrot", "rgbtestsrc", "life=mold=10:ratio=0.5", "cellauto"]


def make_take(path: Path, index: int, seconds: float = 2.0) -> Path:
    """A 540×960 H.264 take from one of several lavfi sources."""
    source = SOURCES[index % len(SOURCES)]
    sep = ":" if "=" in source else "="
    spec = f"{source}{sep}s=540x960:r=30"
    subprocess.run(  # noqa: S603 - an argument list, never a shell
        [ffmpeg_binary(), "-v", "error", "-y", "-f", "lavfi", "-t", str(seconds), "-i", spec,
         # a different hue per take, so no two takes share a content hash (and a cache entry)
         "-vf", f"hue=h={index * 13 % 360}",
         "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(path)],
        check=True,
    )
    return path


def timeline_for(takes: list[Path]) -> Timeline:
    clips = [
        Clip(shot_id=f"E01-S01-{i + 1:03d}", scene_id="1-1", duration_frames=60, media=take,
             media_hash=sha256_file(take), take=1)
        for i, take in enumerate(takes)
    ]
    return Timeline(title="Benchmark", episode=1, fps=30, clips=clips)


def moviepy_export(takes: list[Path], out: Path) -> None:
    """The baseline: what a script built on moviepy does for the same cut."""
    from moviepy import VideoFileClip, concatenate_videoclips

    preset = get_preset("vertical-1080")
    clips = [VideoFileClip(str(t)).resized((preset.width, preset.height)) for t in takes]
    episode = concatenate_videoclips(clips)
    episode.write_videofile(
        str(out), fps=preset.fps, codec="libx264", audio=False, preset=preset.x264_preset,
        ffmpeg_params=["-crf", str(preset.crf), "-pix_fmt", "yuv420p"], logger=None,
    )
    for clip in clips:
        clip.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--takes", type=int, default=60, help="number of 2-second takes")
    parser.add_argument("--skip-moviepy", action="store_true", help="time shotcraft only")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="shotcraft-bench-") as tmp:
        root = Path(tmp)
        (root / "takes").mkdir()
        print(f"generating {args.takes} takes of 2 s at 540×960 …", flush=True)
        takes = [make_take(root / "takes" / f"take-{i:03d}.mp4", i) for i in range(args.takes)]
        timeline = timeline_for(takes)
        options = ExportOptions(preset="vertical-1080", subtitles="none")

        started = time.perf_counter()
        cold = export_episode(timeline, options, cache_dir=root / "cache", out_path=root / "a.mp4")
        full = time.perf_counter() - started
        print(f"(a) full export, cold cache:   {full:8.2f} s  ({cold.cache_misses} clips encoded)")

        changed = make_take(root / "takes" / "changed.mp4", 3, seconds=1.5)
        timeline.clips[len(takes) // 2] = timeline.clips[len(takes) // 2].model_copy(
            update={"media": changed, "media_hash": sha256_file(changed)}
        )
        started = time.perf_counter()
        again = export_episode(timeline, options, cache_dir=root / "cache", out_path=root / "a.mp4")
        one = time.perf_counter() - started
        print(f"(b) re-export, one new pick:   {one:8.2f} s  ({again.cache_misses} clip encoded)")
        print(f"    (b)/(a) = {one / full:.3f}   (goal ≤ 0.15)")

        if not args.skip_moviepy:
            started = time.perf_counter()
            moviepy_export(takes, root / "c.mp4")
            baseline = time.perf_counter() - started
            print(f"(c) moviepy, same cut:         {baseline:8.2f} s")
            print(f"    (c)/(a) = {baseline / full:.2f}   (goal ≥ 5)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
