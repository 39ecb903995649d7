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
    function, args, kwargs = task
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
