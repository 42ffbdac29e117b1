"""A render lease's lock file, and whether its holder is alive (a dead one's is swept).

A render's driver holds an exclusive lock (filelock) on `work/leases/<token>.lock` for as long
as it runs (projects/draw/lease.py); the operating system drops the lock the moment the holder
dies, kill -9 included. Whoever finds a job leased to a token asks here whether its holder still
lives (the queue, giving a dead holder's jobs back) or removes a dead holder's file (cleanup).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from pathlib import Path

from filelock import FileLock, Timeout

from shotcraft.projects.paths import Layout

LEASES = "leases"


def lease_file(layout: Layout, token: str) -> Path:
    return layout.work / LEASES / f"{re.sub(r'[^A-Za-z0-9._-]', '_', token)}.lock"


@contextlib.contextmanager
def _taken(path: Path) -> Iterator[bool | None]:
    """Try the lease file's lock: True while we hold it (its holder is dead), False when a
    live holder does, None when it cannot be locked; FileNotFoundError when there is none."""
    if not path.exists():
        raise FileNotFoundError(path)
    lock = FileLock(path, thread_local=False)
    try:
        lock.acquire(timeout=0)
    except (Timeout, RuntimeError):  # RuntimeError: this very thread holds it, so it is alive
        yield False
        return
    except OSError:
        yield None
        return
    try:
        yield True
    finally:
        lock.release()


def holder_alive(layout: Layout, token: str | None) -> bool | None:
    """True/False when the holder's lock file tells; None when only its heartbeat can (a
    holder from an older shotcraft, "host:pid", or a file system without locks)."""
    if not token or token.count(":") < 2:
        return None
    try:
        with _taken(lease_file(layout, token)) as taken:
            return None if taken is None else not taken
    except FileNotFoundError:
        return False  # a lease's file lives as long as its holder; clean-up took a dead one's


def sweep_leases(layout: Layout) -> list[str]:
    """Remove the lock files of holders that died; returns their tokens' file names."""
    folder = layout.work / LEASES
    if not folder.is_dir():
        return []
    removed = []
    for path in sorted(folder.glob("*.lock")):
        with contextlib.suppress(FileNotFoundError), _taken(path) as taken:
            if taken:
                path.unlink(missing_ok=True)  # still locked by us: nobody can take it meanwhile
                removed.append(path.name)
    return removed
