"""Calibration: a mentor uploads answers they have graded, sees how far the scorer agrees with
them before and after calibration (cross-validated), and saves the calibration the app marks with."""

from __future__ import annotations

import hashlib
import logging
import math
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pandas as pd
import streamlit as st

from app_pages.calibration_state import calibration_file
from app_pages.clock import clock_time, date_time
from app_pages.context import MENTOR, bank_fingerprint, current_bank, current_role, page_style, require_mentor
from app_pages.markup import escape_markdown
from app_pages.tables import narrow_css, wide_or_compact, wide_width
from scoring.bank import Bank, bank_root
from scoring.evaluate import REQUIRED_COLUMNS, DataError, GradedFile, bank_marks, read_graded_file
from scoring.finetune import INSTALL, SHARED_BELOW, missing_packages

_LOG = logging.getLogger(__name__)

#: fewer graded answers than this teach nothing a mentor could trust
MIN_GRADED_ANSWERS = 10
FOLDS = 5
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
#: below this many answers to a question, its cross-validated figures move a lot from one sample to another
#: (near r = 0.7, Pearson r's standard error is about 0.14 with 15 answers, 0.07 with 50)
SURE_FROM = 50
MEASURE_LABELS = {"n": "answers", "pearson": "Pearson r", "spearman": "Spearman ρ", "qwk": "QWK",
                  "rmse": "RMSE (marks)"}
MEANING = (
    "**Pearson r** and **Spearman ρ**: how closely the marks rise and fall with yours (1 is perfect). "
    "**QWK** (quadratic weighted kappa): agreement on the marks themselves, step by step; 1 is identical, "
    "0 no better than chance. **RMSE**: the typical gap between the marks and yours, in marks (lower is better). "
    f"**After** is cross-validated: each answer is marked by a calibration fitted on the other answers "
    f"({FOLDS} folds), never on itself, so it shows what to expect on answers the calibration has not seen."
)

#: The calibration in use, as a table: wide where it fits (652 px), else on a phone (at most 326 px, the
#: table's room on a 360 px phone) the question, its answers, its model and the marks it was graded out
#: of; whether it is in the bank is said under the table when one is not.
IN_USE_COLUMNS = {
    "question": st.column_config.TextColumn("question", width=260),
    "answers": st.column_config.NumberColumn("answers", width=75),
    "model": st.column_config.TextColumn("model", width=110),
    "graded out of": st.column_config.NumberColumn("graded out of", width=110),
    "in the bank": st.column_config.CheckboxColumn("in the bank", width=95),
}
COMPACT_IN_USE_COLUMNS = {
    "question": st.column_config.TextColumn("question", width=145),
    "answers": st.column_config.NumberColumn("answers", width=65),
    "model_short": st.column_config.TextColumn("model", width=60),
    "graded out of": st.column_config.NumberColumn("out of", width=55),
}
#: The agreement before and after calibration: every measure where it fits (the After table, with its two model
#: columns, in 816 px), else on a phone each question's answers, Pearson r, QWK and RMSE in 326 px; the caption
#: says what the short titles mean and that Spearman ρ and the models are in the wide table.
AGREEMENT_COLUMNS = {
    "question": st.column_config.TextColumn("question", width=224),
    "model saved": st.column_config.TextColumn("model saved", width=95),
    "figures from": st.column_config.TextColumn("figures from", width=100),
    "answers": st.column_config.NumberColumn("answers", width=65),
    "Pearson r": st.column_config.NumberColumn("Pearson r", format="%.3f", width=80),
    "Spearman ρ": st.column_config.NumberColumn("Spearman ρ", format="%.3f", width=90),
    "QWK": st.column_config.NumberColumn("QWK", format="%.3f", width=60),
    "RMSE (marks)": st.column_config.NumberColumn("RMSE (marks)", format="%.3f", width=100),
}
MODEL_COLUMNS = ("model saved", "figures from")
COMPACT_AGREEMENT_COLUMNS = {
    "question": st.column_config.TextColumn("question", width=119),
    "answers": st.column_config.NumberColumn("n", width=45),
    "Pearson r": st.column_config.NumberColumn("r", format="%.2f", width=50),
    "QWK": st.column_config.NumberColumn("QWK", format="%.2f", width=50),
    "RMSE (marks)": st.column_config.NumberColumn("RMSE", format="%.2f", width=60),
}
COMPACT_MEANING = ("On a narrow screen the tables are shorter: **n** is the number of answers, **r** Pearson r; "
                   "Spearman ρ and the models show on a wider screen.")


def agreement_columns(with_models: bool) -> dict:
    return {name: config for name, config in AGREEMENT_COLUMNS.items() if with_models or name not in MODEL_COLUMNS}


WIDE_TABLE_WIDTHS = {"calibration_in_use": wide_width(IN_USE_COLUMNS),
                     "calibration_before": wide_width(agreement_columns(with_models=False)),
                     "calibration_after": wide_width(agreement_columns(with_models=True))}

require_mentor()  # multi-user mode: mentors only, even by URL

state = st.session_state
state.setdefault("calibration_result", None)  # the latest fit: {"key", "name", "calibration", "before", "after", …}
state.setdefault("calibration_notice", None)  # (kind, text) after Remove, or a Save refused: "success" or "error"
state.setdefault("calibration_started", None)  # the key (upload and settings) whose fit the mentor started
state.setdefault("calibration_stopped", None)  # the key whose fit the mentor stopped
state.setdefault("calibration_read", None)  # (read key, GradedFile): the upload as read, until its fit is done

page_style()
st.html(narrow_css(WIDE_TABLE_WIDTHS))
bank = current_bank()
st.title("Calibration", anchor=False)
st.caption("Teach the scorer your marking: upload answers you have already graded, check how far its marks "
           "agree with yours before and after, and save the calibration. Practice then gives marks on your scale; "
           "the rubric points and evidence stay the scorer's.")

if state["calibration_notice"]:
    kind, text = state["calibration_notice"]
    (st.success if kind == "success" else st.error)(escape_markdown(text))
    state["calibration_notice"] = None


# ------------------------------------------------------------------ reading the upload


def read_upload(name: str, data: bytes, bank: Bank) -> GradedFile:
    """The graded table, read by the same reader as ``python -m scoring calibrate``, then checked against the bank,
    with the warnings about rows kept (e.g. an empty answer graded 0).

    Raises ``DataError`` with a one-line reason.
    """
    name = Path(name).name or "graded.csv"
    if not data.strip():
        raise DataError(f"{name}: the file is empty")
    if len(data) > MAX_UPLOAD_BYTES:
        raise DataError(f"{name}: {len(data) / 2**20:.0f} MB; the limit is {MAX_UPLOAD_BYTES // 2**20} MB")
    with tempfile.TemporaryDirectory(prefix="mains-graded-") as folder:
        path = Path(folder) / name  # the upload's own name: messages name it, and .csv.gz is unzipped
        path.write_bytes(data)
        graded = read_graded_file(path, bank_marks=bank_marks(bank))
    frame = graded.frame
    unknown = sorted(set(frame["question_id"]) - set(bank.items))
    if unknown:
        shown = ", ".join(unknown[:5]) + (", …" if len(unknown) > 5 else "")
        raise DataError(f"{name}: {len(unknown)} question id(s) not in the question bank: {shown}")
    if len(frame) < MIN_GRADED_ANSWERS:
        raise DataError(f"{name}: only {len(frame)} graded answer(s); calibration needs at least {MIN_GRADED_ANSWERS}")
    if frame["score"].nunique() < 2:
        raise DataError(f"{name}: every answer has the same score ({frame['score'].iloc[0]:g}), "
                        "so there is nothing to learn; include answers of different quality")
    return graded


# ------------------------------------------------------------------ fitting


def calibration_bytes(calibration) -> bytes:
    """The calibration file's bytes, as ``Calibration.save`` writes them."""
    with tempfile.TemporaryDirectory(prefix="mains-calibration-") as folder:
        path = Path(folder) / "calibration.mcal"
        calibration.save(path)
        return path.read_bytes()


def duration(seconds: float) -> str:
    """A rough duration in words: "under 10 seconds", "about 40 seconds", "about a minute", "about 4 minutes".

    >>> [duration(s) for s in (4, 18.7, 52, 80, 100, 470)]
    ['under 10 seconds', 'about 20 seconds', 'about 50 seconds', 'about a minute', 'about 2 minutes', 'about 8 minutes']
    """
    if seconds < 10:
        return "under 10 seconds"
    if seconds < 55:
        return f"about {round(seconds / 10) * 10} seconds"
    if seconds < 90:
        return "about a minute"
    return f"about {round(seconds / 60)} minutes"


def fit(frame: pd.DataFrame, min_answers: int, fine_tune: bool = False) -> dict:
    """Score every answer once, fit on all of them, cross-validate, and tabulate before and after (with
    ``fine_tune``, the questions with their own model fine-tune the sentence encoder too, one each or one shared
    as their counts decide: ``--fine-tune``).

    The fitting holds OpenMP (scikit-learn's gradient boosting) to one thread: on this project's 2-core
    machine, with other work running, its threads waited on each other and one question's model on 100
    answers took 62 s against 14 s on one thread (the same predictions).  Two mentors calibrating at
    once may leave the process on one thread, which costs nothing here.  A fine-tune lifts the limit for
    its own work (``scoring.finetune.every_core``): torch's OpenMP would otherwise run on one thread too.
    """
    from threadpoolctl import threadpool_limits

    from scoring.calibrate import (agreement_report, cross_validate_fine_tune, estimated_fit_steps, evaluation_table,
                                   fit_rows, score_rows)
    from scoring.finetune import FineTune, model_dir

    settings = None
    if fine_tune:
        model_dir()  # FineTuneUnavailable (one line) before any work, if the encoder's files are not there
        settings = FineTune()
    total = len(frame)
    steps = estimated_fit_steps(frame["question_id"].value_counts().to_dict(), min_answers=min_answers, folds=FOLDS,
                                fine_tune=fine_tune)
    planned = sum(steps)
    started = time.monotonic()

    def at(done: float, text: str) -> None:
        """Move the bar to ``done`` seconds of the planned work and say about how long is left, and so when it
        will be done (the text stays while a step runs): as planned until the first fit is done, then at the
        speed this machine has shown since the start."""
        speed = (time.monotonic() - started) / done if done >= steps[0] + steps[1] else 1.0
        left = speed * (planned - done)
        end = clock_time(datetime.now(timezone.utc) + timedelta(seconds=left))
        bar.progress(min(1.0, done / planned), text=f"{text} ({duration(left)} left: done about {end})")

    with st.status(f"Calibrating on {total} graded answers…", expanded=True) as status, \
            threadpool_limits(limits=1, user_api="openmp"):
        bar = st.progress(0.0, text="Marking the answers with the scorer…")

        def scoring(rows):
            every = max(1, total // 50)
            for i, row in enumerate(rows):
                if i % every == 0:
                    at(steps[0] * i / total, f"Marking the answers with the scorer: {i} of {total}")
                yield row

        def folds(results):
            for done, result in enumerate(results, 1):
                held_out.append(result[0])  # (test rows, predictions): which answers each fold did not train on
                yield result
                if done < FOLDS:
                    at(sum(steps[:2 + done]), f"Cross-validating: fold {done + 1} of {FOLDS}…")

        held_out: list = []
        rows = score_rows(frame, bank, progress=scoring)
        before = agreement_report(frame, bank, rows=rows)
        at(steps[0], "Fitting the calibration on all the answers…")
        calibration = fit_rows(rows, frame["score"], frame["max_score"], min_answers=min_answers, fine_tune=settings)
        at(sum(steps[:2]), f"Cross-validating: fold 1 of {FOLDS}…")
        # with a fine-tune, ``alone`` is the same folds' n-gram models without it, to show what it did (else None)
        tuned, alone = cross_validate_fine_tune(frame, bank, fine_tune=settings, k=FOLDS, min_answers=min_answers,
                                                jobs=1, rows=rows, progress=folds)
        after = evaluation_table(tuned)
        without = None if alone is None else evaluation_table(alone)
        bar.progress(1.0, text="Done")
        seconds = time.monotonic() - started
        status.update(label=f"Calibrated on {total} graded answers in {seconds:.0f} s", state="complete",
                      expanded=False)
    trained = fold_training(rows.keys, held_out)
    keys = dict(zip(frame["question_id"].astype(str), rows.keys))
    models = {q: (model_names(calibration)[key], folds_model(trained[key], min_answers, fine_tune))
              for q, key in keys.items() if key in calibration.questions}
    file = calibration_bytes(calibration)
    return {"calibration": calibration, "before": before, "after": after, "without_fine_tune": without, "file": file,
            "digests": {hashlib.sha256(file).hexdigest()}, "seconds": seconds,
            "models": models, "trained": {q: trained[key] for q, key in keys.items()}, "min_answers": min_answers,
            "answers": {str(q): int(n) for q, n in frame["question_id"].value_counts().items()}}


def fold_training(keys: list[str], held_out: list) -> dict[str, list[int]]:
    """How many of each question's answers every cross-validation fold trained on."""
    total: dict[str, int] = {}
    for key in keys:
        total[key] = total.get(key, 0) + 1
    trained: dict[str, list[int]] = {key: [] for key in total}
    for test in held_out:
        held: dict[str, int] = {}
        for i in test:
            held[keys[i]] = held.get(keys[i], 0) + 1
        for key, n in total.items():
            trained[key].append(n - held.get(key, 0))
    return trained


def folds_model(trained: list[int], min_answers: int, fine_tune: bool = False) -> str:
    """The model the folds' figures come from: a fold gives a question its own model when it trains on at least
    ``min_answers`` of its answers (as the final fit does with all of them), else the shared model; with
    ``fine_tune`` an own model is fine-tuned.

    >>> folds_model([40, 40, 40], 30), folds_model([40, 40, 40], 30, True), folds_model([40, 20], 30, True)
    ('own model', 'fine-tuned', 'fine-tuned in 1 of 2 folds, shared in 1')
    """
    if not trained:
        return "not known"
    own = sum(1 for n in trained if n >= min_answers)
    name = "fine-tuned" if fine_tune else "own model"
    if own == len(trained):
        return name
    if own == 0:
        return "shared model"
    return f"{name} in {own} of {len(trained)} folds, shared in {len(trained) - own}"


# ------------------------------------------------------------------ tables


def agreement_table(report: pd.DataFrame, *, key: str, models: dict[str, tuple[str, str]] | None = None) -> None:
    """``models``: each question's (saved model, the model its cross-validated figures come from)."""
    table = report.reset_index().rename(columns={"question_id": "question", **MEASURE_LABELS})
    if models is not None:
        table.insert(1, "model saved", [models.get(q, ("", ""))[0] for q in table["question"]])
        table.insert(2, "figures from", [models.get(q, ("", ""))[1] for q in table["question"]])
    wide_or_compact(key, table, agreement_columns(with_models=models is not None), table, COMPACT_AGREEMENT_COLUMNS)


def unmeasured_note(result: dict) -> str:
    """Which After figures do not measure the saved model: a question saved with its own model whose folds, each
    trained on about 4/5 of the answers, had too few of its answers for one and so used the shared model."""
    unmeasured = [q for q, (saved, figures) in result["models"].items() if saved != figures]
    if not unmeasured:
        return ""
    one = len(unmeasured) == 1
    wholly = {result["models"][q][1] == "shared model" for q in unmeasured}
    how = "" if wholly == {True} else "partly " if wholly == {False} else "wholly or partly "
    low = min(min(result["trained"][q]) for q in unmeasured)
    details = "; ".join(f"{escape_markdown(q)}: the folds trained on {span(result['trained'][q])} of its "
                        f"{result['answers'][q]} answers" for q in unmeasured)
    remedy = ("add graded answers" if low < 5 else
              f"add graded answers, or set “Answers a question needs for its own model” to {low} or fewer")
    return (f"**The figures for {', '.join(escape_markdown(q) for q in unmeasured)} are not the saved model's.** "
            f"The saved calibration gives {'this question its' if one else 'these questions their'} own model, but "
            f"each fold trains on about {FOLDS - 1}/{FOLDS} of the answers, and a fold with fewer than the "
            f"{result['min_answers']} a question needs for its own model uses the shared model ({details}); "
            f"so the After figures for {'it' if one else 'them'} "
            f"come {how}from the shared model. To measure the own model, {remedy}.")


def fine_tune_note(result: dict) -> tuple[str, bool] | None:
    """What the fine-tune itself changed, over all questions: the cross-validated QWK of the same folds' n-gram
    models alone and with the fine-tune, and whether it is lower with it. None for a fit without a fine-tune."""
    without = result.get("without_fine_tune")  # absent in results made before this note
    if without is None:
        return None
    alone, tuned = float(without.loc["overall", "qwk"]), float(result["after"].loc["overall", "qwk"])
    if math.isnan(alone) or math.isnan(tuned):
        return ("The fine-tune's part could not be measured: over all questions the QWK is not measurable "
                f"{'without' if math.isnan(alone) else 'with'} it.", False)
    text = (f"**The fine-tune's part**: over all questions, cross-validated QWK {alone:.2f} without it and "
            f"{tuned:.2f} with it (the same folds).")
    if tuned < alone:
        return (text + " On these answers it lowers agreement: calibrate again without it. On the ASAP benchmark "
                "it raised agreement with 100, 400 and about 1,300 graded answers a question "
                "(benchmarks/README.md), but not on every question.", True)
    return text, False


def worse_note(result: dict) -> str:
    """Each question (and all together) where the After figures are worse than Before on some measure, with what
    improved beside it; "" when calibration made no figure worse (by more than ``agreement_changes``' margins:
    0.05 on a correlation or QWK, a tenth of the RMSE)."""
    from scoring.calibrate import agreement_changes

    def figures(changes) -> str:
        shown = [f"{MEASURE_LABELS[c.measure].removesuffix(' (marks)')} ({number(c.before)} → {number(c.after)}"
                 f"{' marks' if c.measure == 'rmse' else ''})" for c in changes]
        return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]

    def number(value: float) -> str:
        return "not measurable" if math.isnan(value) else f"{value:.2f}"

    lines, only_worse, counts, unmeasurable = [], [], [], False
    for question, changes in agreement_changes(result["before"], result["after"]).items():
        worse = [c for c in changes if c.verdict == "worse"]
        if not worse:
            continue
        unmeasurable = unmeasurable or any(math.isnan(c.after) for c in worse)
        better = [c for c in changes if c.verdict == "better"]
        name = "all questions together" if question == "overall" else escape_markdown(question)
        lines.append(f"- **{name}**: worse on {figures(worse)}"
                     + (f"; better on {figures(better)}." if better else "."))
        if question != "overall":
            counts.append(int(result["after"].loc[question, "n"]))
            if not better:
                only_worse.append(name)
    if not lines:
        return ""
    advice = ["Pearson r and Spearman ρ measure whether the marks rise and fall with yours; QWK and RMSE, how close "
              "the marks themselves are: worse on one and better on another is a mixed result, to weigh before "
              "you save."]
    if unmeasurable:
        advice.append("Not measurable: the question's calibrated marks are all the same, so they cannot rise and "
                      "fall with yours.")
    if counts and min(counts) < SURE_FROM:
        advice.append(f"With {min(counts)} answers to a question these figures are uncertain; more graded answers "
                      "make them surer.")
    if only_worse:
        one = len(only_worse) == 1
        advice.append(f"For {', '.join(only_worse)} nothing improves: leave {'its' if one else 'their'} answers out "
                      f"of the file, and Practice keeps the scorer's own marks for {'it' if one else 'them'}.")
    return "\n".join(["**Calibration makes some agreement worse.**", *lines]) + "\n\n" + " ".join(advice)


def span(numbers: list[int]) -> str:
    low, high = min(numbers), max(numbers)
    return str(low) if low == high else f"{low} to {high}"


def model_names(calibration) -> dict[str, str]:
    """Each question's model in words: "own model", "fine-tuned" (its own model, with ``--fine-tune``) or
    "shared model"."""
    def name(info: dict) -> str:
        if info["model"] != "question":
            return "shared model"
        return "fine-tuned" if info.get("fine_tuned") else "own model"

    return {q: name(info) for q, info in calibration.questions.items()}


def short_model_name(name: str) -> str:
    """The model's name in a phone's narrow column: "own", "tuned" or "shared"."""
    return {"fine-tuned": "tuned"}.get(name, name.removesuffix(" model"))


# ------------------------------------------------------------------ in use


def show_in_use() -> None:
    st.subheader("In use now", anchor=False)
    found = calibration_file()
    path = found.path
    if found.calibration is None and found.problem is None:
        st.info(f"No calibration: Practice gives the scorer's own marks. A saved calibration goes to `{path}` "
                "(set `MAINS_CALIBRATION` to choose another file).")
        return
    if found.calibration is not None:
        calibration = found.calibration
        header = calibration.header()
        own = sum(1 for q in header["questions"].values() if q["model"] == "question")
        tuned = sum(1 for q in header["questions"].values() if q.get("fine_tuned"))
        sharing = tuned > 1 and all(q.get("shared_fine_tune") for q in header["questions"].values() if q.get("fine_tuned"))
        tuned_text = f" ({tuned} fine-tuned{', sharing one encoder' if sharing else ''})" if tuned else ""
        saved = date_time(datetime.fromtimestamp(path.stat().st_mtime, timezone.utc))
        st.markdown(f"`{path}` · saved {saved}  \nLearned from **{header['n']}** graded answers to "
                    f"**{len(header['questions'])}** question(s): {own} with their own model"
                    f"{tuned_text}, "
                    f"{len(header['questions']) - own} on the shared model. Practice marks these questions "
                    "on your scale; any other question keeps the scorer's marks.")
        names = model_names(calibration)
        table = pd.DataFrame([{"question": q, "answers": info["n"], "model": names[q],
                               "model_short": short_model_name(names[q]),
                               "graded out of": info["max_score"], "in the bank": q in bank.items}
                              for q, info in header["questions"].items()],
                             columns=["question", "answers", "model", "model_short", "graded out of", "in the bank"])
        wide_or_compact("calibration_in_use", table, IN_USE_COLUMNS, table, COMPACT_IN_USE_COLUMNS)
        missing = [q for q in header["questions"] if q not in bank.items]
        if missing:
            st.caption(f"Not in the question bank now: {', '.join(escape_markdown(q) for q in missing)}. "
                       "Practice cannot ask these questions; the others are marked on your scale.")
        st.download_button("Download the calibration in use", data=path.read_bytes(), file_name=path.name,
                           mime="application/octet-stream", key="calibration_download_in_use", on_click="ignore")
    else:
        st.warning(f"The calibration file `{path}` cannot be used: {escape_markdown(found.problem)}. "
                   "Practice gives the scorer's own marks until it is replaced or removed.")
    confirm = st.checkbox("Yes, stop using this calibration and delete its file", key="calibration_remove_confirm")
    st.button("Remove calibration", key="calibration_remove", disabled=not confirm, on_click=remove, args=(path,))


# ------------------------------------------------------------------ upload, compare, save


def still_a_mentor() -> bool:
    """Callbacks run before the page is drawn: check the role again (it may have changed since)."""
    if current_role() == MENTOR:
        return True
    state["calibration_notice"] = ("error", "Mentors only: nothing was changed.")
    return False


def remove(path: Path) -> None:
    """The Remove button's callback (before the rerun draws the page again)."""
    if not still_a_mentor():
        return
    try:
        path.unlink(missing_ok=True)
    except OSError as exc:
        state["calibration_notice"] = ("error", f"Could not remove {path}: {exc.strerror or exc}")
        return
    state["calibration_remove_confirm"] = False
    state["calibration_notice"] = ("success", "Calibration removed: Practice gives the scorer's own marks again.")


def save(result: dict, path: Path) -> None:
    """The Save button's callback: ``Calibration.save`` writes a temporary file beside ``path``, then os.replace.
    What it wrote is remembered, so that the page can say this calibration is the one in use."""
    from scoring.calibrate import CalibrationError

    if not still_a_mentor():
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        result["calibration"].save(path)
        result["digests"].add(file_digest(path))
    except (CalibrationError, OSError) as exc:
        state["calibration_notice"] = ("error", f"Not saved: {exc}")
        return
    state["calibration_replace_confirm"] = False


def file_digest(path: Path) -> str | None:
    """The SHA-256 of the file at ``path``; None when there is none or it cannot be read."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def start(key: str) -> None:
    """The Calibrate button's callback: the fit of this upload, with these settings, runs from now on."""
    state["calibration_started"] = key
    state["calibration_stopped"] = None


def stop(key: str) -> None:
    """The Stop button's callback.  Clicking it while the fit runs makes Streamlit stop that run (at its next
    progress update) and run the page again, which this callback begins: the fit does not start again."""
    state["calibration_started"] = None
    state["calibration_stopped"] = key


def show_upload() -> None:
    st.subheader("Calibrate from graded answers", anchor=False)
    with st.expander("File format", key="calibration_format_help"):
        st.markdown(
            f"A CSV (or `.csv.gz`) saved as UTF-8 (in Excel: *CSV UTF-8*), one graded answer per row, with the columns "
            f"`{', '.join(REQUIRED_COLUMNS)}`: the bank's question id, the answer's text, your marks, and the "
            "marks you graded out of (the question's marks in the bank, 10 or 15), separated by commas (semicolons "
            "or tabs work too, and with semicolons a decimal comma such as 7,5). The same file works with "
            "`python -m scoring calibrate`. An empty answer is kept only if you gave it 0, as the scorer does. "
            f"Every question must be in the question bank; at least {MIN_GRADED_ANSWERS} answers in all, of "
            "different quality. "
            "More answers make a better calibration: a question with enough of them gets its own model, "
            f"the others share one. At most {MAX_UPLOAD_BYTES // 2**20} MB (about 50,000 answers of 150 words)."
        )
    st.number_input("Answers a question needs for its own model", min_value=5, max_value=10_000, value=50,
                    step=5, key="calibration_min_answers",
                    help="Questions with fewer graded answers are served by one model shared by all questions.")
    fine_tune = fine_tune_option()
    upload = st.file_uploader("Graded answers (CSV)", type=["csv", "gz"], key="calibration_file",
                              max_upload_size=MAX_UPLOAD_BYTES // 2**20)
    if upload is None:
        return
    data = upload.getvalue()
    min_answers = int(state["calibration_min_answers"])
    read_key = "|".join([hashlib.sha256(data).hexdigest(), bank_fingerprint(bank_root())])
    key = f"{read_key}|{min_answers}|{'fine-tune' if fine_tune else 'n-grams'}"
    result = state["calibration_result"]
    if not result or result["key"] != key or "digests" not in result:
        calibrate(upload.name, data, read_key, key, min_answers, fine_tune)
        return
    show_result(result)


def fine_tune_option() -> bool:
    """The fine-tune checkbox: offered when its packages are installed, else greyed with what to install.
    True when the mentor ticked it and it can run."""
    missing = missing_packages()
    st.checkbox("Also fine-tune a sentence encoder on the questions with their own model", key="calibration_fine_tune",
                disabled=bool(missing),
                help="MiniLM's top layers learn from the graded answers, and its rating is averaged with the n-gram "
                     f"models' (0.4 to 0.6). When those questions have fewer than {SHARED_BELOW:,} graded answers each (on the "
                     "median), they share one fine-tune, with a rating head per question; otherwise each question "
                     "gets its own. On the ASAP benchmark (cross-validated QWK): with 100 answers a question the "
                     "shared fine-tune raised 0.575 to 0.592, with 400 0.689 to 0.703; with about 1,300 the "
                     "per-question one raised 0.735 to 0.7496 (the target is 0.75). The result says what it did on "
                     "yours. It takes minutes rather than seconds, adds about 13 MB per fine-tune to the calibration "
                     "file, and Practice then needs the same packages to mark with it.")
    if missing:
        st.caption(f"Fine-tuning needs {', '.join(missing)}, not installed on this server: `{INSTALL}`, then "
                   "restart the app.")
    return bool(state.get("calibration_fine_tune")) and not missing


def calibrate(name: str, data: bytes, read_key: str, key: str, min_answers: int, fine_tune: bool = False) -> None:
    """Read the upload, say what it holds and how long calibrating takes; once the mentor starts it, fit (with a
    Stop button), keep the result and run the page again, which shows it."""
    from scoring.calibrate import estimated_fit_seconds

    try:
        cached = state["calibration_read"]
        graded = cached[1] if cached and cached[0] == read_key else read_upload(name, data, bank)
    except DataError as exc:
        st.error(escape_markdown(str(exc)))
        return
    state["calibration_read"] = (read_key, graded)
    frame = graded.frame
    answers = frame["question_id"].value_counts().to_dict()
    for warning in graded.warnings:
        st.warning(escape_markdown(warning), icon=":material/warning:")
    st.markdown(f"**{escape_markdown(name)}**: {len(frame)} graded answers to {len(answers)} question(s).")
    takes = (f"{duration(estimated_fit_seconds(answers, min_answers=min_answers, folds=FOLDS, fine_tune=fine_tune))}"
             " on this server, "
             "longer while it is busy")
    if state["calibration_started"] != key:
        if state["calibration_stopped"] == key:
            st.info("Calibration stopped: nothing was fitted or saved.", icon=":material/info:")
        st.markdown(f"Calibrating takes {takes}. Keep this page open while it runs (switching to another browser "
                    "tab is fine; going to another page of the app stops it). You can stop it at any time.")
        st.button("Calibrate", key="calibration_start", type="primary", on_click=start, args=(key,))
        return
    st.markdown(f"Calibrating: {takes}. Keep this page open until it is done (switching to another browser tab is "
                "fine; going to another page of the app stops it).")
    stop_slot = st.empty()
    stop_slot.button("Stop", key="calibration_stop", icon=":material/stop:", on_click=stop, args=(key,),
                     help="Stops at the end of the step in progress; nothing is saved.")
    try:
        result = {"key": key, "name": name, "n": len(frame), "warnings": graded.warnings,
                  **fit(frame, min_answers, fine_tune)}
    except DataError as exc:
        state["calibration_started"] = None
        stop_slot.empty()
        st.error(escape_markdown(str(exc)))
        return
    except Exception as exc:  # noqa: BLE001 - a mentor sees one line, the log has the traceback
        state["calibration_started"] = None
        stop_slot.empty()
        _LOG.exception("calibration of %s failed", name)
        st.error(f"Calibration failed ({type(exc).__name__}). Check the file and try again.")
        return
    state["calibration_result"] = result
    state["calibration_read"] = None
    st.rerun()  # the next run draws the result in place of the progress


def show_result(result: dict) -> None:
    """The fit's agreement before and after, what got worse, and saving it."""
    calibration = result["calibration"]
    for warning in result["warnings"]:
        st.warning(escape_markdown(warning), icon=":material/warning:")
    st.markdown(f"**{escape_markdown(result['name'])}**: {result['n']} graded answers to "
                f"{len(calibration.questions)} question(s), calibrated in {result['seconds']:.0f} s.")
    st.markdown("**Before**: the scorer alone")
    agreement_table(result["before"], key="calibration_before")
    st.markdown(f"**After**: calibrated, cross-validated ({FOLDS} folds)")
    agreement_table(result["after"], key="calibration_after", models=result["models"])
    worse = worse_note(result)
    if worse:
        st.warning(worse, icon=":material/trending_down:")
    tuned = fine_tune_note(result)
    if tuned is not None:
        text, lower = tuned
        if lower:
            st.warning(text, icon=":material/trending_down:")
        else:
            st.info(text, icon=":material/info:")
    note = unmeasured_note(result)
    if note:
        st.info(note, icon=":material/info:")
    st.caption(f"{MEANING} {COMPACT_MEANING}")

    found = calibration_file()
    path = found.path
    if path.is_file() and file_digest(path) in result["digests"]:
        st.success(f"**Saved: this calibration is now in use** (`{path}`). Practice marks with it from the next "
                   "answer submitted.", icon=":material/check_circle:")
        st.download_button("Download this calibration", data=result["file"], file_name="calibration.mcal",
                           mime="application/octet-stream", key="calibration_download", on_click="ignore")
        return
    confirmed = True
    if path.exists():
        if found.calibration is not None:
            label = (f"Replace the calibration in use ({path.name}, learned from {found.calibration.n} graded "
                     "answers) with this one")
        else:
            label = f"Replace the file in use ({path.name}, which cannot be used) with this calibration"
        confirmed = st.checkbox(label, key="calibration_replace_confirm")
    left, right = st.columns(2)
    left.button("Save calibration", key="calibration_save", type="primary", disabled=not confirmed, on_click=save,
                args=(result, path))
    right.download_button("Download this calibration", data=result["file"], file_name="calibration.mcal",
                          mime="application/octet-stream", key="calibration_download", on_click="ignore")


show_in_use()
show_upload()
