"""The ranker of a project: metric weights learned from the director's picks and rejects
(`ranking.learn`), whether they are in use, and the effective total of a take.

Only what the director did by hand teaches it: a pick made by `pick --auto` (the ranker's own
choice), one read back from an editor's timeline (import-edit), or one made before shotcraft
recorded who picked, is left out — counted in `RankerState.left_out`, never learned from.

Learned weights total and rank video takes (the takes list, `takes --json`'s `score`,
`pick --auto`, `render --until` through `effective_score`) once `MIN_PICKS` picked shots with
at least two scored takes back them AND, on held-out picks, they put the director's pick first
at least as often as the fixed weights do. Keyframe stills keep the fixed total.

The fit is cached per project by the content it rests on (every video take's status and scores,
every pick), so it runs again only after a pick, a reject or a new scored take.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable

from pydantic import BaseModel
from sqlmodel import col, select

from shotcraft.projects.db import ShotRow, TakeRow
from shotcraft.projects.store import Store
from shotcraft.ranking.learn import (
    HIGH,
    LOW,
    MIN_PICKS,
    Agreement,
    ShotJudgement,
    agreement,
    fit_weights,
    held_out_agreement,
    preferences,
)
from shotcraft.ranking.metrics import default_weights, weighted_total
from shotcraft.shots.models import MadeBy, Take, TakeKind, TakeStatus


class AgreementFigure(BaseModel):
    """On how many picked shots the weights put the director's pick first."""

    hits: int = 0
    shots: int = 0
    share: float | None = None

    @classmethod
    def of(cls, found: Agreement) -> AgreementFigure:
        share = None if found.share is None else round(found.share, 4)
        return cls(hits=found.hits, shots=found.shots, share=share)

    def sentence(self) -> str:
        if not self.shots:
            return "no picked shots to measure"
        return f"{self.hits} of {self.shots} shots ({self.share:.0%})"


class RankerState(BaseModel):
    """The learned weights and what they rest on."""

    defaults: dict[str, float]
    weights: dict[str, float]  # learned (the defaults while nothing was learned)
    bounds: tuple[float, float] = (LOW, HIGH)  # factors of the default a weight stays within
    preferences: int = 0
    picked_shots: int = 0  # shots the director picked by hand among at least two scored takes
    # picks of shots with at least two scored takes that teach nothing, by who made them:
    # "auto", "import-edit", "unrecorded" (before shotcraft recorded who picked)
    left_out: dict[str, int] = {}
    min_picks: int = MIN_PICKS
    picks_needed: int = MIN_PICKS
    fixed: AgreementFigure = AgreementFigure()
    learned: AgreementFigure = AgreementFigure()  # held out: each pick ranked by a fit without it
    in_use: bool = False
    reason: str = ""

    def scorer(self) -> Callable[[Take], float | None]:
        """A take's effective total: learned for a scored video take when in use, else stored."""
        if not self.in_use:
            return _stored
        weights = dict(self.weights)

        def score(take: Take) -> float | None:
            if take.kind is not TakeKind.VIDEO or take.score is None or not take.scores:
                return take.score
            return weighted_total(take.scores, weights)

        return score


def _stored(take: Take) -> float | None:
    return take.score


_cache: dict[str, tuple[str, RankerState]] = {}
_lock = threading.Lock()


def judgements(store: Store, left_out: dict[str, int] | None = None) -> list[ShotJudgement]:
    """Every live shot's scored video takes, the director's rejects and the director's pick, in
    storyboard order. Picks anyone else made are not judgements: `left_out` (when given)
    counts those on shots with at least two scored takes, by who made them."""
    with store.db.read() as session:
        shots = session.exec(select(ShotRow.id, ShotRow.picked_take, ShotRow.picked_by).where(
            ShotRow.archived == False).order_by(  # noqa: E712
            col(ShotRow.episode), col(ShotRow.order))).all()
        by_director = set(session.exec(select(TakeRow.shot_id, TakeRow.number).where(
            TakeRow.status == TakeStatus.REJECTED.value,
            TakeRow.rejected_by == MadeBy.DIRECTOR.value)).all())
        rows = session.exec(select(TakeRow.shot_id, TakeRow.number, TakeRow.status,
                                   TakeRow.scores).where(
            TakeRow.kind == TakeKind.VIDEO.value, TakeRow.score != None,  # noqa: E711
            col(TakeRow.status).in_((TakeStatus.DONE.value, TakeStatus.REJECTED.value)),
        ).order_by(col(TakeRow.shot_id), col(TakeRow.number))).all()
    takes: dict[str, dict[int, dict[str, float]]] = {}
    rejected: dict[str, set[int]] = {}
    for shot_id, number, status, scores in rows:
        if not scores:
            continue
        takes.setdefault(shot_id, {})[number] = {k: float(v) for k, v in scores.items()}
        if status == TakeStatus.REJECTED.value and (shot_id, number) in by_director:
            rejected.setdefault(shot_id, set()).add(number)
    found: list[ShotJudgement] = []
    for shot_id, picked, picked_by in shots:
        if shot_id not in takes:
            continue
        if picked is not None and picked_by != MadeBy.DIRECTOR.value:
            if left_out is not None and picked in takes[shot_id] and len(takes[shot_id]) >= 2:
                who = picked_by or "unrecorded"
                left_out[who] = left_out.get(who, 0) + 1
            picked = None  # a pick the director did not make teaches nothing
        found.append(ShotJudgement(shot_id, takes[shot_id],
                                   frozenset(rejected.get(shot_id, ())), picked))
    return found


def ranker_state(store: Store) -> RankerState:
    """The project's ranker: learned weights, agreement before and after, whether in use."""
    left_out: dict[str, int] = {}
    shots = judgements(store, left_out)
    key = hashlib.sha1(json.dumps(
        [[[s.shot_id, s.picked, sorted(s.rejected), sorted(s.takes.items())] for s in shots],
         left_out], sort_keys=True).encode()).hexdigest()
    with _lock:
        cached = _cache.get(store.db.url)
        if cached is not None and cached[0] == key:
            return cached[1]
    state = _fit(shots).model_copy(update={"left_out": left_out})
    with _lock:
        _cache[store.db.url] = (key, state)
    return state


def _fit(shots: list[ShotJudgement]) -> RankerState:
    defaults = default_weights()  # every installed metric's, a plugin's too
    judged = [s for s in shots if s.judged]
    prefs = preferences(shots)
    fit = fit_weights(prefs, defaults)
    fixed = AgreementFigure.of(agreement(judged, defaults))
    learned = AgreementFigure.of(held_out_agreement(shots, defaults))
    needed = max(0, MIN_PICKS - len(judged))
    if needed:
        in_use = False
        reason = (f"{needed} more shot{'s' if needed > 1 else ''} picked by hand needed: learned "
                  f"weights are used from {MIN_PICKS} shots the director picked among at least "
                  f"two scored takes ({len(judged)} so far).")
    elif learned.hits < fixed.hits:
        in_use = False
        reason = (f"held out, the learned weights agree with the picks less often "
                  f"({learned.sentence()}) than the fixed ones ({fixed.sentence()}); the fixed "
                  "weights stay in use.")
    else:
        in_use = True
        reason = (f"in use: totals, the takes list and pick --auto rank video takes by the "
                  f"learned weights ({len(judged)} picked shots, {fit.preferences} preferences).")
    return RankerState(
        defaults=dict(defaults), weights=fit.weights if len(prefs) else dict(defaults),
        preferences=fit.preferences, picked_shots=len(judged), picks_needed=needed,
        fixed=fixed, learned=learned, in_use=in_use, reason=reason,
    )


def effective_score(store: Store) -> Callable[[Take], float | None]:
    """The function giving a take's effective total: the learned weights' when they are in use
    (video takes with scores), otherwise the stored fixed-weight `take.score`. Call it once per
    decision and reuse the function: it reads the project's picks once."""
    return ranker_state(store).scorer()
