"""GPU smoke test with real models: draw 4 takes of one shot, print seconds per take and peak VRAM.

    .venv/bin/python benchmarks/gpu_smoke.py --video-model /models/Wan2.1-I2V-14B-480P-Diffusers \
        [--family wan_i2v] [--keyframe-model /models/sd15] [--first-frame still.png] [--steps 30]

Settings not given here come from SHOTCRAFT_DIFFUSERS_* as usual. Exits with a clear message when
torch sees no CUDA GPU. Never downloads anything: model paths must be local folders.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--video-model")
    parser.add_argument("--family", choices=["ltx", "wan_i2v", "wan_vace", "cogvideox_i2v"])
    parser.add_argument("--keyframe-model")
    parser.add_argument("--first-frame", type=Path)
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--takes", type=int, default=4)
    parser.add_argument("--max-batch", type=int, default=1)
    parser.add_argument("--aspect", default="9:16")
    args = parser.parse_args()

    import torch

    if not torch.cuda.is_available():
        sys.exit("no CUDA GPU visible to torch; run this on a machine with a GPU.")
    from shotcraft.engine.diffusers_engine import DiffusersEngine
    from shotcraft.engine.protocol import RenderRequest
    from shotcraft.shots.models import TakeKind

    overrides = {k: v for k, v in {
        "video_model": args.video_model, "family": args.family, "keyframe_model": args.keyframe_model,
        "video_steps": args.steps, "keyframe_steps": args.steps, "max_batch": args.max_batch,
        "device": "cuda"}.items() if v is not None}
    engine = DiffusersEngine(**overrides)
    kind = TakeKind.VIDEO if engine.family else TakeKind.KEYFRAME
    frames = engine.frames_per_clip() if kind is TakeKind.VIDEO else 1
    width, height = engine.video_size(args.aspect) if kind is TakeKind.VIDEO else (576, 1024)
    seeds = list(range(1, args.takes + 1))
    request = RenderRequest(shot_id="SMOKE", kind=kind, prompt="a young woman in a white dress "
                            "pushes open a cafe door, soft morning light", width=width, height=height,
                            fps=16, num_frames=frames, aspect=args.aspect, first_frame=args.first_frame,
                            seeds=seeds, take_numbers=seeds)
    load_started = time.perf_counter()
    if kind is TakeKind.VIDEO:
        engine.video_pipeline()
    if engine.settings.keyframe_model:
        engine.keyframe_stage()
    print(f"loaded in {time.perf_counter() - load_started:.1f} s")
    torch.cuda.reset_peak_memory_stats()
    started = time.perf_counter()
    takes = engine.render(request, out_dir=Path(tempfile.mkdtemp(prefix="shotcraft-smoke-")))
    elapsed = time.perf_counter() - started
    failed = [t for t in takes if t.failed]
    print(f"{len(takes) - len(failed)} takes in {elapsed:.1f} s: {elapsed / max(1, len(takes)):.1f} s per take")
    print(f"peak VRAM: {torch.cuda.max_memory_allocated() / 2**30:.2f} GiB")
    for take in takes:
        print(f"  take {take.take_number} seed {take.seed}: {take.path or take.failed}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
