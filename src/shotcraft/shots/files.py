"""Writing files that are complete under their final name, and locks between processes.

`atomic_target(path)` hands a writer a unique temp name beside `path` (same folder, so the
rename is atomic); the writer writes and verifies inside the `with` block; on a clean exit the
temp gets the user's umask and replaces `path`, on any exception it is removed and `path` keeps
its old content. `file_lock(path)` is an exclusive lock (filelock) on a lock file that is
removed again when released.

Every temp file or folder shotcraft makes has one name shape, `.NAME.<pid>-<8 hex>.partial[.EXT]`
(`temp_path`, `temp_folder`): hidden, with the writer's pid and a random token, so no name a
person gives a file has it. `temp_writer(name)` is the one test of that shape (and of the
shapes older releases wrote) that clean-up uses; a substring such as `.partial` is never
enough. Temps this process has in flight are registered (`in_flight`), so a sweep in the
same process never takes one however long its writer runs.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
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


# the shape of every temp name (see the module docstring); group 1 is the writer's pid
_TEMP_NAME = re.compile(r"^\..+\.(\d+)-[0-9a-f]{8}\.partial(?:\.[\w-]+)*$")
# what releases before the one shape wrote, each matched whole and only as a hidden name:
# ".tmp-KEY-PID-THREAD[.mp4]" (normalised clips), ".NAME.PID.THREAD.partial|png" (the take
# store, thumbnails), ".NAME.PID.png", ".NAME.PID.THREAD" (probe memos)
_OLDER_NAMES = (
    re.compile(r"^\.tmp-[0-9a-z]+(?:-[0-9a-z]+)*?-(\d+)-\d{4,}(?:\.mp4)?$"),
    re.compile(r"^\..+?\.[0-9A-Za-z]{2,5}\.(\d+)(?:\.\d{4,})?\.(?:partial|png)$"),
    re.compile(r"^\..+\.json\.(\d+)\.\d{4,}$"),
)
# names without a pid that older releases wrote: an export's work folder (mkdtemp), the MP4's
# temp before it carried a pid, a 剪映 draft being built (mkdtemp)
_OLDER_PIDLESS = (
    re.compile(r"^\.export-[0-9a-z_]{8}$"),
    re.compile(r"^\.[^.].*\.partial\.(?:mp4|srt|otio|otioz|fcpxml|edl|png|pdf)$"),
    re.compile(r"^\..+\.[0-9a-z_]{8}\.partial$"),
)
NO_PID = 0  # temp_writer's answer for a temp whose name carries no pid

_in_flight: set[str] = set()
_in_flight_lock = threading.Lock()


def temp_path(path: Path) -> Path:
    """A name beside `path` that no other writer uses: `.NAME.<pid>-<random>.partial<suffix>`."""
    path = Path(path)
    return path.with_name(f".{path.stem}.{os.getpid()}-{secrets.token_hex(4)}.partial{path.suffix}")


def temp_writer(name: str) -> int | None:
    """The pid of the writer of a temp file or folder named `name` (`NO_PID` for an older
    release's temp without one), or None when the name is not a temp shotcraft makes."""
    for pattern in (_TEMP_NAME, *_OLDER_NAMES):
        match = pattern.match(name)
        if match:
            return int(match.group(1))
    if any(pattern.match(name) for pattern in _OLDER_PIDLESS):
        return NO_PID
    return None


def in_flight(path: str | Path) -> bool:
    """Whether this process is writing the temp at `path` right now."""
    with _in_flight_lock:
        return str(Path(path).absolute()) in _in_flight


@contextmanager
def _registered(path: Path) -> Iterator[None]:
    key = str(Path(path).absolute())
    with _in_flight_lock:
        _in_flight.add(key)
    try:
        yield
    finally:
        with _in_flight_lock:
            _in_flight.discard(key)


@contextmanager
def temp_folder(beside: Path) -> Iterator[Path]:
    """A fresh, empty work folder named like a temp of `beside` (same folder), removed with
    whatever is in it when the block ends."""
    beside = Path(beside)
    beside.parent.mkdir(parents=True, exist_ok=True)
    while True:
        folder = beside.with_name(
            f".{beside.name}.{os.getpid()}-{secrets.token_hex(4)}.partial")
        try:
            folder.mkdir()
            break
        except FileExistsError:  # pragma: no cover - 32 random bits collided
            continue
    try:
        with _registered(folder):
            yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


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
        with _registered(temp):
            yield temp
            if not temp.is_file():
                raise FileNotFoundError(f"{temp.name} was not written")
            # writers that replace the file (tempfile-based ones) leave 0600: the umask's mode
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
