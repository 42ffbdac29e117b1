"""Card draw: 4 keyframe takes in one batched call vs 4 sequential calls, same tiny SD pipeline.

    .venv/bin/python benchmarks/card_draw_batching.py [--steps 8] [--size 64]

Prints both times and the ratio batched/sequential (goal ≤ 0.7 on CPU). Both runs use the same
engine path (DiffusersEngine.render), differing only in max_batch.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

# the tiny pipeline builders live with the tests
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--size", type=int, default=64)
    args = parser.parse_args()

    from shotcraft.engine.diffusers_engine import DiffusersEngine
    from shotcraft.engine.diffusers_tiny import build_sd
    from shotcraft.engine.protocol import RenderRequest
    from shotcraft.shots.models import TakeKind

    root = Path(tempfile.mkdtemp(prefix="shotcraft-bench-"))
    build_sd(root / "sd")
    request = RenderRequest(shot_id="E01-S01-001", kind=TakeKind.KEYFRAME, prompt="a woman at a door",
                            width=args.size, height=args.size, fps=24, num_frames=1,
                            seeds=[1, 2, 3, 4], take_numbers=[1, 2, 3, 4])
    bucket = {"9:16": f"{args.size}x{args.size}"}

    def run(batch: int, out: str) -> float:
        engine = DiffusersEngine(keyframe_model=str(root / "sd"), keyframe_steps=args.steps,
                                 keyframe_buckets=bucket, max_batch=batch, device="cpu")
        engine.keyframe_stage()  # load outside the timing
        started = time.perf_counter()
        takes = engine.render(request, out_dir=root / out)
        assert all(t.path for t in takes) and len(takes) == 4
        return time.perf_counter() - started

    run(4, "warm")
    sequential = run(1, "seq")
    batched = run(4, "batch")
    print(f"4 takes sequential: {sequential:.2f} s   batched (max_batch=4): {batched:.2f} s")
    print(f"ratio batched/sequential: {batched / sequential:.2f} (goal <= 0.7)")


if __name__ == "__main__":
    main()
