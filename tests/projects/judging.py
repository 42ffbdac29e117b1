"""A project of many shots whose takes carry given metric values, and a simulated director.

Rows are written straight to the database (real SQLite, the real schema): the ranker reads
only metric values, picks and rejects, so no renders are needed to judge it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from shotcraft.projects import Project
from shotcraft.projects.db import EpisodeRow, SceneRow, ShotRow, TakeRow
from shotcraft.ranking.metrics import DEFAULT_WEIGHTS, weighted_total

Metrics = dict[str, float]


def steady_or_sharp(rng: np.random.Generator) -> Metrics:
    """One take: steadier (higher `motion`, i.e. less shake) tends to come softer and darker,
    so the fixed total, which leans on the picture's technical side, often prefers a shaky one."""
    steadiness = float(rng.uniform(0.3, 1.0))
    picture = float(np.clip(1.05 - 0.45 * steadiness + rng.normal(0, 0.06), 0.0, 1.0))
    return {
        "sharpness": picture,
        "exposure": float(np.clip(picture + rng.normal(0, 0.05), 0.0, 1.0)),
        "black_frames": 1.0,
        "frozen": float(rng.uniform(0.8, 1.0)),
        "flicker": float(np.clip(1.0 - 0.3 * steadiness + rng.normal(0, 0.05), 0.0, 1.0)),
        "motion": steadiness,
    }


class Judged:
    """The project and the metric values written to it, by shot and take number."""

    def __init__(self, project: Project, metrics: dict[str, dict[int, Metrics]]) -> None:
        self.project = project
        self.metrics = metrics
        self.ids = list(metrics)

    def steadiest(self, shot_id: str) -> int:
        """The take the simulated director wants: the least camera shake (highest `motion`)."""
        takes = self.metrics[shot_id]
        return max(takes, key=lambda n: (takes[n]["motion"], -n))


def judged_project(folder: Path, shots: int, takes: int, *, seed: int = 0) -> Judged:
    """A project with `shots` shots of `takes` done video takes each (seeded metric values)."""
    rng = np.random.default_rng(seed)
    project = Project.create(folder, title="judging")
    ids = [f"E01-S01-{i + 1:03d}" for i in range(shots)]
    metrics: dict[str, dict[int, Metrics]] = {shot_id: {} for shot_id in ids}
    with project.db.write() as session:
        session.add(EpisodeRow(number=1))
        session.add(SceneRow(id="1-1", episode=1, number=1, heading="INT. SET - DAY"))
        for order, shot_id in enumerate(ids):
            session.add(ShotRow(id=shot_id, episode=1, scene_id="1-1", order=order,
                                duration_frames=90))
            for number in range(1, takes + 1):
                scores = metrics[shot_id][number] = steady_or_sharp(rng)
                session.add(TakeRow(
                    shot_id=shot_id, number=number, status="done", seed=number,
                    scores=scores, score=weighted_total(scores, DEFAULT_WEIGHTS),
                    cost_seconds=2.0))
    return Judged(project, metrics)
