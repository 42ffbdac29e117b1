"""The local executor: batches on threads of this process (two CPU shots at once, by default)."""

from __future__ import annotations

import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor, wait
from typing import Any, ClassVar

from shotcraft.engine.executors.base import (
    Batch,
    BatchEvent,
    BatchResult,
    BatchSource,
    Executor,
    ExecutorSettings,
)
from shotcraft.engine.protocol import Engine, Progress
from shotcraft.engine.registry import get_engine
from shotcraft.shots.errors import ShotcraftError, is_disk_full

WAKE_SECONDS = 0.2


def run_batch(engine: Engine, batch: Batch, *, emit: Any, cancel: threading.Event,
              worker: str = "") -> BatchResult:
    """Draw one batch on an engine here; a refusal comes back as the result's error.

    Shared by every executor: what runs on a Ray worker is this same call.
    """

    def progress(event: Progress) -> None:
        emit(BatchEvent(batch_id=batch.id, kind="progress", take_number=event.take_number,
                        fraction=event.done, message=event.message))

    def checkpoint(take_number: int, state: dict[str, Any]) -> None:
        emit(BatchEvent(batch_id=batch.id, kind="checkpoint", take_number=take_number,
                        state=dict(state)))

    batch.out_dir.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    try:
        takes = engine.render(batch.request, out_dir=batch.out_dir, progress=progress,
                              cancel=cancel, checkpoint=checkpoint)
    except ShotcraftError as exc:
        return BatchResult(batch_id=batch.id, error=str(exc), disk_full=is_disk_full(exc),
                           seconds=time.monotonic() - started, worker=worker)
    return BatchResult(batch_id=batch.id, takes=takes, seconds=time.monotonic() - started,
                       worker=worker)


class LocalExecutor(Executor):
    """Threads in this process; the engine instance is shared (engines are thread-safe per call)."""

    name: ClassVar[str] = "local"

    def __init__(self, *, settings: ExecutorSettings | None = None, engine: Engine | None = None,
                 workers: int | None = None) -> None:
        super().__init__(settings=settings)
        self.engine = engine
        self.workers = workers
        self._engines: dict[str, Engine] = {}
        self._lock = threading.Lock()

    def _engine(self, batch: Batch) -> Engine:
        if self.engine is not None and self.engine.name == batch.engine:
            return self.engine
        key = f"{batch.engine}:{sorted(batch.engine_settings.items())!r}"
        with self._lock:
            if key not in self._engines:
                self._engines[key] = get_engine(batch.engine, **batch.engine_settings)
            return self._engines[key]

    def run(self, source: BatchSource, *, cancel: threading.Event) -> None:
        stop = threading.Event()  # a delivery raised: no thread claims another batch
        worker = f"local:{os.getpid()}"

        def loop() -> None:
            while not cancel.is_set() and not stop.is_set():
                batch = source.next_batch()
                if batch is None:
                    return
                try:
                    result = run_batch(self._engine(batch), batch, emit=source.event,
                                       cancel=cancel, worker=worker)
                    source.deliver(batch, result)
                except BaseException:
                    stop.set()
                    raise

        # a cloud engine's calls wait on the network, not the CPU: its own limit holds them
        cpus = source.parallel if getattr(source, "cloud", False) else os.cpu_count() or 1
        workers = max(1, self.workers or min(source.parallel, cpus))
        if workers == 1:
            loop()
            return
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="render") as pool:
            futures = [pool.submit(loop) for _ in range(workers)]
            # waits that end every moment: a signal the kernel gave a worker thread still has
            # its Python handler run here (it runs only in the main thread), so SIGTERM can
            # set `cancel` without waiting for a batch to finish
            while wait(futures, timeout=WAKE_SECONDS).not_done:
                pass
            errors = [f.exception() for f in futures]
        first = next((e for e in errors if e is not None), None)
        if first is not None:
            raise first
