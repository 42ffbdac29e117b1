"""Card draw: queue takes as jobs in the database, run them through an engine, store, score.

Crash safety: a job is claimed inside `BEGIN IMMEDIATE` and leased to this process
("host:pid"), with a heartbeat. A process killed with SIGKILL leaves jobs `running` under a
dead pid; the next `render` gives them back to the queue (provider state kept, so a cloud
engine resumes polling instead of re-submitting). Take numbers are allocated in the same kind
of transaction, so two processes never collide. Files are validated and renamed into the
content-addressed store before the one transaction that registers them.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
import zlib
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field
from sqlmodel import col, select

from shotcraft.projects.convert import scene_from_row, shot_from_row
from shotcraft.projects.db import EpisodeRow, JobRow, SceneRow, ShotRow, TakeRow, utcnow
from shotcraft.projects.media import frame_of, store_file, validate_still, validate_video
from shotcraft.shots.errors import MediaError, ProjectError, ShotcraftError, SpecError
from shotcraft.shots.media import probe, sha256_file
from shotcraft.shots.models import Budget, Shot, TakeKind, TakeOrigin, TakeStatus

if TYPE_CHECKING:
    from shotcraft.engine.protocol import Engine, RenderedTake
    from shotcraft.projects.project import Project

HEARTBEAT_SECONDS = 5.0
STALE_AFTER = timedelta(seconds=60)
SEED_SPACE = 2**31 - 1


class RenderEvent(BaseModel):
    """What the front-ends show while takes render."""

    kind: str  # queued | started | progress | done | failed | budget | resumed
    shot_id: str = ""
    take: int | None = None
    fraction: float = 0.0  # 0..1 within the take
    message: str = ""
    total: int = 0  # takes in this run
    finished: int = 0  # takes finished (done or failed) so far


class TakeResult(BaseModel):
    shot_id: str
    take: int
    status: str
    reason: str | None = None
    score: float | None = None


class RenderSummary(BaseModel):
    queued: int = 0
    resumed: int = 0
    done: int = 0
    failed: int = 0
    cancelled: bool = False
    budget_notes: list[str] = Field(default_factory=list)
    results: list[TakeResult] = Field(default_factory=list)
    seconds: float = 0.0


EventFn = Callable[[RenderEvent], None]


def _worker_id() -> str:
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


def recover_stale_jobs(project: Project) -> int:
    """Give jobs whose process died back to the queue; returns how many."""
    now = utcnow()
    recovered = 0
    with project.db.write() as session:
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
    project: Project, shots: list[Shot], *, takes: int | None, engine: str, kind: TakeKind,
    seed: int | None = None, options: dict[str, Any] | None = None,
) -> tuple[int, list[str]]:
    """Queue new takes: `takes` more per shot, or (None) up to each shot's takes wanted.

    Returns (number queued, budget notes). Budgets cap what is queued and say so.
    """
    queued = 0
    notes: list[str] = []
    with project.db.write() as session:
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


def _claim(project: Project, shot_ids: set[str] | None, engine_name: str, batch: int) -> list[JobRow]:
    """Lease up to `batch` queued jobs of one shot (this engine's, one kind) to this process.

    Jobs queued for another engine wait for a render with that engine: a Kling task must never
    be drawn by previz because it happened to be first in the queue.
    """
    worker = _worker_id()
    with project.db.write() as session:
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


class _Heartbeat:
    """Keeps the lease on claimed jobs fresh while an engine works."""

    def __init__(self, project: Project, job_ids: list[int]) -> None:
        self.project, self.job_ids = project, job_ids
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> _Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(HEARTBEAT_SECONDS):
            try:
                with self.project.db.write() as session:
                    for job in session.exec(select(JobRow).where(col(JobRow.id).in_(self.job_ids))).all():
                        job.heartbeat_at = utcnow()
                        session.add(job)
            except Exception:  # noqa: BLE001 - a missed beat is harmless; the next one retries
                continue


def render(
    project: Project,
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
) -> RenderSummary:
    """Queue takes for the chosen shots, resume interrupted ones, and render them all."""
    from shotcraft.engine.registry import get_engine
    from shotcraft.engine.settings import EngineSettings

    started = time.monotonic()
    emit = on_event or (lambda _event: None)
    settings = EngineSettings()
    engine_name = engine or settings.default_engine
    engine_obj = get_engine(engine_name, **(engine_settings or {}))
    shots = _select_shots(project, shot_ids, episode)
    summary = RenderSummary()
    recover_stale_jobs(project)
    options = {"allow_downgrade": allow_downgrade, "params": dict(params or {})}
    selected = {shot.id for shot in shots}
    interrupted = _pending_count(project, selected, engine_name)
    # after a crash, a bare `render` finishes what was asked before; it queues nothing new
    if takes is not None or interrupted == 0:
        summary.queued, summary.budget_notes = queue_takes(
            project, shots, takes=takes, engine=engine_name, kind=kind, seed=seed, options=options,
        )
    else:
        summary.resumed = interrupted
        emit(RenderEvent(kind="resumed", total=interrupted,
                         message=f"resuming {interrupted} takes left from an earlier run"))
    for note in summary.budget_notes:
        emit(RenderEvent(kind="budget", message=note))
    total = _pending_count(project, selected, engine_name)
    emit(RenderEvent(kind="queued", total=total, message=f"{total} takes to draw"))
    caps = engine_obj.capabilities(kind)
    counter = _Counter()

    def work() -> None:
        while not (cancel is not None and cancel.is_set()):
            jobs = _claim(project, selected, engine_name, batch=max(1, caps.batch_size))
            if not jobs:
                return
            results = _run_batch(project, engine_obj, jobs, emit=emit, cancel=cancel,
                                 total=total, counter=counter)
            with counter.lock:
                for result in results:
                    summary.results.append(result)
                    if result.status == TakeStatus.DONE.value:
                        summary.done += 1
                    else:
                        summary.failed += 1

    workers = max(1, min(caps.parallel, os.cpu_count() or 1, total))
    if workers == 1:
        work()
    else:
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="render") as pool:
            for future in [pool.submit(work) for _ in range(workers)]:
                future.result()
    summary.cancelled = bool(cancel is not None and cancel.is_set())
    summary.seconds = time.monotonic() - started
    return summary


class _Counter:
    """Takes finished in this run, shared by the render threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.value = 0

    def add(self, count: int = 1) -> int:
        with self.lock:
            self.value += count
            return self.value


def _pending_count(project: Project, shot_ids: set[str], engine_name: str) -> int:
    with project.db.read() as session:
        return len(session.exec(select(JobRow.id).where(
            JobRow.state == "queued", JobRow.engine == engine_name,
            col(JobRow.shot_id).in_(shot_ids))).all())


def _select_shots(project: Project, shot_ids: list[str] | None, episode: int | None) -> list[Shot]:
    if shot_ids:
        return [project.shot(shot_id) for shot_id in shot_ids]
    shots = project.shots(episode=episode)
    if not shots:
        where = f"episode {episode}" if episode is not None else "this project"
        raise ProjectError(f"{where} has no shots; import a script first (`shotcraft import`).")
    return shots


def _run_batch(
    project: Project, engine: Engine, jobs: list[JobRow], *, emit: EventFn,
    cancel: threading.Event | None, total: int, counter: _Counter,
) -> list[TakeResult]:
    from shotcraft.engine.protocol import Progress
    from shotcraft.engine.request import build_request
    from shotcraft.engine.settings import render_size, scaled_size

    shot_id = jobs[0].shot_id
    with project.db.read() as session:
        take_rows: dict[int, TakeRow] = {}
        for job in jobs:
            row = session.get(TakeRow, job.take_id)
            if row is None:
                raise ProjectError(f"job {job.id} points at a take that no longer exists.")
            take_rows[job.take_id] = row
        shot_row = session.get(ShotRow, shot_id)
        scene_row = session.get(SceneRow, shot_row.scene_id) if shot_row else None
    assert shot_row is not None
    shot = shot_from_row(shot_row)
    takes = [take_rows[job.take_id] for job in jobs]
    kind = TakeKind(takes[0].kind)
    options = jobs[0].options or {}
    width, height = scaled_size(*render_size(project.aspect), engine.capabilities(kind).scale)
    width = int(options.get("params", {}).get("width", width))
    height = int(options.get("params", {}).get("height", height))
    by_number = {take.number: (job, take) for job, take in zip(jobs, takes, strict=True)}

    def fail_all(reason: str) -> list[TakeResult]:
        failed = []
        for job, take in zip(jobs, takes, strict=True):
            failed.append(_fail(project, job, take, reason))
            emit(RenderEvent(kind="failed", shot_id=shot_id, take=take.number, total=total,
                             finished=counter.add(), message=reason))
        return failed

    for take in takes:
        emit(RenderEvent(kind="started", shot_id=shot_id, take=take.number, total=total,
                         finished=counter.value))
    try:
        previous_last = _previous_last_frame(project, shot)
        request = build_request(
            shot, engine=engine, kind=kind, seeds=[t.seed or 0 for t in takes],
            take_numbers=[t.number for t in takes], width=width, height=height,
            fps=project.fps, aspect=project.aspect, project_dir=project.root,
            scene=scene_from_row(scene_row) if scene_row else None,
            characters=[c for c in project.characters() if c.name in shot.characters],
            previous_last_frame=previous_last,
            picked_keyframe=_picked_keyframe(project, shot_row) if kind is TakeKind.VIDEO else None,
            allow_downgrade=bool(options.get("allow_downgrade")),
            params=options.get("params") or {},
        )
        request.resume = {t.number: dict(job.provider_state) for job, t in zip(jobs, takes, strict=True)
                          if job.provider_state}
    except ShotcraftError as exc:
        return fail_all(str(exc))

    out_dir = project.layout.work / f"{os.getpid()}-{jobs[0].id}"
    out_dir.mkdir(parents=True, exist_ok=True)

    def progress(event: Progress) -> None:
        emit(RenderEvent(kind="progress", shot_id=shot_id, take=event.take_number,
                         fraction=event.done, message=event.message, total=total,
                         finished=counter.value))

    def checkpoint(take_number: int, state: dict[str, Any]) -> None:
        job, _take = by_number[take_number]
        with project.db.write() as session:
            row = session.get(JobRow, job.id)
            if row is not None:
                row.provider_state = {**row.provider_state, **state}
                row.updated_at = utcnow()
                session.add(row)

    started = time.monotonic()
    try:
        with _Heartbeat(project, [job.id for job in jobs if job.id is not None]):
            rendered = engine.render(request, out_dir=out_dir, progress=progress, cancel=cancel,
                                     checkpoint=checkpoint)
    except ShotcraftError as exc:
        shutil.rmtree(out_dir, ignore_errors=True)
        return fail_all(str(exc))
    elapsed = time.monotonic() - started

    results: list[TakeResult] = []
    ref_hashes = _reference_hashes(request)
    returned = {r.take_number for r in rendered}
    per_take_seconds = elapsed / max(1, len(rendered))
    for item in rendered:
        job, take = by_number[item.take_number]
        result = _finish(project, engine, job, take, item, request, ref_hashes,
                         per_take_seconds, previous_last, shot)
        results.append(result)
        emit(RenderEvent(kind=result.status, shot_id=shot_id, take=take.number, total=total,
                         finished=counter.add(), message=result.reason or ""))
    for number, (job, take) in by_number.items():
        if number not in returned:
            reason = "cancelled" if cancel is not None and cancel.is_set() else "the engine returned no result"
            results.append(_fail(project, job, take, reason))
            emit(RenderEvent(kind="failed", shot_id=shot_id, take=take.number, total=total,
                             finished=counter.add(), message=reason))
    shutil.rmtree(out_dir, ignore_errors=True)
    return results


def _reference_hashes(request: Any) -> dict[str, str]:
    """What a batch's takes were conditioned on, by content: character references, keyframes."""
    hashes = {c.name: ",".join(c.reference_hashes) for c in request.characters if c.reference_hashes}
    for key, path in (("first_frame", request.first_frame), ("last_frame", request.last_frame)):
        if path is not None:
            hashes[key] = sha256_file(path)
    return hashes


def _finish(
    project: Project, engine: Engine, job: JobRow, take: TakeRow, item: RenderedTake, request: Any,
    ref_hashes: dict[str, str], seconds: float, previous_last: Path | None, shot: Shot,
) -> TakeResult:
    if item.failed or item.path is None:
        return _fail(project, job, take, item.failed or "the engine returned no file", item=item)
    kind = TakeKind(take.kind)
    try:
        if kind is TakeKind.KEYFRAME:
            info = validate_still(item.path, width=request.width, height=request.height)
        else:
            info = validate_video(item.path, width=request.width, height=request.height,
                                  fps=request.fps, frames=request.num_frames)
        stored, _digest = store_file(project.layout, item.path, move=True)
        scores, thumb = score_and_thumbnail(project, stored, kind=kind, info=info, shot=shot,
                                            previous_last=previous_last)
    except ShotcraftError as exc:
        return _fail(project, job, take, f"invalid output: {exc}", item=item)
    with project.db.write() as session:
        row = session.get(TakeRow, take.id)
        job_row = session.get(JobRow, job.id)
        assert row is not None and job_row is not None
        row.status = TakeStatus.DONE.value
        row.reason = None
        row.engine_version = engine.version
        row.params = dict(item.params)
        row.reference_hashes = dict(ref_hashes)
        row.downgrades = list(dict.fromkeys([*request.downgrades, *item.downgrades]))
        row.media_path = project.layout.relative(stored)
        row.thumbnail_path = project.layout.relative(thumb)
        row.duration_frames = info.frames if not info.is_image else None
        row.fps = info.fps or None
        row.width, row.height = info.width, info.height
        row.scores = scores.as_dict()
        row.explanations = {m.name: m.explanation for m in scores.metrics}
        row.score = scores.total
        row.cost_seconds = item.cost_seconds or seconds
        row.cost_credits = item.cost_credits
        row.provider = dict(item.provider)
        row.finished_at = utcnow()
        job_row.state, job_row.error, job_row.updated_at = "done", None, utcnow()
        session.add(row)
        session.add(job_row)
    return TakeResult(shot_id=take.shot_id, take=take.number, status="done", score=scores.total)


def score_and_thumbnail(
    project: Project, stored: Path, *, kind: TakeKind, info: Any, shot: Shot,
    previous_last: Path | None,
) -> tuple[Any, Path]:
    """Score a stored take and keep its middle frame as the thumbnail, from one decode."""
    import numpy as np
    from PIL import Image

    from shotcraft.shots.ranking import analysis_frames, score_frames

    frames, fps = analysis_frames(stored, kind=kind, info=info)
    previous = None
    if previous_last is not None:
        with Image.open(previous_last) as image:
            previous = np.asarray(image.convert("RGB"))
    scores = score_frames(frames, fps=fps, camera=shot.camera if kind is TakeKind.VIDEO else None,
                          previous_last_frame=previous)
    thumb = project.layout.frames / f"{stored.stem}-thumb.png"
    if not thumb.exists():
        thumb.parent.mkdir(parents=True, exist_ok=True)
        temp = thumb.with_name(f".{thumb.name}.{os.getpid()}.png")
        Image.fromarray(frames[len(frames) // 2]).save(temp)
        os.replace(temp, thumb)
    return scores, thumb


def _fail(project: Project, job: JobRow, take: TakeRow, reason: str, *, item: RenderedTake | None = None) -> TakeResult:
    with project.db.write() as session:
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


def _previous_last_frame(project: Project, shot: Shot) -> Path | None:
    """The last frame of the previous shot's picked take (chaining and continuity)."""
    with project.db.read() as session:
        prev = session.exec(select(ShotRow).where(
            ShotRow.episode == shot.episode, col(ShotRow.order) < shot.order,
            ShotRow.archived == False,  # noqa: E712
        ).order_by(col(ShotRow.order).desc())).first()
        if prev is None or prev.picked_take is None:
            return None
        take = session.exec(select(TakeRow).where(
            TakeRow.shot_id == prev.id, TakeRow.number == prev.picked_take)).first()
    if take is None or not take.media_path:
        return None
    try:
        return frame_of(project.layout, project.layout.resolve(take.media_path), "last")
    except ShotcraftError:
        return None


def _picked_keyframe(project: Project, shot_row: ShotRow) -> Path | None:
    if shot_row.picked_keyframe is None:
        return None
    with project.db.read() as session:
        take = session.exec(select(TakeRow).where(
            TakeRow.shot_id == shot_row.id, TakeRow.number == shot_row.picked_keyframe)).first()
    if take is None or not take.media_path:
        return None
    return project.layout.resolve(take.media_path)


def retry_failed(project: Project, *, shot_id: str | None = None) -> int:
    """Queue failed takes again under their own numbers and seeds; returns how many."""
    count = 0
    with project.db.write() as session:
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


def cancel_queued(project: Project, *, shot_id: str | None = None) -> int:
    """Cancel takes still waiting in the queue; returns how many."""
    count = 0
    with project.db.write() as session:
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


def jobs(project: Project) -> list[dict[str, Any]]:
    """The render queue: every job not done, with its take, newest last."""
    with project.db.read() as session:
        rows = session.exec(select(JobRow, TakeRow).where(JobRow.take_id == TakeRow.id).where(
            col(JobRow.state).in_(["queued", "running", "failed", "cancelled"])).order_by(col(JobRow.id))).all()
    return [
        {"job": job.id, "shot_id": job.shot_id, "take": take.number, "state": job.state,
         "engine": job.engine, "seed": take.seed, "kind": take.kind, "error": job.error,
         "attempts": job.attempts, "worker": job.worker}
        for job, take in rows
    ]


def add_take(project: Project, shot_id: str, file: Path) -> Any:
    """Import a clip drawn elsewhere (e.g. the Kling web app) as a take of a shot."""
    from shotcraft.projects.convert import take_from_row

    shot = project.shot(shot_id)
    if not file.is_file():
        raise SpecError(f"{file} does not exist", field="file")
    try:
        info = probe(file)
    except MediaError as exc:
        raise SpecError(f"{file.name} is not a readable video or image ({exc})", field="file") from exc
    kind = TakeKind.KEYFRAME if info.is_image else TakeKind.VIDEO
    stored, digest = store_file(project.layout, file, move=False)
    scores, thumb = score_and_thumbnail(project, stored, kind=kind, info=info, shot=shot,
                                        previous_last=_previous_last_frame(project, shot))
    with project.db.write() as session:
        rows = session.exec(select(TakeRow).where(TakeRow.shot_id == shot_id)).all()
        number = max((r.number for r in rows), default=0) + 1
        row = TakeRow(
            shot_id=shot_id, number=number, kind=kind.value, origin=TakeOrigin.IMPORTED.value,
            engine="import", seed=None, params={"source_file": file.name, "sha256": digest},
            status=TakeStatus.DONE.value, media_path=project.layout.relative(stored),
            thumbnail_path=project.layout.relative(thumb),
            duration_frames=None if info.is_image else info.frames, fps=info.fps or None,
            width=info.width, height=info.height, scores=scores.as_dict(), score=scores.total,
            explanations={m.name: m.explanation for m in scores.metrics}, finished_at=utcnow(),
        )
        session.add(row)
        session.flush()
        return take_from_row(row)
