"""Calibration from graded answers: fit, save/load, apply, cross-validate, report, command line.

The graded answers are made here: each answer states some of a question's key facts,
in varied words, and its human score is the number of facts it states.
"""

from __future__ import annotations

import io
import json
import math
import pickle
import subprocess
import sys
from functools import lru_cache

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse import csr_matrix
from sklearn.linear_model import LogisticRegression

from scoring.calibrate import (BOOSTING_LEAF, MAX_BINS, Calibration, CalibrationError, OrdinalLogit, QuestionModel,
                               SelectedBoosting, agreement_report, bins_needed, boosted_trees, cross_validate,
                               feedback_features, fit_calibration, load_calibration)
from scoring.cli import main
from scoring.feedback import Feedback
from tests.scoring_support import bank, scorer

CELLS_Q = "How do cells move substances across their membrane?"
CELLS_FACTS = [
    ("Osmosis is the diffusion of water across the membrane.",
     "Water moves through the membrane by osmosis.",
     "In osmosis water diffuses from a dilute to a concentrated solution."),
    ("Active transport uses energy from ATP to pump substances.",
     "Pumps use ATP energy to move ions against the gradient.",
     "Active transport needs energy to push molecules uphill."),
    ("Channel proteins let specific molecules pass through.",
     "Protein channels allow certain ions to cross.",
     "Some molecules go through special protein channels."),
    ("Endocytosis engulfs large particles in a vesicle.",
     "The membrane folds around big particles to form a vesicle, which is endocytosis.",
     "Large molecules are taken in by endocytosis."),
]
FILLER = ["Cells are the basic unit of life.", "The membrane is made of a lipid bilayer.",
          "I learned this in biology class.", "This is very important for the cell."]
SMALL_Q = "What does a stack do?"
SMALL_REF = "A stack is last in first out. Items are pushed onto and popped from the top."


def make_answers(seed: int, n_cells: int = 60, n_small: int = 24) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    reference = " ".join(f[0] for f in CELLS_FACTS)
    for _ in range(n_cells):
        chosen = rng.permutation(len(CELLS_FACTS))[: rng.integers(0, len(CELLS_FACTS) + 1)]
        sentences = [CELLS_FACTS[i][rng.integers(0, 3)] for i in chosen]
        sentences += list(rng.choice(FILLER, size=rng.integers(1, 3), replace=False))
        rng.shuffle(sentences)
        rows.append(("cells", CELLS_Q, reference, " ".join(sentences), float(min(3, len(chosen))), 3.0))
    good = ["It is last in first out: you push items on top and pop them from the top.",
            "Last in, first out; push adds to the top and pop removes the top item."]
    half = ["You can push and pop items.", "It keeps items in order and takes the newest first."]
    poor = ["It is a data structure.", "A list of things.", "It stores numbers."]
    for i in range(n_small):
        kind = i % 3
        answer = [good, half, poor][kind][i % len([good, half, poor][kind])]
        rows.append(("stack", SMALL_Q, SMALL_REF, answer, [5.0, 2.5, 0.5][kind], 5.0))
    return pd.DataFrame(rows, columns=["question_id", "question", "reference_answer", "answer", "score", "max_score"])


@lru_cache(maxsize=1)
def fitted() -> Calibration:
    return fit_calibration(make_answers(0))


def bank_graded(n: int = 30, seed: int = 1) -> pd.DataFrame:
    """Graded answers to a bank question: more of the model answer's paragraphs, more marks (out of 15)."""
    item = bank()["ij-critical-minerals"]
    paragraphs = [p for p in item.question.model_answer.split("\n") if p.strip()]
    rng = np.random.default_rng(seed)
    rows = []
    for _ in range(n):
        kept = sorted(rng.permutation(len(paragraphs))[: rng.integers(1, len(paragraphs) + 1)])
        score = round(2 * 15 * len(kept) / len(paragraphs)) / 2
        rows.append((item.id, "\n\n".join(paragraphs[i] for i in kept), score, 15.0))
    return pd.DataFrame(rows, columns=["question_id", "answer", "score", "max_score"])


def run_here(capsys, monkeypatch, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    monkeypatch.delenv("MAINS_CALIBRATION", raising=False)
    for key, value in (env or {}).items():
        monkeypatch.setenv(key, value)
    code = main(list(args))
    captured = capsys.readouterr()
    return subprocess.CompletedProcess(args, code, captured.out, captured.err)


# ------------------------------------------------------------------ fitting and predicting


def test_enough_answers_get_their_own_model_the_rest_share_one():
    calibration = fitted()
    assert calibration.n == 84
    assert calibration.questions["cells"]["model"] == "question"
    assert calibration.questions["stack"]["model"] == "shared"
    assert calibration.questions["cells"]["max_score"] == 3.0 and calibration.questions["cells"]["step"] == 1.0
    assert set(calibration.models) == {"cells"} and calibration.shared is not None


def test_calibration_agrees_on_new_answers_better_than_the_scorer_alone():
    calibration = fitted()
    report = agreement_report(make_answers(7), None, calibration)
    cells = report.loc["cells"]
    assert cells["qwk_calibrated"] > 0.7
    assert cells["qwk_calibrated"] > cells["qwk"]
    assert report.loc["overall", "n"] == 84


def test_agreement_report_shape_without_and_with_calibration():
    plain = agreement_report(make_answers(3, n_cells=12, n_small=6))
    assert list(plain.columns) == ["n", "pearson", "spearman", "qwk", "rmse"]
    assert list(plain.index) == ["cells", "stack", "overall"]
    assert plain.loc["cells", "n"] == 12 and plain.loc["overall", "n"] == 18
    both = agreement_report(make_answers(3, n_cells=12, n_small=6), None, fitted())
    assert list(both.columns) == ["n", "pearson", "spearman", "qwk", "rmse", "pearson_calibrated",
                                  "spearman_calibrated", "qwk_calibrated", "rmse_calibrated"]


def test_cross_validation_predicts_every_row_out_of_fold():
    data = make_answers(0)
    result = cross_validate(data, k=3, jobs=1)
    assert result.overall.n == len(data) and result.skipped == 0
    assert result.per_question["cells"].qwk > 0.6
    assert all(0 <= p <= 5 for p in result.predictions)


def test_cross_validation_needs_k_of_two_and_enough_rows():
    from scoring.evaluate import DataError

    with pytest.raises(DataError, match="at least 2"):
        cross_validate(make_answers(0, 6, 3), k=1)
    with pytest.raises(DataError, match="at least 5 graded answers"):
        cross_validate(make_answers(0, 2, 1), k=5)


def test_feedback_features_have_a_fixed_shape():
    item = bank()["ij-critical-minerals"]
    vector, named = feedback_features(scorer().score(item, item.question.model_answer), item.question.model_answer)
    empty, none = feedback_features(None, "")
    assert vector.shape == empty.shape and vector[0] == 1 and empty[0] == 0 and none == {}
    assert {f"point:{p.id}" for p in item.rubric.points} <= named.keys()


# ------------------------------------------------------------------ apply to the bank


@lru_cache(maxsize=1)
def bank_calibration() -> Calibration:
    return fit_calibration(bank_graded(), bank(), min_answers=20)


def test_apply_replaces_marks_in_half_marks_within_bounds():
    calibration = bank_calibration()
    item = bank()["ij-critical-minerals"]
    assert calibration.questions[item.id]["model"] == "question"
    for answer in (item.question.model_answer, item.question.model_answer.split("\n\n")[0]):
        feedback = scorer().score(item, answer)
        calibrated = calibration.apply(feedback, item, answer)
        assert calibrated.calibrated and not feedback.calibrated
        assert 0 <= calibrated.marks <= calibrated.max_marks and (calibrated.marks * 2).is_integer()
        assert calibrated.marks == calibration.predict(item, answer, feedback)
        assert calibrated.points == feedback.points and calibrated.suggestions == feedback.suggestions
        assert calibrated.scorer_marks == feedback.marks and feedback.scorer_marks is None  # what the components explain
        Feedback.model_validate_json(calibrated.model_dump_json())


@pytest.mark.parametrize("share", [1.0, 0.0], ids=["full marks", "no marks"])
def test_calibrated_marks_keep_to_the_scorers_caps(monkeypatch, share):
    """A short answer's cap (and an off-topic answer's) holds calibrated marks too, and the headline says so
    only when the cap lowers them: a mentor's model that gives full marks is capped, one that gives none is not."""
    calibration = bank_calibration()
    monkeypatch.setattr(calibration, "predict_rows", lambda rows: np.full(len(rows.texts), share))
    item = bank()["ij-critical-minerals"]
    off_topic_item = bank()["ij-supply-chain-resilience"]
    short = item.question.model_answer.split("\n\n")[0]
    cases = [(item, short, "short"), (off_topic_item, "India and Japan see supply chain resilience as a shared "
              "goal. Firstly, investment builds the logistics base. However, progress is uneven. In conclusion, "
              "the approach is sound. The way forward is to set targets. " * 3, "off_topic")]
    monkeypatch.setitem(calibration.questions, off_topic_item.id, calibration.questions[item.id])
    monkeypatch.setitem(calibration.models, off_topic_item.id, calibration.models[item.id])
    for case_item, answer, code in cases:
        feedback = scorer().score(case_item, answer)
        cap = next(c for c in feedback.caps if c.code == code)
        assert {"short": "short_capped", "off_topic": "off_topic"}[code] in feedback.flag_codes()  # the scorer's own
        calibrated = calibration.apply(feedback, case_item, answer)
        batch = calibration.marks_for([case_item], [answer], [feedback])[0]
        assert calibrated.marks == batch == (cap.marks if share else 0.0)
        assert calibrated.scorer_marks == feedback.marks and calibrated.calibrated
        if code == "short":
            assert ("short_capped" in calibrated.flag_codes()) == bool(share)
            assert calibrated.message.startswith(f"Marks capped at {cap.marks:g} of 15") if share else \
                "short_capped" not in calibrated.message
        else:
            assert "off_topic" in calibrated.flag_codes() and "capped at 25%" in calibrated.message


def test_unknown_questions_and_rule_zeros_keep_the_scorers_marks():
    calibration = bank_calibration()
    other = bank()["ij-ai-dialogue"]
    feedback = scorer().score(other, other.question.model_answer)
    assert calibration.apply(feedback, other, other.question.model_answer) is feedback
    assert calibration.predict(other, other.question.model_answer, feedback) == feedback.marks
    item = bank()["ij-critical-minerals"]
    empty = scorer().score(item, "   ")
    assert calibration.apply(empty, item, "   ") is empty and empty.marks == 0


def test_shared_model_serves_a_question_with_few_answers():
    calibration = fit_calibration(bank_graded(12), bank())
    item = bank()["ij-critical-minerals"]
    assert calibration.questions[item.id]["model"] == "shared"
    answer = item.question.model_answer
    marks = calibration.apply(scorer().score(item, answer), item, answer).marks
    assert 0 <= marks <= 15 and (marks * 2).is_integer()


def test_ordinal_model_expects_ratings_in_order_and_in_range():
    X = np.repeat(np.arange(4.0), 10).reshape(-1, 1)  # the feature is the rating itself
    y = np.repeat([0, 1, 2, 3], 10)
    model = OrdinalLogit(C=10.0).fit(X, y)
    expected = model.expected(np.array([[0.0], [1.0], [2.0], [3.0]]))
    assert np.all(np.diff(expected) > 0.5) and expected[0] >= 0 and expected[-1] <= 3
    assert np.allclose(expected, [0, 1, 2, 3], atol=0.35)


def test_boosting_sees_the_ngrams_that_decide_the_rating_and_the_dense_block():
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1, 2], 40)
    noise = (rng.random((120, 50)) < 0.3).astype(float)  # n-grams present at random
    telling = np.column_stack([y >= 1, y >= 2]).astype(float)  # two n-grams: one per step up
    dense = rng.normal(size=(120, 2))
    X = csr_matrix(np.hstack([noise[:, :20], telling, noise[:, 20:], dense]))
    model = SelectedBoosting(dense=2, top=5).fit(X, y)
    assert {20, 21} <= set(model.columns_) and len(model.columns_) == 5
    assert all(column < 52 for column in model.columns_)  # the dense block is never "selected", always used
    assert model._design(X).shape == (120, 7)
    assert np.abs(model.predict(X) - y).max() < 0.35


@pytest.mark.parametrize("n", [6, 2 * BOOSTING_LEAF - 1])
def test_boosting_on_too_few_answers_to_split_grows_no_trees_and_predicts_as_they_would(n):
    rng = np.random.default_rng(n)
    y = rng.integers(0, 4, n).astype(float)
    X = csr_matrix(np.hstack([(rng.random((n, 30)) < 0.4).astype(float), rng.normal(size=(n, 2))]))
    model = SelectedBoosting(dense=2).fit(X, y)
    grown = boosted_trees(min_samples_leaf=BOOSTING_LEAF).fit(model._design(X), y)
    assert model.model_ is None
    np.testing.assert_allclose(model.predict(X), grown.predict(model._design(X)), atol=1e-12)
    np.testing.assert_allclose(model.predict(X), y.mean())


@settings(max_examples=10, deadline=None)
@given(n=st.integers(20, 90), seed=st.integers(0, 2 ** 16))
def test_boosting_with_the_bins_its_columns_need_grows_the_same_trees_as_with_255(n, seed):
    """Present/absent n-grams, a few marks-like steps and a continuous feature, as the question models' designs."""
    rng = np.random.default_rng(seed)
    X = np.hstack([(rng.random((n, 30)) < 0.3), rng.integers(0, 7, (n, 2)) / 2, rng.normal(size=(n, 1))])
    y = rng.integers(0, 4, n).astype(float)
    unseen = np.hstack([(rng.random((50, 30)) < 0.3), rng.integers(-1, 9, (50, 2)) / 2, 3 * rng.normal(size=(50, 1))])
    bins = bins_needed(X)
    assert bins == len(np.unique(X[:, -1])) < MAX_BINS  # the continuous column has the most distinct values
    np.testing.assert_array_equal(boosted_trees(BOOSTING_LEAF, bins).fit(X, y).predict(unseen),
                                  boosted_trees(BOOSTING_LEAF).fit(X, y).predict(unseen))


def test_bins_needed_stops_at_255_and_never_asks_for_fewer_than_2():
    assert bins_needed(np.arange(600.0).reshape(300, 2)) == MAX_BINS
    assert bins_needed(np.zeros((40, 3))) == 2 and bins_needed(np.ones((1, 3))) == 2


def test_boosting_on_enough_answers_to_split_grows_trees():
    y = np.repeat([0.0, 3.0], BOOSTING_LEAF)
    X = csr_matrix(np.column_stack([y > 0, np.zeros_like(y)]).astype(float))
    model = SelectedBoosting(dense=1).fit(X, y)
    assert model.model_ is not None and model.predict(X)[-1] > model.predict(X)[0]


def test_question_model_averages_three_learners_by_default():
    data = make_answers(0)
    cells = data[data.question_id == "cells"]
    model = QuestionModel(max_score=3.0, step=1.0).fit(list(cells.answer), np.zeros((len(cells), 1)),
                                                       [{}] * len(cells), cells.score.to_numpy())
    assert [type(learner) for learner in model.learners_][1:] == [OrdinalLogit, SelectedBoosting]
    assert np.corrcoef(model.predict(list(cells.answer), np.zeros((len(cells), 1)), [{}] * len(cells)),
                       cells.score)[0, 1] > 0.5


def test_question_model_respells_rare_misspellings_before_learning():
    data = make_answers(0)
    cells = data[data.question_id == "cells"]
    texts = list(cells.answer)
    first = next(i for i, text in enumerate(texts) if "Osmosis" in text)
    texts[first] = texts[first].replace("Osmosis", "Osmossis", 1)
    model = QuestionModel(max_score=3.0, step=1.0).fit(texts, np.zeros((len(cells), 1)), [{}] * len(cells),
                                                       cells.score.to_numpy())
    assert model.spelling_ == {"osmossis": "osmosis"}
    original = cells.answer.iloc[first]
    misspelled = [texts[first]]
    assert model._respelled(misspelled)[0].lower() == original.lower()
    assert model.predict(misspelled, np.zeros((1, 1)), [{}]) == model.predict([original], np.zeros((1, 1)), [{}])


def test_calibrations_saved_before_respelling_ordinal_and_boosting_still_predict():
    data = make_answers(0)
    cells = data[data.question_id == "cells"]
    args = (list(cells.answer), np.zeros((len(cells), 1)), [{}] * len(cells))
    model = QuestionModel(max_score=3.0, step=1.0, respell=False, ordinal=False,
                          boosting=False).fit(*args, cells.score.to_numpy())
    del model.spelling_  # as in a version-1 file, whose models had none of them
    for name in ("respell", "ordinal", "boosting"):
        model.__dict__.pop(name)
    old = pickle.loads(pickle.dumps(model))
    assert isinstance(old.learners_[1], LogisticRegression) and len(old.learners_) == 2
    predicted = old.predict(*args)
    assert set(predicted) <= {0.0, 1.0, 2.0, 3.0} and np.corrcoef(predicted, cells.score)[0, 1] > 0.5


# ------------------------------------------------------------------ files


def test_save_and_load_round_trip(tmp_path):
    calibration = fitted()
    path = tmp_path / "cal.bin"
    calibration.save(path)
    header = json.loads(path.read_bytes().split(b"\n", 1)[0])
    assert header["format"] == "mains-calibration" and header["version"] == 1 and header["n"] == 84
    assert set(header["questions"]) == {"cells", "stack"}
    loaded = load_calibration(path)
    data = make_answers(5, n_cells=10, n_small=6)
    assert (agreement_report(data, None, loaded).fillna(-9) == agreement_report(data, None, calibration).fillna(-9)).all().all()


@pytest.mark.parametrize("damage, message", [
    ("missing", "no such calibration file"),
    ("text", "not a calibration file"),
    ("version", "version 99"),
    ("truncated", "damaged calibration file"),
])
def test_bad_calibration_files_are_one_line_errors(tmp_path, damage, message):
    path = tmp_path / "cal.bin"
    if damage != "missing":
        fitted().save(path)
        head, payload = path.read_bytes().split(b"\n", 1)
        if damage == "text":
            path.write_text("question_id,answer\nq,a\n", encoding="utf-8")
        elif damage == "version":
            path.write_bytes(head.replace(b'"version": 1', b'"version": 99') + b"\n" + payload)
        else:
            path.write_bytes(head + b"\n" + payload[: len(payload) // 2])
    with pytest.raises(CalibrationError, match=message) as error:
        load_calibration(path)
    assert "\n" not in str(error.value)


# ------------------------------------------------------------------ command line


def test_cli_calibrate_then_evaluate_score_and_batch(tmp_path, capsys, monkeypatch):
    graded, model = tmp_path / "graded.csv", tmp_path / "mentor.cal"
    bank_graded().to_csv(graded, index=False)
    made = run_here(capsys, monkeypatch, "calibrate", str(graded), "-o", str(model), "--min-answers", "20",
                    "--jobs", "1")
    assert made.returncode == 0, made.stderr
    assert "calibrated on 30 graded answers to 1 questions (1 with their own model" in made.stderr
    assert load_calibration(model).questions["ij-critical-minerals"]["n"] == 30

    evaluated = run_here(capsys, monkeypatch, "evaluate", str(graded), "--calibration", str(model))
    assert evaluated.returncode == 0, evaluated.stderr
    assert "calibrated with" in evaluated.stdout and "before calibration" in evaluated.stdout
    data = json.loads(run_here(capsys, monkeypatch, "evaluate", str(graded), "--calibration", str(model),
                               "--json").stdout)
    assert data["after"]["overall"]["n"] == 30 and data["before"]["overall"]["n"] == 30

    answer = tmp_path / "answer.txt"
    answer.write_text(bank()["ij-critical-minerals"].question.model_answer, encoding="utf-8")
    scored = run_here(capsys, monkeypatch, "score", "ij-critical-minerals", str(answer), "--json",
                      "--calibration", str(model))
    assert scored.returncode == 0, scored.stderr
    assert json.loads(scored.stdout)["calibrated"] is True
    from_env = run_here(capsys, monkeypatch, "score", "ij-critical-minerals", str(answer), "--json",
                        env={"MAINS_CALIBRATION": str(model)})
    assert json.loads(from_env.stdout) == json.loads(scored.stdout)

    rows = pd.DataFrame({"question_id": ["ij-critical-minerals", "ij-ai-dialogue"],
                         "answer": [bank()["ij-critical-minerals"].question.model_answer,
                                    bank()["ij-ai-dialogue"].question.model_answer]})
    source, target = tmp_path / "in.csv", tmp_path / "out.csv"
    rows.to_csv(source, index=False)
    batch = run_here(capsys, monkeypatch, "batch", str(source), "-o", str(target), "--calibration", str(model))
    assert batch.returncode == 0, batch.stderr
    out = pd.read_csv(target)
    assert list(out["calibrated"]) == [True, False]
    assert out["marks"].iloc[0] == json.loads(scored.stdout)["marks"]


def test_cli_cross_validation(tmp_path, capsys, monkeypatch):
    graded = tmp_path / "graded.csv"
    make_answers(0).to_csv(graded, index=False)
    result = run_here(capsys, monkeypatch, "evaluate", str(graded), "--cv", "3", "--jobs", "1")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("3-fold cross-validated") and "overall" in result.stdout
    both = run_here(capsys, monkeypatch, "evaluate", str(graded), "--cv", "3", "--calibration", "x.cal")
    assert both.returncode == 2 and "not both" in both.stderr


def test_cli_bad_calibration_is_one_line(tmp_path, capsys, monkeypatch):
    bad = tmp_path / "bad.cal"
    bad.write_text("hello\n", encoding="utf-8")
    for args in (("score", "ij-critical-minerals", "-", "--calibration", str(bad)),
                 ("evaluate", str(bad), "--calibration", str(bad))):
        result = run_here(capsys, monkeypatch, *args)
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert result.returncode == 2 and len(lines) == 1 and "Traceback" not in result.stderr


def test_parallel_batch_matches_serial(tmp_path):
    from scoring.cli import score_batch

    items = sorted(bank().items.values(), key=lambda i: i.id)[:4]
    rows = [(item.id, item.question.model_answer[: 200 + 37 * k]) for k in range(120) for item in items[k % 4:k % 4 + 1]]
    serial = score_batch(scorer(), bank(), rows, jobs=1)
    parallel = score_batch(scorer(), bank(), rows * 4, jobs=2)
    assert parallel == serial * 4
    assert not math.isnan(sum(r[0] for r in serial))


# ------------------------------------------------------------------ reporting: what got worse, how long it takes


def test_agreement_changes_judge_each_measure_the_right_way_round_beyond_the_noise():
    from scoring.calibrate import agreement_changes

    before = pd.DataFrame({"n": [15, 15, 30], "pearson": [0.703, 0.9, 0.8], "spearman": [0.6, 0.8, 0.7],
                           "qwk": [0.41, 0.5, 0.45], "rmse": [2.4, 1.0, 1.7]}, index=["a", "b", "overall"])
    after = pd.DataFrame({"n": [15, 30], "pearson": [0.5, 0.79], "spearman": [0.62, float("nan")],
                          "qwk": [0.6, 0.44], "rmse": [2.0, 1.88]}, index=["a", "overall"])
    changes = agreement_changes(before, after)
    assert list(changes) == ["a", "overall"]  # "b" is not in the After table
    verdicts = {q: {c.measure: c.verdict for c in found} for q, found in changes.items()}
    assert verdicts["a"] == {"pearson": "worse", "spearman": "same", "qwk": "better", "rmse": "better"}
    # RMSE is better lower, by a tenth of its figure: 1.7 -> 1.88 is worse, the rest within the noise;
    # a correlation calibration leaves not measurable (all calibrated marks the same) is worse
    assert verdicts["overall"] == {"pearson": "same", "spearman": "worse", "qwk": "same", "rmse": "worse"}
    assert [(c.before, c.after) for c in changes["a"]][0] == (0.703, 0.5)
    assert {c.verdict for c in agreement_changes(before, after, margin=0.5, rmse_share=1)["a"]} == {"same"}


def test_estimated_fit_time_follows_which_model_each_fit_gives_a_question():
    from scoring.calibrate import estimated_fit_seconds, estimated_fit_steps

    # 60 answers: its own model on all of them, but each fold trains on 48, fewer than 50: the shared model
    steps = estimated_fit_steps({"q": 60}, min_answers=50)
    assert len(steps) == 7 and steps[1] > 3 * steps[2] and len(set(steps[2:])) == 1
    # 70 answers: 56 in each fold, an own model every time
    assert estimated_fit_steps({"q": 70}, min_answers=50)[2] > steps[1] * 0.8
    assert estimated_fit_seconds({"q": 60}, min_answers=50) == pytest.approx(sum(steps))
    assert estimated_fit_seconds({"q": 100}, min_answers=10_000) < estimated_fit_seconds({"q": 100}, min_answers=50)
    assert len(estimated_fit_steps({"q": 60}, folds=3)) == 5
