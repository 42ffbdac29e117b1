"""What a draw tells its front-end while it runs, what it says when it ends, and the stop a
front-end hands it that means "go on later"."""

from __future__ import annotations

import threading
from collections.abc import Callable

from pydantic import BaseModel, Field

from shotcraft.projects.draw.plan import RenderPlan


class RenderEvent(BaseModel):
    """What the front-ends show while takes render."""

    kind: str  # queued | started | progress | done | failed | budget | resumed | warning | stopped
    shot_id: str = ""
    take: int | None = None
    fraction: float = 0.0  # 0..1 within the take
    message: str = ""
    total: int = 0  # takes in this run
    finished: int = 0  # takes finished (done or failed) so far


class TakeResult(BaseModel):
    shot_id: str
    take: int
    status: str
    reason: str | None = None
    score: float | None = None


class RenderSummary(BaseModel):
    queued: int = 0
    resumed: int = 0
    done: int = 0
    failed: int = 0
    cancelled: bool = False
    executor: str = "local"
    budget_notes: list[str] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)  # trouble that did not fail a take
    results: list[TakeResult] = Field(default_factory=list)
    seconds: float = 0.0
    plan: RenderPlan | None = None
    interrupted: int = 0  # takes an Interruption sent back to the queue

    def add(self, part: RenderSummary) -> None:
        """Count a part of the draw (a batch, an engine's share) into this summary."""
        self.queued += part.queued
        self.resumed += part.resumed
        self.done += part.done
        self.failed += part.failed
        self.results.extend(part.results)
        self.warnings.extend(part.warnings)
        self.budget_notes.extend(n for n in part.budget_notes if n not in self.budget_notes)


class Interruption(threading.Event):
    """A draw's cancel event for a stop that means "go on later" (Ctrl-C, SIGTERM): when it
    is set, the takes being drawn go back to the queue instead of failing as cancelled, and
    the next draw draws them under their own numbers and seeds."""

    requeue = True


EventFn = Callable[[RenderEvent], None]
