"""Who holds a render's jobs: a lease owned by the driver, with a heartbeat and a lock file
(whose holder's liveness projects/leases.py tells).

A render's driver takes one lease for its whole run. Jobs it claims carry the lease's token;
its heartbeat renews every job it holds, whichever executor (threads here, Ray workers
elsewhere) is drawing them. Whether a holder is alive is told by an exclusive lock (filelock)
on `work/leases/<token>.lock`, which the operating system drops the moment the holder dies
(kill -9 included) — no `host:pid` that only this machine's `os.kill` could check. A holder
whose lock cannot be read (another machine, an older shotcraft) is judged by its heartbeat.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import socket
import threading
from collections.abc import Callable

from filelock import FileLock, Timeout
from sqlmodel import col, select

from shotcraft.projects.db import JobRow, utcnow
from shotcraft.projects.leases import lease_file
from shotcraft.projects.store import Store

HEARTBEAT_SECONDS = 5.0
def beat(store: Store, job_ids: list[int]) -> None:
    """Renew the lease on these jobs (one heartbeat)."""
    with store.db.write() as session:
        for job in session.exec(select(JobRow).where(col(JobRow.id).in_(job_ids))).all():
            job.heartbeat_at = utcnow()
            session.add(job)


class Lease:
    """The driver's lease: a token, a held lock file, and a heartbeat over the jobs it holds.

    A beat that fails is retried at the next one (a database locked for a moment must not
    throw away a take), but never silently: the first failure goes to `on_failure` at once,
    and `failure` keeps the latest one, so the driver can tell whether the lease still held.
    """

    def __init__(self, store: Store, *,
                 on_failure: Callable[[str, list[int]], None] | None = None) -> None:
        self.store = store
        self.token = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
        self.on_failure = on_failure or (lambda _message, _jobs: None)
        self.failure: str | None = None
        self._held: set[int] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="lease")
        self._file: FileLock | None = None

    def __enter__(self) -> Lease:
        """Take the lock file before any job is claimed; a folder that cannot hold it refuses
        the render (as the rest of the render's work folder would)."""
        path = lease_file(self.store.layout, self.token)
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file = FileLock(path, thread_local=False)  # held for the lease's life
        try:
            self._file.acquire(timeout=0)
        except (OSError, Timeout):
            self._file = None
            raise
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
        self._close_file()

    def _close_file(self) -> None:
        if self._file is not None:
            path = lease_file(self.store.layout, self.token)
            path.unlink(missing_ok=True)
            self._file.release()
            self._file = None
            with contextlib.suppress(OSError):
                path.parent.rmdir()  # only when no other render holds a lease

    def hold(self, job_ids: list[int]) -> None:
        with self._lock:
            self._held.update(job_ids)

    def release(self, job_ids: list[int]) -> None:
        with self._lock:
            self._held.difference_update(job_ids)

    def held(self) -> list[int]:
        with self._lock:
            return sorted(self._held)

    def _run(self) -> None:
        # module globals, read at each beat: tests turn the beat and its pace down
        while not self._stop.wait(HEARTBEAT_SECONDS):
            job_ids = self.held()
            if not job_ids:
                continue
            try:
                beat(self.store, job_ids)
            except Exception as exc:  # any cause: this thread has nobody else to tell
                first = self.failure is None
                self.failure = f"{type(exc).__name__}: {_first_line(exc)}"
                if first:
                    self.on_failure(self.failure, job_ids)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else "no message"
