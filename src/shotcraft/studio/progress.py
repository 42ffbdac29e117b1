"""Rich progress bars for render and export, fed by the facade's events."""

from __future__ import annotations

import threading
from types import TracebackType
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text


class RenderProgress:
    """One bar for takes (done of total, ETA) and one for the take being drawn."""

    def __init__(self, console: Console) -> None:
        self.progress = Progress(
            TextColumn("{task.description}", markup=False), BarColumn(), MofNCompleteColumn(),
            TimeElapsedColumn(), TimeRemainingColumn(), console=console, transient=False,
        )
        self.takes: TaskID | None = None
        self.current: TaskID | None = None

    def __enter__(self) -> RenderProgress:
        self.progress.__enter__()
        return self

    def __exit__(self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        self.progress.__exit__(t, e, tb)

    def update(self, event: Any) -> None:
        if event.kind == "queued":
            self.takes = self.progress.add_task("takes", total=max(event.total, 1))
            self.current = self.progress.add_task("", total=100)
        elif event.kind in ("started", "progress") and self.current is not None:
            self.progress.update(self.current, description=f"{event.shot_id} take {event.take}",
                                 completed=event.fraction * 100)
        elif event.kind in ("done", "failed") and self.takes is not None:
            self.progress.update(self.takes, completed=event.finished)
            if event.kind == "failed":
                self.progress.console.print(Text.assemble(
                    (f"{event.shot_id} take {event.take} failed:", "red"), f" {event.message}"))
        elif event.kind == "stopped" and self.takes is not None:
            # render --until: a shot stopped early, so the run draws fewer takes than it might
            self.progress.update(self.takes, total=max(event.total, 1), completed=event.finished)
        elif event.kind == "budget":
            self.progress.console.print(Text.assemble(("budget:", "yellow"), f" {event.message}"))
        elif event.kind == "warning":
            self.progress.console.print(Text.assemble(("warning:", "yellow"), f" {event.message}"))


class ExportProgress:
    def __init__(self, console: Console, *, enabled: bool = True) -> None:
        self.enabled = enabled
        self.progress = Progress(TextColumn("{task.description}", markup=False), BarColumn(),
                                 TimeElapsedColumn(),
                                 console=console, transient=True, disable=not enabled)
        self.task: TaskID | None = None

    def __enter__(self) -> ExportProgress:
        self.progress.__enter__()
        self.task = self.progress.add_task("export", total=1.0)
        return self

    def __exit__(self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        self.progress.__exit__(t, e, tb)

    def update(self, stage: str, fraction: float) -> None:
        if self.task is not None:
            self.progress.update(self.task, description=stage, completed=fraction)


class ImportProgress:
    """A transient status line for an import, shown only once it has run `after` seconds: a
    fast import prints nothing but its summary."""

    LABELS = {"parse": "reading the script", "breakdown": "breaking it down into shots",
              "write": "saving the storyboard", "done": "saved"}

    def __init__(self, console: Console, *, after: float = 1.0) -> None:
        self.progress = Progress(TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(),
                                 console=console, transient=True)
        self.task = self.progress.add_task(self.LABELS["parse"], total=1.0)
        self._lock = threading.Lock()
        self._shown = self._closed = False
        self._timer = threading.Timer(after, self._show)
        self._timer.daemon = True

    def __enter__(self) -> ImportProgress:
        self._timer.start()
        return self

    def __exit__(self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        self._timer.cancel()
        with self._lock:
            self._closed = True
            if self._shown:
                self.progress.stop()

    def _show(self) -> None:
        with self._lock:
            if not self._closed:
                self.progress.start()
                self._shown = True

    def update(self, phase: str, fraction: float) -> None:
        self.progress.update(self.task, description=self.LABELS.get(phase, phase), completed=fraction)
