"""Draw until good: card draw one batch at a time, until a take is good enough.

`render --until SCORE` draws each chosen shot a batch at a time (`--takes`, default 2) through
the ordinary render (plan → execute → store) and stops the shot at the first of these rules:

- **score**: a done video take (a rejected one never counts) scores at least SCORE;
- **max_takes**: the shot holds N video takes in all (done, rejected, queued or running; a
  failed take is no card to judge and does not count);
- **budget**: the shot's or episode's budget allows no further batch (plan.py decides, as for
  any render);
- **failed**: the engine failed every take of a batch: the shot stops rather than burn more.

A shot that already holds a good take draws nothing (**already_good**). The loop keeps no state
of its own: each decision is read from the database, so the same command run again after a
crash goes on where it stopped, and the crashed run's queued takes are drawn first under their
own numbers, never queued twice.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, Field
from sqlmodel import select

from shotcraft.engine.executors import Executor, get_executor
from shotcraft.engine.protocol import Engine
from shotcraft.engine.registry import get_engine
from shotcraft.engine.settings import EngineSettings
from shotcraft.projects.convert import take_from_row
from shotcraft.projects.db import TakeRow
from shotcraft.projects.draw.events import EventFn, RenderEvent, RenderSummary
from shotcraft.projects.draw.plan import RenderPlan, ShotPlan, plan_render
from shotcraft.projects.draw.queue import pending_count, recover_stale_jobs
from shotcraft.projects.draw.reach import check_reachable
from shotcraft.projects.draw.request import DEFAULT_MAX_TAKES, DEFAULT_UNTIL_BATCH
from shotcraft.projects.draw.run import executor_kwargs, render, select_shots
from shotcraft.projects.ranker import effective_score
from shotcraft.projects.store import Store
from shotcraft.shots.errors import BudgetExceeded
from shotcraft.shots.models import Shot, Take, TakeKind, TakeStatus

StopRule = Literal["score", "max_takes", "budget", "failed", "already_good", "cancelled"]

DEFAULT_BATCH = DEFAULT_UNTIL_BATCH  # small batches: at most one take drawn past the good one
KIND = TakeKind.VIDEO  # a take is judged good as a clip; keyframes are picked by eye


class ShotStop(BaseModel):
    """How drawing one shot ended."""

    shot_id: str
    takes: int  # the shot's takes counted against the cap when it stopped
    drawn: int = 0  # takes this run finished (done or failed)
    best_take: int | None = None
    best_score: float | None = None
    stopped_by: StopRule
    sentence: str


class UntilSummary(RenderSummary):
    """A render summary over every batch, plus the rule that stopped each shot."""

    until: float
    max_takes: int
    shots: list[ShotStop] = Field(default_factory=list)


def effective_scores(store: Store, takes: list[Take]) -> dict[int, float]:
    """The score each done take is judged by, by take number (takes without one left out).

    The project's effective total (projects.ranker): the learned weights' once they are in use,
    otherwise the stored fixed-weight total; identity is included wherever it was measured.
    """
    score = effective_score(store)
    scored = {take.number: score(take) for take in takes}
    return {number: value for number, value in scored.items() if value is not None}


@dataclass
class _Standing:
    """A shot's video takes as the database holds them now."""

    count: int  # takes that count against the cap (every status but failed)
    waiting: int  # of those, queued or running
    best: tuple[int, float] | None  # (take number, score) of the best done take

    def good(self, until: float) -> bool:
        return self.best is not None and self.best[1] >= until

    def room(self, until: float, max_takes: int) -> int:
        """The most takes drawing this shot may still finish."""
        return 0 if self.good(until) else max(0, max_takes - self.count) + self.waiting


def _standing(store: Store, shot_id: str) -> _Standing:
    with store.db.read() as session:
        rows = session.exec(select(TakeRow).where(TakeRow.shot_id == shot_id,
                                                  TakeRow.kind == KIND.value)).all()
    live = [r for r in rows if r.status != TakeStatus.FAILED.value]
    waiting = [r for r in live if r.status in (TakeStatus.QUEUED.value, TakeStatus.RUNNING.value)]
    done = [take_from_row(r) for r in rows if r.status == TakeStatus.DONE.value]
    scores = effective_scores(store, done)
    best = max(scores.items(), key=lambda item: (item[1], -item[0]), default=None)
    return _Standing(len(live), len(waiting), best)


def until_shots(store: Store, shot_ids: list[str] | None, episode: int | None) -> list[Shot]:
    """The shots named, or every shot of the episode (or project) that has no pick yet."""
    shots = select_shots(store, shot_ids, episode)
    return shots if shot_ids else [shot for shot in shots if shot.picked_take is None]


class _Relay:
    """The batches' events as one run's: one "queued" with the most takes the run may draw,
    running counts across batches, and a "stopped" event per shot."""

    def __init__(self, emit: EventFn, total: int) -> None:
        self.emit, self.total, self.base = emit, total, 0

    def start(self) -> None:
        self.emit(RenderEvent(kind="queued", total=self.total,
                              message=f"at most {self.total} takes to draw"))

    def __call__(self, event: RenderEvent) -> None:
        if event.kind == "queued":
            return  # each batch's own count; the run's was said once
        self.emit(event.model_copy(update={"total": self.total,
                                           "finished": self.base + event.finished}))

    def stopped(self, stop: ShotStop, unused: int) -> None:
        """A shot stopped with `unused` of the takes it might have drawn left undrawn."""
        self.total = max(self.base, self.total - unused)
        self.emit(RenderEvent(kind="stopped", shot_id=stop.shot_id, message=stop.sentence,
                              total=self.total, finished=self.base))


@dataclass
class _Run:
    """One `render_until` in progress: its settings and what each shot has drawn so far."""

    store: Store
    until: float
    max_takes: int
    batch: int
    common: dict[str, Any]
    summary: UntilSummary
    relay: _Relay
    rooms: dict[str, int]  # the most takes each shot might have drawn, when the run began
    drawn: dict[str, int] = field(default_factory=dict)
    stops: dict[str, ShotStop] = field(default_factory=dict)
    budget: float | None = None  # the draw's own credits, all rounds together
    spent: float = 0.0  # credits the rounds so far planned (and so paid for)

    def stop(self, shot_id: str, rule: StopRule, *, why: str = "") -> None:
        standing = _standing(self.store, shot_id)
        drawn = self.drawn.get(shot_id, 0)
        stop = _stop(shot_id, standing, drawn, rule, self.until, self.max_takes, why=why)
        self.stops[shot_id] = stop
        self.relay.stopped(stop, max(0, self.rooms[shot_id] - drawn))


def render_until(
    store: Store, *, until: float, max_takes: int = DEFAULT_MAX_TAKES,
    shot_ids: list[str] | None = None, episode: int | None = None, takes: int | None = None,
    engine: str | None = None, seed: int | None = None, allow_downgrade: bool = False,
    params: dict[str, Any] | None = None, on_event: EventFn | None = None,
    cancel: threading.Event | None = None, engine_settings: dict[str, Any] | None = None,
    executor: str | Executor | None = None, executor_options: dict[str, Any] | None = None,
    budget: float | None = None,
) -> UntilSummary:
    """Draw each shot `takes` (default 2) at a time until a take scores at least `until`, the
    shot has `max_takes` takes, its budget is reached or a whole batch fails.

    Shots are drawn in rounds: one batch of every shot still drawing per round, in one render,
    so an executor draws several shots at once as a plain render does. With `budget`, each
    round is held to the credits the draw has left (its earlier rounds' planned credits spent)."""
    started = time.monotonic()
    cancel = cancel if cancel is not None else threading.Event()
    engine_name = engine or EngineSettings().default_engine
    engine_obj = get_engine(engine_name, **(engine_settings or {}))
    shots = until_shots(store, shot_ids, episode)
    recover_stale_jobs(store)  # a crashed run's takes wait in the queue before the count is read
    rooms = {shot.id: _standing(store, shot.id).room(until, max_takes) for shot in shots}
    # a score no take of a shot can reach would draw it to the cap: refused before any draw
    check_reachable(store, [shot for shot in shots if rooms[shot.id]], engine_obj, engine_name,
                    until)
    relay = _Relay(on_event or (lambda _event: None), total=sum(rooms.values()))
    relay.start()
    if isinstance(executor, Executor):
        runner, owned = executor, False
    else:
        runner = get_executor(executor, **executor_kwargs(executor, engine_obj, executor_options))
        owned = True
    common: dict[str, Any] = dict(
        engine=engine_name, loaded_engine=engine_obj, allow_downgrade=allow_downgrade,
        params=params, engine_settings=engine_settings, executor=runner, cancel=cancel,
        on_event=relay, kind=KIND)
    run = _Run(store, until, max_takes, takes or DEFAULT_BATCH, common,
               UntilSummary(until=until, max_takes=max_takes), relay, rooms, budget=budget)
    try:
        live = list(shots)
        first_round = True
        while live:
            groups = _next_batches(run, live, first_round=first_round, cancel=cancel)
            for group, count in groups:
                _draw(run, group, count, seed=seed if first_round else None)
            first_round = False
            live = [shot for shot in live if shot.id not in run.stops]
    finally:
        if owned:
            runner.close()
    summary = run.summary
    summary.shots = [run.stops[shot.id] for shot in shots if shot.id in run.stops]
    summary.executor = runner.name
    summary.cancelled = cancel.is_set()
    summary.seconds = time.monotonic() - started
    return summary


def _next_batches(run: _Run, live: list[Shot], *, first_round: bool,
                  cancel: threading.Event) -> list[tuple[list[str], int | None]]:
    """Stop the shots whose rule is met; the rest grouped for one render each: takes a crashed
    or stopped run left queued (count None: drawn under their own numbers), then new batches
    by size (a shot near its cap draws fewer)."""
    resume: list[str] = []
    fresh: dict[int, list[str]] = {}
    for shot in live:
        standing = _standing(run.store, shot.id)
        if standing.good(run.until):
            run.stop(shot.id, "already_good" if first_round else "score")
        elif cancel.is_set():
            run.stop(shot.id, "cancelled")
        elif pending_count(run.store, {shot.id}, run.common["engine"]):
            resume.append(shot.id)
        elif standing.count >= run.max_takes:
            run.stop(shot.id, "max_takes")
        else:
            fresh.setdefault(min(run.batch, run.max_takes - standing.count), []).append(shot.id)
    groups: list[tuple[list[str], int | None]] = [(resume, None)] if resume else []
    return groups + [(ids, count) for count, ids in sorted(fresh.items(), reverse=True)]


def _draw(run: _Run, shot_ids: list[str], count: int | None, *, seed: int | None) -> None:
    """One render of a batch (`count` takes, or the queued ones) for each of `shot_ids`."""
    if run.common["cancel"].is_set():
        return  # the next round stops them
    try:
        left = None if run.budget is None else max(0.0, run.budget - run.spent)
        part = render(run.store, shot_ids=shot_ids, takes=count, seed=seed, budget=left,
                      **run.common)
    except BudgetExceeded as exc:  # the credits the batch would spend: plan.py's check
        if len(shot_ids) == 1:
            run.stop(shot_ids[0], "budget", why=str(exc))
        else:  # an episode budget refusing the round: each shot alone, as far as it goes
            for shot_id in shot_ids:
                _draw(run, [shot_id], count, seed=seed)
        return
    run.relay.base += part.done + part.failed
    run.spent += (part.plan.credits or 0.0) if part.plan else 0.0
    run.summary.add(part)
    planned = {entry.shot_id: entry for entry in (part.plan.shots if part.plan else [])}
    for shot_id in shot_ids:
        results = [r for r in part.results if r.shot_id == shot_id]
        run.drawn[shot_id] = run.drawn.get(shot_id, 0) + len(results)
        entry = planned.get(shot_id)
        if count is not None and entry is not None and entry.takes == 0:
            # the budget's takes or compute seconds allowed none
            why = " ".join(entry.notes) or "its budget allows no more takes"
            run.stop(shot_id, "budget", why=why)
        elif results and not part.cancelled and all(r.status != "done" for r in results):
            reasons = [r.reason for r in results if r.reason]
            run.stop(shot_id, "failed", why=reasons[0] if reasons else "no reason given")


def _stop(shot_id: str, standing: _Standing, drawn: int, rule: StopRule, until: float,
          max_takes: int, *, why: str = "") -> ShotStop:
    best_take, best_score = standing.best if standing.best is not None else (None, None)
    # as many decimals as the threshold has, rounded down: a score under the threshold never
    # reads as reaching it ("0.8996" is "0.89" against 0.90, not "0.90")
    places = max(2, len(f"{until:g}".partition(".")[2]))
    scored = f"{math.floor((best_score or 0.0) * 10**places) / 10**places:.{places}f}"
    best = (f"best take {best_take} scored {scored}" if standing.best is not None
            else "no take finished")
    why = why.strip().rstrip(".")
    takes = f"{standing.count} take{'' if standing.count == 1 else 's'}"
    sentences = {
        "score": f"take {best_take} scored {scored} ≥ {until:.{places}f} after {takes}",
        "already_good": f"already good: take {best_take} scored {scored} ≥ "
                        f"{until:.{places}f}; nothing drawn",
        "max_takes": f"stopped at the {max_takes}-take cap; {best}",
        "budget": f"stopped by the budget after {takes} ({why}); {best}",
        "failed": f"stopped: the engine failed every take of the last batch ({why}); {best}",
        "cancelled": f"stopped on request after {takes}; {best}",
    }
    return ShotStop(shot_id=shot_id, takes=standing.count, drawn=drawn, best_take=best_take,
                    best_score=best_score, stopped_by=rule,
                    sentence=f"{shot_id}: {sentences[rule]}")


def plan_until(
    store: Store, *, until: float, max_takes: int = DEFAULT_MAX_TAKES,
    shot_ids: list[str] | None = None, episode: int | None = None, takes: int | None = None,
    engine: str | None = None, seed: int | None = None, allow_downgrade: bool = False,
    params: dict[str, Any] | None = None, engine_settings: dict[str, Any] | None = None,
) -> RenderPlan:
    """The most `render_until` could draw and spend (an upper bound: each shot up to its cap,
    or the first batch where the credit budget refuses more), writing nothing."""
    engine_name = engine or EngineSettings().default_engine
    engine_obj: Engine = get_engine(engine_name, **(engine_settings or {}))
    options = {"allow_downgrade": allow_downgrade, "params": dict(params or {})}
    plan = RenderPlan(engine=engine_name, kind=KIND, seed=seed, until=until, max_takes=max_takes)
    batch = takes or DEFAULT_BATCH
    shots = until_shots(store, shot_ids, episode)
    check_reachable(store, [shot for shot in shots if not _standing(store, shot.id).good(until)],
                    engine_obj, engine_name, until)
    for shot in shots:
        standing = _standing(store, shot.id)
        if standing.good(until):
            plan.shots.append(_empty(shot, _stop(shot.id, standing, 0, "already_good", until,
                                                 max_takes).sentence))
            continue
        room = max(0, max_takes - standing.count)
        entry, refusal = None, ""
        for count in dict.fromkeys((room, min(batch, room))):
            if count <= 0:
                break
            try:
                part = plan_render(store, [shot], engine=engine_obj, engine_name=engine_name,
                                   kind=KIND, takes=count, seed=seed, options=options)
            except BudgetExceeded as exc:
                refusal = str(exc)
                continue
            entry = part.shots[0]
            plan.notes.extend(part.notes)
            if count < room:
                entry.notes.append(f"its credit budget stops it before {room} takes")
            break
        if entry is None:
            entry = _empty(shot, refusal or f"it already has {standing.count} takes, the cap")
        plan.shots.append(entry)
    return plan


def _empty(shot: Shot, note: str) -> ShotPlan:
    return ShotPlan(shot_id=shot.id, episode=shot.episode, takes=0, notes=[note])
