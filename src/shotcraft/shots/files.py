"""Writing files that are complete under their final name, and locks between processes.

`atomic_target(path)` hands a writer a unique temp name beside `path` (same folder, so the
rename is atomic); the writer writes and verifies inside the `with` block; on a clean exit the
temp gets the user's umask and replaces `path`, on any exception it is removed and `path` keeps
its old content. `file_lock(path)` is an exclusive lock (filelock) on a lock file that is
removed again when released.
"""

from __future__ import annotations

import os
import re
import secrets
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

_umask_lock = threading.Lock()


def current_umask() -> int:
    """The process umask, read without changing it where the OS allows (Linux /proc)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    with _umask_lock:  # os.umask only reads by writing; keep other threads of ours out meanwhile
        mask = os.umask(0o022)
        os.umask(mask)
    return mask


def file_mode() -> int:
    """The mode a new regular file gets under the current umask (0644 under umask 022)."""
    return 0o666 & ~current_umask()


def temp_path(path: Path) -> Path:
    """A name beside `path` that no other writer uses: `.NAME.<pid>-<random>.partial<suffix>`."""
    path = Path(path)
    return path.with_name(f".{path.stem}.{os.getpid()}-{secrets.token_hex(4)}.partial{path.suffix}")


def remove_stale_temps(path: Path) -> int:
    """Delete temp files that earlier (killed) writers left for `path`; returns how many.

    Only safe while holding the lock every writer of `path` takes (no live writer then).
    """
    path = Path(path)
    own = re.compile(
        rf"^\.{re.escape(path.stem)}\.\d+-[0-9a-f]{{8}}\.partial{re.escape(path.suffix)}(\..*)?$"
    )
    removed = 0
    for leftover in path.parent.glob(f".{path.stem}.*.partial*"):
        if own.match(leftover.name):
            leftover.unlink(missing_ok=True)
            removed += 1
    return removed


@contextmanager
def atomic_target(path: Path) -> Iterator[Path]:
    """Yield a fresh temp path beside `path`; on success it becomes `path`, on failure it goes.

    The temp file already exists (empty, created exclusively) so no other writer can take the
    name; writers such as ffmpeg or PIL overwrite it. Verification belongs inside the block:
    raising there keeps `path` as it was.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    while True:
        temp = temp_path(path)
        try:
            os.close(os.open(temp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))
            break
        except FileExistsError:  # pragma: no cover - 32 random bits collided
            continue
    try:
        yield temp
        if not temp.is_file():
            raise FileNotFoundError(f"{temp.name} was not written")
        # writers that replace the file (tempfile-based ones) leave 0600: give it the umask's mode
        os.chmod(temp, file_mode())
        os.replace(temp, path)
    finally:
        temp.unlink(missing_ok=True)


@contextmanager
def file_lock(
    path: Path,
    *,
    on_wait: Callable[[], None] | None = None,
    cancel: threading.Event | None = None,
    poll: float = 0.1,
) -> Iterator[None]:
    """Hold an exclusive lock on `path` (filelock; created, and removed again on release).

    When another process holds it, `on_wait()` is called once and this waits (polling, so a
    set `cancel` event ends the wait with InterruptedError). A waiter that had the removed file
    open finds it gone and locks the new one (filelock checks), so two holders never overlap.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(path, thread_local=False)
    try:
        lock.acquire(timeout=0)
    except Timeout:
        if on_wait is not None:
            on_wait()
        try:
            lock.acquire(poll_interval=poll,
                         cancel_check=cancel.is_set if cancel is not None else None)
        except Timeout:  # only a set `cancel` ends a wait without a deadline
            raise InterruptedError(f"stopped waiting for {path.name}") from None
    try:
        yield
    finally:
        path.unlink(missing_ok=True)  # while still held: the next holder makes it anew
        lock.release()
