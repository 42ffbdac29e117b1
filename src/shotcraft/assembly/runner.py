"""Run an export's ffmpeg command: the graph's arguments through the shared ffmpeg runner.

ffmpeg-python's own error says only "see stderr"; here a failure becomes an AssemblyError that
names what was being done and what ffmpeg said (shots.ffmpeg does the running).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

from shotcraft.shots import ffmpeg
from shotcraft.shots.errors import AssemblyError

_FLAGS = ["-hide_banner", "-nostdin", "-y", "-loglevel", "error", "-progress", "pipe:1", "-nostats"]


def _arguments(stream_or_args) -> list[str]:
    """ffmpeg's arguments (no binary) for an ffmpeg-python stream or an argument list."""
    args = list(stream_or_args) if isinstance(stream_or_args, Sequence) else stream_or_args.get_args()
    return [*_FLAGS, *args]


def run(
    stream_or_args,
    *,
    what: str = "running ffmpeg",
    progress: Callable[[float], None] | None = None,
    total_frames: int | None = None,
    cancel: threading.Event | None = None,
) -> None:
    """Execute ffmpeg; report progress as a 0–1 fraction of `total_frames`; kill it on `cancel`.

    Raises AssemblyError("ffmpeg failed while <what>: <what ffmpeg said>") with the tail of
    stderr on failure, and AssemblyError("... cancelled ...") when `cancel` was set.
    """
    if cancel is not None and cancel.is_set():
        raise AssemblyError(f"export cancelled before {what}.")
    try:
        ffmpeg.run(
            _arguments(stream_or_args), what=what, error=AssemblyError,
            progress=progress or _ignore, total_frames=total_frames, cancel=cancel,
        )
    except AssemblyError:
        if cancel is not None and cancel.is_set():  # the director stopped it: not a failure
            raise AssemblyError(f"export cancelled while {what}.") from None
        raise


def _ignore(_fraction: float) -> None:
    """Progress nobody watches: stdout still carries `-progress` lines, read and dropped."""
