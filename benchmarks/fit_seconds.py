"""How long calibration takes on a mentor-sized set of graded answers: the figures behind the
Calibration page's time estimate (``scoring.calibrate.estimated_fit_steps``) and README's.

    python benchmarks/fit_seconds.py              # ASAP sets 3 and 8; about 3 minutes on 2 cores
    python benchmarks/fit_seconds.py --sizes 50 100 --questions asap-3

For each question and size n (answers drawn at random, seed 0) it prints the seconds of
``fit_rows`` giving the question its own model, and giving it to the shared model, after
the scorer has marked the answers. Then the Calibration page's whole work, one step after
another (mark, fit, 5-fold cross-validation), on 50 answers of each of two questions and on 100
of one. OpenMP is held to one thread, as the page holds it. Needs ``../shared/benchmarks/``
(or ``$MAINS_BENCHMARKS_DIR``). A machine busy with other work is slower: compare figures
from one run.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import pandas as pd  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402
from tqdm import tqdm  # noqa: E402

from scoring.calibrate import MIN_ANSWERS, cross_validate, fit_rows, score_rows  # noqa: E402
from scoring.evaluate import read_graded  # noqa: E402


def benchmarks_file() -> Path:
    folder = Path(os.environ.get("MAINS_BENCHMARKS_DIR", REPO.parent / "shared" / "benchmarks"))
    return folder / "asap_sas_train.csv.gz"


def drawn(asap: pd.DataFrame, questions: list[str], n: int) -> pd.DataFrame:
    return pd.concat([asap[asap.question_id == q].sample(n, random_state=0) for q in questions]).reset_index(drop=True)


def seconds(work) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def fit_seconds(frame: pd.DataFrame, min_answers: int) -> float:
    rows = score_rows(frame)
    return seconds(lambda: fit_rows(rows, frame.score.to_numpy(), frame.max_score.to_numpy(), min_answers=min_answers))


def page_seconds(frame: pd.DataFrame) -> float:
    """Mark, fit on all answers, then 5-fold cross-validation on the same marks, one after another."""
    def work():
        rows = score_rows(frame)
        fit_rows(rows, frame.score.to_numpy(), frame.max_score.to_numpy())
        cross_validate(frame, k=5, rows=rows, jobs=1)
    return seconds(work)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--questions", nargs="+", default=["asap-3", "asap-8"])
    parser.add_argument("--sizes", nargs="+", type=int, default=[50, 100, 200, 400])
    args = parser.parse_args(argv)
    path = benchmarks_file()
    if not path.exists():
        print(f"fit_seconds: {path} is not there; these figures need ASAP's graded answers", file=sys.stderr)
        return 2
    asap = read_graded(str(path))
    with threadpool_limits(limits=1, user_api="openmp"):
        lines = []
        for question in tqdm(args.questions, desc="questions"):
            for n in args.sizes:
                frame = drawn(asap, [question], n)
                own, shared = fit_seconds(frame, MIN_ANSWERS), fit_seconds(frame, min_answers=10 ** 9)
                lines.append(f"{question} {n:>4} answers: own model {own:5.1f} s, shared model {shared:5.1f} s")
        pair = args.questions[:2]
        lines.append(f"Calibration page's work, 50 answers of {' and '.join(pair)}: "
                     f"{page_seconds(drawn(asap, pair, 50)):.1f} s")
        lines.append(f"Calibration page's work, 100 answers of {pair[0]}: "
                     f"{page_seconds(drawn(asap, pair[:1], 100)):.1f} s")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
