"""Learning the director's eye: per-project metric weights fitted from picks and rejects.

Every pick says "this take over each other take of its shot"; every reject says "each take
still standing over this one". The model is Bradley–Terry on the weighted-mean difference of
a pair, over the metrics both takes have (identity is often missing on one side):

    P(a over b) = σ(κ · Σ w·(a − b) / Σ w),   w = default × exp(θ)

θ is held in [ln ¼, ln 4] and pulled towards 0 by an L2 term against the sum over the
preferences, so a few picks move a weight a little, many move it more, and no number of picks
turns a metric off or lets one rule alone. κ (how consistent the director is) is fitted too,
within [1, 200]. Plain numpy and deterministic: a fixed start and a fixed number of Adam steps.

Agreement is the share of picked shots whose pick the weights put first; `held_out_agreement`
measures it for learned weights on picks the fit never saw (leave-one-shot-out, or 10 folds
once there are more picked shots than that).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from shotcraft.ranking.metrics import DEFAULT_WEIGHTS, weighted_total

MIN_PICKS = 8  # picked shots (each with ≥ 2 scored takes) before learned weights are used
LOW, HIGH = 0.25, 4.0  # a learned weight stays within these factors of its default
L2 = 2.0  # pull of each θ towards 0, against the sum of the preferences' losses
FOLDS = 10  # held-out agreement: leave one shot out up to this many picked shots, then k-fold
STEPS = 300
LEARNING_RATE = 0.08
KAPPA_START, KAPPA_RANGE = 10.0, (1.0, 200.0)


@dataclass(frozen=True)
class ShotJudgement:
    """What the director said about one shot's takes: their metrics (done or rejected takes
    with scores), which were rejected, and which one is picked (if any)."""

    shot_id: str
    takes: Mapping[int, Mapping[str, float]]
    rejected: frozenset[int] = frozenset()
    picked: int | None = None

    def standing(self) -> dict[int, Mapping[str, float]]:
        """The takes the ranker ranks: scored and not rejected."""
        return {n: v for n, v in self.takes.items() if n not in self.rejected}

    @property
    def judged(self) -> bool:
        """A pick among at least two ranked takes: a shot agreement can be measured on."""
        return self.picked in self.standing() and len(self.standing()) >= 2


@dataclass(frozen=True)
class Preference:
    """The director preferred `winner` over `loser` (metric values of two takes of one shot)."""

    winner: Mapping[str, float]
    loser: Mapping[str, float]


@dataclass(frozen=True)
class Agreement:
    """On how many judged shots the weights put the director's pick first."""

    hits: int = 0
    shots: int = 0

    @property
    def share(self) -> float | None:
        return self.hits / self.shots if self.shots else None

    def __add__(self, other: Agreement) -> Agreement:
        return Agreement(self.hits + other.hits, self.shots + other.shots)


@dataclass(frozen=True)
class Fit:
    weights: dict[str, float]
    preferences: int
    consistency: float = KAPPA_START  # κ: how sharply the director's choices follow the weights
    theta: dict[str, float] = field(default_factory=dict)


def preferences(shots: Iterable[ShotJudgement]) -> list[Preference]:
    """Pairs (winner, loser) from picks and rejects, each pair of takes counted once."""
    found = []
    for shot in shots:
        pairs: set[tuple[int, int]] = set()
        standing = shot.standing()
        if shot.picked in standing:
            pairs.update((shot.picked, n) for n in shot.takes if n != shot.picked)
        for rejected in shot.rejected:
            if rejected in shot.takes:
                pairs.update((n, rejected) for n in standing)
        found += [Preference(shot.takes[w], shot.takes[lo]) for w, lo in sorted(pairs)]
    return found


def fit_weights(prefs: Sequence[Preference],
                defaults: Mapping[str, float] = DEFAULT_WEIGHTS) -> Fit:
    """Fit weights to the preferences (the defaults when there are none)."""
    names = list(defaults)
    base = np.array([defaults[n] for n in names], dtype=np.float64)
    diff = np.zeros((len(prefs), len(names)))
    mask = np.zeros_like(diff)
    for i, pref in enumerate(prefs):
        for j, name in enumerate(names):
            if name in pref.winner and name in pref.loser:
                diff[i, j] = pref.winner[name] - pref.loser[name]
                mask[i, j] = 1.0
    informative = mask.any(axis=1)
    diff, mask = diff[informative], mask[informative]
    theta = np.zeros(len(names))
    alpha = math.log(KAPPA_START)
    if len(diff):
        theta, alpha = _descend(diff, mask, base, theta, alpha)
    weights = base * np.exp(theta)
    return Fit(
        weights={n: round(float(w), 4) for n, w in zip(names, weights, strict=True)},
        preferences=int(informative.sum()), consistency=round(math.exp(alpha), 3),
        theta={n: float(t) for n, t in zip(names, theta, strict=True)},
    )


def _descend(diff: np.ndarray, mask: np.ndarray, base: np.ndarray, theta: np.ndarray,
             alpha: float) -> tuple[np.ndarray, float]:
    """Projected Adam on Σ softplus(−κ z) + L2 Σ θ²; θ clipped to the bounds after each step."""
    low, high = math.log(LOW), math.log(HIGH)
    alpha_low, alpha_high = (math.log(k) for k in KAPPA_RANGE)
    params = np.append(theta, alpha)
    first = np.zeros_like(params)
    second = np.zeros_like(params)
    masked = diff * mask
    for step in range(1, STEPS + 1):
        theta, kappa = params[:-1], math.exp(params[-1])
        weights = base * np.exp(theta)
        total = mask @ weights
        z = (masked @ weights) / total
        # d/dz softplus(−κz) = −κ σ(−κz); σ through tanh stays finite for any κz
        dz = -kappa * 0.5 * (1.0 - np.tanh(0.5 * kappa * z))
        # dz/dw_m = mask·(diff_m − z) / total, summed as two matrix-vector products
        scaled = dz / total
        dw = scaled @ masked - (scaled * z) @ mask
        grad = np.append(dw * weights + 2.0 * L2 * theta, float((dz * z).sum()))
        first = 0.9 * first + 0.1 * grad
        second = 0.999 * second + 0.001 * grad**2
        rate = LEARNING_RATE / math.sqrt(1.0 + step / 50)
        params = params - rate * (first / (1 - 0.9**step)) / (
            np.sqrt(second / (1 - 0.999**step)) + 1e-8)
        params[:-1] = np.clip(params[:-1], low, high)
        params[-1] = min(alpha_high, max(alpha_low, params[-1]))
    return params[:-1], float(params[-1])


def top_take(shot: ShotJudgement, weights: Mapping[str, float]) -> int | None:
    """The take the weights rank first (ties: the lower take number, as `rank_takes` orders)."""
    standing = shot.standing()
    if not standing:
        return None
    return min(standing, key=lambda n: (-weighted_total(standing[n], weights), n))


def agreement(shots: Iterable[ShotJudgement], weights: Mapping[str, float]) -> Agreement:
    """On how many judged shots `weights` rank the pick first."""
    judged = [s for s in shots if s.judged]
    return Agreement(sum(top_take(s, weights) == s.picked for s in judged), len(judged))


def held_out_agreement(shots: Sequence[ShotJudgement],
                       defaults: Mapping[str, float] = DEFAULT_WEIGHTS) -> Agreement:
    """Agreement of learned weights on picks they were not fitted on: each judged shot is ranked
    by weights fitted on every other shot (or on the other folds, past `FOLDS` judged shots).
    Unpicked shots' rejects always train."""
    judged = [s for s in shots if s.judged]
    folds = min(len(judged), FOLDS)
    if folds < 2:
        return Agreement(0, 0)
    result = Agreement()
    for fold in range(folds):
        held = {s.shot_id for s in judged[fold::folds]}
        fit = fit_weights(preferences(s for s in shots if s.shot_id not in held), defaults)
        result += agreement((s for s in judged if s.shot_id in held), fit.weights)
    return result
