"""The render queue: takes waiting as jobs in the database, leased to one process at a time.

Crash safety: a job is claimed inside `BEGIN IMMEDIATE` and leased to the render's driver
(projects/lease.py: a token, a held lock file and a heartbeat). A driver killed with SIGKILL
leaves jobs `running` under a lease whose lock the operating system has dropped; the next
`render` gives them back to the queue (provider state kept, so a cloud engine resumes polling
instead of re-submitting). Take numbers are allocated in the same kind of transaction, so two
processes never collide.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlmodel import col, select

from shotcraft.projects.db import JobRow, TakeRow, utcnow
from shotcraft.projects.draw.plan import RenderPlan, next_takes
from shotcraft.projects.draw.sheets import is_sheet, same_view
from shotcraft.projects.leases import holder_alive
from shotcraft.projects.store import Store
from shotcraft.shots.models import TakeStatus

STALE_AFTER = timedelta(seconds=60)


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
            alive = holder_alive(store.layout, job.worker)
            if alive or (alive is None and not stale):
                continue  # a live holder, or one only its heartbeat can speak for
            job.state, job.worker = "queued", None
            session.add(job)
            take = session.get(TakeRow, job.take_id)
            if take is not None and take.status == TakeStatus.RUNNING.value:
                take.status = TakeStatus.QUEUED.value
                session.add(take)
            recovered += 1
    return recovered


def queue_takes(store: Store, plan: RenderPlan, *, options: dict[str, Any] | None = None) -> int:
    """Write the plan's takes as queued jobs; returns how many.

    Numbers and seeds are taken again inside the write, so a render that queued in between
    (another process) never shares a number; without one they are the plan's.
    """
    queued = 0
    with store.db.write() as session:
        for entry in plan.shots:
            if entry.takes <= 0:
                continue
            rows = session.exec(select(TakeRow).where(TakeRow.shot_id == entry.shot_id)).all()
            numbers, seeds = next_takes(entry.shot_id, rows, entry.takes, plan.seed)
            synced = (options or {}).get("lipsync") or {}  # a lip-sync take: where it comes from
            for number, seed in zip(numbers, seeds, strict=True):
                take = TakeRow(shot_id=entry.shot_id, number=number, kind=plan.kind.value,
                               engine=plan.engine, seed=seed, status=TakeStatus.QUEUED.value,
                               parent_take=synced.get("parent_take"),
                               audio_hash=synced.get("audio_hash"))
                session.add(take)
                session.flush()
                assert take.id is not None
                session.add(JobRow(take_id=take.id, shot_id=entry.shot_id, engine=plan.engine,
                                   options=dict(options or {})))
            queued += entry.takes
    return queued


def claim(
    store: Store, shot_ids: set[str] | None, engine_name: str, batch: int, *, worker: str
) -> list[JobRow]:
    """Lease up to `batch` queued jobs of one shot (this engine's, one kind) to `worker`.

    Jobs queued for another engine wait for a render with that engine: a Kling task must never
    be drawn by previz because it happened to be first in the queue.
    """
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
        sheet = is_sheet(first.shot_id)
        claimed = []
        for job in candidates:
            take = session.get(TakeRow, job.take_id)
            if take is None or take.kind != first_take.kind:
                continue
            if sheet and not same_view(first_take.number, take.number):
                continue  # one batch, one prompt: a sheet's views are drawn in separate batches
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


def held_by(store: Store, job_ids: list[int], worker: str) -> set[int]:
    """Which of these jobs are still running under `worker` (its lease was not taken over)."""
    with store.db.read() as session:
        rows = session.exec(select(JobRow).where(col(JobRow.id).in_(job_ids))).all()
    return {row.id for row in rows if row.id is not None and row.state == "running"
            and row.worker == worker}


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
