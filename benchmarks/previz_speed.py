"""How fast previz draws a take, against ffmpeg encoding the same number of frames by itself.

    python benchmarks/previz_speed.py [--seconds 5] [--width 1080] [--height 1920] [--fps 30]

Renders one take through PrevizEngine.render (composition + piping + encoding) and, in the same
process, times ffmpeg encoding as many frames of lavfi testsrc2 at the same size with the same
x264 settings (engine.writer.X264_ARGS). The ratio is previz time / encode-only time; the goal
is ≤ 1.5×, i.e. drawing the panel costs at most half of what encoding it costs anyway.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from shotcraft.engine.previz import PrevizEngine  # noqa: E402
from shotcraft.engine.protocol import CharacterRef, RenderRequest  # noqa: E402
from shotcraft.engine.writer import X264_ARGS  # noqa: E402
from shotcraft.shots.media import ffmpeg_binary, probe  # noqa: E402
from shotcraft.shots.models import CameraMove, DialogueLine, Move, ShotSize  # noqa: E402


def encode_only(out: Path, *, width: int, height: int, fps: int, frames: int) -> float:
    """Seconds ffmpeg takes to encode `frames` frames of testsrc2 with the engines' settings."""
    args = [
        ffmpeg_binary(), "-v", "error", "-y", "-f", "lavfi",
        "-i", f"testsrc2=size={width}x{height}:rate={fps}", "-frames:v", str(frames),
        *X264_ARGS, "-movflags", "+faststart", str(out),
    ]
    started = time.perf_counter()
    subprocess.run(args, check=True)  # noqa: S603 - a fixed argument list, no shell
    return time.perf_counter() - started


def previz_take(out_dir: Path, *, width: int, height: int, fps: int, frames: int, move: Move) -> tuple[float, Path]:
    """Seconds PrevizEngine.render takes for one dialogue take with a camera move."""
    request = RenderRequest(
        shot_id="E01-S01-001", prompt="benchmark", width=width, height=height, fps=fps,
        num_frames=frames, size=ShotSize.MS, camera=CameraMove(move=move, intensity=0.6),
        characters=[CharacterRef(name="林夏"), CharacterRef(name="陈默")],
        dialogue=[DialogueLine(speaker="林夏", text="你终于回来了，我等了你一整夜。")],
        location="客厅", time_of_day="夜", interior=True, seeds=[42], take_numbers=[1],
    )
    started = time.perf_counter()
    taken = PrevizEngine().render(request, out_dir=out_dir)
    elapsed = time.perf_counter() - started
    if taken[0].failed or taken[0].path is None:
        raise SystemExit(f"previz failed: {taken[0].failed}")
    return elapsed, taken[0].path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--width", type=int, default=1080)
    parser.add_argument("--height", type=int, default=1920)
    parser.add_argument("--fps", type=int, default=30)
    parser.add_argument("--move", default=Move.DOLLY_IN.value, choices=[m.value for m in Move])
    args = parser.parse_args(argv)
    frames = round(args.seconds * args.fps)
    with tempfile.TemporaryDirectory(prefix="previz-bench-") as tmp:
        tmp_dir = Path(tmp)
        baseline = encode_only(tmp_dir / "baseline.mp4", width=args.width, height=args.height, fps=args.fps, frames=frames)
        drawn, path = previz_take(tmp_dir, width=args.width, height=args.height, fps=args.fps, frames=frames, move=Move(args.move))
        info = probe(path)
    ratio = drawn / baseline
    print(f"{'what':<34}{'seconds':>9}{'fps':>8}")
    print(f"{'ffmpeg encode only (testsrc2)':<34}{baseline:>9.2f}{frames / baseline:>8.1f}")
    print(f"{'previz take (' + args.move + ')':<34}{drawn:>9.2f}{frames / drawn:>8.1f}")
    print(f"ratio previz / encode-only: {ratio:.2f}× (goal ≤ 1.5×); "
          f"{info.frames} frames {info.width}×{info.height} @ {info.fps:g} fps")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
