"""The pairwise fit behind the learning ranker: bounded, regularised, deterministic."""

from __future__ import annotations

from shotcraft.ranking.learn import (
    HIGH,
    LOW,
    ShotJudgement,
    agreement,
    fit_weights,
    held_out_agreement,
    preferences,
)
from shotcraft.ranking.metrics import DEFAULT_WEIGHTS


def _blurry_wins(shots: int) -> list[ShotJudgement]:
    """A director who always picks the well-exposed soft take over the sharp dark one (the
    fixed weights, equal for the two, rank the sharp one first)."""
    return [ShotJudgement(f"S{i}", {1: {"sharpness": 0.9, "exposure": 0.55},
                                    2: {"sharpness": 0.5, "exposure": 0.85}},
                          picked=2) for i in range(shots)]


def test_a_few_picks_move_a_weight_a_little_and_never_turn_it_off() -> None:
    few = fit_weights(preferences(_blurry_wins(2))).weights
    many = fit_weights(preferences(_blurry_wins(200))).weights
    default = DEFAULT_WEIGHTS["sharpness"]
    assert LOW * default < few["sharpness"] < default  # moved, but far from the floor
    assert many["sharpness"] < few["sharpness"] and many["exposure"] > few["exposure"]
    # enough to put the director's pick first: exposure's gain outweighs sharpness's loss
    assert 0.3 * many["exposure"] > 0.4 * many["sharpness"]
    for name, weight in many.items():
        assert LOW * DEFAULT_WEIGHTS[name] <= weight <= HIGH * DEFAULT_WEIGHTS[name]


def test_a_metric_missing_on_one_side_of_a_pair_does_not_count() -> None:
    shots = [ShotJudgement(f"S{i}", {1: {"sharpness": 0.5, "exposure": 0.9, "identity": 0.95},
                                     2: {"sharpness": 0.9, "exposure": 0.6}}, picked=1)
             for i in range(20)]
    fit = fit_weights(preferences(shots))
    assert fit.weights["identity"] == DEFAULT_WEIGHTS["identity"]
    assert fit.weights["sharpness"] < DEFAULT_WEIGHTS["sharpness"]


def test_a_pick_and_a_reject_on_the_same_pair_count_once() -> None:
    shot = ShotJudgement("S1", {1: {"motion": 0.9}, 2: {"motion": 0.5}, 3: {"motion": 0.2}},
                         rejected=frozenset({3}), picked=1)
    pairs = preferences([shot])
    # 1 over 2, 1 over 3 (the pick and the reject both say it), 2 over 3
    assert len(pairs) == 3


def test_the_fit_is_deterministic_and_agreement_counts_the_pick_on_top() -> None:
    shots = _blurry_wins(12)
    assert fit_weights(preferences(shots)) == fit_weights(preferences(shots))
    assert agreement(shots, DEFAULT_WEIGHTS).hits == 0
    held = held_out_agreement(shots)
    assert held.shots == 12 and held.hits == 12
