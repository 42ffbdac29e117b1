"""What the ray executor tests run on: a stand-in engine the workers can find, and a small
in-memory `BatchSource` that keeps checkpoints and retries the way the render driver does."""

from __future__ import annotations

import threading
import time
from collections import deque
from pathlib import Path
from typing import Any

from shotcraft.engine.executors import Batch, BatchEvent, BatchResult
from shotcraft.engine.protocol import (
    Capabilities,
    CheckpointFn,
    Engine,
    Progress,
    ProgressFn,
    RenderedTake,
    RenderRequest,
    no_checkpoint,
    no_progress,
)
from shotcraft.shots.models import TakeKind


class HoldEngine(Engine):
    """Holds its "device" for `seconds` per take (cancel stops it), then writes a small file."""

    name = "hold"
    version = "1"

    def __init__(self, seconds: float = 0.2, gpu: bool = False) -> None:
        self.seconds, self.gpu = float(seconds), bool(gpu)

    def capabilities(self, kind: TakeKind = TakeKind.VIDEO) -> Capabilities:
        return Capabilities(batch_size=4, parallel=2, gpu=self.gpu)

    def render(self, request: RenderRequest, *, out_dir: Path, progress: ProgressFn = no_progress,
               cancel: threading.Event | None = None,
               checkpoint: CheckpointFn = no_checkpoint) -> list[RenderedTake]:
        takes = []
        for number, seed in zip(request.take_numbers, request.seeds, strict=True):
            until = time.monotonic() + self.seconds
            while (left := until - time.monotonic()) > 0:
                if cancel is not None and cancel.wait(min(left, 0.05)):
                    return takes
                progress(Progress(take_number=number, done=1 - left / max(self.seconds, 1e-9)))
            path = Path(out_dir) / f"take-{number}.txt"
            path.write_text(f"{request.shot_id} {number} {seed}\n")
            takes.append(RenderedTake(take_number=number, seed=seed, path=path))
        return takes


def register() -> None:
    """Ray's worker_process_setup_hook: make the stand-in engine known in every worker."""
    from shotcraft.engine import registry

    registry.ENGINES.add("hold", "tests.engine.ray_support:HoldEngine")


def batch(number: int, out: Path, *, engine: str = "hold", takes: int = 1, cloud: bool = False,
          gpu: bool = False, settings: dict[str, Any] | None = None, **request: Any) -> Batch:
    """Batch `number` of shot S{number}: `takes` seeded takes, files wanted under `out`."""
    values: dict[str, Any] = {
        "shot_id": f"S{number:02d}", "prompt": "林夏推门走进雨夜的便利店。", "width": 72,
        "height": 128, "fps": 24, "num_frames": 96, "aspect": "9:16",
        "seeds": [100 * number + t for t in range(1, takes + 1)],
        "take_numbers": list(range(1, takes + 1)),
    }
    values.update(request)
    return Batch(id=f"job-{number}", engine=engine, engine_settings=dict(settings or {}),
                 request=RenderRequest(**values), out_dir=out / f"job-{number}", gpu=gpu,
                 cloud=cloud)


class MemorySource:
    """A `BatchSource` over a list of batches: checkpoints kept in memory, retries resume them,
    a take delivered twice is kept once (as the render driver does)."""

    parallel = 2

    def __init__(self, batches: list[Batch]) -> None:
        self.queue = deque(batches)
        self.lock = threading.Lock()
        self.handed: list[Batch] = []
        self.events: list[BatchEvent] = []
        self.saved: dict[tuple[str, int], dict[str, Any]] = {}
        self.stored: dict[str, dict[int, RenderedTake]] = {}
        self.contents: dict[tuple[str, int], bytes] = {}
        self.results: list[BatchResult] = []
        self.retried: list[Batch] = []
        self.abandoned: list[tuple[Batch, str]] = []

    def next_batch(self) -> Batch | None:
        with self.lock:
            if not self.queue:
                return None
            handed = self.queue.popleft()
            self.handed.append(handed)
            return handed

    def event(self, event: BatchEvent) -> None:
        with self.lock:
            self.events.append(event)
            if event.kind == "checkpoint":
                key = (event.batch_id, event.take_number)
                self.saved[key] = {**self.saved.get(key, {}), **event.state}

    def retry(self, batch: Batch) -> Batch | None:
        with self.lock:
            done = self.stored.get(batch.id, {})
            owed = [(n, s) for n, s in zip(batch.request.take_numbers, batch.request.seeds,
                                           strict=True) if n not in done]
            if not owed:
                return None
            resume = {n: dict(self.saved[(batch.id, n)]) for n, _ in owed
                      if (batch.id, n) in self.saved}
            request = batch.request.model_copy(update={
                "take_numbers": [n for n, _ in owed], "seeds": [s for _, s in owed],
                "resume": resume})
            again = batch.model_copy(update={"request": request, "attempt": batch.attempt + 1})
            self.retried.append(again)
            return again

    def deliver(self, batch: Batch, result: BatchResult) -> None:
        with self.lock:
            self.results.append(result)
            kept = self.stored.setdefault(batch.id, {})
            for take in result.takes:
                if take.take_number in kept:
                    continue
                kept[take.take_number] = take
                if take.path is not None:
                    assert take.path.parent == batch.out_dir, take.path
                    self.contents[(batch.id, take.take_number)] = take.path.read_bytes()

    def abandon(self, batch: Batch, reason: str) -> None:
        with self.lock:
            self.abandoned.append((batch, reason))
