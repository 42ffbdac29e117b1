"""Identity: does the clean take win, is each defect caught, and what does scoring cost?

    python benchmarks/identity.py [--shots 8] [--seconds 5] [--json]

(a) A generated set of shots (tests/ranking/facetakes.py: the test portraits on a panning
background, varied in placement, motion, push-in, brightness and flip), each as a clean take
plus the same shot with one defect each: swap, collapse, duplicate for a single of 林晚;
missing and wrong character for a two-shot of 林晚 + 顾言. Prints precision@1 (the clean take
has the highest identity of its shot; chance is 1 in the number of takes) and, per defect, how
often it is caught: identity at least 0.4 below the clean take's, and below 0.5.

(b) The cost of identity scoring (probe, sample_frames, detect + embed, score) of a 1080×1920
previz take whose character has a reference portrait, as a ratio of the time previz took to
render that take in the same run, in wall time and in CPU time (this process and its ffmpeg
children; steadier on a shared machine). The goal is ≤ 0.5×.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))  # the take builder lives with the tests

from shotcraft.engine.previz import PrevizEngine  # noqa: E402
from shotcraft.engine.protocol import CharacterRef, RenderRequest  # noqa: E402
from shotcraft.ranking.faces import face_model, missing_reason  # noqa: E402
from shotcraft.ranking.identity import (  # noqa: E402
    Bible,
    build_bible,
    detect,
    sample_frames,
    score_faces,
    score_take_identity,
)
from shotcraft.shots.media import probe  # noqa: E402
from shotcraft.shots.models import CameraMove, Move, ShotSize, TakeKind  # noqa: E402
from tests.ranking import facetakes  # noqa: E402
from tests.ranking.facetakes import Shot, single, two_shot  # noqa: E402

MARGIN = 0.4
THRESHOLD = 0.5
SINGLE_DEFECTS = ["swap", "collapse", "duplicate"]
TWO_SHOT_DEFECTS = ["missing", "wrong"]


def shots() -> list[Shot]:
    """Clean setups that differ in placement, motion, light and orientation."""
    return [
        single(x=0.3),
        two_shot(),
        single(x=0.7, drift=-12, flip=True, brightness=0.1),
        two_shot(flip=True, brightness=0.08, drift=-8, pan=25),
        single(x=0.3, zoom=0.1, brightness=-0.12, pan=60),
        two_shot(face=100, zoom=0.05, brightness=-0.08),
        single(x=0.7, face=120, drift=0, zoom=0.06, flip=True, pan=20),
        single(x=0.3, face=110, brightness=0.15, drift=20),
        two_shot(face=120, drift=4, pan=50, y=0.45),
        single(x=0.7, face=140, brightness=-0.15, pan=30, y=0.5),
    ]


def ranking_quality(root: Path, bible: Bible, count: int) -> dict:
    """Precision@1 of the clean take and the detection rate of each defect."""
    caught: dict[str, list[bool]] = {d: [] for d in SINGLE_DEFECTS + TWO_SHOT_DEFECTS}
    below: dict[str, list[bool]] = {d: [] for d in caught}
    wins, rows = [], []
    for index, shot in enumerate(shots()[:count]):
        defects = TWO_SHOT_DEFECTS if len(shot.people) == 2 else SINGLE_DEFECTS
        takes = facetakes.build_set(root, shot, stem=f"shot{index}", defects=defects,
                                    collapse="smear" if index % 4 >= 2 else "pixelate",
                                    seed=index)
        values = {}
        for name, path in takes.items():
            result = score_take_identity(path, kind=TakeKind.VIDEO, size=ShotSize.MS,
                                         in_frame=facetakes.expected(shot), bible=bible)
            values[name] = result.metric.value if result.metric is not None else float("nan")
        clean = values["clean"]
        wins.append(all(clean > values[d] for d in defects))
        for d in defects:
            caught[d].append(values[d] <= clean - MARGIN)
            below[d].append(values[d] < THRESHOLD)
        rows.append({"shot": index, "in_frame": facetakes.expected(shot), **values})
    return {
        "shots": len(wins),
        "precision_at_1": sum(wins) / len(wins) if wins else float("nan"),
        "caught": {d: sum(v) / len(v) for d, v in caught.items() if v},
        "below_threshold": {d: sum(v) / len(v) for d, v in below.items() if v},
        "takes": rows,
    }


def cpu_seconds() -> float:
    """CPU time of this process and its finished children (ffmpeg): unlike wall time, it does
    not grow when other work shares the machine."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def scoring_cost(root: Path, bible: Bible, seconds: float) -> dict:
    """Seconds previz takes to render a 1080×1920 take, and identity to score it, per stage."""
    fps = 30
    request = RenderRequest(
        shot_id="E01-S01-001", prompt="benchmark", width=1080, height=1920, fps=fps,
        num_frames=round(seconds * fps), size=ShotSize.MS,
        camera=CameraMove(move=Move.DOLLY_IN, intensity=0.6),
        characters=[CharacterRef(name="林晚", references=[facetakes.portrait("obama2.jpg")])],
        location="客厅", time_of_day="夜", interior=True, seeds=[42], take_numbers=[1],
    )
    started, cpu = time.perf_counter(), cpu_seconds()
    rendered = PrevizEngine().render(request, out_dir=root)
    render_s, render_cpu = time.perf_counter() - started, cpu_seconds() - cpu
    if rendered[0].failed or rendered[0].path is None:
        raise SystemExit(f"previz failed: {rendered[0].failed}")
    path = rendered[0].path
    face_model()  # loaded once per process, not per take

    # as the driver scores a take: faces are searched on each sampled frame while ffmpeg
    # decodes the next (the probe is the driver's own, for validation; counted here anyway)
    started, cpu = time.perf_counter(), cpu_seconds()
    info = probe(path, count_frames=True)
    result = score_take_identity(path, kind=TakeKind.VIDEO, size=ShotSize.MS, in_frame=["林晚"],
                                 bible=bible, info=info)
    identity_s, identity_cpu = time.perf_counter() - started, cpu_seconds() - cpu

    # the stages one after another, for the breakdown
    started = time.perf_counter()
    probe(path, count_frames=True)
    probed = time.perf_counter()
    frames = sample_frames(path, kind=TakeKind.VIDEO, size=ShotSize.MS, info=info)
    decoded = time.perf_counter()
    faces = detect(frames, size=ShotSize.MS)
    detected = time.perf_counter()
    score_faces(faces, in_frame=["林晚"], bible=bible, size=ShotSize.MS)
    scored = time.perf_counter()
    return {
        "take": f"{info.width}x{info.height}, {info.frames} frames @ {info.fps:g} fps",
        "render_s": render_s,
        "identity_s": identity_s,
        "ratio": identity_s / render_s,
        "render_cpu_s": render_cpu,
        "identity_cpu_s": identity_cpu,
        "cpu_ratio": identity_cpu / render_cpu,
        "stages_s": {"probe": probed - started, "decode": decoded - probed,
                     "detect+embed": detected - decoded, "score": scored - detected},
        "frames": len(frames),
        "faces": sum(len(f) for f in faces),
        "identity": result.metric.value if result.metric is not None else None,
        "explanation": result.explanation,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shots", type=int, default=len(shots()))
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    reason = missing_reason()
    if reason is not None:
        print(f"identity benchmark skipped: {reason}")
        return 0
    with tempfile.TemporaryDirectory(prefix="identity-bench-") as tmp:
        root = Path(tmp)
        bible = build_bible(facetakes.references(), cache_dir=root / "cache")
        quality = ranking_quality(root / "takes", bible, args.shots)
        cost = scoring_cost(root, bible, args.seconds)
    if args.json:
        print(json.dumps({"quality": quality, "cost": cost}, ensure_ascii=False, indent=2))
        return 0
    takes = 1 + (len(SINGLE_DEFECTS) + len(TWO_SHOT_DEFECTS)) / 2
    print(f"(a) {quality['shots']} shots, clean + one take per defect each")
    print(f"    precision@1 of the clean take: {quality['precision_at_1']:.2f} "
          f"(chance ≈ {1 / takes:.2f})")
    print(f"    {'defect':<12}{'caught (≤ clean−' + str(MARGIN) + ')':>24}"
          f"{'below ' + str(THRESHOLD):>12}")
    for name, rate in quality["caught"].items():
        print(f"    {name:<12}{rate:>24.2f}{quality['below_threshold'][name]:>12.2f}")
    print(f"(b) {cost['take']}: sampled {cost['frames']} frames, {cost['faces']} faces, "
          f"identity {cost['identity']}")
    print(f"    {'what':<30}{'seconds':>9}{'CPU s':>9}")
    print(f"    {'previz render':<30}{cost['render_s']:>9.2f}{cost['render_cpu_s']:>9.2f}")
    print(f"    {'identity scoring':<30}{cost['identity_s']:>9.2f}{cost['identity_cpu_s']:>9.2f}")
    print("      stages run one after another (scoring overlaps decode with face search):")
    for stage, spent in cost["stages_s"].items():
        print(f"      {stage:<28}{spent:>9.2f}")
    print(f"    ratio identity / render: {cost['ratio']:.2f}× wall, {cost['cpu_ratio']:.2f}× CPU "
          f"(goal ≤ 0.5×)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
