"""Messages the studio's workers and poller post; screens react with @on handlers.

Progress messages are cheap and replaceable: a newer one supersedes a queued older one, so a
fast engine cannot flood the message queue.
"""

from __future__ import annotations

from typing import Any

from textual.message import Message

from shotcraft.shots.errors import ShotcraftError


class RenderProgress(Message, bubble=False):
    """A take started or moved on (RenderEvent kinds queued/started/progress/budget/warning)."""

    def __init__(self, event: Any) -> None:
        super().__init__()
        self.event = event

    def can_replace(self, message: Message) -> bool:
        # progress is replaceable; a warning must reach the director
        return isinstance(message, RenderProgress) and "warning" not in (
            self.event.kind, message.event.kind)


class TakeRendered(Message, bubble=False):
    """A take finished: done or failed (RenderEvent kind done/failed)."""

    def __init__(self, event: Any) -> None:
        super().__init__()
        self.event = event


class RenderFinished(Message, bubble=False):
    """The render worker ended: a RenderSummary, or the error saying why it stopped."""

    def __init__(self, summary: Any = None, error: ShotcraftError | None = None) -> None:
        super().__init__()
        self.summary = summary
        self.error = error


class ExportProgress(Message, bubble=False):
    def __init__(self, stage: str, fraction: float) -> None:
        super().__init__()
        self.stage = stage
        self.fraction = fraction

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, ExportProgress)


class ExportFinished(Message, bubble=False):
    def __init__(self, result: Any = None, error: ShotcraftError | None = None) -> None:
        super().__init__()
        self.result = result
        self.error = error


class DataChanged(Message, bubble=False):
    """The project changed (this process or another one): reload what is shown."""

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, DataChanged)
