"""Shot variety: how the breakdown's sizes and camera moves spread over each episode.

For the bundled examples (src/shotcraft/examples) and the real scripts in tests/data/scripts/,
breaks each script down and prints, per episode, the share of each shot size, camera move and
shot kind, their Shannon entropy in bits and that entropy as a ratio of the most it could be
(log2 of the number of sizes or moves; the baseline, computed in the same run).

Goal (issue 27): in every episode no size above 40 % of the shots and no move above 50 %.
Episodes under MIN_SHOTS shots are shown but not held to it (three shots cannot spread).
Exits 1 when an episode misses the goal.

    python benchmarks/shot_variety.py [SCRIPT ...] [--json]
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from shotcraft.shots.models import Move, ShotSize  # noqa: E402
from shotcraft.storyboard import breakdown, load_script  # noqa: E402

MAX_SIZE_SHARE = 0.40
MAX_MOVE_SHARE = 0.50
MIN_SHOTS = 8


def scripts() -> list[Path]:
    """The bundled examples, then the real scripts collected in tests/data/scripts/."""
    found = sorted((ROOT / "src" / "shotcraft" / "examples").glob("*.txt"))
    found += sorted((ROOT / "src" / "shotcraft" / "examples").glob("*.fountain"))
    real = ROOT / "tests" / "data" / "scripts"
    if real.is_dir():
        found += sorted(p for p in real.iterdir() if p.suffix in (".txt", ".md", ".fountain")
                        and p.name != "SOURCES.md")
    return found


def entropy(counts: Counter[str]) -> float:
    total = sum(counts.values())
    # + 0.0: one category alone is 0 bits, never "-0.00"
    return -sum(c / total * math.log2(c / total) for c in counts.values() if c) + 0.0 if total else 0.0


def shares(counts: Counter[str]) -> dict[str, float]:
    total = sum(counts.values()) or 1
    return {key: round(value / total, 3) for key, value in counts.most_common()}


def measure(path: Path) -> list[dict[str, object]]:
    board = breakdown(load_script(path))
    rows = []
    for episode in board.episodes:
        shots = episode.shots()
        sizes = Counter(s.size.value for s in shots)
        moves = Counter(s.camera.move.value for s in shots)
        kinds = Counter(s.kind.value for s in shots)
        size_top = max(sizes.values(), default=0) / max(1, len(shots))
        move_top = max(moves.values(), default=0) / max(1, len(shots))
        held = len(shots) >= MIN_SHOTS
        rows.append({
            "script": path.name, "episode": episode.number, "shots": len(shots),
            "sizes": shares(sizes), "moves": shares(moves), "kinds": shares(kinds),
            "size_entropy": round(entropy(sizes), 3), "move_entropy": round(entropy(moves), 3),
            # the baseline: the most entropy the categories allow
            "size_entropy_ratio": round(entropy(sizes) / math.log2(len(ShotSize)), 3),
            "move_entropy_ratio": round(entropy(moves) / math.log2(len(Move)), 3),
            "top_size_share": round(size_top, 3), "top_move_share": round(move_top, 3),
            "held": held,
            "meets_goal": (not held) or (size_top <= MAX_SIZE_SHARE and move_top <= MAX_MOVE_SHARE),
        })
    return rows


def _line(name: str, table: dict[str, float]) -> str:
    return f"  {name:6} " + "  ".join(f"{key} {value:.0%}" for key, value in table.items())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scripts", nargs="*", type=Path)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    rows = [row for path in (args.scripts or scripts()) for row in measure(path)]
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
    else:
        for row in rows:
            verdict = "meets the goal" if row["meets_goal"] else "MISSES the goal"
            if not row["held"]:
                verdict = f"under {MIN_SHOTS} shots, not held to the goal"
            print(f"{row['script']} episode {row['episode']}: {row['shots']} shots, "
                  f"top size {row['top_size_share']:.0%}, top move {row['top_move_share']:.0%} "
                  f"— {verdict}")
            print(_line("sizes", row["sizes"]))  # type: ignore[arg-type]
            print(_line("moves", row["moves"]))  # type: ignore[arg-type]
            print(_line("kinds", row["kinds"]))  # type: ignore[arg-type]
            print(f"  entropy: sizes {row['size_entropy']:.2f} bits "
                  f"({row['size_entropy_ratio']:.2f} of the most), moves {row['move_entropy']:.2f} "
                  f"bits ({row['move_entropy_ratio']:.2f} of the most)")
    missed = [row for row in rows if not row["meets_goal"]]
    print(f"\n{len(rows) - len(missed)} of {len(rows)} episodes meet the goal "
          f"(no size above {MAX_SIZE_SHARE:.0%}, no move above {MAX_MOVE_SHARE:.0%}).")
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
