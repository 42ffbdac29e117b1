"""The render queue: takes waiting as jobs in the database, leased to one process at a time.

Crash safety: a job is claimed inside `BEGIN IMMEDIATE` and leased to this process
("host:pid"), with a heartbeat. A process killed with SIGKILL leaves jobs `running` under a
dead pid; the next `render` gives them back to the queue (provider state kept, so a cloud
engine resumes polling instead of re-submitting). Take numbers are allocated in the same kind
of transaction, so two processes never collide.
"""

from __future__ import annotations

import os
import socket
import threading
import zlib
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

from sqlmodel import col, select

from shotcraft.projects.db import EpisodeRow, JobRow, ShotRow, TakeRow, utcnow
from shotcraft.projects.store import Store
from shotcraft.shots.models import Budget, Shot, TakeKind, TakeStatus

HEARTBEAT_SECONDS = 5.0
STALE_AFTER = timedelta(seconds=60)
SEED_SPACE = 2**31 - 1


def worker_id() -> str:
    """Who holds a lease: "host:pid"."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _worker_alive(worker: str | None) -> bool:
    if not worker:
        return False
    host, _, pid = worker.rpartition(":")
    if host != socket.gethostname():
        return True  # another machine: only the heartbeat can tell
    try:
        os.kill(int(pid), 0)
    except (ProcessLookupError, ValueError):
        return False
    except PermissionError:
        return True
    return True


def recover_stale_jobs(store: Store) -> int:
    """Give jobs whose process died back to the queue; returns how many."""
    now = utcnow()
    recovered = 0
    with store.db.write() as session:
        for job in session.exec(select(JobRow).where(JobRow.state == "running")).all():
            beat = job.heartbeat_at
            if beat is not None and beat.tzinfo is None:
                beat = beat.replace(tzinfo=now.tzinfo)
            stale = beat is None or now - beat > STALE_AFTER
            if _worker_alive(job.worker) and not stale:
                continue
            job.state, job.worker = "queued", None
            session.add(job)
            take = session.get(TakeRow, job.take_id)
            if take is not None and take.status == TakeStatus.RUNNING.value:
                take.status = TakeStatus.QUEUED.value
                session.add(take)
            recovered += 1
    return recovered


def _first_seed(shot_id: str) -> int:
    # distinct, stable starting seeds per shot so shots do not share compositions
    return zlib.crc32(shot_id.encode()) % 1_000_000


def queue_takes(
    store: Store, shots: list[Shot], *, takes: int | None, engine: str, kind: TakeKind,
    seed: int | None = None, options: dict[str, Any] | None = None,
) -> tuple[int, list[str]]:
    """Queue new takes: `takes` more per shot, or (None) up to each shot's takes wanted.

    Returns (number queued, budget notes). Budgets cap what is queued and say so.
    """
    queued = 0
    notes: list[str] = []
    with store.db.write() as session:
        ep_budgets = {row.number: Budget(**row.budget) for row in session.exec(select(EpisodeRow)).all() if row.budget}
        ep_counts: dict[int, int] = {}
        for shot in shots:
            rows = session.exec(select(TakeRow).where(TakeRow.shot_id == shot.id)).all()
            same_kind = [r for r in rows if r.kind == kind.value]
            live = [r for r in same_kind if r.status != TakeStatus.FAILED.value]
            wanted = takes if takes is not None else max(0, shot.takes_wanted - len(live))
            budget = shot.budget
            if budget is not None:
                wanted = _cap(wanted, budget, rows, shot.id, notes, what=f"shot {shot.id}")
            ep_budget = ep_budgets.get(shot.episode)
            if ep_budget is not None:
                if shot.episode not in ep_counts:
                    ids = select(ShotRow.id).where(ShotRow.episode == shot.episode)
                    ep_rows = session.exec(select(TakeRow).where(col(TakeRow.shot_id).in_(ids))).all()
                    ep_counts[shot.episode] = len(ep_rows)
                    ep_spent: Sequence[TakeRow] = ep_rows
                else:
                    ep_spent = ()
                wanted = _cap(wanted, ep_budget, ep_spent, shot.id, notes,
                              what=f"episode {shot.episode}", count=ep_counts[shot.episode])
                ep_counts[shot.episode] += wanted
            if wanted <= 0:
                continue
            next_number = max((r.number for r in rows), default=0) + 1
            if seed is not None:
                first = seed
            else:
                seeds = [r.seed for r in rows if r.seed is not None]
                first = max(seeds) + 1 if seeds else _first_seed(shot.id)
            for i in range(wanted):
                take = TakeRow(shot_id=shot.id, number=next_number + i, kind=kind.value,
                               engine=engine, seed=(first + i) % SEED_SPACE,
                               status=TakeStatus.QUEUED.value)
                session.add(take)
                session.flush()
                assert take.id is not None
                session.add(JobRow(take_id=take.id, shot_id=shot.id, engine=engine,
                                   options=dict(options or {})))
            queued += wanted
    return queued, notes


def _cap(
    wanted: int, budget: Budget, rows: Sequence[TakeRow], shot_id: str, notes: list[str], *, what: str,
    count: int | None = None,
) -> int:
    spent_takes = len(rows) if count is None else count
    seconds = sum(r.cost_seconds or 0.0 for r in rows)
    credits = sum(r.cost_credits or 0.0 for r in rows)
    if budget.max_seconds is not None and seconds >= budget.max_seconds:
        notes.append(f"{what} has spent {seconds:.0f} of {budget.max_seconds:g} compute seconds; "
                     f"no more takes of {shot_id}.")
        return 0
    if budget.max_credits is not None and credits >= budget.max_credits:
        notes.append(f"{what} has spent {credits:g} of {budget.max_credits:g} credits; "
                     f"no more takes of {shot_id}.")
        return 0
    if budget.max_takes is not None and spent_takes + wanted > budget.max_takes:
        allowed = max(0, budget.max_takes - spent_takes)
        if allowed < wanted:
            notes.append(f"{what} allows {budget.max_takes} takes; queued {allowed} of {wanted} "
                         f"for {shot_id}.")
        return allowed
    return wanted


def claim(store: Store, shot_ids: set[str] | None, engine_name: str, batch: int) -> list[JobRow]:
    """Lease up to `batch` queued jobs of one shot (this engine's, one kind) to this process.

    Jobs queued for another engine wait for a render with that engine: a Kling task must never
    be drawn by previz because it happened to be first in the queue.
    """
    worker = worker_id()
    with store.db.write() as session:
        query = select(JobRow).where(JobRow.state == "queued", JobRow.engine == engine_name)
        query = query.order_by(col(JobRow.id))
        if shot_ids is not None:
            query = query.where(col(JobRow.shot_id).in_(shot_ids))
        first = session.exec(query).first()
        if first is None:
            return []
        first_take = session.get(TakeRow, first.take_id)
        assert first_take is not None
        candidates = session.exec(query.where(JobRow.shot_id == first.shot_id)).all()
        claimed = []
        for job in candidates:
            take = session.get(TakeRow, job.take_id)
            if take is None or take.kind != first_take.kind:
                continue
            job.state, job.worker, job.heartbeat_at = "running", worker, utcnow()
            job.attempts += 1
            job.updated_at = utcnow()
            take.status = TakeStatus.RUNNING.value
            session.add(job)
            session.add(take)
            claimed.append(job)
            if len(claimed) >= batch:
                break
        return claimed


def beat(store: Store, job_ids: list[int]) -> None:
    """Renew the lease on these jobs (one heartbeat)."""
    with store.db.write() as session:
        for job in session.exec(select(JobRow).where(col(JobRow.id).in_(job_ids))).all():
            job.heartbeat_at = utcnow()
            session.add(job)


class Heartbeat:
    """Keeps the lease on claimed jobs fresh while an engine works.

    A beat that fails is retried at the next one (a database locked for a moment must not
    throw away a take), but never silently: the first failure goes to `on_failure` at once,
    and `failure` keeps the latest one, so the render can tell whether the lease still held.
    """

    def __init__(self, store: Store, job_ids: list[int], *,
                 on_failure: Callable[[str], None] | None = None) -> None:
        self.store, self.job_ids = store, job_ids
        self.on_failure = on_failure or (lambda _message: None)
        self.failure: str | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(HEARTBEAT_SECONDS):
            try:
                beat(self.store, self.job_ids)
            except Exception as exc:  # any cause: this thread has nobody else to tell
                first = self.failure is None
                self.failure = f"{type(exc).__name__}: {_first_line(exc)}"
                if first:
                    self.on_failure(self.failure)


def held_by(store: Store, job_ids: list[int], worker: str) -> set[int]:
    """Which of these jobs are still running under `worker` (its lease was not taken over)."""
    with store.db.read() as session:
        rows = session.exec(select(JobRow).where(col(JobRow.id).in_(job_ids))).all()
    return {row.id for row in rows if row.id is not None and row.state == "running"
            and row.worker == worker}


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else "no message"


def pending_count(store: Store, shot_ids: set[str], engine_name: str) -> int:
    """Jobs of these shots waiting for this engine."""
    with store.db.read() as session:
        return len(session.exec(select(JobRow.id).where(
            JobRow.state == "queued", JobRow.engine == engine_name,
            col(JobRow.shot_id).in_(shot_ids))).all())


def retry_failed(store: Store, *, shot_id: str | None = None) -> int:
    """Queue failed takes again under their own numbers and seeds; returns how many."""
    count = 0
    with store.db.write() as session:
        query = select(JobRow).where(col(JobRow.state).in_(["failed", "cancelled"]))
        if shot_id is not None:
            query = query.where(JobRow.shot_id == shot_id)
        for job in session.exec(query).all():
            take = session.get(TakeRow, job.take_id)
            if take is None:
                continue
            job.state, job.error, job.worker = "queued", None, None
            take.status, take.reason = TakeStatus.QUEUED.value, None
            session.add(job)
            session.add(take)
            count += 1
    return count


def cancel_queued(store: Store, *, shot_id: str | None = None) -> int:
    """Cancel takes still waiting in the queue; returns how many."""
    count = 0
    with store.db.write() as session:
        query = select(JobRow).where(JobRow.state == "queued")
        if shot_id is not None:
            query = query.where(JobRow.shot_id == shot_id)
        for job in session.exec(query).all():
            take = session.get(TakeRow, job.take_id)
            job.state, job.error = "cancelled", "cancelled"
            session.add(job)
            if take is not None:
                take.status, take.reason = TakeStatus.FAILED.value, "cancelled"
                session.add(take)
            count += 1
    return count


def jobs(store: Store) -> list[dict[str, Any]]:
    """The render queue: every job not done, with its take, newest last."""
    with store.db.read() as session:
        rows = session.exec(select(JobRow, TakeRow).where(JobRow.take_id == TakeRow.id).where(
            col(JobRow.state).in_(["queued", "running", "failed", "cancelled"])).order_by(col(JobRow.id))).all()
    return [
        {"job": job.id, "shot_id": job.shot_id, "take": take.number, "state": job.state,
         "engine": job.engine, "seed": take.seed, "kind": take.kind, "error": job.error,
         "attempts": job.attempts, "worker": job.worker}
        for job, take in rows
    ]
