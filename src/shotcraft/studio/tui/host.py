"""What the studio's screens ask of the app that hosts them.

The screens are the app's parts and the app opens them, so they name what they use of it here
(a Protocol the app satisfies) instead of importing the app: no import runs back up from a
screen to the app.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol, TypeVar

from shotcraft.projects import Project
from shotcraft.shots.errors import ShotcraftError
from shotcraft.shots.models import TakeKind

T = TypeVar("T")


class StudioHost(Protocol):
    """The studio app, as its screens see it (besides Textual's own `App`)."""

    project: Project
    export_cancel: threading.Event | None
    last_render_event: Any

    def guard(self, call: Callable[..., T], *args: Any, **kwargs: Any) -> T | None: ...

    def as_error(self, exc: BaseException) -> ShotcraftError: ...

    def show_error(self, error: ShotcraftError, *, title: str | None = None) -> None: ...

    def write(self, call: Callable[..., T], *args: Any,
              done: Callable[[T], None] | None = None, **kwargs: Any) -> bool: ...

    def draw_takes(self, shot_ids: list[str] | None, takes: int | None, *,
                   episode: int | None = None, kind: TakeKind = TakeKind.VIDEO,
                   engine: str | None = None) -> bool: ...

    def draw_sequence(self, shot_id: str) -> bool: ...

    def draw_lipsync(self, shot_id: str, from_take: int | None) -> bool: ...

    def draw_until(self, shot_ids: list[str] | None, *, episode: int | None = None) -> bool: ...

    def stop_render(self) -> None: ...

    def export_episode(self, episode: int, options: Any, out: Path | None = None) -> bool: ...
