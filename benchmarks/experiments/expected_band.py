# Experiment, not part of the app (issue 4's lever log, row 19, benchmarks/README.md).
"""Unsupervised ASAP sets 1/5/6 with key-element rubrics scored by the expected band.

Each rubric point's strength (SRC=strength, the default) or its status credit
(SRC=credit), raised to GAMMA, is taken as the chance that the point is in the
answer.  The number of points present then follows a Poisson-binomial
distribution, and the content share is the bands' steps weighted by
P(count >= the band's minimum), instead of the band that the summed credit reaches.
MODE=base runs the scorer unchanged.

Usage: SRC=credit python benchmarks/experiments/expected_band.py
Data: $MAINS_BENCHMARKS_DIR (default ../shared/benchmarks beside the repository).
"""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
import numpy as np

import scoring.scorer as scorer_module
from scoring.evaluate import evaluate_frame, read_graded, read_rubrics

B = os.environ.get("MAINS_BENCHMARKS_DIR", os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                         "..", "..", "..", "shared", "benchmarks")) + "/"
MODE = os.environ.get("MODE", "expected")
SRC = os.environ.get("SRC", "strength")
GAMMA = float(os.environ.get("GAMMA", "1"))
plain_share = scorer_module.content_share


def chance(point) -> float:
    value = point.credit if SRC == "credit" else point.strength
    return min(1.0, max(0.0, value)) ** GAMMA


def count_distribution(chances: list[float]) -> np.ndarray:
    """P(exactly k points present), k = 0..n, for independent points."""
    dist = np.zeros(len(chances) + 1)
    dist[0] = 1.0
    for q in chances:
        dist[1:] = dist[1:] * (1 - q) + dist[:-1] * q
        dist[0] *= 1 - q
    return dist


def expected_share(rubric, points, *, graded=False):
    if rubric.policy != "bands":
        return plain_share(rubric, points, graded=graded)
    at_least = np.cumsum(count_distribution([chance(p) for p in points])[::-1])[::-1]
    top = max(b.marks for b in rubric.bands)
    earned, below = 0.0, 0.0
    for band in sorted(rubric.bands, key=lambda b: b.min_points):
        if band.min_points < len(at_least):
            earned += at_least[band.min_points] * (band.marks - below)
        below = band.marks
    return earned / top if top else 0.0


if MODE != "base":
    scorer_module.content_share = expected_share
asap = read_graded(B + "asap_sas_train.csv.gz")
rubrics = read_rubrics(B + "asap_sas_rubrics.json")
sets = ["asap-1", "asap-5", "asap-6"]
subset = asap[asap.question_id.isin(sets)].reset_index(drop=True)
start = time.time()
evaluation = evaluate_frame(subset, None, rubrics)
qwk = [round(evaluation.per_question[k].qwk, 4) for k in sets]
print(MODE, SRC, GAMMA, qwk, "mean", round(sum(qwk) / 3, 4), f"{time.time() - start:.0f}s")
