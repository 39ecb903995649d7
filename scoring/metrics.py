"""Agreement between the scorer and human examiners.

>>> round(quadratic_weighted_kappa([0, 1, 2, 3], [0, 1, 2, 3]), 3)
1.0
>>> round(rmse([1.0, 2.0], [1.0, 4.0]), 3)
1.414
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Sequence

import numpy as np
from scipy import stats


def pearson(human: Sequence[float], predicted: Sequence[float]) -> float:
    """Pearson's r; NaN when either side is constant."""
    h, p = np.asarray(human, float), np.asarray(predicted, float)
    if len(h) < 2 or np.std(h) == 0 or np.std(p) == 0:
        return float("nan")
    return float(np.corrcoef(h, p)[0, 1])


def spearman(human: Sequence[float], predicted: Sequence[float]) -> float:
    h, p = np.asarray(human, float), np.asarray(predicted, float)
    if len(h) < 2 or np.std(h) == 0 or np.std(p) == 0:
        return float("nan")
    return float(stats.spearmanr(h, p).statistic)


def rmse(human: Sequence[float], predicted: Sequence[float]) -> float:
    h, p = np.asarray(human, float), np.asarray(predicted, float)
    return float(math.sqrt(np.mean((h - p) ** 2))) if len(h) else float("nan")


def quadratic_weighted_kappa(human: Sequence[int], predicted: Sequence[int]) -> float:
    """Cohen's kappa with quadratic weights over the union of observed integer ratings.

    1 is perfect agreement, 0 is chance; NaN when only one rating occurs at all.
    """
    h, p = np.asarray(human, int), np.asarray(predicted, int)
    if len(h) == 0:
        return float("nan")
    low, high = int(min(h.min(), p.min())), int(max(h.max(), p.max()))
    k = high - low + 1
    if k == 1:
        return float("nan")
    observed = np.zeros((k, k))
    np.add.at(observed, (h - low, p - low), 1)
    expected = np.outer(observed.sum(axis=1), observed.sum(axis=0)) / len(h)
    i, j = np.indices((k, k))
    weights = (i - j) ** 2 / (k - 1) ** 2
    denominator = (weights * expected).sum()
    return float(1 - (weights * observed).sum() / denominator) if denominator else float("nan")


def fisher_mean(kappas: Sequence[float]) -> float:
    """The mean of several kappas (or correlations) through Fisher's z: ``tanh(mean(atanh(k)))``.

    This is how the 2012 ASAP competition averaged its sets' QWKs; values of ±1 are clipped to ±0.999.

    >>> round(fisher_mean([0.6, 0.8]), 3), round(float(np.mean([0.6, 0.8])), 3)
    (0.714, 0.7)
    """
    z = np.arctanh(np.clip(np.asarray(kappas, dtype=float), -0.999, 0.999))
    return float(np.tanh(z.mean()))


def apply_cutpoints(predicted: Sequence[float], cutpoints: Sequence[float]) -> np.ndarray:
    """Integer ratings from continuous predictions: the number of cutpoints each one reaches.

    >>> apply_cutpoints([0.2, 0.7, 1.6, 9.0], [0.5, 1.5]).tolist()
    [0, 1, 2, 2]
    """
    return np.searchsorted(np.sort(np.asarray(cutpoints, float)), np.asarray(predicted, float), side="right")


def best_cutpoints(predicted: Sequence[float], human: Sequence[int], levels: int, *, rounds: int = 3,
                   grid: int = 21) -> np.ndarray:
    """Cutpoints between the ratings 0..levels that maximise QWK of ``predicted`` against ``human``.

    Starts from rounding (cutpoints at 0.5, 1.5, …) and moves one cutpoint at a time
    within half a rating of where it started, keeping any move that raises QWK.
    Fit them on held-out (out-of-fold) predictions, never on the model's own fit.

    >>> best_cutpoints([0.0, 0.4, 0.45, 1.0], [0, 0, 1, 1], 1).tolist()
    [0.45]
    """
    p, h = np.asarray(predicted, float), np.asarray(human, int)
    cuts = np.arange(levels, dtype=float) + 0.5
    if levels < 1 or len(p) == 0:
        return cuts

    def score(c: np.ndarray) -> float:
        value = quadratic_weighted_kappa(h, apply_cutpoints(p, c))
        return -1.0 if math.isnan(value) else value

    best = score(cuts)
    for _ in range(rounds):
        improved = False
        for i in range(levels):
            for candidate in np.linspace(i, i + 1, grid):
                trial = cuts.copy()
                trial[i] = candidate
                value = score(trial)
                if value > best + 1e-12:
                    best, cuts, improved = value, trial, True
        if not improved:
            break
    return np.sort(cuts)


def to_scale(value: float, max_score: float, step: float) -> float:
    """Snap a prediction onto the human scale [0, max_score] in ``step``s.

    >>> to_scale(2.74, 5, 0.5), to_scale(-1, 3, 1), to_scale(3.6, 3, 1)
    (2.5, 0.0, 3.0)
    """
    snapped = math.floor(value / step + 0.5) * step
    return float(min(max_score, max(0.0, snapped)))


@dataclass(frozen=True)
class Agreement:
    """Agreement figures for one set of answers."""

    n: int
    pearson: float
    spearman: float
    qwk: float
    rmse: float

    def as_dict(self) -> dict:
        return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in asdict(self).items()}


def agreement(human: Sequence[float], predicted: Sequence[float], step: float) -> Agreement:
    """All measures at once; QWK on ratings in units of ``step`` (predictions already on the scale)."""
    h_int = [int(round(x / step)) for x in human]
    p_int = [int(round(x / step)) for x in predicted]
    return Agreement(
        n=len(human), pearson=pearson(human, predicted), spearman=spearman(human, predicted),
        qwk=quadratic_weighted_kappa(h_int, p_int), rmse=rmse(human, predicted),
    )
