"""Executors run batches of takes: `local` threads in this process, or `ray` on a cluster.

They see self-contained batch descriptions (`Batch`: the engine's name and settings, the
request, a folder) and hand back results; the project's database never reaches them.
"""

from shotcraft.engine.executors.base import (
    EXECUTORS,
    Batch,
    BatchEvent,
    BatchResult,
    BatchSource,
    Executor,
    ExecutorSettings,
    executor_names,
    get_executor,
)

__all__ = ["EXECUTORS", "Batch", "BatchEvent", "BatchResult", "BatchSource", "Executor",
           "ExecutorSettings", "executor_names", "get_executor"]
