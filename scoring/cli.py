"""``python -m scoring``: list, score, batch, evaluate, calibrate, suggest.

Every failure the user can cause (missing file, unknown id, malformed CSV) is one
line on stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Sequence

from scoring.bank import Bank, bank_root, load_bank
from scoring.feedback import Feedback

# pandas, scikit-learn and scipy load only for the commands that need them, so
# `list` answers at once.


SHARING = {"auto": None, "always": True, "never": False}  # --shared-fine-tune → FineTune.shared


class UsageError(Exception):
    """A one-line error for the user."""


def _user_errors() -> tuple[type[Exception], ...]:
    from scoring.evaluate import DataError

    return (UsageError, DataError)  # CalibrationError is a DataError


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except BrokenPipeError:
        return 0
    except Exception as exc:
        if not isinstance(exc, _user_errors()):
            raise
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m scoring", description="Score UPSC Mains answers against rubrics.")
    parser.add_argument("--bank", default=None, help="bank folder holding questions/ and rubric/ (default: the repo)")
    commands = parser.add_subparsers(dest="command", required=True)

    listing = commands.add_parser("list", help="the bank's questions")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(run=cmd_list)

    score = commands.add_parser("score", help="feedback on one answer")
    score.add_argument("question_id")
    score.add_argument("file", nargs="?", default="-", help="answer file, or - for standard input")
    score.add_argument("--json", action="store_true")
    score.add_argument("--calibration", default=os.environ.get("MAINS_CALIBRATION") or None,
                       help="calibration file from 'calibrate' (default: $MAINS_CALIBRATION)")
    score.set_defaults(run=cmd_score)

    batch = commands.add_parser("batch", help="score a CSV of question_id,answer rows")
    batch.add_argument("input")
    batch.add_argument("-o", "--output", required=True)
    batch.add_argument("--calibration", default=os.environ.get("MAINS_CALIBRATION") or None,
                       help="calibration file from 'calibrate' (default: $MAINS_CALIBRATION)")
    batch.add_argument("--jobs", type=int, default=None, help="worker processes (default: the CPU count, at most 4)")
    batch.set_defaults(run=cmd_batch)

    evaluate = commands.add_parser("evaluate", help="agreement with human-graded answers")
    evaluate.add_argument("data")
    evaluate.add_argument("--rubrics", help="JSON of key elements and score bands per question_id")
    evaluate.add_argument("--json", action="store_true")
    evaluate.add_argument("--calibration", help="score with this calibration file (before and after)")
    evaluate.add_argument("--cv", type=int, metavar="K", help="K-fold cross-validated agreement of a calibration fitted on the data")
    evaluate.add_argument("--min-answers", type=int, default=50, help="with --cv: answers a question needs for its own model")
    evaluate.add_argument("--jobs", type=int, default=2, help="with --cv: folds fitted in parallel")
    evaluate.add_argument("--fine-tune", action="store_true", help="with --cv: the calibration also fine-tunes a "
                          "sentence encoder (see calibrate --fine-tune)")
    evaluate.add_argument("--shared-fine-tune", choices=SHARING, help="with --fine-tune: see calibrate")
    evaluate.set_defaults(run=cmd_evaluate)

    calibrate = commands.add_parser("calibrate", help="learn marks from graded answers")
    calibrate.add_argument("data", help="graded CSV (or .csv.gz) in the benchmark format")
    calibrate.add_argument("-o", "--output", required=True, help="calibration file to write")
    calibrate.add_argument("--rubrics", help="JSON of key elements and score bands per question_id")
    calibrate.add_argument("--min-answers", type=int, default=50, help="answers a question needs for its own model")
    calibrate.add_argument("--jobs", type=int, default=2, help="questions fitted in parallel")
    calibrate.add_argument("--fine-tune", action="store_true",
                           help="also fine-tune a sentence encoder on the answers of the questions with their own "
                                "model and average it in (a few minutes per question; needs requirements-finetune.txt)")
    calibrate.add_argument("--shared-fine-tune", choices=SHARING,
                           help="with --fine-tune: one fine-tune for all those questions (a head each), or one per "
                                "question; auto (the default): shared when they have on the median fewer than "
                                "1000 graded answers")  # scoring.finetune.SHARED_BELOW
    calibrate.set_defaults(run=cmd_calibrate)

    suggest = commands.add_parser("suggest", help="suggest rubric points from a model answer")
    suggest.add_argument("file", nargs="?", default="-")
    suggest.add_argument("--json", action="store_true")
    suggest.add_argument("--question", default="", metavar="TEXT",
                         help="the question's text: evidence made only of its words is left out")
    suggest.set_defaults(run=cmd_suggest)
    return parser


# ------------------------------------------------------------------ helpers


def _bank(args) -> Bank:
    root = Path(args.bank) if args.bank else bank_root()
    if not (root / "questions").is_dir():
        raise UsageError(f"no question bank at {root} (expected {root / 'questions'})")
    bank = load_bank(root)
    for error in bank.errors:
        print(f"warning: {error}", file=sys.stderr)
    return bank


def _read_text(source: str) -> str:
    if source == "-":
        return sys.stdin.read()
    path = Path(source)
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"no such file: {source}")
    except IsADirectoryError:
        raise UsageError(f"{source} is a folder, not a file")
    except UnicodeDecodeError:
        raise UsageError(f"{source} is not UTF-8 text")


def _item(bank: Bank, question_id: str):
    if question_id not in bank:
        raise UsageError(f"unknown question id {question_id!r}; see 'python -m scoring list'")
    return bank[question_id]


# ------------------------------------------------------------------ commands


def cmd_list(args) -> int:
    bank = _bank(args)
    rows = [{"id": q.id, "paper": q.paper, "marks": q.marks, "directive": q.directive, "text": q.text}
            for q in bank.questions]
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    for row in rows:
        print(f"{row['id']:<32} {row['paper']:<5} {row['marks']:>3}  {row['directive']:<18} {row['text']}")
    return 0


def cmd_score(args) -> int:
    bank = _bank(args)
    item = _item(bank, args.question_id)
    answer = _read_text(args.file)
    from scoring.scorer import Scorer

    calibration = _calibration(args.calibration)
    feedback = Scorer().fit(bank).score(item, answer)
    if calibration is not None:
        feedback = calibration.apply(feedback, item, answer)
    print(feedback_json(feedback) if args.json else render_text(feedback))
    return 0


def _calibration(path: str | None):
    """The calibration at ``path`` (None when no path); a bad file is a one-line error."""
    if not path:
        return None
    from scoring.calibrate import load_calibration

    return load_calibration(path)


def feedback_json(feedback: Feedback) -> str:
    return feedback.model_dump_json(indent=2)


def render_text(feedback: Feedback) -> str:
    """Readable feedback for the terminal: the same facts the app shows."""
    lines = [f"Marks: {feedback.marks:g} / {feedback.max_marks:g}"]
    if feedback.message:
        lines.append(feedback.message)
    for component in feedback.components:
        lines.append(f"  {component.name:<10} {component.marks:5.2f}  {component.note}")
    lines.append("Rubric points:")
    symbol = {"covered": "[x]", "partial": "[~]", "missed": "[ ]"}
    for point in feedback.points:
        lines.append(f"  {symbol[point.status]} {point.label} ({point.status})")
        if point.evidence:
            lines.append(f"      earned by: \"{point.evidence}\"")
        elif point.hint:
            lines.append(f"      hint: {point.hint}")
    if feedback.suggestions:
        lines.append("Suggestions:")
        lines += [f"  - {s}" for s in feedback.suggestions]
    for flag in feedback.flags:
        lines.append(f"! {flag.message}")
    return "\n".join(lines)


def cmd_batch(args) -> int:
    from tqdm import tqdm

    from scoring.scorer import Scorer

    bank = _bank(args)
    frame = _read_csv(args.input, required=("question_id", "answer"))
    unknown = sorted(set(frame["question_id"]) - set(bank.items))
    if unknown:
        raise UsageError(f"{args.input}: unknown question id(s) {', '.join(unknown[:5])}")
    calibration = _calibration(args.calibration)
    rows = list(zip(frame["question_id"], frame["answer"]))
    jobs = args.jobs if args.jobs is not None else min(4, os.cpu_count() or 1)
    with tqdm(total=len(rows), desc="scoring", unit="answer", file=sys.stderr) as bar:
        results = score_batch(Scorer().fit(bank), bank, rows, calibration=calibration, jobs=jobs, progress=bar.update)
    marks, maximum, statuses, calibrated = (list(column) for column in zip(*results)) if results else ([], [], [], [])
    out = frame.assign(marks=marks, max_marks=maximum, points=statuses)
    if calibration is not None:
        out = out.assign(calibrated=calibrated)
    try:
        out.to_csv(args.output, index=False)
    except OSError as exc:
        raise UsageError(f"cannot write {args.output}: {exc.strerror or exc}")
    print(f"scored {len(out)} answers -> {args.output}", file=sys.stderr)
    return 0


#: below this many rows, worker processes cost more than they save
PARALLEL_FROM = 400
_CHUNK = 100
_WORKER: dict = {}


def score_batch(scorer, bank: Bank, rows: list[tuple[str, str]], *, calibration=None, jobs: int = 1,
                progress=None) -> list[tuple[float, float, str, bool]]:
    """(marks, max_marks, point statuses as JSON, calibrated) for each (question_id, answer) row.

    With ``jobs`` > 1 and enough rows, chunks are scored by a pool of worker
    processes, each holding the fitted scorer (inherited once by fork, or sent once
    to each worker where fork is unavailable), so no worker refits anything.
    """
    chunks = [rows[i:i + _CHUNK] for i in range(0, len(rows), _CHUNK)]
    state = (scorer, bank, calibration)
    if jobs <= 1 or len(rows) < PARALLEL_FROM:
        _batch_init(state)
        out = []
        for chunk in chunks:
            out += _score_chunk(chunk)
            if progress:
                progress(len(chunk))
        return out
    import multiprocessing

    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    context = multiprocessing.get_context(method)
    out = []
    with context.Pool(jobs, initializer=_batch_init, initargs=(state,)) as pool:
        for chunk, scored in zip(chunks, pool.imap(_score_chunk, chunks)):
            out += scored
            if progress:
                progress(len(chunk))
    return out


def _batch_init(state) -> None:
    _WORKER["state"] = state


def _score_chunk(chunk: list[tuple[str, str]]) -> list[tuple[float, float, str, bool]]:
    scorer, bank, calibration = _WORKER["state"]
    items = [bank[question_id] for question_id, _ in chunk]
    answers = [answer for _, answer in chunk]
    feedbacks = [scorer.score(item, answer) for item, answer in zip(items, answers)]
    calibrated = calibration.marks_for(items, answers, feedbacks) if calibration is not None else [None] * len(chunk)
    return [
        (feedback.marks if marks is None else marks, feedback.max_marks,
         json.dumps({p.id: p.status for p in feedback.points}), marks is not None)
        for feedback, marks in zip(feedbacks, calibrated)
    ]


def _read_csv(source: str, required: Sequence[str]):
    """Every cell as text; the same reading and messages as graded CSVs (``scoring.evaluate.read_table``)."""
    from scoring.evaluate import read_table

    frame = read_table(source, dtype=str)[0]
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise UsageError(f"{source}: missing column(s) {', '.join(missing)}; found {', '.join(map(str, frame.columns))}")
    return frame


def _graded(args, bank: Bank | None, rubrics: dict | None):
    """The graded file, held to the bank for its questions (as the Calibration page holds it); a row kept with
    a warning is said on stderr."""
    from scoring.evaluate import bank_marks, read_graded_file

    graded = read_graded_file(args.data, bank_marks=bank_marks(bank, rubrics))
    for warning in graded.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    return graded.frame


def cmd_evaluate(args) -> int:
    from scoring.evaluate import evaluate_frame, read_rubrics

    rubrics = read_rubrics(args.rubrics) if args.rubrics else None
    root = Path(args.bank) if args.bank else bank_root()
    bank = load_bank(root) if (root / "questions").is_dir() else None
    frame = _graded(args, bank, rubrics)
    if rubrics:
        frame = frame[frame["question_id"].isin(rubrics)]
        if frame.empty:
            raise UsageError("no rows in the data have a question_id found in the rubrics file")
    if args.cv is not None and args.calibration:
        raise UsageError("use --cv or --calibration, not both")
    if args.fine_tune and args.cv is None:
        raise UsageError("--fine-tune goes with --cv (or with calibrate)")
    if args.cv is not None:
        return _evaluate_cv(args, frame, bank, rubrics)
    if args.calibration:
        return _evaluate_calibrated(args, frame, bank, rubrics)
    result = evaluate_frame(frame, bank, rubrics)
    if args.json:
        print(json.dumps(result.as_dict(), indent=2))
        return 0
    print(_agreement_table(result))
    return 0


def _evaluate_cv(args, frame, bank, rubrics) -> int:
    from scoring.calibrate import cross_validate_fine_tune

    if args.cv < 2:
        raise UsageError("--cv needs K of at least 2")
    fine_tune = _fine_tune(args)
    # with --fine-tune, ``alone`` is the same folds' n-gram models without it, from the same fits (else None)
    result, alone = cross_validate_fine_tune(frame, bank, rubrics, fine_tune=fine_tune, k=args.cv,
                                             min_answers=args.min_answers, jobs=max(1, args.jobs),
                                             progress=_bar("folds", args.cv) if fine_tune else None)
    if args.json:
        extra = {} if alone is None else {"without_fine_tune": alone.as_dict()}
        print(json.dumps({"cv": args.cv, **result.as_dict(), **extra}, indent=2))
        return 0
    print(f"{args.cv}-fold cross-validated agreement of a calibration fitted on the other folds")
    print(_agreement_table(result))
    if alone is not None:
        print("\nThe same folds without the fine-tune (the n-gram models alone)")
        print(_agreement_table(alone))
    return 0


def _evaluate_calibrated(args, frame, bank, rubrics) -> int:
    from scoring.calibrate import evaluate_calibration

    calibration = _calibration(args.calibration)
    before, after = evaluate_calibration(frame, calibration, bank, rubrics)
    if args.json:
        print(json.dumps({"calibration": str(args.calibration), "before": before.as_dict(),
                          "after": after.as_dict()}, indent=2))
        return 0
    print(f"calibrated with {args.calibration} ({len(calibration.questions)} questions; "
          "questions it does not know keep the scorer's marks)")
    print(_agreement_table(after))
    o = before.overall
    print(f"before calibration: pearson {o.pearson:.3f}, qwk {o.qwk:.3f}, rmse {o.rmse:.3f} (n={o.n})")
    return 0


def cmd_calibrate(args) -> int:
    from scoring.calibrate import fit_calibration
    from scoring.evaluate import read_rubrics

    rubrics = read_rubrics(args.rubrics) if args.rubrics else None
    root = Path(args.bank) if args.bank else bank_root()
    bank = load_bank(root) if (root / "questions").is_dir() else None
    frame = _graded(args, bank, rubrics)
    if args.min_answers < 2:
        raise UsageError("--min-answers must be at least 2")
    fine_tune = _fine_tune(args)
    calibration = fit_calibration(frame, bank, rubrics, min_answers=args.min_answers, jobs=max(1, args.jobs),
                                  fine_tune=fine_tune, question_progress=_bar("questions") if fine_tune else None)
    calibration.save(args.output)
    own = sum(1 for q in calibration.questions.values() if q["model"] == "question")
    print(f"calibrated on {calibration.n} graded answers to {len(calibration.questions)} questions "
          f"({own} with their own model, {len(calibration.questions) - own} on the shared model) -> {args.output}",
          file=sys.stderr)
    return 0


def _fine_tune(args):
    """The fine-tune settings when --fine-tune is given (its packages checked before any work), else None."""
    if args.shared_fine_tune is not None and not args.fine_tune:
        raise UsageError("--shared-fine-tune goes with --fine-tune")
    if not args.fine_tune:
        return None
    from scoring.finetune import FineTune, model_dir

    model_dir()
    return FineTune(shared=SHARING[args.shared_fine_tune or "auto"])


def _bar(unit: str, total: int | None = None):
    """A progress bar on standard error over an iterable of ``unit`` (fine-tunes take minutes each)."""
    from tqdm import tqdm

    def wrap(items):
        return tqdm(items, desc="fine-tuning", unit=unit[:-1], total=total, file=sys.stderr, leave=False)

    return wrap


def _agreement_table(result) -> str:
    header = f"{'question':<16} {'n':>6} {'pearson':>8} {'spearman':>8} {'qwk':>6} {'rmse':>6}"
    rows = [header, "-" * len(header)]

    def fmt(name, a):
        def f(x):
            return "   n/a" if x != x else f"{x:6.3f}"
        return f"{name:<16} {a.n:>6} {f(a.pearson):>8} {f(a.spearman):>8} {f(a.qwk):>6} {f(a.rmse):>6}"

    rows += [fmt(q, a) for q, a in result.per_question.items()]
    rows += ["-" * len(header), fmt("overall", result.overall)]
    if result.skipped:
        rows.append(f"({result.skipped} rows skipped: no rubric or reference answer)")
    return "\n".join(rows)


def cmd_suggest(args) -> int:
    text = _read_text(args.file)
    if not text.strip():
        raise UsageError("the model answer is empty")
    from scoring.suggest import suggest_points

    points = suggest_points(text, question=args.question)
    if args.json:
        print(json.dumps([p.model_dump(mode="json") for p in points], ensure_ascii=False, indent=2))
        return 0
    import yaml

    print(yaml.safe_dump({"points": [p.model_dump(mode="json", exclude={"concepts"}) for p in points]},
                         sort_keys=False, allow_unicode=True, width=100))
    return 0
