"""A ranking metric: how warm the picture is (red over blue), 0.5 for neutral grey."""

from __future__ import annotations

from shotcraft.ranking.metrics import Metric, MetricScore, TakeFrames


class Warmth(Metric):
    name = "warmth"
    weight = 0.5

    def measure(self, take: TakeFrames) -> MetricScore | None:
        frames = take.frames.astype(float)
        lean = float(frames[..., 0].mean() - frames[..., 2].mean())
        value = min(1.0, max(0.0, 0.5 + lean / 255))
        return MetricScore(name=self.name, value=value, weight=self.weight,
                           explanation=f"red over blue by {lean:.0f} levels.")
