"""Calibration: a mentor uploads answers they have graded, sees how far the scorer agrees with
them before and after calibration (cross-validated), and saves the calibration the app marks with."""

from __future__ import annotations

import hashlib
import logging
import tempfile
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd
import streamlit as st

from app_pages.calibration_state import calibration_file
from app_pages.clock import date_time
from app_pages.context import MENTOR, bank_fingerprint, current_bank, current_role, page_style, require_mentor
from app_pages.markup import escape_markdown
from scoring.bank import Bank, bank_root
from scoring.evaluate import REQUIRED_COLUMNS, DataError, read_graded

_LOG = logging.getLogger(__name__)

#: fewer graded answers than this teach nothing a mentor could trust
MIN_GRADED_ANSWERS = 10
FOLDS = 5
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
MEASURE_LABELS = {"n": "answers", "pearson": "Pearson r", "spearman": "Spearman ρ", "qwk": "QWK",
                  "rmse": "RMSE (marks)"}
MEANING = (
    "**Pearson r** and **Spearman ρ**: how closely the marks rise and fall with yours (1 is perfect). "
    "**QWK** (quadratic weighted kappa): agreement on the marks themselves, step by step; 1 is identical, "
    "0 no better than chance. **RMSE**: the typical gap between the marks and yours, in marks (lower is better). "
    f"**After** is cross-validated: each answer is marked by a calibration fitted on the other answers "
    f"({FOLDS} folds), never on itself, so it shows what to expect on answers the calibration has not seen."
)

require_mentor()  # multi-user mode: mentors only, even by URL

state = st.session_state
state.setdefault("calibration_result", None)  # the latest fit: {"key", "name", "calibration", "before", "after", …}
state.setdefault("calibration_notice", None)  # (kind, text) after Save or Remove: "success" or "error"

page_style()
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


def read_upload(name: str, data: bytes, bank: Bank) -> pd.DataFrame:
    """The graded table, read by the same reader as ``python -m scoring calibrate``, then checked against the bank.

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
        frame = read_graded(path)
    unknown = sorted(set(frame["question_id"]) - set(bank.items))
    if unknown:
        shown = ", ".join(unknown[:5]) + (", …" if len(unknown) > 5 else "")
        raise DataError(f"{name}: {len(unknown)} question id(s) not in the question bank: {shown}")
    if len(frame) < MIN_GRADED_ANSWERS:
        raise DataError(f"{name}: only {len(frame)} graded answer(s); calibration needs at least {MIN_GRADED_ANSWERS}")
    if frame["score"].nunique() < 2:
        raise DataError(f"{name}: every answer has the same score ({frame['score'].iloc[0]:g}), "
                        "so there is nothing to learn; include answers of different quality")
    return frame


# ------------------------------------------------------------------ fitting


def calibration_bytes(calibration) -> bytes:
    """The calibration file's bytes, as ``Calibration.save`` writes them."""
    with tempfile.TemporaryDirectory(prefix="mains-calibration-") as folder:
        path = Path(folder) / "calibration.mcal"
        calibration.save(path)
        return path.read_bytes()


def fit(frame: pd.DataFrame, min_answers: int) -> dict:
    """Score every answer once, fit on all of them, cross-validate, and tabulate before and after."""
    from scoring.calibrate import agreement_report, cross_validate, evaluation_table, fit_rows, score_rows

    total = len(frame)
    with st.status(f"Calibrating on {total} graded answers…", expanded=True) as status:
        bar = st.progress(0.0, text="Marking the answers with the scorer…")

        def scoring(rows):
            every = max(1, total // 50)
            for i, row in enumerate(rows):
                if i % every == 0:
                    bar.progress(0.3 * i / total, text=f"Marking the answers with the scorer: {i} of {total}")
                yield row

        def folds(results):
            bar.progress(0.45, text=f"Cross-validating: fold 1 of {FOLDS}…")
            for done, result in enumerate(results, 1):
                held_out.append(result[0])  # (test rows, predictions): which answers each fold did not train on
                yield result
                if done < FOLDS:
                    bar.progress(0.45 + 0.55 * done / FOLDS, text=f"Cross-validating: fold {done + 1} of {FOLDS}…")

        held_out: list = []
        rows = score_rows(frame, bank, progress=scoring)
        before = agreement_report(frame, bank, rows=rows)
        bar.progress(0.3, text="Fitting the calibration on all the answers…")
        calibration = fit_rows(rows, frame["score"], frame["max_score"], min_answers=min_answers)
        after = evaluation_table(cross_validate(frame, bank, k=FOLDS, min_answers=min_answers, jobs=1, rows=rows,
                                                progress=folds))
        bar.progress(1.0, text="Done")
        status.update(label=f"Calibrated on {total} graded answers", state="complete", expanded=False)
    trained = fold_training(rows.keys, held_out)
    keys = dict(zip(frame["question_id"].astype(str), rows.keys))
    models = {q: (model_names(calibration)[key], folds_model(trained[key], min_answers))
              for q, key in keys.items() if key in calibration.questions}
    return {"calibration": calibration, "before": before, "after": after, "file": calibration_bytes(calibration),
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


def folds_model(trained: list[int], min_answers: int) -> str:
    """The model the folds' figures come from: a fold gives a question its own model when it trains on at least
    ``min_answers`` of its answers (as the final fit does with all of them), else the shared model."""
    if not trained:
        return "not known"
    own = sum(1 for n in trained if n >= min_answers)
    if own == len(trained):
        return "own model"
    if own == 0:
        return "shared model"
    return f"own model in {own} of {len(trained)} folds, shared in {len(trained) - own}"


# ------------------------------------------------------------------ tables


def agreement_table(report: pd.DataFrame, *, key: str, models: dict[str, tuple[str, str]] | None = None) -> None:
    """``models``: each question's (saved model, the model its cross-validated figures come from)."""
    table = report.reset_index().rename(columns={"question_id": "question", **MEASURE_LABELS})
    if models is not None:
        table.insert(1, "model saved", [models.get(q, ("", ""))[0] for q in table["question"]])
        table.insert(2, "figures from", [models.get(q, ("", ""))[1] for q in table["question"]])
    number = {label: st.column_config.NumberColumn(label, format="%.3f")
              for key_, label in MEASURE_LABELS.items() if key_ != "n"}
    with st.container(key=key):
        st.dataframe(table, hide_index=True, key=f"{key}_table", column_config=number)


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


def span(numbers: list[int]) -> str:
    low, high = min(numbers), max(numbers)
    return str(low) if low == high else f"{low} to {high}"


def model_names(calibration) -> dict[str, str]:
    return {q: "own model" if info["model"] == "question" else "shared model"
            for q, info in calibration.questions.items()}


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
        saved = date_time(datetime.fromtimestamp(path.stat().st_mtime, timezone.utc))
        st.markdown(f"`{path}` · saved {saved}  \nLearned from **{header['n']}** graded answers to "
                    f"**{len(header['questions'])}** question(s): {own} with their own model, "
                    f"{len(header['questions']) - own} on the shared model. Practice marks these questions "
                    "on your scale; any other question keeps the scorer's marks.")
        st.dataframe(
            pd.DataFrame([{"question": q, "answers": info["n"], "model": model_names(calibration)[q],
                           "graded out of": info["max_score"], "in the bank": q in bank.items}
                          for q, info in header["questions"].items()],
                         columns=["question", "answers", "model", "graded out of", "in the bank"]),
            hide_index=True, key="calibration_in_use_table")
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


def save(calibration, path: Path) -> None:
    """The Save button's callback: ``Calibration.save`` writes a temporary file beside ``path``, then os.replace."""
    from scoring.calibrate import CalibrationError

    if not still_a_mentor():
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        calibration.save(path)
    except (CalibrationError, OSError) as exc:
        state["calibration_notice"] = ("error", f"Not saved: {exc}")
        return
    state["calibration_replace_confirm"] = False
    state["calibration_notice"] = ("success", f"Saved to {path}. Practice marks with it from the next answer submitted.")


def show_upload() -> None:
    st.subheader("Calibrate from graded answers", anchor=False)
    with st.expander("File format", key="calibration_format_help"):
        st.markdown(
            f"A CSV (or `.csv.gz`) saved as UTF-8 (in Excel: *CSV UTF-8*), one graded answer per row, with the columns "
            f"`{', '.join(REQUIRED_COLUMNS)}`: the bank's question id, the answer's text, your marks, and the "
            "marks you graded out of, separated by commas (semicolons or tabs work too, and with semicolons a "
            "decimal comma such as 7,5). The same file works with `python -m scoring calibrate`. Every question must "
            f"be in the question bank; at least {MIN_GRADED_ANSWERS} answers in all, of different quality. "
            "More answers make a better calibration: a question with enough of them gets its own model, "
            f"the others share one. At most {MAX_UPLOAD_BYTES // 2**20} MB (about 50,000 answers of 150 words)."
        )
    st.number_input("Answers a question needs for its own model", min_value=5, max_value=10_000, value=50,
                    step=5, key="calibration_min_answers",
                    help="Questions with fewer graded answers are served by one model shared by all questions.")
    upload = st.file_uploader("Graded answers (CSV)", type=["csv", "gz"], key="calibration_file",
                              max_upload_size=MAX_UPLOAD_BYTES // 2**20)
    if upload is None:
        return
    data = upload.getvalue()
    min_answers = int(state["calibration_min_answers"])
    key = "|".join([hashlib.sha256(data).hexdigest(), str(min_answers), bank_fingerprint(bank_root())])
    result = state["calibration_result"]
    if not result or result["key"] != key or "models" not in result:
        try:
            frame = read_upload(upload.name, data, bank)
            result = {"key": key, "name": upload.name, "n": len(frame), **fit(frame, min_answers)}
        except DataError as exc:
            st.error(escape_markdown(str(exc)))
            return
        except Exception as exc:  # noqa: BLE001 - a mentor sees one line, the log has the traceback
            _LOG.exception("calibration of %s failed", upload.name)
            st.error(f"Calibration failed ({type(exc).__name__}). Check the file and try again.")
            return
        state["calibration_result"] = result
    calibration = result["calibration"]

    st.markdown(f"**{escape_markdown(result['name'])}**: {result['n']} graded answers to "
                f"{len(calibration.questions)} question(s).")
    st.markdown("**Before**: the scorer alone")
    agreement_table(result["before"], key="calibration_before")
    st.markdown(f"**After**: calibrated, cross-validated ({FOLDS} folds)")
    agreement_table(result["after"], key="calibration_after", models=result["models"])
    note = unmeasured_note(result)
    if note:
        st.info(note, icon=":material/info:")
    st.caption(MEANING)

    path = calibration_file().path
    replacing = path.exists()
    confirmed = True
    if replacing:
        confirmed = st.checkbox(f"Replace the calibration in use ({path.name})", key="calibration_replace_confirm")
    left, right = st.columns(2)
    left.button("Save calibration", key="calibration_save", type="primary", disabled=not confirmed, on_click=save,
                args=(calibration, path))
    right.download_button("Download this calibration", data=result["file"], file_name="calibration.mcal",
                          mime="application/octet-stream", key="calibration_download", on_click="ignore")


show_in_use()
show_upload()
