"""Run an ffmpeg command: stderr captured, progress parsed, cancellable, failures explained.

ffmpeg-python's own error says only "see stderr"; here a failure becomes an AssemblyError that
names what was being done and carries the last lines ffmpeg printed.
"""

from __future__ import annotations

import subprocess
import threading
from collections import deque
from collections.abc import Callable, Sequence

from shotcraft.shots.errors import AssemblyError
from shotcraft.shots.media import ffmpeg_binary

_TAIL_LINES = 12


def command(stream_or_args) -> list[str]:
    """The full command line (binary first) for an ffmpeg-python stream or an argument list."""
    args = list(stream_or_args) if isinstance(stream_or_args, Sequence) else stream_or_args.get_args()
    return [
        ffmpeg_binary(), "-hide_banner", "-nostdin", "-y", "-loglevel", "error",
        "-progress", "pipe:1", "-nostats", *args,
    ]


def run(
    stream_or_args,
    *,
    what: str = "running ffmpeg",
    progress: Callable[[float], None] | None = None,
    total_frames: int | None = None,
    cancel: threading.Event | None = None,
) -> None:
    """Execute ffmpeg; report progress as a 0–1 fraction of `total_frames`; kill it on `cancel`.

    Raises AssemblyError("ffmpeg failed while <what>") with the tail of stderr on failure, and
    AssemblyError("... cancelled ...") when `cancel` was set.
    """
    if cancel is not None and cancel.is_set():
        raise AssemblyError(f"export cancelled before {what}.")
    args = command(stream_or_args)
    proc = subprocess.Popen(  # noqa: S603 - an argument list, never a shell
        args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL
    )
    tail: deque[str] = deque(maxlen=_TAIL_LINES)

    def drain() -> None:
        # a separate reader so a chatty ffmpeg never blocks on a full stderr pipe
        assert proc.stderr is not None
        for raw in proc.stderr:
            line = raw.decode(errors="replace").rstrip()
            if line:
                tail.append(line)

    def watch() -> None:
        assert cancel is not None
        while proc.poll() is None:
            if cancel.wait(0.05):
                proc.kill()
                return

    readers = [threading.Thread(target=drain, daemon=True)]
    if cancel is not None:
        readers.append(threading.Thread(target=watch, daemon=True))
    for thread in readers:
        thread.start()
    try:
        assert proc.stdout is not None
        for raw in proc.stdout:
            _report(raw, progress, total_frames)
    finally:
        code = proc.wait()
        for thread in readers:
            thread.join(timeout=5)
    if cancel is not None and cancel.is_set():
        raise AssemblyError(f"export cancelled while {what}.")
    if code != 0:
        raise AssemblyError(
            f"ffmpeg failed while {what} (exit code {code}).", stderr_tail="\n".join(tail)
        )
    if progress is not None:
        progress(1.0)


def _report(raw: bytes, progress: Callable[[float], None] | None, total: int | None) -> None:
    """Turn one `-progress` line ("frame=42") into a fraction of the expected frames."""
    if progress is None or not total:
        return
    key, _, value = raw.decode(errors="replace").strip().partition("=")
    if key == "frame" and value.isdigit():
        progress(min(1.0, int(value) / total))
