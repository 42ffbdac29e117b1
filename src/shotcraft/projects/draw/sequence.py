"""A sequence: consecutive shots of one scene drawn as one multi-shot task, then split at the
clip's real cuts into one take per shot (a `Draw` of what="sequence").

- `plan_sequence` reads the project and writes nothing: the shots (`E01-S01-003..006`: one
  scene, consecutive, none archived; `E01-S01-003..`: as many as one clip holds), each shot's
  request, joined into one (`RenderRequest.sequence`) and checked by the engine, which must
  declare `multi_shot` (`Capabilities`); the price, held against the draw's budget; the cuts
  the engine asks for (`engine.delivers(request).cuts`). The plan is a `RenderPlan` with one
  take of each shot, so every front-end shows and confirms it as any other draw.
- `draw_sequence` queues a take of every shot (their jobs under the engine name
  "<engine>+sequence", so a plain draw never draws one alone), holds them under a lease,
  saves the provider's state on the first shot's job before polling (a draw killed mid-poll
  is resumed by the next draw of the same shots, never created again), then finds the clip's
  cuts with ffmpeg's scene score (shots/cuts.py). Cuts that match the plan (as many, each
  within half a second) split the clip into one take per shot, each recording the task it
  came from; cuts that do not are never used to split: the clip is kept whole as a take of the
  first shot and the others say why they have none.

A sequence is one task, drawn from this process: no executor is used.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from pydantic import Field
from sqlmodel import col, select

from shotcraft.engine.protocol import (
    Capabilities,
    Engine,
    RenderedTake,
    RenderRequest,
    SequencePart,
)
from shotcraft.engine.registry import multi_shot_engines
from shotcraft.engine.request import build_request
from shotcraft.engine.settings import render_size, scaled_size
from shotcraft.projects.convert import scene_from_row
from shotcraft.projects.db import JobRow, SceneRow, ShotRow, TakeRow, utcnow
from shotcraft.projects.draw.events import EventFn, RenderEvent, RenderSummary, TakeResult
from shotcraft.projects.draw.lease import Lease
from shotcraft.projects.draw.plan import RenderPlan, ShotPlan, hold_budget, next_takes
from shotcraft.projects.draw.queue import recover_stale_jobs
from shotcraft.projects.draw.run import (
    discard_unregistered,
    fail_take,
    reference_hashes,
    register_take,
)
from shotcraft.projects.media import store_file, validate_video
from shotcraft.projects.neighbours import previous_last_frame
from shotcraft.projects.scoring import score_and_thumbnail
from shotcraft.projects.store import Store
from shotcraft.shots import ffmpeg
from shotcraft.shots.cuts import cuts_match, detect_cuts
from shotcraft.shots.errors import EngineError, MediaError, ProjectError, ShotcraftError, SpecError
from shotcraft.shots.media import probe
from shotcraft.shots.models import Shot, TakeKind, TakeStatus

SUFFIX = "+sequence"  # a sequence's jobs wait under "<engine>+sequence"
CLIP_SECONDS = 15  # the longest multi-shot clip the providers document


def shots_for(store: Store, ids: list[str] | None, first_id: str, engine: Engine) -> list[str]:
    """The shots of a sequence: `ids` (a range, `Draw.sequence_ids`), or for an open range
    (E01-S01-003..) the shot `first_id` and the ones after it in its scene, as many as one
    clip holds (the engine's most shots, 15 s at most)."""
    if ids is not None:
        return list(ids)
    first = store.shot(first_id)
    _multi_shot(engine)  # how many shots one clip holds means nothing on another engine
    with store.db.read() as session:
        row = session.get(ShotRow, first.id)
        assert row is not None
        scene = session.exec(select(ShotRow).where(
            ShotRow.scene_id == row.scene_id, ShotRow.archived == False,  # noqa: E712
            col(ShotRow.order) >= row.order).order_by(col(ShotRow.order))).all()
    limit = engine.capabilities(TakeKind.VIDEO).max_shots
    chosen: list[str] = []
    frames = 0
    for shot in scene:
        if len(chosen) >= limit or (chosen and frames + shot.duration_frames
                                    > CLIP_SECONDS * store.fps):
            break
        chosen.append(shot.id)
        frames += shot.duration_frames
    return chosen


def _multi_shot(engine: Engine) -> Capabilities:
    """The engine's capabilities, when it draws several shots as one clip; EngineError naming
    the engines set up here that do, when it does not."""
    caps = engine.capabilities(TakeKind.VIDEO)
    if not caps.multi_shot:
        able = ", ".join(multi_shot_engines()) or "none is set up here"
        raise EngineError(f"{engine.name} cannot draw several shots as one clip; pick an engine "
                          f"with multi-shot (set up here: {able}).")
    return caps


class SequencePlan(RenderPlan):
    """A sequence's plan: one take of each shot (`shots`), and the clip they come from."""

    shot_ids: list[str] = Field(default_factory=list)
    take_numbers: dict[str, int] = Field(default_factory=dict)
    frames: dict[str, int] = Field(default_factory=dict)  # planned, at the project's fps
    width: int = 0
    height: int = 0
    fps: float = 0.0
    clip_frames: int = 0  # what the engine delivers
    cuts: list[int] = Field(default_factory=list)  # where it asked for cuts, at `fps`
    downgrades: list[str] = Field(default_factory=list)


class SequenceSummary(RenderSummary):
    """A sequence's draw: its takes, the cuts found in the clip, and whether it was kept whole."""

    found_cuts: list[int] = Field(default_factory=list)
    kept_whole: bool = False
    message: str = ""


def _shots(store: Store, shot_ids: list[str]) -> list[Shot]:
    """The shots, checked to be consecutive shots of one scene."""
    if len(shot_ids) < 2:
        raise SpecError("a sequence needs at least two shots.", field="sequence")
    shots = [store.shot(shot_id) for shot_id in shot_ids]
    with store.db.read() as session:
        rows = [row for row in (session.get(ShotRow, s.id) for s in shots) if row is not None]
        if len(rows) != len(shots):
            raise ProjectError(f"a shot of {shot_ids[0]}..{shot_ids[-1]} is no longer in the "
                               "project.")
        scene_ids = {r.scene_id for r in rows}
        if len(scene_ids) != 1:
            raise SpecError(f"{shot_ids[0]}..{shot_ids[-1]} spans several scenes; a sequence is "
                            "drawn within one scene.", field="sequence")
        scene_rows = session.exec(select(ShotRow).where(
            ShotRow.scene_id == rows[0].scene_id, ShotRow.archived == False  # noqa: E712
        ).order_by(col(ShotRow.order))).all()
    order = [r.id for r in scene_rows]
    start = order.index(shot_ids[0]) if shot_ids[0] in order else -1
    if start < 0 or order[start:start + len(shot_ids)] != shot_ids:
        raise SpecError(f"{', '.join(shot_ids)} are not consecutive shots of scene "
                        f"{rows[0].scene_id} (it runs {', '.join(order)}).", field="sequence")
    return shots


def _request(store: Store, shots: list[Shot], engine: Engine, *, seed: int,
             take_number: int, allow_downgrade: bool, params: dict[str, Any]) -> RenderRequest:
    """One request for the whole sequence, checked by the engine."""
    caps = _multi_shot(engine)
    if len(shots) > caps.max_shots:
        raise EngineError(f"{engine.name} draws at most {caps.max_shots} shots as one clip; "
                          f"this sequence has {len(shots)}.")
    width, height = scaled_size(*render_size(store.aspect), caps.scale)
    width, height = int(params.get("width", width)), int(params.get("height", height))
    characters = store.characters()
    requests = []
    with store.db.read() as session:
        scene_row = session.get(SceneRow, session.get(ShotRow, shots[0].id).scene_id)  # type: ignore[union-attr]
    scene = scene_from_row(scene_row) if scene_row else None
    for index, shot in enumerate(shots):
        previous, missing = (previous_last_frame(store, shot) if index == 0 else (None, None))
        requests.append(build_request(
            shot, engine=engine, kind=TakeKind.VIDEO, seeds=[seed], take_numbers=[take_number],
            width=width, height=height, fps=store.fps, aspect=store.aspect,
            project_dir=store.root, scene=scene,
            characters=[c for c in characters if c.name in shot.characters],
            previous_last_frame=previous, previous_frame_missing=missing,
            allow_downgrade=allow_downgrade, params=params))
    first, last = requests[0], requests[-1]
    cast: dict[str, Any] = {}
    for request in requests:
        for who in request.characters:
            cast.setdefault(who.name, who)
    parts = [SequencePart(shot_id=s.id, prompt=r.prompt, num_frames=r.num_frames,
                          characters=list(s.characters), camera=s.camera, size=s.size)
             for s, r in zip(shots, requests, strict=True)]
    joined = first.model_copy(update={
        "num_frames": sum(p.num_frames for p in parts), "sequence": parts,
        "characters": list(cast.values()), "last_frame": last.last_frame,
        "dialogue": [line for r in requests for line in r.dialogue],
        "downgrades": list(dict.fromkeys(d for r in requests for d in r.downgrades))})
    engine.check(joined)
    return joined


def plan_sequence(store: Store, shot_ids: list[str], *, engine: Engine, engine_name: str,
                  seed: int | None = None, allow_downgrade: bool = False,
                  params: dict[str, Any] | None = None) -> tuple[SequencePlan, RenderRequest]:
    """What one multi-shot draw of these shots would be and cost; writes nothing."""
    shots = _shots(store, shot_ids)
    numbers: dict[str, int] = {}
    with store.db.read() as session:
        for shot in shots:
            rows = session.exec(select(TakeRow).where(TakeRow.shot_id == shot.id)).all()
            taken, seeds = next_takes(shot.id, rows, 1, seed if shot is shots[0] else 0)
            numbers[shot.id] = taken[0]
            if shot is shots[0]:
                first_seed = seeds[0]
    request = _request(store, shots, engine, seed=first_seed, take_number=numbers[shots[0].id],
                       allow_downgrade=allow_downgrade, params=dict(params or {}))
    delivery = engine.delivers(request)
    credits = engine.describe_cost(request)
    share = None if credits is None else credits / len(shots)
    plan = SequencePlan(
        engine=engine_name, kind=TakeKind.VIDEO, seed=first_seed,
        shot_ids=[s.id for s in shots], frames={p.shot_id: p.num_frames for p in request.sequence},
        width=delivery.width, height=delivery.height, fps=float(delivery.fps or store.fps),
        clip_frames=int(delivery.frames or 0), cuts=list(delivery.cuts),
        downgrades=list(request.downgrades),
        shots=[ShotPlan(shot_id=s.id, episode=s.episode, takes=1, seeds=[first_seed],
                        width=delivery.width, height=delivery.height, credits_per_take=share)
               for s in shots],
        notes=[f"one {int(delivery.frames or 0) / float(delivery.fps or store.fps):.1f} s clip, "
               f"cut into its {len(shots)} shots", *request.downgrades])
    _number(plan, numbers)
    return plan, request


def _number(plan: SequencePlan, numbers: dict[str, int]) -> None:
    """Give each shot of the plan its take number."""
    plan.take_numbers = dict(numbers)
    for entry in plan.shots:
        entry.take_numbers = [numbers[entry.shot_id]]


def _waiting(store: Store, shot_ids: list[str], engine_name: str) -> list[JobRow] | None:
    """The jobs of an unfinished draw of exactly this sequence (queued again after a crash)."""
    with store.db.read() as session:
        jobs = session.exec(select(JobRow).where(
            JobRow.engine == engine_name + SUFFIX, JobRow.state == "queued",
            JobRow.shot_id == shot_ids[0])).all()
        for job in jobs:
            spec = (job.options or {}).get("sequence") or {}
            if spec.get("shots") == shot_ids and spec.get("lead"):
                ids = spec.get("jobs") or []
                rows = session.exec(select(JobRow).where(col(JobRow.id).in_(ids))).all()
                return sorted(rows, key=lambda r: ids.index(r.id))
    return None


def _queue(store: Store, plan: SequencePlan, options: dict[str, Any]) -> list[JobRow]:
    """A queued take and job per shot; the first shot's job leads (it holds the task)."""
    jobs: list[JobRow] = []
    numbers: dict[str, int] = {}
    key = uuid.uuid4().hex
    with store.db.write() as session:
        for shot_id in plan.shot_ids:
            rows = session.exec(select(TakeRow).where(TakeRow.shot_id == shot_id)).all()
            number = max((r.number for r in rows), default=0) + 1
            numbers[shot_id] = number
            take = TakeRow(shot_id=shot_id, number=number, kind=TakeKind.VIDEO.value,
                           engine=plan.engine, seed=plan.seed, status=TakeStatus.QUEUED.value)
            session.add(take)
            session.flush()
            assert take.id is not None
            job = JobRow(take_id=take.id, shot_id=shot_id, engine=plan.engine + SUFFIX,
                         options={})
            session.add(job)
            session.flush()
            jobs.append(job)
        _number(plan, numbers)
        spec = {"key": key, "shots": plan.shot_ids, "takes": plan.take_numbers,
                "seed": plan.seed, "jobs": [j.id for j in jobs]}
        for index, job in enumerate(jobs):
            job.options = {**options, "sequence": {**spec, "lead": index == 0}}
            session.add(job)
    return jobs


def draw_sequence(store: Store, shot_ids: list[str], *, engine: Engine, engine_name: str,
                  seed: int | None = None, allow_downgrade: bool = False,
                  params: dict[str, Any] | None = None, on_event: EventFn | None = None,
                  cancel: threading.Event | None = None,
                  budget: float | None = None) -> SequenceSummary:
    """Draw the shots as one multi-shot clip and split it into one take per shot (module doc)."""
    emit = on_event or (lambda _event: None)
    cancel = cancel if cancel is not None else threading.Event()
    started = time.monotonic()
    recover_stale_jobs(store)
    waiting = _waiting(store, shot_ids, engine_name)
    options = {"allow_downgrade": allow_downgrade, "params": dict(params or {})}
    if waiting is not None:  # an earlier draw of these shots was interrupted: resume it
        spec = waiting[0].options["sequence"]
        options = {k: v for k, v in waiting[0].options.items() if k != "sequence"}
        plan, request = plan_sequence(store, shot_ids, engine=engine, engine_name=engine_name,
                                      seed=spec["seed"], **_flags(options))
        _number(plan, dict(spec["takes"]))
        plan.seed, plan.resumed = spec["seed"], len(shot_ids)
        jobs = waiting
    else:
        plan, request = plan_sequence(store, shot_ids, engine=engine, engine_name=engine_name,
                                      seed=seed, allow_downgrade=allow_downgrade, params=params)
        hold_budget(plan, budget)
        engine.check_ready()
        jobs = _queue(store, plan, options)
    request = request.model_copy(update={"seeds": [plan.seed],
                                         "take_numbers": [plan.take_numbers[shot_ids[0]]]})
    summary = SequenceSummary(plan=plan, queued=0 if plan.resumed else len(jobs),
                              resumed=plan.resumed)
    lead = jobs[0]
    total = len(jobs)
    with Lease(store) as lease:
        _claim(store, jobs, lease.token)
        lease.hold([j.id for j in jobs if j.id is not None])
        if lead.provider_state:
            request.resume = {request.take_numbers[0]: dict(lead.provider_state)}
        work = store.layout.work / f"{os.getpid()}-seq-{lead.id}"
        try:
            emit(RenderEvent(kind="queued", total=total, message=f"{total} shots as one clip"))
            for job in jobs:
                emit(RenderEvent(kind="started", shot_id=job.shot_id, total=total))

            def progress(event: Any) -> None:
                emit(RenderEvent(kind="progress", shot_id=shot_ids[0], fraction=event.done,
                                 message=event.message, total=total))

            def checkpoint(_take: int, state: dict[str, Any]) -> None:
                with store.db.write() as session:
                    row = session.get(JobRow, lead.id)
                    if row is not None:
                        row.provider_state = dict(state)
                        row.updated_at = utcnow()
                        session.add(row)

            try:
                rendered = engine.render(request, out_dir=work, progress=progress, cancel=cancel,
                                         checkpoint=checkpoint)
            except Exception:
                _requeue(store, jobs)  # its saved state lets the next draw resume it
                raise
            if not rendered:  # cancelled: the takes wait for the next draw of the sequence
                _requeue(store, jobs)
                summary.cancelled = True
                summary.interrupted = total if getattr(cancel, "requeue", False) else 0
                summary.message = "cancelled; draw the sequence again to resume it unpaid."
                return summary
            _settle(store, engine, jobs, request, rendered[0], plan, summary, emit)
            summary.done = sum(1 for r in summary.results if r.status == TakeStatus.DONE.value)
            summary.failed = len(summary.results) - summary.done
            summary.seconds = time.monotonic() - started
        finally:
            shutil.rmtree(work, ignore_errors=True)
            lease.release([j.id for j in jobs if j.id is not None])
    return summary


def _flags(options: dict[str, Any]) -> dict[str, Any]:
    return {"allow_downgrade": bool(options.get("allow_downgrade")),
            "params": dict(options.get("params") or {})}


def _claim(store: Store, jobs: list[JobRow], token: str) -> None:
    with store.db.write() as session:
        for job in jobs:
            row = session.get(JobRow, job.id)
            if row is None or row.state not in ("queued", "running"):
                raise ProjectError(f"the sequence's take of {job.shot_id} is no longer waiting "
                                   "to be drawn.")
            row.state, row.worker, row.heartbeat_at = "running", token, utcnow()
            row.attempts += 1
            session.add(row)
            take = session.get(TakeRow, row.take_id)
            if take is not None:
                take.status = TakeStatus.RUNNING.value
                session.add(take)
            job.provider_state = dict(row.provider_state or {})


def _requeue(store: Store, jobs: list[JobRow]) -> None:
    with store.db.write() as session:
        for job in jobs:
            row = session.get(JobRow, job.id)
            take = session.get(TakeRow, row.take_id) if row is not None else None
            if row is not None:
                row.state, row.worker = "queued", None
                session.add(row)
            if take is not None:
                take.status = TakeStatus.QUEUED.value
                session.add(take)


def _rows(store: Store, jobs: list[JobRow]) -> list[tuple[JobRow, TakeRow]]:
    with store.db.read() as session:
        pairs = []
        for job in jobs:
            take = session.get(TakeRow, job.take_id)
            assert take is not None
            pairs.append((job, take))
        return pairs


def _settle(store: Store, engine: Engine, jobs: list[JobRow], request: RenderRequest,
            item: RenderedTake, plan: SequencePlan, summary: SequenceSummary,
            emit: EventFn) -> None:
    """Validate the clip, find its cuts, split it (or keep it whole), register the takes."""
    pairs = _rows(store, jobs)
    total = len(pairs)

    def failed_all(reason: str) -> None:
        for job, take in pairs:
            summary.results.append(fail_take(store, job, take, reason, item=item))
            emit(RenderEvent(kind="failed", shot_id=take.shot_id, take=take.number, total=total,
                             message=reason))

    if item.failed or item.path is None:
        return failed_all(item.failed or "the engine returned no file")
    delivery = engine.delivers(request)
    try:
        validate_video(item.path, width=delivery.width, height=delivery.height,
                       fps=float(delivery.fps or request.fps), frames=int(delivery.frames or 1),
                       tolerance=delivery.frames_tolerance)
        found = detect_cuts(item.path, float(delivery.fps or request.fps))
    except ShotcraftError as exc:
        return failed_all(f"invalid output: {exc}")
    summary.found_cuts = found
    fps = float(delivery.fps or request.fps)
    tolerance = max(1, round(fps / 2))
    task = dict(item.provider)
    share = (item.cost_credits / total) if item.cost_credits is not None else None
    if not cuts_match(found, list(delivery.cuts), tolerance):
        summary.kept_whole = True
        said = ", ".join(f"{c / fps:.1f} s" for c in found) or "none"
        planned = ", ".join(f"{c / fps:.1f} s" for c in delivery.cuts)
        summary.message = (f"the clip's cuts ({said}) do not match the plan ({planned}); it was "
                           f"kept whole as a take of {pairs[0][1].shot_id}, not split.")
        whole = item.model_copy(update={"params": {**item.params, "sequence": {
            "task": task, "shots": plan.shot_ids, "kept_whole": True, "found_cuts": found,
            "planned_cuts": list(delivery.cuts)}},
            "downgrades": [*item.downgrades, f"sequence clip kept whole: {summary.message}"]})
        _store_part(store, engine, pairs[0], whole, item.path, request, summary, emit, total)
        for job, take in pairs[1:]:
            reason = (f"the sequence clip was kept whole as take {pairs[0][1].number} of "
                      f"{pairs[0][1].shot_id}: {summary.message}")
            summary.results.append(fail_take(store, job, take, reason))
            emit(RenderEvent(kind="failed", shot_id=take.shot_id, take=take.number, total=total,
                             message=reason))
        return None
    bounds = [0, *found, _frames(item.path)]
    for index, (pair, start, end) in enumerate(zip(pairs, bounds, bounds[1:], strict=False)):
        part = item.path.with_name(f"part-{pair[1].shot_id}-t{pair[1].number}.mp4")
        try:
            _cut(item.path, part, start, end, fps)
        except ShotcraftError as exc:
            summary.results.append(fail_take(store, pair[0], pair[1], f"invalid output: {exc}"))
            continue
        piece = item.model_copy(update={
            "take_number": pair[1].number, "path": part, "cost_credits": share,
            "params": {**item.params, "sequence": {
                "task": task, "shots": plan.shot_ids, "index": index + 1, "of": total,
                "clip_frames": bounds[-1], "start_frame": start, "end_frame": end,
                "found_cuts": found, "planned_cuts": list(delivery.cuts)}}})
        _store_part(store, engine, pair, piece, part, request, summary, emit, total)
    return None


def _frames(path: Path) -> int:
    return probe(path).frames


def _cut(source: Path, out: Path, start: int, end: int, fps: float) -> None:
    """Frames [start, end) of `source` (and the sound under them) as their own H.264 file."""
    graph = f"[0:v]trim=start_frame={start}:end_frame={end},setpts=PTS-STARTPTS[v]"
    maps = ["-map", "[v]"]
    if probe(source).has_audio:
        graph += f";[0:a]atrim=start={start / fps:.6f}:end={end / fps:.6f},asetpts=PTS-STARTPTS[a]"
        maps += ["-map", "[a]", "-c:a", "aac", "-b:a", "128k"]
    ffmpeg.run(["-v", "error", "-nostdin", "-y", "-i", str(source), "-filter_complex", graph,
                *maps, "-c:v", "libx264", "-preset", "veryfast", "-crf", "16",
                "-pix_fmt", "yuv420p", "-r", f"{fps:g}", "-movflags", "+faststart", str(out)],
               what=f"cutting shot frames {start}-{end} out of {source.name}", error=MediaError)


def _store_part(store: Store, engine: Engine, pair: tuple[JobRow, TakeRow], item: RenderedTake,
                path: Path, request: RenderRequest, summary: SequenceSummary, emit: EventFn,
                total: int) -> None:
    job, take = pair
    shot = store.shot(take.shot_id)
    stored: Path | None = None
    try:
        info = probe(path)
        stored, _digest = store_file(store.layout, path, move=True)
        previous, _ = previous_last_frame(store, shot)
        scores, thumb = score_and_thumbnail(store, stored, kind=TakeKind.VIDEO, info=info,
                                            shot=shot, previous_last=previous)
        register_take(store, engine, job, take, item, request, reference_hashes(request), 0.0,
                  stored, thumb, info, scores)
    except ShotcraftError as exc:
        if stored is not None:
            discard_unregistered(store, stored)
        summary.results.append(fail_take(store, job, take, f"invalid output: {exc}", item=item))
        emit(RenderEvent(kind="failed", shot_id=take.shot_id, take=take.number, total=total,
                         message=str(exc)))
        return
    result = TakeResult(shot_id=take.shot_id, take=take.number, status="done",
                        score=scores.total)
    summary.results.append(result)
    emit(RenderEvent(kind="done", shot_id=take.shot_id, take=take.number, total=total,
                     finished=len(summary.results)))

