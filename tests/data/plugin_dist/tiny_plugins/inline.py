"""An executor that draws every batch in the calling thread, one after another."""

from __future__ import annotations

import threading
from typing import Any, ClassVar

from shotcraft.engine.executors import BatchSource, Executor, ExecutorSettings
from shotcraft.engine.executors.local import run_batch
from shotcraft.engine.registry import get_engine


class InlineExecutor(Executor):
    name: ClassVar[str] = "inline"

    def __init__(self, *, settings: ExecutorSettings | None = None, **options: Any) -> None:
        super().__init__(settings=settings)

    def run(self, source: BatchSource, *, cancel: threading.Event) -> None:
        while (batch := source.next_batch()) is not None:
            engine = get_engine(batch.engine, **batch.engine_settings)
            source.deliver(batch, run_batch(engine, batch, emit=source.event, cancel=cancel,
                                            worker="inline"))
