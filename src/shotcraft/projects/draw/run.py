"""Card draw: plan → execute → store.

- **Plan** (projects/plan.py) reads the project and writes nothing: every request is built and
  checked against the engine, priced and held against the budgets. A refusal is one sentence
  and burns no take number. Then the plan's takes are queued as jobs.
- **Execute**: an executor (engine/executors: `local` threads, or `ray`) runs batches. It sees
  only self-contained `Batch`es and hands back files, metadata and progress — never the
  project or its database.
- **Store**: this module, the driver. It claims jobs under its lease (projects/lease.py),
  turns them into batches, persists cloud checkpoints as they come, validates each file
  against what the engine declared it delivers, moves it into the content-addressed store,
  scores it and registers the take.

A full disk stops the whole render at once (it will not heal mid-run) with the one disk-full
sentence naming the project: the takes being drawn go back to the queue with that reason
(the next `render` draws them under their own numbers and seeds), takes already done stay,
and nothing half-written is kept or registered. A render cancelled through an `Interruption`
(the CLI's, set by Ctrl-C or SIGTERM) ends the same way: the takes it was drawing go back to
the queue, never left `running` nor failed as cancelled.
"""

from __future__ import annotations

import math
import os
import shutil
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlmodel import select

from shotcraft.engine.executors import (
    Batch,
    BatchEvent,
    BatchResult,
    Executor,
    ExecutorSettings,
    get_executor,
)
from shotcraft.engine.protocol import Engine, RenderedTake
from shotcraft.engine.registry import get_engine
from shotcraft.engine.settings import EngineSettings
from shotcraft.projects.cleanup import sweep
from shotcraft.projects.convert import shot_from_row, take_from_row
from shotcraft.projects.db import JobRow, ShotRow, TakeRow, utcnow
from shotcraft.projects.draw.batch import request_for
from shotcraft.projects.draw.elements import ensure_elements
from shotcraft.projects.draw.events import (
    EventFn,
    Interruption,
    RenderEvent,
    RenderSummary,
    TakeResult,
)
from shotcraft.projects.draw.lease import Lease
from shotcraft.projects.draw.plan import RenderPlan, hold_budget, plan_render
from shotcraft.projects.draw.queue import (
    claim,
    held_by,
    pending_count,
    queue_takes,
    recover_stale_jobs,
)
from shotcraft.projects.media import store_file, validate_still, validate_video
from shotcraft.projects.neighbours import previous_last_frame
from shotcraft.projects.scoring import score_and_thumbnail
from shotcraft.projects.store import Store
from shotcraft.shots.errors import (
    MediaError,
    ProjectError,
    ShotcraftError,
    SpecError,
    disk_full,
    is_disk_full,
)
from shotcraft.shots.media import probe, sha256_file
from shotcraft.shots.models import Shot, Take, TakeKind, TakeOrigin, TakeStatus
from shotcraft.shots.redact import clean

__all__ = ["Driver", "Interruption", "RenderEvent", "RenderPlan", "RenderSummary", "TakeResult", "add_take",
           "render"]


def render(
    store: Store,
    *,
    shot_ids: list[str] | None = None,
    episode: int | None = None,
    takes: int | None = None,
    engine: str | None = None,
    seed: int | None = None,
    kind: TakeKind = TakeKind.VIDEO,
    allow_downgrade: bool = False,
    params: dict[str, Any] | None = None,
    on_event: EventFn | None = None,
    cancel: threading.Event | None = None,
    engine_settings: dict[str, Any] | None = None,
    executor: str | Executor | None = None,
    executor_options: dict[str, Any] | None = None,
    dry_run: bool = False,
    loaded_engine: Engine | None = None,
    lipsync: dict[str, Any] | None = None,
    budget: float | None = None,
) -> RenderSummary:
    """Plan the takes for the chosen shots, queue them, resume interrupted ones, and draw them
    all on an executor. With `dry_run`, return the plan (`summary.plan`) and write nothing.

    `loaded_engine` is the engine named by `engine`, already made: a caller drawing batch after
    batch (projects/until.py) keeps one engine, and its loaded pipeline, for all of them.

    `lipsync` (with `kind=TakeKind.LIPSYNC`) is `projects.lipsync.lipsync_source`'s entry: the
    video take and dialogue audio the lip-sync takes are made of, kept in their jobs.

    `budget` is the most credits this run may spend: a plan over it is refused before anything
    is queued (BudgetExceeded), as a shot's or an episode's budget is."""
    started = time.monotonic()
    emit = on_event or (lambda _event: None)
    engine_name = engine or EngineSettings().default_engine
    engine_obj = loaded_engine or get_engine(engine_name, **(engine_settings or {}))
    shots = select_shots(store, shot_ids, episode)
    summary = RenderSummary()
    if not dry_run:
        sweep(store)  # what dead runs left: work folders, temp files, orphaned media
        recover_stale_jobs(store)
    options: dict[str, Any] = {"allow_downgrade": allow_downgrade, "params": dict(params or {})}
    if lipsync is not None:
        options["lipsync"] = dict(lipsync)
    selected = {shot.id for shot in shots}
    interrupted = pending_count(store, selected, engine_name)
    # after a crash, a bare `render` finishes what was asked before; it queues nothing new
    fresh = takes is not None or interrupted == 0
    element_notes: list[str] = []
    if fresh and not dry_run and engine_obj.capabilities(kind).elements:
        # made once, before the plan, so every take of every shot names the same subject
        element_notes = ensure_elements(store, engine_obj, {n for s in shots for n in s.characters})
    plan = plan_render(store, shots if fresh else [], engine=engine_obj, engine_name=engine_name,
                       kind=kind, takes=takes, seed=seed, options=options,
                       resumed=0 if fresh else interrupted)
    hold_budget(plan, budget)
    summary.plan, summary.budget_notes = plan, [*plan.notes, *element_notes]
    if dry_run:
        return summary
    engine_obj.check_ready()  # keys missing: one sentence, and no take number is burned
    # the executor (a Ray cluster to reach, maybe) before anything is queued
    if isinstance(executor, Executor):
        runner, owned = executor, False
    else:
        runner = get_executor(executor, **executor_kwargs(executor, engine_obj, executor_options))
        owned = True
    try:
        if fresh:
            summary.queued = queue_takes(store, plan, options=options)
        else:
            summary.resumed = interrupted
            emit(RenderEvent(kind="resumed", total=interrupted,
                             message=f"resuming {interrupted} takes left from an earlier run"))
        for note in summary.budget_notes:
            emit(RenderEvent(kind="budget", message=note))
        total = pending_count(store, selected, engine_name)
        emit(RenderEvent(kind="queued", total=total, message=f"{total} takes to draw"))
        summary.executor = runner.name
        cancel = cancel if cancel is not None else threading.Event()
        driver = Driver(store, engine_obj, engine_name=engine_name, engine_settings=engine_settings,
                        shot_ids=selected, kind=kind, emit=emit, total=total, summary=summary,
                        cancel=cancel)
        reserve = _hold_room(store)
        failure: Exception | None = None
        try:
            with driver.lease:
                runner.run(driver, cancel=cancel)
        except Exception as exc:
            # one worker may meet the full disk outside a delivery (claiming its next batch,
            # preparing it) while another halts the run: the disk is full all the same
            if not (driver.full or is_disk_full(exc)):
                raise
            failure = exc
        finally:
            reserve.unlink(missing_ok=True)
        if driver.full or failure is not None:
            error = driver.full[0] if driver.full else _disk_full_error(store, failure)
            # every worker has stopped and its work folder is gone, and the reserve is given back
            _requeue_interrupted(store, driver.interrupted_jobs, clean(error),
                                 worker=driver.lease.token)
            if failure is None:
                raise error
            raise error from failure
        if driver.requeue and cancel.is_set():
            summary.interrupted = _requeue_interrupted(
                store, driver.interrupted_jobs, "interrupted before it was finished; render "
                "again to draw it", worker=driver.lease.token)
        summary.cancelled = cancel.is_set()
        summary.seconds = time.monotonic() - started
        return summary
    finally:
        if owned:
            runner.close()


def executor_kwargs(name: str | None, engine: Engine, options: dict[str, Any] | None) -> dict[str, Any]:
    """The options the executor called `name` is made with (the local one keeps the engine
    already loaded for planning)."""
    chosen = name or ExecutorSettings().executor
    extra = dict(options or {})
    if chosen == "local":
        extra.setdefault("engine", engine)  # the engine already loaded for planning
    return extra


@dataclass
class _Open:
    """A batch handed to the executor and not yet delivered."""

    shot: Shot
    previous_last: Path | None
    by_number: dict[int, tuple[JobRow, TakeRow]]  # take number → its job and take rows
    stored: set[int] = field(default_factory=set)  # take numbers already delivered

    @property
    def jobs(self) -> list[JobRow]:
        return [job for job, _take in self.by_number.values()]

    def owed(self, numbers: list[int]) -> list[int]:
        """Those of `numbers` not stored yet."""
        return [n for n in numbers if n not in self.stored]


class Driver:
    """The render's driver: the `BatchSource` an executor pulls from (engine/executors)."""

    def __init__(self, store: Store, engine: Engine, *, engine_name: str,
                 engine_settings: dict[str, Any] | None, shot_ids: set[str], kind: TakeKind,
                 emit: EventFn, total: int, summary: RenderSummary, cancel: threading.Event) -> None:
        self.store, self.engine, self.engine_name = store, engine, engine_name
        self.engine_settings = dict(engine_settings or {})
        self.shot_ids, self.emit, self.total, self.summary = shot_ids, emit, total, summary
        self.cancel = cancel
        self.requeue = bool(getattr(cancel, "requeue", False))  # an Interruption: re-queue
        self.caps = engine.capabilities(kind)
        self.parallel = max(1, self.caps.parallel)
        self.cloud = self.caps.cloud  # the local executor does not cap a cloud engine at the CPUs
        self.counter = _Counter()
        self.halt = threading.Event()  # a full disk: no batch is handed out any more
        self.full: list[ShotcraftError] = []
        self.interrupted_jobs: list[JobRow] = []
        self.open: dict[str, _Open] = {}
        self.lock = threading.Lock()
        self.lease = Lease(store, on_failure=self._lease_trouble)

    # --- handing out -----------------------------------------------------------------------

    def next_batch(self) -> Batch | None:
        while not self.halt.is_set() and not self.cancel.is_set():
            jobs = claim(self.store, self.shot_ids, self.engine_name,
                         batch=max(1, self.caps.batch_size), worker=self.lease.token)
            if not jobs:
                return None
            batch = self._prepare(jobs)
            if batch is not None:
                return batch
        return None

    def _prepare(self, jobs: list[JobRow]) -> Batch | None:
        shot_id = jobs[0].shot_id
        with self.store.db.read() as session:
            rows = [session.get(TakeRow, job.take_id) for job in jobs]
            shot_row = session.get(ShotRow, shot_id)
        if shot_row is None or any(row is None for row in rows):
            raise ProjectError(f"jobs of shot {shot_id} point at a shot or take that no longer exists.")
        takes = [row for row in rows if row is not None]
        shot = shot_from_row(shot_row)
        for take in takes:
            self.emit(RenderEvent(kind="started", shot_id=shot_id, take=take.number,
                                  total=self.total, finished=self.counter.value))
        options = jobs[0].options or {}
        try:
            request, previous_last = request_for(
                self.store, shot, engine=self.engine, kind=TakeKind(takes[0].kind),
                seeds=[t.seed or 0 for t in takes], take_numbers=[t.number for t in takes],
                options=options)
        except ShotcraftError as exc:  # the project changed since it was planned
            self._tally(self._fail_all(jobs, takes, str(exc)))
            return None
        request.resume = {t.number: dict(job.provider_state) for job, t in zip(jobs, takes, strict=True)
                          if job.provider_state}
        batch_id = f"job-{jobs[0].id}"
        opened = _Open(shot, previous_last,
                       by_number={t.number: (j, t) for j, t in zip(jobs, takes, strict=True)})
        with self.lock:
            self.open[batch_id] = opened
        self.lease.hold(_ids(jobs))  # the heartbeat renews them from here on
        return Batch(id=batch_id, engine=self.engine_name, engine_settings=self.engine_settings,
                     request=request, out_dir=_work_dir(self.store, jobs), gpu=self.caps.gpu,
                     cloud=self.caps.cloud)

    def retry(self, batch: Batch) -> Batch | None:
        """The takes of `batch` still owed after its worker died, resuming saved provider state."""
        opened = self.open.get(batch.id)
        if opened is None or self.halt.is_set() or self.cancel.is_set():
            return None
        owed = opened.owed(batch.request.take_numbers)
        if not owed:
            return None
        job_ids = [opened.by_number[n][0].id for n in owed]
        with self.store.db.read() as session:
            states = {row.id: dict(row.provider_state or {}) for row in session.exec(
                select(JobRow).where(JobRow.id.in_(job_ids))).all()}  # type: ignore[union-attr]
        seeds = dict(zip(batch.request.take_numbers, batch.request.seeds, strict=True))
        resume = {n: states[opened.by_number[n][0].id] for n in owed
                  if states.get(opened.by_number[n][0].id)}
        request = batch.request.model_copy(update={
            "take_numbers": owed, "seeds": [seeds[n] for n in owed], "resume": resume})
        shutil.rmtree(batch.out_dir, ignore_errors=True)  # what the dead worker left half-done
        return batch.model_copy(update={"request": request, "attempt": batch.attempt + 1})

    # --- coming back -----------------------------------------------------------------------

    def event(self, event: BatchEvent) -> None:
        opened = self.open.get(event.batch_id)
        if opened is None:
            return
        if event.kind == "checkpoint":
            job, _take = opened.by_number[event.take_number]
            with self.store.db.write() as session:
                row = session.get(JobRow, job.id)
                if row is not None:
                    row.provider_state = {**row.provider_state, **event.state}
                    row.updated_at = utcnow()
                    session.add(row)
            return
        self.emit(RenderEvent(kind="progress", shot_id=opened.shot.id, take=event.take_number,
                              fraction=event.fraction, message=clean(event.message),
                              total=self.total, finished=self.counter.value))

    def deliver(self, batch: Batch, result: BatchResult) -> None:
        opened = self.open.get(batch.id)
        if opened is None:
            return
        numbers = list(batch.request.take_numbers)
        try:
            results = self._store(batch, opened, result, numbers)
        except Exception as exc:
            if not is_disk_full(exc):
                raise
            error = disk_full(self.store.root)
            error.__cause__ = exc
            self.halt.set()
            with self.lock:
                self.full.append(error)
                self.interrupted_jobs.extend(opened.by_number[n][0] for n in opened.owed(numbers))
            return
        finally:
            shutil.rmtree(batch.out_dir, ignore_errors=True)  # room for the database, too
        self._tally(results)
        self._close(batch.id, opened)

    def abandon(self, batch: Batch, reason: str) -> None:
        opened = self.open.get(batch.id)
        if opened is None:
            return
        owed = opened.owed(batch.request.take_numbers)
        if self.halt.is_set() or self._interrupted():  # these go back to the queue
            with self.lock:
                self.interrupted_jobs.extend(opened.by_number[n][0] for n in owed)
        else:
            self._tally(self._fail_all([opened.by_number[n][0] for n in owed],
                                       [opened.by_number[n][1] for n in owed], reason))
        self._close(batch.id, opened)

    def _tally(self, results: list[TakeResult]) -> None:
        """Count finished takes into the run's summary."""
        with self.lock:
            self.summary.results.extend(results)
            for item in results:
                if item.status == TakeStatus.DONE.value:
                    self.summary.done += 1
                else:
                    self.summary.failed += 1

    def _close(self, batch_id: str, opened: _Open) -> None:
        """A batch is settled: forget it and stop renewing its jobs' lease."""
        with self.lock:
            self.open.pop(batch_id, None)
        self.lease.release(_ids(opened.jobs))

    def _store(self, batch: Batch, opened: _Open, result: BatchResult,
               numbers: list[int]) -> list[TakeResult]:
        shot_id = opened.shot.id
        if result.error is not None:
            if result.disk_full:
                raise disk_full(self.store.root)
            pending = opened.owed(numbers)
            return self._fail_all([opened.by_number[n][0] for n in pending],
                                  [opened.by_number[n][1] for n in pending], result.error)
        if self._interrupted():  # stop within seconds: scoring waits for the next render
            for number in opened.owed(numbers):
                self._put_back(opened, number)
            return []
        rendered = result.takes
        if any(item.failed and _says_disk_full(item.failed) for item in rendered):
            raise disk_full(self.store.root)  # an engine that reported the full disk instead of raising
        job_ids = [opened.by_number[n][0].id for n in numbers]
        # a failed heartbeat may have let the lease lapse: never register over another claim
        lost = (set(job_ids) - held_by(self.store, [j for j in job_ids if j is not None],
                                       self.lease.token)) if self.lease.failure else set()
        results: list[TakeResult] = []
        ref_hashes = reference_hashes(batch.request)
        per_take_seconds = result.seconds / max(1, len(rendered))
        returned = {r.take_number for r in rendered}
        for item in rendered:
            if item.take_number not in opened.by_number or item.take_number in opened.stored:
                continue  # not ours to store, or stored on an earlier attempt: never twice
            job, take = opened.by_number[item.take_number]
            if self._interrupted():  # even a finished file: scoring it waits for next time
                self._put_back(opened, item.take_number)
                continue
            if job.id in lost:
                outcome = self._lapsed(take)
            else:
                outcome = _finish(self.store, self.engine, job, take, item, batch.request,
                                  ref_hashes, per_take_seconds, opened.previous_last, opened.shot)
            opened.stored.add(item.take_number)
            results.append(outcome)
            self.emit(RenderEvent(kind=outcome.status, shot_id=shot_id, take=take.number,
                                  total=self.total, finished=self.counter.add(),
                                  message=outcome.reason or ""))
        for number in numbers:
            if number in returned or number in opened.stored:
                continue
            job, take = opened.by_number[number]
            if self._interrupted():
                self._put_back(opened, number)
                continue
            if job.id in lost:
                outcome = self._lapsed(take)
            else:
                reason = "cancelled" if self.cancel.is_set() else "the engine returned no result"
                outcome = fail_take(self.store, job, take, reason)
            opened.stored.add(number)
            results.append(outcome)
            self.emit(RenderEvent(kind="failed", shot_id=shot_id, take=take.number,
                                  total=self.total, finished=self.counter.add(),
                                  message=outcome.reason or ""))
        return results

    def _interrupted(self) -> bool:
        return self.requeue and self.cancel.is_set()

    def _put_back(self, opened: _Open, number: int) -> None:
        """An interrupted take: back to the queue when the run ends (_requeue_interrupted)."""
        opened.stored.add(number)
        with self.lock:
            self.interrupted_jobs.append(opened.by_number[number][0])

    def _fail_all(self, jobs: list[JobRow], takes: list[TakeRow], reason: str) -> list[TakeResult]:
        failed = []
        for job, take in zip(jobs, takes, strict=True):
            failed.append(fail_take(self.store, job, take, reason))
            self.emit(RenderEvent(kind="failed", shot_id=job.shot_id, take=take.number,
                                  total=self.total, finished=self.counter.add(),
                                  message=failed[-1].reason or ""))
        return failed

    def _lapsed(self, take: TakeRow) -> TakeResult:
        return TakeResult(shot_id=take.shot_id, take=take.number, status="failed", reason=(
            f"its lease lapsed while the heartbeat failed ({self.lease.failure}); the take went "
            "back to the queue or to another render, and this render's result was not kept"))

    def _lease_trouble(self, error: str, job_ids: list[int]) -> None:
        with self.lock:
            held = [(o.shot.id, number) for o in self.open.values()
                    for number, (job, _take) in sorted(o.by_number.items()) if job.id in job_ids]
        shot_id = held[0][0] if held else ""
        where = ", ".join(f"{s} take {n}" for s, n in held) or "its takes"
        message = (f"{where}: the render lease could not be renewed ({error}); drawing goes on, "
                   "but another render may take these takes over.")
        with self.lock:
            self.summary.warnings.append(message)
        self.emit(RenderEvent(kind="warning", shot_id=shot_id, message=message))


def _ids(jobs: list[JobRow]) -> list[int]:
    return [job.id for job in jobs if job.id is not None]


RESERVE_BYTES = 512 * 1024


def _hold_room(store: Store) -> Path:
    """Keep a little disk back while drawing, so a full disk can still be written down.

    SQLite needs a few pages to put interrupted takes back in the queue; on a disk the render
    filled there would be none. A disk without even this much room refuses the render at once.
    """
    reserve = store.layout.work / f"{os.getpid()}-reserve-{threading.get_ident()}"
    try:
        reserve.parent.mkdir(parents=True, exist_ok=True)
        with open(reserve, "wb") as out:
            out.write(b"\0" * RESERVE_BYTES)
            out.flush()
            os.fsync(out.fileno())
    except OSError as exc:
        reserve.unlink(missing_ok=True)
        if is_disk_full(exc):
            raise disk_full(store.root) from exc
        raise
    return reserve


def _work_dir(store: Store, jobs: list[JobRow]) -> Path:
    """Where an engine writes a batch; the pid in the name tells clean-up whose it is."""
    return store.layout.work / f"{os.getpid()}-{jobs[0].id}"


def _disk_full_error(store: Store, failure: Exception | None) -> Exception:
    """The one full-disk sentence for a failure that is a full disk by any route."""
    if isinstance(failure, ShotcraftError) and is_disk_full(failure):
        return failure
    return disk_full(store.root)


def _requeue_interrupted(store: Store, jobs: list[JobRow], reason: str, *, worker: str) -> int:
    """Batches stopped by a full disk or an Interruption: their takes still leased here go
    back to the queue — the interrupted batches' and any a worker had claimed but not yet
    started. Returns how many.

    If even that write fails (SQLite needs a little room too), the jobs stay leased to this
    process, which is about to exit: the next render gives them back to the queue.
    """
    requeued = 0
    try:
        with store.db.write() as session:
            leased = session.exec(select(JobRow).where(
                JobRow.state == "running", JobRow.worker == worker)).all()
            ids = {job.id for job in jobs} | {job.id for job in leased}
            for job_id in sorted(i for i in ids if i is not None):
                job_row = session.get(JobRow, job_id)
                if job_row is None or job_row.state != "running" or job_row.worker != worker:
                    continue  # done before the disk filled, or no longer ours
                take = session.get(TakeRow, job_row.take_id)
                job_row.state, job_row.worker, job_row.error = "queued", None, reason
                job_row.updated_at = utcnow()
                session.add(job_row)
                if take is not None:
                    take.status, take.reason = TakeStatus.QUEUED.value, reason
                    session.add(take)
                requeued += 1
    except Exception:  # noqa: BLE001 - the disk refused even this; the next render recovers
        return 0
    return requeued


class _Counter:
    """Takes finished in this run, shared by the render threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.value = 0

    def add(self, count: int = 1) -> int:
        with self.lock:
            self.value += count
            return self.value


def select_shots(store: Store, shot_ids: list[str] | None, episode: int | None) -> list[Shot]:
    if shot_ids:
        return [store.shot(shot_id) for shot_id in shot_ids]
    shots = store.shots(episode=episode)
    if not shots:
        where = f"episode {episode}" if episode is not None else "this project"
        raise ProjectError(f"{where} has no shots; import a script first (`shotcraft import`).")
    return shots


def reference_hashes(request: Any) -> dict[str, str]:
    """What a batch's takes were conditioned on, by content: character references, keyframes."""
    hashes = {c.name: ",".join(c.reference_hashes) for c in request.characters if c.reference_hashes}
    for key, path in (("first_frame", request.first_frame), ("last_frame", request.last_frame)):
        if path is not None:
            hashes[key] = sha256_file(path)
    return hashes


def _finish(
    store: Store, engine: Engine, job: JobRow, take: TakeRow, item: RenderedTake, request: Any,
    ref_hashes: dict[str, str], seconds: float, previous_last: Path | None, shot: Shot,
) -> TakeResult:
    if item.failed or item.path is None:
        return fail_take(store, job, take, item.failed or "the engine returned no file", item=item)
    kind = TakeKind(take.kind)
    stored: Path | None = None
    try:
        # the engine's native format, which may differ from the project's: assembly scales
        delivery = engine.delivers(request)
        if kind is TakeKind.KEYFRAME or delivery.still:
            info = validate_still(item.path, width=delivery.width, height=delivery.height)
        else:
            info = validate_video(item.path, width=delivery.width, height=delivery.height,
                                  fps=delivery.fps or request.fps, frames=delivery.frames or 1,
                                  tolerance=delivery.frames_tolerance)
        stored, _digest = store_file(store.layout, item.path, move=True)
        synced = request.lipsync
        scores, thumb = score_and_thumbnail(store, stored, kind=kind, info=info, shot=shot,
                                            previous_last=previous_last,
                                            lipsync_audio=synced.audio if synced else None)
    except Exception as exc:
        if stored is not None:
            discard_unregistered(store, stored)
        if isinstance(exc, ShotcraftError) and not is_disk_full(exc):
            return fail_take(store, job, take, f"invalid output: {exc}", item=item)
        raise
    try:
        register_take(store, engine, job, take, item, request, ref_hashes, seconds, stored, thumb,
                  info, scores)
    except BaseException:
        discard_unregistered(store, stored)  # the row was rolled back: the file is nobody's
        raise
    return TakeResult(shot_id=take.shot_id, take=take.number, status="done", score=scores.total)


def _says_disk_full(reason: str) -> bool:
    return "the disk holding" in reason and " is full" in reason


def discard_unregistered(store: Store, stored: Path) -> None:
    """Remove a file just stored that no take row names (its registration did not happen);
    the store is content-addressed, so another take may own the same file."""
    relative = store.layout.relative(stored)
    with store.db.read() as session:
        owner = session.exec(select(TakeRow.id).where(TakeRow.media_path == relative)).first()
    if owner is None:
        stored.unlink(missing_ok=True)


def register_take(
    store: Store, engine: Engine, job: JobRow, take: TakeRow, item: RenderedTake, request: Any,
    ref_hashes: dict[str, str], seconds: float, stored: Path, thumb: Path, info: Any, scores: Any,
) -> None:
    with store.db.write() as session:
        row = session.get(TakeRow, take.id)
        job_row = session.get(JobRow, job.id)
        assert row is not None and job_row is not None
        row.status = TakeStatus.DONE.value
        row.reason = None
        row.engine_version = engine.version
        row.params = dict(item.params)
        row.reference_hashes = dict(ref_hashes)
        row.downgrades = list(dict.fromkeys([*request.downgrades, *item.downgrades]))
        row.media_path = store.layout.relative(stored)
        row.thumbnail_path = store.layout.relative(thumb)
        row.duration_frames = info.frames if not info.is_image else None
        row.fps = info.fps or None
        row.width, row.height = info.width, info.height
        row.scores = scores.as_dict()
        row.explanations = scores.explanations()
        row.score = scores.total
        row.cost_seconds = item.cost_seconds or seconds
        row.cost_credits = item.cost_credits
        row.provider = dict(item.provider)
        row.finished_at = utcnow()
        job_row.state, job_row.error, job_row.updated_at = "done", None, utcnow()
        session.add(row)
        session.add(job_row)


def fail_take(store: Store, job: JobRow, take: TakeRow, reason: str, *, item: RenderedTake | None = None) -> TakeResult:
    reason = clean(reason)  # a provider's words: no escapes, no secrets, in the row or on screen
    with store.db.write() as session:
        row = session.get(TakeRow, take.id)
        job_row = session.get(JobRow, job.id)
        if row is not None:
            row.status, row.reason, row.finished_at = TakeStatus.FAILED.value, reason, utcnow()
            if item is not None:
                row.params = dict(item.params)
                row.provider = dict(item.provider)
                row.cost_credits = item.cost_credits
            session.add(row)
        if job_row is not None:
            job_row.state = "cancelled" if reason == "cancelled" else "failed"
            job_row.error, job_row.updated_at = reason, utcnow()
            session.add(job_row)
    return TakeResult(shot_id=take.shot_id, take=take.number, status="failed", reason=reason)


def _check_clip_length(file: Path, info: Any, fps: int) -> None:
    """Refuse a clip that is not at least one frame long at the project's frame rate (every
    export would refuse it), or whose video stream has no frame to decode."""
    if info.frames < 1 or not info.fps or not math.isfinite(info.fps):
        raise SpecError(f"{file.name} has no video frame shotcraft can read", field="file")
    seconds = info.frames / info.fps
    if seconds * fps < 1:
        raise SpecError(
            f"{file.name} lasts {seconds:.3f} s ({info.frames} frames at {info.fps:g} fps), less "
            f"than one frame at the project's {fps} fps; a take needs at least one frame",
            field="file")


def add_take(store: Store, shot_id: str, file: Path) -> Take:
    """Import a clip drawn elsewhere (e.g. the Kling web app) as a take of a shot."""
    shot = store.shot(shot_id)
    if not file.is_file():
        raise SpecError(f"{file} does not exist", field="file")
    try:
        info = probe(file)
    except MediaError as exc:
        raise SpecError(f"{file.name} is not a readable video or image ({exc})", field="file") from exc
    kind = TakeKind.KEYFRAME if info.is_image else TakeKind.VIDEO
    if kind is TakeKind.VIDEO:
        _check_clip_length(file, info, store.fps)
    stored, digest = store_file(store.layout, file, move=False)
    previous_last, _missing = previous_last_frame(store, shot)
    scores, thumb = score_and_thumbnail(store, stored, kind=kind, info=info, shot=shot,
                                        previous_last=previous_last)
    with store.db.write() as session:
        rows = session.exec(select(TakeRow).where(TakeRow.shot_id == shot_id)).all()
        number = max((r.number for r in rows), default=0) + 1
        row = TakeRow(
            shot_id=shot_id, number=number, kind=kind.value, origin=TakeOrigin.IMPORTED.value,
            engine="import", seed=None, params={"source_file": file.name, "sha256": digest},
            status=TakeStatus.DONE.value, media_path=store.layout.relative(stored),
            thumbnail_path=store.layout.relative(thumb),
            duration_frames=None if info.is_image else info.frames, fps=info.fps or None,
            width=info.width, height=info.height, scores=scores.as_dict(), score=scores.total,
            explanations=scores.explanations(), finished_at=utcnow(),
        )
        session.add(row)
        session.flush()
        return take_from_row(row)
