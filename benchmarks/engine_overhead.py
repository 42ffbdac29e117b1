"""Engine overhead: one keyframe take through the Project facade (request → engine → validated,
scored take in the store) vs the bare pipeline call with the same inputs, same process.

    .venv/bin/python benchmarks/engine_overhead.py [--steps 100] [--size 128]

The tiny SD pipeline runs at 128×128 with 100 steps so the model call dominates, as it does with
real models; prints the ratio facade/bare (goal ≤ 1.2).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

SCRIPT = "《基准》\n\n第1集 开始\n\n1-1 日 内 咖啡馆\n人物：林晚\n△林晚推门走进咖啡馆。\n"


# the tiny pipeline builders live with the tests
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--size", type=int, default=128)
    args = parser.parse_args()

    from shotcraft.engine.diffusers_common import generators
    from shotcraft.engine.diffusers_engine import DiffusersEngine
    from shotcraft.engine.diffusers_tiny import build_sd
    from shotcraft.projects import Project
    from shotcraft.projects.draw import Draw

    root = Path(tempfile.mkdtemp(prefix="shotcraft-bench-"))
    build_sd(root / "sd")
    settings = {"keyframe_model": str(root / "sd"), "keyframe_steps": args.steps, "device": "cpu",
                "keyframe_buckets": {"9:16": f"{args.size}x{args.size}"}}
    pipe = DiffusersEngine(**settings).keyframe_stage().pipe  # loaded once, shared by both runs
    script = root / "s.txt"
    script.write_text(SCRIPT, encoding="utf-8")
    project = Project.create(root / "p")
    project.import_script(script)
    shot = project.shots()[0]

    def bare() -> float:
        started = time.perf_counter()
        pipe(prompt=shot.prompt or "a woman", negative_prompt=shot.negative_prompt or None,
             height=args.size, width=args.size, num_inference_steps=args.steps, guidance_scale=7.0,
             num_images_per_prompt=1, generator=generators([1], "cpu"), output_type="np")
        return time.perf_counter() - started

    def facade() -> float:
        started = time.perf_counter()
        summary = project.draw(Draw(what="keyframes", shots=[shot.id], takes=1, engine="diffusers", engine_settings=settings, params={"width": args.size, "height": args.size}))
        assert summary.done == 1, summary.results
        return time.perf_counter() - started

    bare()
    facade()  # warm both paths
    b = min(bare() for _ in range(2))
    f = min(facade() for _ in range(2))
    print(f"bare pipeline call: {b:.2f} s   through the Project facade: {f:.2f} s")
    print(f"ratio facade/bare: {f / b:.2f} (goal <= 1.2; {args.steps} steps at {args.size}x{args.size})")


if __name__ == "__main__":
    main()
