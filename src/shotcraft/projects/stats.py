"""The producer's numbers: what card drawing costs per usable shot (`shotcraft stats`).

- draws: video takes drawn for a picked shot (done, rejected or failed; queued ones are not
  drawn yet), per picked shot — mean and max;
- spend per picked shot: compute seconds and credits of every take (any kind, any status) of
  the picked shots, divided by their number; per finished minute: the same spend divided by the
  picked shots' running time (their durations at the project's fps) in minutes;
- rejects by reason (over the whole scope; a take rejected without one counts as
  "unspecified"), failed takes, the ranker's agreement, the shots still unpicked, and the picks
  that are outdated (their shot or faces changed since the take was drawn).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from sqlmodel import col, select

from shotcraft.projects.db import ShotRow, TakeRow
from shotcraft.projects.outdated import OutdatedPick, outdated_picks
from shotcraft.projects.ranker import AgreementFigure, ranker_state
from shotcraft.projects.store import Store
from shotcraft.shots.models import CLIP_KINDS, TakeStatus

DRAWN = (TakeStatus.DONE.value, TakeStatus.REJECTED.value, TakeStatus.FAILED.value)
UNSPECIFIED = "unspecified"


class Stats(BaseModel):
    episode: int | None = None
    shots: int = 0
    picked_shots: int = 0
    unpicked_shots: int = 0
    unpicked_ids: list[str] = []  # in storyboard order
    draws: int = 0  # video takes drawn for the picked shots
    draws_per_pick_mean: float | None = None
    draws_per_pick_max: int | None = None
    rejects: dict[str, int] = {}  # reason → takes, most first
    takes_failed: int = 0
    seconds: float = 0.0  # compute seconds of every take in scope
    credits: float = 0.0
    picked_seconds: float = 0.0  # compute seconds spent on the picked shots
    picked_credits: float = 0.0
    seconds_per_pick: float | None = None
    credits_per_pick: float | None = None
    finished_minutes: float = 0.0  # running time of the picked shots
    seconds_per_minute: float | None = None
    credits_per_minute: float | None = None
    # picks whose take no longer matches its shot or faces (projects/outdated.py)
    outdated_picks: list[OutdatedPick] = []
    ranker_fixed: AgreementFigure = AgreementFigure()
    ranker_learned: AgreementFigure = AgreementFigure()
    ranker_in_use: bool = False


def reject_reason(take: Any) -> str:
    """Why a take was rejected, as a word ("face", "hands", …); "unspecified" when none was
    given (a plain reject, or one made before migration 0005 recorded reasons)."""
    reason = take.reject_reason
    if reason is None or reason == "":
        return UNSPECIFIED
    return str(getattr(reason, "value", reason))


def stats(store: Store, *, episode: int | None = None) -> Stats:
    """The numbers of one episode (or the whole project)."""
    fps = store.fps
    with store.db.read() as session:
        query = select(ShotRow).where(ShotRow.archived == False)  # noqa: E712
        if episode is not None:
            query = query.where(ShotRow.episode == episode)
        shots = session.exec(query.order_by(col(ShotRow.episode), col(ShotRow.order))).all()
        rows = session.exec(select(TakeRow).where(
            col(TakeRow.shot_id).in_([s.id for s in shots]))).all()
    picked = {s.id: s for s in shots if s.picked_take is not None}
    result = Stats(episode=episode, shots=len(shots), picked_shots=len(picked),
                   unpicked_shots=len(shots) - len(picked),
                   unpicked_ids=[s.id for s in shots if s.id not in picked])
    draws = {shot_id: 0 for shot_id in picked}
    rejects: dict[str, int] = {}
    for row in rows:
        seconds, credits = row.cost_seconds or 0.0, row.cost_credits or 0.0
        result.seconds += seconds
        result.credits += credits
        if row.status == TakeStatus.FAILED.value:
            result.takes_failed += 1
        if row.status == TakeStatus.REJECTED.value:
            reason = reject_reason(row)
            rejects[reason] = rejects.get(reason, 0) + 1
        if row.shot_id in picked:
            result.picked_seconds += seconds
            result.picked_credits += credits
            if row.kind in CLIP_KINDS and row.status in DRAWN:
                draws[row.shot_id] += 1
    result.rejects = dict(sorted(rejects.items(), key=lambda item: (-item[1], item[0])))
    result.draws = sum(draws.values())
    minutes = sum(s.duration_frames for s in picked.values()) / fps / 60
    result.finished_minutes = round(minutes, 4)
    if picked:
        result.draws_per_pick_mean = round(result.draws / len(picked), 3)
        result.draws_per_pick_max = max(draws.values())
        result.seconds_per_pick = round(result.picked_seconds / len(picked), 3)
        result.credits_per_pick = round(result.picked_credits / len(picked), 3)
    if minutes:
        result.seconds_per_minute = round(result.picked_seconds / minutes, 3)
        result.credits_per_minute = round(result.picked_credits / minutes, 3)
    result.seconds, result.credits = round(result.seconds, 3), round(result.credits, 3)
    result.picked_seconds = round(result.picked_seconds, 3)
    result.picked_credits = round(result.picked_credits, 3)
    result.outdated_picks = outdated_picks(store, episode=episode)
    ranker = ranker_state(store)
    result.ranker_fixed, result.ranker_learned = ranker.fixed, ranker.learned
    result.ranker_in_use = ranker.in_use
    return result
