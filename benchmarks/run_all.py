"""Run every CPU benchmark in turn (`make bench`); each prints its own ratios."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHMARKS = [
    ["import_speed.py"],
    ["previz_speed.py"],
    ["export_speed.py"],
    ["side_files.py"],
    ["tui_open.py"],
    ["review_page.py"],
    ["take_review.py"],
    ["defects.py"],
    ["card_draw_batching.py"],
    ["engine_overhead.py"],
    ["executors.py"],
    ["identity.py"],
    ["ranker_fit.py"],
    ["shot_variety.py"],
    ["stop_render.py"],
]


def main() -> int:
    failed = 0
    for args in BENCHMARKS:
        print(f"\n== {' '.join(args)}", flush=True)
        result = subprocess.run([sys.executable, str(HERE / args[0]), *args[1:], *sys.argv[1:]], check=False)
        failed += result.returncode != 0
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
