"""Plan a render before anything is written: every request built and checked, priced, held
against the budgets.

`plan_render` reads the project and never writes it. A request the engine cannot draw, or a run
that would spend more credits than a shot's or an episode's budget has left, is refused here in
one sentence, so a refusal burns no take number and submits nothing. `shotcraft render
--dry-run` prints the plan; `render` queues exactly what it holds.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, Field
from sqlmodel import col, select

from shotcraft.engine.protocol import Engine
from shotcraft.projects.db import EpisodeRow, ShotRow, TakeRow
from shotcraft.projects.draw.batch import request_for
from shotcraft.projects.limits import SEED_SPACE
from shotcraft.projects.store import Store
from shotcraft.shots.errors import BudgetExceeded, ShotcraftError
from shotcraft.shots.models import Budget, Shot, TakeKind, TakeStatus


class ShotPlan(BaseModel):
    """What a run will draw of one shot."""

    shot_id: str
    episode: int
    takes: int
    take_numbers: list[int] = Field(default_factory=list)
    seeds: list[int] = Field(default_factory=list)
    downgrades: list[str] = Field(default_factory=list)
    width: int = 0  # what the engine delivers (assembly scales it to the export preset)
    height: int = 0
    credits_per_take: float | None = None
    notes: list[str] = Field(default_factory=list)  # budget caps that cut this shot's takes

    @property
    def credits(self) -> float | None:
        return None if self.credits_per_take is None else self.credits_per_take * self.takes


class RenderPlan(BaseModel):
    """A whole run: shots, engine, what each take will cost, and what the budgets cut."""

    engine: str
    kind: TakeKind
    shots: list[ShotPlan] = Field(default_factory=list)
    seed: int | None = None  # the first seed asked for; None: each shot goes on from its last
    resumed: int = 0  # takes left queued by an earlier run (planned then)
    notes: list[str] = Field(default_factory=list)
    # shots the draw leaves out, each with why (a lip-sync of an episode names them)
    skipped: list[str] = Field(default_factory=list)
    # draw-until: its takes and credits are upper bounds (each shot stops at a good take)
    until: float | None = None
    max_takes: int | None = None

    @property
    def takes(self) -> int:
        return sum(s.takes for s in self.shots)

    @property
    def credits(self) -> float | None:
        priced = [s.credits for s in self.shots if s.takes and s.credits is not None]
        return sum(priced) if priced else None


def first_seed(shot_id: str) -> int:
    """Distinct, stable starting seeds per shot, so shots do not share compositions."""
    return zlib.crc32(shot_id.encode()) % 1_000_000


def next_takes(
    shot_id: str, rows: Sequence[TakeRow], count: int, seed: int | None
) -> tuple[list[int], list[int]]:
    """Take numbers and seeds for `count` new takes after `rows` (numbers are never reused);
    seeds go on from the shot's last one unless `seed` is given."""
    start = max((r.number for r in rows), default=0) + 1
    if seed is None:
        seeds = [r.seed for r in rows if r.seed is not None]
        seed = max(seeds) + 1 if seeds else first_seed(shot_id)
    return ([start + i for i in range(count)], [(seed + i) % SEED_SPACE for i in range(count)])


def plan_render(
    store: Store, shots: list[Shot], *, engine: Engine, engine_name: str, kind: TakeKind,
    takes: int | None, seed: int | None, options: dict[str, Any], resumed: int = 0,
) -> RenderPlan:
    """Build, check, price and budget `takes` more takes per shot (None: up to takes wanted).

    Raises EngineError/SpecError naming the shot when a request cannot be drawn, and
    BudgetExceeded with the figures when the run would overspend a credit budget.
    """
    plan = RenderPlan(engine=engine_name, kind=kind, seed=seed, resumed=resumed)
    with store.db.read() as session:
        ep_budgets = {row.number: Budget(**row.budget)
                      for row in session.exec(select(EpisodeRow)).all() if row.budget}
        rows_by_shot: dict[str, list[TakeRow]] = {}
        for shot in shots:
            rows_by_shot[shot.id] = list(session.exec(
                select(TakeRow).where(TakeRow.shot_id == shot.id)).all())
        ep_rows: dict[int, list[TakeRow]] = {}
        for number in {s.episode for s in shots if s.episode in ep_budgets}:
            ids = select(ShotRow.id).where(ShotRow.episode == number)
            ep_rows[number] = list(session.exec(
                select(TakeRow).where(col(TakeRow.shot_id).in_(ids))).all())
    ep_counts = {number: len(rows) for number, rows in ep_rows.items()}
    for shot in shots:
        rows = rows_by_shot[shot.id]
        live = [r for r in rows if r.kind == kind.value and r.status != TakeStatus.FAILED.value]
        wanted = takes if takes is not None else max(0, shot.takes_wanted - len(live))
        entry = ShotPlan(shot_id=shot.id, episode=shot.episode, takes=0)
        if shot.budget is not None:
            wanted = _cap(wanted, shot.budget, rows, shot.id, entry.notes, what=f"shot {shot.id}")
        if shot.episode in ep_budgets:
            wanted = _cap(wanted, ep_budgets[shot.episode], ep_rows[shot.episode], shot.id,
                          entry.notes, what=f"episode {shot.episode}", count=ep_counts[shot.episode])
            ep_counts[shot.episode] += wanted
        plan.notes.extend(entry.notes)
        entry.takes = wanted
        if wanted > 0:
            entry.take_numbers, entry.seeds = next_takes(shot.id, rows, wanted, seed)
            try:
                request, _ = request_for(store, shot, engine=engine, kind=kind, seeds=entry.seeds,
                                         take_numbers=entry.take_numbers, options=options)
                entry.credits_per_take = engine.describe_cost(request)
            except ShotcraftError as exc:
                exc.message = _about(shot.id, exc.message)  # the same error, naming the shot
                exc.args = (exc.message,)
                raise
            entry.downgrades = list(request.downgrades)
            delivery = engine.delivers(request)  # the engine's native size, which assembly scales
            entry.width, entry.height = delivery.width, delivery.height
        plan.shots.append(entry)
    _hold_credits(plan, shots, rows_by_shot, ep_budgets, ep_rows)
    return plan


def hold_budget(plan: RenderPlan, budget: float | None, *, spent: float = 0.0) -> None:
    """Refuse a plan whose credits go past the draw's own budget (`Draw.budget`), of which
    `spent` is gone already (earlier rounds of the same draw)."""
    cost = plan.credits
    if budget is None or not cost:
        return
    _refuse_over("this draw", cost, plan.takes, None, spent, budget)


def _about(shot_id: str, message: str) -> str:
    return message if shot_id in message else f"shot {shot_id}: {message}"


def _hold_credits(
    plan: RenderPlan, shots: list[Shot], rows_by_shot: dict[str, list[TakeRow]],
    ep_budgets: dict[int, Budget], ep_rows: dict[int, list[TakeRow]],
) -> None:
    """Refuse the run if what it would spend goes past a credit budget: before it is spent."""
    by_id = {s.id: s for s in shots}
    for entry in plan.shots:
        budget = by_id[entry.shot_id].budget
        if entry.credits and budget is not None and budget.max_credits is not None:
            spent = sum(r.cost_credits or 0.0 for r in rows_by_shot[entry.shot_id])
            _refuse_over(f"shot {entry.shot_id}", entry.credits, entry.takes,
                         entry.credits_per_take, spent, budget.max_credits)
    for number, budget in ep_budgets.items():
        entries = [e for e in plan.shots if e.episode == number and e.credits]
        if budget.max_credits is None or not entries:
            continue
        cost = sum(e.credits or 0.0 for e in entries)
        spent = sum(r.cost_credits or 0.0 for r in ep_rows.get(number, []))
        _refuse_over(f"episode {number}", cost, sum(e.takes for e in entries), None, spent,
                     budget.max_credits)


def _refuse_over(what: str, cost: float, takes: int, each: float | None, spent: float,
                 limit: float) -> None:
    if spent + cost <= limit + 1e-9:
        return
    left = max(0.0, limit - spent)
    each_text = f", {each:g} each" if each is not None else ""
    raise BudgetExceeded(
        f"this run would spend {cost:g} credits on {what} ({takes} takes{each_text}), but its "
        f"budget has {left:g} of {limit:g} credits left; draw fewer takes or raise the budget."
    )


def _cap(
    wanted: int, budget: Budget, rows: Sequence[TakeRow], shot_id: str, notes: list[str], *,
    what: str, count: int | None = None,
) -> int:
    """Takes and compute seconds cap what is queued, and say so (credits refuse: above)."""
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
