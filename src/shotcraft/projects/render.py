"""Card draw: take jobs off the render queue, run them through an engine, store and score.

The queue, its leases and the heartbeat are in projects/queue.py. Files are validated and
renamed into the content-addressed store before the one transaction that registers them.

A full disk stops the whole render at once (it will not heal mid-run) with the one disk-full
sentence naming the project: the takes being drawn go back to the queue with that reason
(the next `render` draws them under their own numbers and seeds), takes already done stay,
and nothing half-written is kept or registered.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field
from sqlmodel import col, select

from shotcraft.projects.cleanup import sweep
from shotcraft.projects.convert import scene_from_row, shot_from_row
from shotcraft.projects.db import JobRow, SceneRow, ShotRow, TakeRow, utcnow
from shotcraft.projects.media import frame_of, store_file, validate_still, validate_video
from shotcraft.projects.queue import (
    Heartbeat,
    claim,
    held_by,
    pending_count,
    queue_takes,
    recover_stale_jobs,
    worker_id,
)
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

if TYPE_CHECKING:
    from shotcraft.engine.protocol import Engine, RenderedTake


class RenderEvent(BaseModel):
    """What the front-ends show while takes render."""

    kind: str  # queued | started | progress | done | failed | budget | resumed | warning
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
    warnings: list[str] = Field(default_factory=list)  # trouble that did not fail a take
    results: list[TakeResult] = Field(default_factory=list)
    seconds: float = 0.0


EventFn = Callable[[RenderEvent], None]


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
) -> RenderSummary:
    """Queue takes for the chosen shots, resume interrupted ones, and render them all."""
    from shotcraft.engine.registry import get_engine
    from shotcraft.engine.settings import EngineSettings

    started = time.monotonic()
    emit = on_event or (lambda _event: None)
    settings = EngineSettings()
    engine_name = engine or settings.default_engine
    engine_obj = get_engine(engine_name, **(engine_settings or {}))
    shots = _select_shots(store, shot_ids, episode)
    summary = RenderSummary()
    sweep(store)  # what dead runs left: work folders, temp files, orphaned media
    recover_stale_jobs(store)
    options = {"allow_downgrade": allow_downgrade, "params": dict(params or {})}
    selected = {shot.id for shot in shots}
    interrupted = pending_count(store, selected, engine_name)
    # after a crash, a bare `render` finishes what was asked before; it queues nothing new
    if takes is not None or interrupted == 0:
        summary.queued, summary.budget_notes = queue_takes(
            store, shots, takes=takes, engine=engine_name, kind=kind, seed=seed, options=options,
        )
    else:
        summary.resumed = interrupted
        emit(RenderEvent(kind="resumed", total=interrupted,
                         message=f"resuming {interrupted} takes left from an earlier run"))
    for note in summary.budget_notes:
        emit(RenderEvent(kind="budget", message=note))
    total = pending_count(store, selected, engine_name)
    emit(RenderEvent(kind="queued", total=total, message=f"{total} takes to draw"))
    caps = engine_obj.capabilities(kind)
    counter = _Counter()
    halt = threading.Event()  # a full disk: no thread claims another batch
    full: list[ShotcraftError] = []
    interrupted_jobs: list[JobRow] = []

    def warn(shot_id: str, message: str) -> None:
        with counter.lock:
            summary.warnings.append(message)
        emit(RenderEvent(kind="warning", shot_id=shot_id, message=message))

    def work() -> None:
        while not (cancel is not None and cancel.is_set()) and not halt.is_set():
            jobs = claim(store, selected, engine_name, batch=max(1, caps.batch_size))
            if not jobs:
                return
            try:
                results = _run_batch(store, engine_obj, jobs, emit=emit, warn=warn, cancel=cancel,
                                     total=total, counter=counter)
            except Exception as exc:
                if not is_disk_full(exc):
                    raise
                error = disk_full(store.root)
                error.__cause__ = exc
                halt.set()
                shutil.rmtree(_work_dir(store, jobs), ignore_errors=True)  # room for the database
                with counter.lock:
                    full.append(error)
                    interrupted_jobs.extend(jobs)
                return
            with counter.lock:
                for result in results:
                    summary.results.append(result)
                    if result.status == TakeStatus.DONE.value:
                        summary.done += 1
                    else:
                        summary.failed += 1

    workers = max(1, min(caps.parallel, os.cpu_count() or 1, total))
    reserve = _hold_room(store)
    try:
        if workers == 1:
            work()
        else:
            with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="render") as pool:
                for future in [pool.submit(work) for _ in range(workers)]:
                    future.result()
    finally:
        reserve.unlink(missing_ok=True)
    if full:
        # every thread has stopped and freed its work folder, and the reserve is given back
        _requeue_interrupted(store, interrupted_jobs, str(full[0]))
        raise full[0]
    summary.cancelled = bool(cancel is not None and cancel.is_set())
    summary.seconds = time.monotonic() - started
    return summary


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


def _requeue_interrupted(store: Store, jobs: list[JobRow], reason: str) -> None:
    """Batches stopped by a full disk: their takes still leased here go back to the queue.

    If even that write fails (SQLite needs a little room too), the jobs stay leased to this
    process, which is about to exit: the next render gives them back to the queue.
    """
    worker = worker_id()
    try:
        with store.db.write() as session:
            for job in jobs:
                job_row = session.get(JobRow, job.id)
                if job_row is None or job_row.state != "running" or job_row.worker != worker:
                    continue  # done before the disk filled, or no longer ours
                take = session.get(TakeRow, job_row.take_id)
                job_row.state, job_row.worker, job_row.error = "queued", None, reason
                job_row.updated_at = utcnow()
                session.add(job_row)
                if take is not None:
                    take.status, take.reason = TakeStatus.QUEUED.value, reason
                    session.add(take)
    except Exception:  # noqa: BLE001 - the disk refused even this; the next render recovers
        return


class _Counter:
    """Takes finished in this run, shared by the render threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.value = 0

    def add(self, count: int = 1) -> int:
        with self.lock:
            self.value += count
            return self.value


def _select_shots(store: Store, shot_ids: list[str] | None, episode: int | None) -> list[Shot]:
    if shot_ids:
        return [store.shot(shot_id) for shot_id in shot_ids]
    shots = store.shots(episode=episode)
    if not shots:
        where = f"episode {episode}" if episode is not None else "this project"
        raise ProjectError(f"{where} has no shots; import a script first (`shotcraft import`).")
    return shots


def _run_batch(
    store: Store, engine: Engine, jobs: list[JobRow], *, emit: EventFn,
    warn: Callable[[str, str], None], cancel: threading.Event | None, total: int, counter: _Counter,
) -> list[TakeResult]:
    from shotcraft.engine.protocol import Progress
    from shotcraft.engine.request import build_request
    from shotcraft.engine.settings import render_size, scaled_size

    shot_id = jobs[0].shot_id
    with store.db.read() as session:
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
    width, height = scaled_size(*render_size(store.aspect), engine.capabilities(kind).scale)
    width = int(options.get("params", {}).get("width", width))
    height = int(options.get("params", {}).get("height", height))
    by_number = {take.number: (job, take) for job, take in zip(jobs, takes, strict=True)}

    def fail_all(reason: str) -> list[TakeResult]:
        failed = []
        for job, take in zip(jobs, takes, strict=True):
            failed.append(_fail(store, job, take, reason))
            emit(RenderEvent(kind="failed", shot_id=shot_id, take=take.number, total=total,
                             finished=counter.add(), message=reason))
        return failed

    for take in takes:
        emit(RenderEvent(kind="started", shot_id=shot_id, take=take.number, total=total,
                         finished=counter.value))
    try:
        previous_last, previous_missing = _previous_last_frame(store, shot)
        request = build_request(
            shot, engine=engine, kind=kind, seeds=[t.seed or 0 for t in takes],
            take_numbers=[t.number for t in takes], width=width, height=height,
            fps=store.fps, aspect=store.aspect, project_dir=store.root,
            scene=scene_from_row(scene_row) if scene_row else None,
            characters=[c for c in store.characters() if c.name in shot.characters],
            previous_last_frame=previous_last, previous_frame_missing=previous_missing,
            picked_keyframe=_picked_keyframe(store, shot_row) if kind is TakeKind.VIDEO else None,
            allow_downgrade=bool(options.get("allow_downgrade")),
            params=options.get("params") or {},
        )
        request.resume = {t.number: dict(job.provider_state) for job, t in zip(jobs, takes, strict=True)
                          if job.provider_state}
    except ShotcraftError as exc:
        return fail_all(str(exc))

    out_dir = _work_dir(store, jobs)
    out_dir.mkdir(parents=True, exist_ok=True)

    def progress(event: Progress) -> None:
        emit(RenderEvent(kind="progress", shot_id=shot_id, take=event.take_number,
                         fraction=event.done, message=event.message, total=total,
                         finished=counter.value))

    def checkpoint(take_number: int, state: dict[str, Any]) -> None:
        job, _take = by_number[take_number]
        with store.db.write() as session:
            row = session.get(JobRow, job.id)
            if row is not None:
                row.provider_state = {**row.provider_state, **state}
                row.updated_at = utcnow()
                session.add(row)

    job_ids = [job.id for job in jobs if job.id is not None]

    def lease_trouble(error: str) -> None:
        numbers = ", ".join(str(t.number) for t in takes)
        warn(shot_id, f"{shot_id} take {numbers}: the render lease could not be renewed ({error}); "
                      "drawing goes on, but another render may take these takes over.")

    started = time.monotonic()
    try:
        with Heartbeat(store, job_ids, on_failure=lease_trouble) as heartbeat:
            rendered = engine.render(request, out_dir=out_dir, progress=progress, cancel=cancel,
                                     checkpoint=checkpoint)
    except ShotcraftError as exc:
        shutil.rmtree(out_dir, ignore_errors=True)
        if is_disk_full(exc):
            raise  # the whole render stops: see render()
        return fail_all(str(exc))
    elapsed = time.monotonic() - started
    # a failed heartbeat may have let the lease lapse: never register over another claim
    lost = set(job_ids) - held_by(store, job_ids, worker_id()) if heartbeat.failure else set()

    def lapsed(take: TakeRow) -> TakeResult:
        return TakeResult(shot_id=shot_id, take=take.number, status="failed", reason=(
            f"its lease lapsed while the heartbeat failed ({heartbeat.failure}); the take went "
            "back to the queue or to another render, and this render's result was not kept"))

    results: list[TakeResult] = []
    ref_hashes = _reference_hashes(request)
    returned = {r.take_number for r in rendered}
    per_take_seconds = elapsed / max(1, len(rendered))
    if any(item.failed and _says_disk_full(item.failed) for item in rendered):
        shutil.rmtree(out_dir, ignore_errors=True)
        raise disk_full(store.root)  # an engine that reported the full disk instead of raising
    for item in rendered:
        job, take = by_number[item.take_number]
        if job.id in lost:
            result = lapsed(take)
        else:
            result = _finish(store, engine, job, take, item, request, ref_hashes,
                             per_take_seconds, previous_last, shot)
        results.append(result)
        emit(RenderEvent(kind=result.status, shot_id=shot_id, take=take.number, total=total,
                         finished=counter.add(), message=result.reason or ""))
    for number, (job, take) in by_number.items():
        if number not in returned:
            if job.id in lost:
                result = lapsed(take)
            else:
                cancelled = cancel is not None and cancel.is_set()
                result = _fail(store, job, take, "cancelled" if cancelled else "the engine returned no result")
            results.append(result)
            emit(RenderEvent(kind="failed", shot_id=shot_id, take=take.number, total=total,
                             finished=counter.add(), message=result.reason or ""))
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
    store: Store, engine: Engine, job: JobRow, take: TakeRow, item: RenderedTake, request: Any,
    ref_hashes: dict[str, str], seconds: float, previous_last: Path | None, shot: Shot,
) -> TakeResult:
    if item.failed or item.path is None:
        return _fail(store, job, take, item.failed or "the engine returned no file", item=item)
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
        scores, thumb = score_and_thumbnail(store, stored, kind=kind, info=info, shot=shot,
                                            previous_last=previous_last)
    except Exception as exc:
        if stored is not None:
            _discard_unregistered(store, stored)
        if isinstance(exc, ShotcraftError) and not is_disk_full(exc):
            return _fail(store, job, take, f"invalid output: {exc}", item=item)
        raise
    try:
        _register(store, engine, job, take, item, request, ref_hashes, seconds, stored, thumb,
                  info, scores)
    except BaseException:
        _discard_unregistered(store, stored)  # the row was rolled back: the file is nobody's
        raise
    return TakeResult(shot_id=take.shot_id, take=take.number, status="done", score=scores.total)


def _says_disk_full(reason: str) -> bool:
    return "the disk holding" in reason and " is full" in reason


def _discard_unregistered(store: Store, stored: Path) -> None:
    """Remove a file just stored that no take row names (its registration did not happen);
    the store is content-addressed, so another take may own the same file."""
    relative = store.layout.relative(stored)
    with store.db.read() as session:
        owner = session.exec(select(TakeRow.id).where(TakeRow.media_path == relative)).first()
    if owner is None:
        stored.unlink(missing_ok=True)


def _register(
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
        row.explanations = {m.name: m.explanation for m in scores.metrics}
        row.score = scores.total
        row.cost_seconds = item.cost_seconds or seconds
        row.cost_credits = item.cost_credits
        row.provider = dict(item.provider)
        row.finished_at = utcnow()
        job_row.state, job_row.error, job_row.updated_at = "done", None, utcnow()
        session.add(row)
        session.add(job_row)


def score_and_thumbnail(
    store: Store, stored: Path, *, kind: TakeKind, info: Any, shot: Shot,
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
    thumb = store.layout.frames / f"{stored.stem}-thumb.png"
    if not thumb.exists():
        thumb.parent.mkdir(parents=True, exist_ok=True)
        temp = thumb.with_name(f".{thumb.name}.{os.getpid()}.png")
        try:
            Image.fromarray(frames[len(frames) // 2]).save(temp)
            os.replace(temp, thumb)
        finally:
            temp.unlink(missing_ok=True)  # a full disk leaves half a PNG: never keep it
    return scores, thumb


def _fail(store: Store, job: JobRow, take: TakeRow, reason: str, *, item: RenderedTake | None = None) -> TakeResult:
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


def _previous_last_frame(store: Store, shot: Shot) -> tuple[Path | None, str | None]:
    """The last frame of the previous shot's picked take (chaining and continuity), or None
    and why not, in words that end "shot X chains from the previous shot, but …"."""
    with store.db.read() as session:
        prev = session.exec(select(ShotRow).where(
            ShotRow.episode == shot.episode, col(ShotRow.order) < shot.order,
            ShotRow.archived == False,  # noqa: E712
        ).order_by(col(ShotRow.order).desc())).first()
        if prev is None:
            return None, f"it is the first shot of episode {shot.episode}"
        if prev.picked_take is None:
            return None, f"{prev.id} has no picked take yet"
        take = session.exec(select(TakeRow).where(
            TakeRow.shot_id == prev.id, TakeRow.number == prev.picked_take)).first()
    pick = f"take {prev.picked_take} of {prev.id} (its pick)"
    if take is None:
        return None, f"{pick} is not in the project"
    if not take.media_path:
        return None, f"{pick} has no file"
    try:
        return frame_of(store.layout, store.layout.resolve(take.media_path), "last"), None
    except ShotcraftError as exc:
        return None, f"the last frame of {pick} could not be read: {str(exc).rstrip('.')}"


def _picked_keyframe(store: Store, shot_row: ShotRow) -> Path | None:
    if shot_row.picked_keyframe is None:
        return None
    with store.db.read() as session:
        take = session.exec(select(TakeRow).where(
            TakeRow.shot_id == shot_row.id, TakeRow.number == shot_row.picked_keyframe)).first()
    if take is None or not take.media_path:
        return None
    return store.layout.resolve(take.media_path)


def add_take(store: Store, shot_id: str, file: Path) -> Take:
    """Import a clip drawn elsewhere (e.g. the Kling web app) as a take of a shot."""
    from shotcraft.projects.convert import take_from_row

    shot = store.shot(shot_id)
    if not file.is_file():
        raise SpecError(f"{file} does not exist", field="file")
    try:
        info = probe(file)
    except MediaError as exc:
        raise SpecError(f"{file.name} is not a readable video or image ({exc})", field="file") from exc
    kind = TakeKind.KEYFRAME if info.is_image else TakeKind.VIDEO
    stored, digest = store_file(store.layout, file, move=False)
    previous_last, _missing = _previous_last_frame(store, shot)
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
            explanations={m.name: m.explanation for m in scores.metrics}, finished_at=utcnow(),
        )
        session.add(row)
        session.flush()
        return take_from_row(row)
