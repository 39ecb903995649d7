# Experiment support, not part of the app.
"""Run scoring.calibrate's joblib-parallel folds in forked processes, so that patches
an experiment makes to the module (monkeypatched methods) apply inside the workers too.
joblib's default loky workers import the module afresh and would not see them.

    import forkpool; forkpool.install()   # before calling cross_validate

$JOBS sets the number of worker processes (default 2).
"""
import multiprocessing as mp
import os

import joblib


def _run(task):
    """One task on one OpenMP/BLAS thread: two forked workers on two cores, as joblib's own workers run."""
    from threadpoolctl import threadpool_limits

    function, args, kwargs = task
    with threadpool_limits(1):
        return function(*args, **kwargs)


class ForkParallel:
    """Stands in for joblib.Parallel: takes the same call, runs the delayed tasks in a fork Pool."""

    def __init__(self, n_jobs=2, return_as=None):
        pass

    def __call__(self, tasks):
        with mp.get_context("fork").Pool(int(os.environ.get("JOBS", "2"))) as pool:
            return pool.map(_run, list(tasks))


def install() -> None:
    joblib.Parallel = ForkParallel


def asap_rows(frame, rows_cache: str = "/tmp/mains-rows-asap.pkl"):
    """The scorer's features of every answer (scoring.calibrate.Rows), from ``rows_cache`` or computed and saved there."""
    import pickle

    import scoring.calibrate as cal

    if os.path.exists(rows_cache):
        with open(rows_cache, "rb") as handle:
            return pickle.load(handle)
    rows = cal.score_rows(frame)
    with open(rows_cache, "wb") as handle:
        pickle.dump(rows, handle)
    return rows


def asap_cv(frame, rows_cache: str = "/tmp/mains-rows-asap.pkl") -> tuple[list[float], float, float]:
    """5-fold CV of scoring.calibrate on the ASAP frame, as patched by the calling experiment.

    The scorer's features are cached in ``rows_cache`` (they do not depend on the patches).
    Returns each set's QWK (rounded, in set order), their mean and the seconds the CV took.
    """
    import time

    import numpy as np
    import scoring.calibrate as cal

    rows = asap_rows(frame, rows_cache)
    start = time.time()
    cv = cal.cross_validate(frame, None, None, k=5, jobs=2, rows=rows)
    per = [round(a.qwk, 3) for _, a in sorted(cv.per_question.items(), key=lambda kv: int(kv[0].split("-")[1]))]
    return per, round(float(np.mean(per)), 4), round(time.time() - start)
