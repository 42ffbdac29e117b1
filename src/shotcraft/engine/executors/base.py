"""The executor contract: batches in, results and events out, no project in sight.

The render driver (projects/render.py) is the `BatchSource`: it claims jobs and turns them into
`Batch`es, stores what comes back, and persists checkpoints. An executor decides where and how
many batches run at once. A batch is plain data (pydantic, picklable), so it can travel to
another process or machine; its `out_dir` is where the driver wants the files, and an executor
that ran the batch elsewhere brings the files back there before delivering.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any, ClassVar, Literal, Protocol

from pydantic import BaseModel, Field
from pydantic_settings import SettingsConfigDict

from shotcraft.engine.protocol import RenderedTake, RenderRequest
from shotcraft.shots.plugins import PluginKind
from shotcraft.shots.settings import Section


class Batch(BaseModel):
    """Seeded takes of one shot on one engine: everything needed to draw them anywhere."""

    id: str  # stable across retries of the same takes
    engine: str
    engine_settings: dict[str, Any] = Field(default_factory=dict)
    request: RenderRequest
    out_dir: Path  # an empty folder of the driver's for this batch's files
    gpu: bool = False  # holds an accelerator while drawing
    cloud: bool = False  # a paid remote service: resumed from `request.resume`, never re-submitted
    attempt: int = 1


class BatchEvent(BaseModel):
    """Progress of a take, or provider state (a cloud task id) to persist before going on."""

    batch_id: str
    kind: Literal["progress", "checkpoint"]
    take_number: int
    fraction: float = 0.0
    message: str = ""
    state: dict[str, Any] = Field(default_factory=dict)


class BatchResult(BaseModel):
    """What came back: one entry per take drawn (or failed), files inside the batch's out_dir."""

    batch_id: str
    takes: list[RenderedTake] = Field(default_factory=list)
    error: str | None = None  # the sentence of a refusal: nothing of the batch could be drawn
    disk_full: bool = False  # the error was a full disk: the whole render stops
    seconds: float = 0.0  # wall time of the engine call
    worker: str = ""  # where it ran, for the log


class BatchSource(Protocol):
    """The driver's side: where batches come from and where results go."""

    parallel: int  # batches of this engine that may run at once on one machine

    def next_batch(self) -> Batch | None:
        """Claim the next batch, or None when there is nothing left (or the run stops)."""

    def retry(self, batch: Batch) -> Batch | None:
        """`batch` again after its worker died: the takes still owed, with the provider state
        saved so far (a cloud task resumes, never re-submits); None when nothing is owed."""

    def deliver(self, batch: Batch, result: BatchResult) -> None:
        """Store a batch's results; raising stops the run (a full disk)."""

    def event(self, event: BatchEvent) -> None:
        """Progress, or a checkpoint that is persisted before this returns."""

    def abandon(self, batch: Batch, reason: str) -> None:
        """A batch that cannot be run at all (no worker left): its takes fail with `reason`."""


class ExecutorSettings(Section):
    """`[executor]`; `SHOTCRAFT_EXECUTOR=ray`, `SHOTCRAFT_RAY_ADDRESS=...` and friends."""

    section = "executor"
    model_config = SettingsConfigDict(env_prefix="SHOTCRAFT_", extra="ignore")

    executor: str = "local"
    ray_address: str | None = None  # None: start a Ray instance on this machine
    ray_actors: int | None = None  # engine workers; None: one per GPU (GPU engines) or per CPU
    ray_shared_folder: Path | None = None  # files come back through here instead of the object store


class Executor(ABC):
    """Runs batches from a source until it is empty, the run is cancelled or delivery stops it."""

    name: ClassVar[str]

    def __init__(self, *, settings: ExecutorSettings | None = None, **options: Any) -> None:
        """Executors are made by `get_executor(name, **options)` with the settings in force."""
        self.settings = settings or ExecutorSettings()

    @abstractmethod
    def run(self, source: BatchSource, *, cancel: threading.Event) -> None:
        """Draw every batch the source hands out; return when it hands out no more and every
        batch in flight has been delivered (or cancelled)."""

    def close(self) -> None:
        """Release workers and connections (a long-lived executor keeps them between runs)."""
        return None


EXECUTORS: PluginKind[Executor] = PluginKind("shotcraft.executors", "executor", Executor,
                                             order=("local", "ray"))


def executor_names() -> list[str]:
    """The installed executors (the `shotcraft.executors` entry points), local first."""
    return EXECUTORS.names()


def get_executor(name: str | None = None, **options: Any) -> Executor:
    """An executor by name (default from settings); ConfigError when unknown or not installed."""
    settings = ExecutorSettings()
    name = name or settings.executor
    executor: Executor = EXECUTORS.make(name, settings=settings, **options)
    return executor
