"""How long the learning ranker takes on a big project: 200 picked shots × 10 scored takes.

Writes the takes' rows straight to a fresh project (seeded metric values; a director who picks
the steadiest take), then times: the baseline, reading the picks and scores (`judgements`);
one fit of the weights; the whole ranker state cold (fit + held-out agreement, 10 folds); and
the cached state a takes list asks for afterwards. Goal: cold state ≤ 1 s, cached ≤ 0.1 s.

    .venv/bin/python benchmarks/ranker_fit.py [shots] [takes]
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from shotcraft.projects import Project
from shotcraft.projects.db import EpisodeRow, SceneRow, ShotRow, TakeRow
from shotcraft.projects.ranker import judgements, ranker_state
from shotcraft.ranking.learn import fit_weights, preferences
from shotcraft.ranking.metrics import DEFAULT_WEIGHTS, weighted_total


def build(folder: Path, shots: int, takes: int) -> Project:
    rng = np.random.default_rng(0)
    project = Project.create(folder, title="ranker benchmark")
    with project.db.write() as session:
        session.add(EpisodeRow(number=1))
        session.add(SceneRow(id="1-1", episode=1, number=1, heading="INT. SET - DAY"))
        for order in range(shots):
            shot_id = f"E01-S01-{order + 1:03d}"
            draws = []
            for number in range(1, takes + 1):
                steady = float(rng.uniform(0.3, 1.0))
                picture = float(np.clip(1.05 - 0.45 * steady + rng.normal(0, 0.06), 0, 1))
                scores = {"sharpness": picture, "exposure": picture, "black_frames": 1.0,
                          "frozen": float(rng.uniform(0.8, 1.0)), "flicker": 1.0 - 0.3 * steady,
                          "motion": steady}
                draws.append((steady, number))
                session.add(TakeRow(shot_id=shot_id, number=number, status="done", scores=scores,
                                    score=weighted_total(scores, DEFAULT_WEIGHTS)))
            session.add(ShotRow(id=shot_id, episode=1, scene_id="1-1", order=order,
                                duration_frames=90, picked_take=max(draws)[1]))
    return project


def timed(call):  # noqa: ANN001, ANN201
    start = time.perf_counter()
    value = call()
    return value, time.perf_counter() - start


def main() -> int:
    shots = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    takes = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    with tempfile.TemporaryDirectory() as tmp:
        project = build(Path(tmp) / "p", shots, takes)
        shot_list, read = timed(lambda: judgements(project.store))
        prefs = preferences(shot_list)
        _, fit = timed(lambda: fit_weights(prefs))
        state, cold = timed(lambda: ranker_state(project.store))
        _, cached = timed(lambda: ranker_state(project.store))
        project.close()
    print(f"{shots} shots × {takes} takes, {len(prefs)} preferences")
    print(f"baseline: read picks and scores {read:.3f} s")
    print(f"one fit {fit:.3f} s ({fit / read:.1f}× the read)")
    print(f"ranker state cold (fit + held-out agreement) {cold:.3f} s ({cold / read:.1f}×); "
          f"cached {cached:.3f} s ({cached / read:.1f}×)")
    print(f"agreement: fixed {state.fixed.sentence()}, learned held out {state.learned.sentence()}")
    ok = cold <= 1.0 and cached <= 0.1
    print("goal (cold ≤ 1 s, cached ≤ 0.1 s):", "met" if ok else "missed")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
