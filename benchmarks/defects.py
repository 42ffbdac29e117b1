"""Precision@1 of the ranker on takes with one short defect each: is the clean take first?

For each seed, previz draws one real take (a random camera move and intensity, one character,
its slate and dialogue caption burned in) one frame longer than the clip; the clean take and
three defective copies are written from the same decoded frames with the same encoder:

- stutter: a frame shown twice while the picture moves (the next one is where it should be);
- dropped: one frame left out, so the picture jumps two steps at once;
- flash: one frame pushed 30–70 % of the way to white.

Each pair (clean, defective) is scored by `score_take` against the move asked; the pair counts
for precision@1 when the clean take's total is strictly higher. The baseline, measured in the
same run, is a coin: 50 %. Goal: ≥ 95 % over every pair, no kind under 90 %.

    .venv/bin/python benchmarks/defects.py [--seeds 30]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from shotcraft.engine.previz import PrevizEngine  # noqa: E402
from shotcraft.engine.protocol import CharacterRef, RenderRequest  # noqa: E402
from shotcraft.engine.writer import FrameWriter  # noqa: E402
from shotcraft.ranking.metrics import score_take  # noqa: E402
from shotcraft.shots.media import read_frames  # noqa: E402
from shotcraft.shots.models import CameraMove, DialogueLine, Move, ShotSize  # noqa: E402

WIDTH, HEIGHT, FPS, FRAMES = 270, 480, 30, 60
KINDS = ("stutter", "dropped", "flash")
MOVING = [m for m in Move if m not in (Move.STATIC, Move.HANDHELD)]
GOAL_OVERALL, GOAL_KIND = 0.95, 0.90


def clean_frames(seed: int, folder: Path) -> tuple[np.ndarray, CameraMove]:
    """FRAMES + 1 decoded frames of one previz take drawn for `seed`, and its camera move."""
    rng = random.Random(seed)
    camera = CameraMove(move=rng.choice(MOVING), intensity=round(rng.uniform(0.3, 0.9), 2))
    request = RenderRequest(
        shot_id=f"E01-S01-{seed % 1000:03d}", prompt="bench", width=WIDTH, height=HEIGHT,
        fps=FPS, num_frames=FRAMES + 1, size=rng.choice([ShotSize.MS, ShotSize.MCU, ShotSize.WS]),
        camera=camera, characters=[CharacterRef(name=rng.choice(["林夏", "陈默", "顾言"]))],
        dialogue=[DialogueLine(speaker="林夏", text="你终于回来了。")],
        location=rng.choice(["客厅", "街道", "办公室"]), time_of_day=rng.choice(["日", "夜"]),
        interior=rng.random() < 0.5, seeds=[seed], take_numbers=[1],
    )
    (take,) = PrevizEngine().render(request, out_dir=folder)
    assert take.path is not None, take.failed
    return read_frames(take.path, width=WIDTH, height=HEIGHT), camera


def with_defect(frames: np.ndarray, kind: str, rng: random.Random) -> np.ndarray:
    """FRAMES frames of the take with one defect in its middle 60 %."""
    at = rng.randrange(int(FRAMES * 0.2), int(FRAMES * 0.8))
    out = frames[:FRAMES].copy()
    if kind == "stutter":
        out[at + 1] = out[at]
    elif kind == "dropped":
        out[at:] = frames[at + 1:FRAMES + 1]
    elif kind == "flash":
        white = rng.uniform(0.3, 0.7)
        out[at] = (out[at].astype(np.float32) * (1 - white) + 255 * white).astype(np.uint8)
    return out


def write(frames: np.ndarray, path: Path) -> Path:
    with FrameWriter(path, WIDTH, HEIGHT, FPS) as writer:
        for frame in frames:
            writer.write(frame)
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=30)
    args = parser.parse_args()
    started = time.perf_counter()
    hits = {kind: 0 for kind in KINDS}
    misses: dict[str, list[str]] = {kind: [] for kind in KINDS}
    false_alarms: list[str] = []  # clean takes the cadence check marks down
    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp)
        for seed in range(args.seeds):
            frames, camera = clean_frames(seed, folder / f"draw-{seed}")
            rng = random.Random(1000 + seed)
            clean = score_take(write(frames[:FRAMES], folder / f"{seed}-clean.mp4"), camera=camera)
            cadence = clean.get("cadence")
            if cadence is not None and cadence.value < 1.0:
                false_alarms.append(f"seed {seed} {camera.move.value}: {cadence.explanation}")
            for kind in KINDS:
                defective = score_take(write(with_defect(frames, kind, rng),
                                             folder / f"{seed}-{kind}.mp4"), camera=camera)
                if clean.total > defective.total:
                    hits[kind] += 1
                else:
                    misses[kind].append(f"seed {seed} {camera.move.value} {camera.intensity:g}: "
                                        f"clean {clean.total:.4f} ≤ {kind} {defective.total:.4f}")
    pairs = args.seeds
    print(f"{pairs} seeds × {len(KINDS)} defects, {time.perf_counter() - started:.0f} s")
    print("baseline (a coin): precision@1 0.50")
    for kind in KINDS:
        share = hits[kind] / pairs
        print(f"{kind:8s} precision@1 {share:.2f} ({hits[kind]}/{pairs}) — goal ≥ {GOAL_KIND:.2f}, "
              f"{share / 0.5:.2f}× the baseline")
        for miss in misses[kind][:3]:
            print(f"    missed: {miss}")
    print(f"clean takes marked down for a short defect: {len(false_alarms)} of {pairs}")
    for alarm in false_alarms[:3]:
        print(f"    {alarm}")
    overall = sum(hits.values()) / (pairs * len(KINDS))
    print(f"overall  precision@1 {overall:.2f} — goal ≥ {GOAL_OVERALL:.2f}")
    met = overall >= GOAL_OVERALL and all(hits[k] / pairs >= GOAL_KIND for k in KINDS)
    print("goal met" if met else "goal NOT met")
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
