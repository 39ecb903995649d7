"""Agreement measures, checked against values worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from scoring.metrics import (Agreement, agreement, apply_cutpoints, best_cutpoints, fisher_mean, pearson,
                             quadratic_weighted_kappa, rmse, spearman, to_scale)


def test_pearson_by_hand():
    # human 1,2,3 (mean 2), predicted 1,2,2 (mean 5/3):
    # covariance sum = (-1)(-2/3) + 0(1/3) + (1)(1/3) = 1; squares: 2 and 2/3
    # r = 1 / sqrt(2 * 2/3) = sqrt(3) / 2
    assert pearson([1, 2, 3], [1, 2, 2]) == pytest.approx(math.sqrt(3) / 2)


def test_pearson_is_nan_when_a_side_is_constant():
    assert math.isnan(pearson([1, 2, 3], [2, 2, 2]))
    assert math.isnan(pearson([1], [1]))


def test_spearman_by_hand():
    # ranks of 10, 20, 30, 40 against 1, 3, 2, 4: d = 0, 1, 1, 0 → 1 - 6*2 / (4*15) = 0.8
    assert spearman([10, 20, 30, 40], [1, 3, 2, 4]) == pytest.approx(0.8)


def test_rmse_by_hand():
    # errors 0, 0, 0, 2 → mean square 1
    assert rmse([0, 1, 2, 3], [0, 1, 2, 1]) == pytest.approx(1.0)
    assert rmse([1.0, 2.0], [1.0, 4.0]) == pytest.approx(math.sqrt(2))


def test_qwk_two_levels_by_hand():
    # observed: (0,0)=1, (0,1)=1, (1,1)=2; row sums 2,2; column sums 1,3
    # expected = outer / 4 = [[.5, 1.5], [.5, 1.5]]; weights [[0,1],[1,0]]
    # kappa = 1 - (1) / (1.5 + .5) = 0.5
    assert quadratic_weighted_kappa([0, 0, 1, 1], [0, 1, 1, 1]) == pytest.approx(0.5)


def test_qwk_three_levels_by_hand():
    # observed: (0,0), (1,2), (2,2); weights (i-j)^2/4
    # weighted observed = 1/4; expected rows are [1/3, 0, 2/3]:
    # weighted expected = 2/3 + (1/12 + 1/6) + 1/3 = 1.25 → kappa = 1 - 0.25/1.25 = 0.8
    assert quadratic_weighted_kappa([0, 1, 2], [0, 2, 2]) == pytest.approx(0.8)


def test_qwk_perfect_chance_and_degenerate():
    assert quadratic_weighted_kappa([0, 1, 2, 3], [0, 1, 2, 3]) == pytest.approx(1.0)
    # reversed ratings disagree more than chance
    assert quadratic_weighted_kappa([0, 1, 2, 3], [3, 2, 1, 0]) == pytest.approx(-1.0)
    assert math.isnan(quadratic_weighted_kappa([1, 1], [1, 1]))
    assert math.isnan(quadratic_weighted_kappa([], []))


def test_to_scale_snaps_and_clips():
    assert to_scale(2.74, 5, 0.5) == 2.5
    assert to_scale(2.75, 5, 0.5) == 3.0
    assert to_scale(-1, 3, 1) == 0.0
    assert to_scale(3.6, 3, 1) == 3.0


def test_agreement_puts_qwk_on_the_step_scale():
    # half marks: ratings are 0..4 in steps of 0.5 → the same QWK as whole numbers 0..4
    halves = agreement([0, 0.5, 1.0], [0, 1.0, 1.0], 0.5)
    whole = agreement([0, 1, 2], [0, 2, 2], 1.0)
    assert halves.qwk == pytest.approx(0.8) == pytest.approx(whole.qwk)
    assert halves.n == 3
    assert halves.rmse == pytest.approx(math.sqrt(0.25 / 3))


def test_agreement_as_dict_turns_nan_into_none():
    data = Agreement(n=1, pearson=float("nan"), spearman=float("nan"), qwk=float("nan"), rmse=0.0).as_dict()
    assert data == {"n": 1, "pearson": None, "spearman": None, "qwk": None, "rmse": 0.0}


def test_apply_cutpoints_counts_cutpoints_reached():
    assert apply_cutpoints([0.2, 0.5, 0.7, 1.6, 9.0], [1.5, 0.5]).tolist() == [0, 1, 1, 2, 2]


def test_best_cutpoints_fix_a_shifted_predictor():
    # every prediction sits 0.6 above its rating: rounding is off by one for most,
    # but a monotone predictor can be cut perfectly
    human = np.array([0, 0, 1, 1, 2, 2, 3, 3])
    predicted = human + 0.6 + np.array([0, 0.1] * 4)
    rounded = quadratic_weighted_kappa(human, np.clip(np.rint(predicted), 0, 3).astype(int))
    cuts = best_cutpoints(predicted, human, 3)
    assert len(cuts) == 3 and list(cuts) == sorted(cuts)
    assert quadratic_weighted_kappa(human, apply_cutpoints(predicted, cuts)) == pytest.approx(1.0)
    assert rounded < 1.0


def test_best_cutpoints_never_do_worse_than_rounding():
    rng = np.random.default_rng(0)
    human = rng.integers(0, 4, 60)
    predicted = human + rng.normal(0, 0.8, 60)
    rounded = quadratic_weighted_kappa(human, np.clip(np.rint(predicted), 0, 3).astype(int))
    cut = quadratic_weighted_kappa(human, apply_cutpoints(predicted, best_cutpoints(predicted, human, 3)))
    assert cut >= rounded


def test_fisher_mean_worked_by_hand():
    """atanh(0.6) = ln 2 and atanh(0.8) = ln 3, so their mean is ln √6, and tanh(ln √6) = (6 − 1) / (6 + 1)."""
    assert fisher_mean([0.6, 0.8]) == pytest.approx(5 / 7)
    assert fisher_mean([0.5, 0.5, 0.5]) == pytest.approx(0.5)  # equal kappas: their own value
    assert fisher_mean([1.0, 0.0]) == pytest.approx(math.tanh(math.atanh(0.999) / 2))  # 1 is clipped to 0.999
