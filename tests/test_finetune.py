"""Calibration's opt-in fine-tune (scoring.finetune, scoring.encoder): the encoder's forward pass, learning,
the calibration file, and the one-line errors when its packages are missing."""

from __future__ import annotations

import json
import pickle
import sys

import numpy as np
import pytest
import torch

from scoring import encoder
from scoring.calibrate import CalibrationError, QuestionModel, fit_calibration, load_calibration
from scoring.evaluate import DataError
from scoring.finetune import SHARED_BELOW, FineTune, FineTuneUnavailable, SharedTunedEncoder, TunedEncoder, model_dir
from tests.test_calibrate import fitted, make_answers, run_here

SENTENCES = ["Proteins are made on ribosomes.",
             "mRNA carries the code from the nucleus to the ribosome, where tRNA brings amino acids.",
             "I do not know."]


def mean_pooled(hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    m = mask.unsqueeze(-1).float()
    return (hidden * m).sum(1) / m.sum(1)


def test_the_encoder_gives_sentence_transformers_embeddings():
    from sentence_transformers import SentenceTransformer

    reference = SentenceTransformer(str(model_dir()), device="cpu").encode(SENTENCES, normalize_embeddings=True)
    rater = encoder.base_rater(model_dir(), frozen=6).eval()
    tok = encoder.tokenizer(model_dir(), 128)
    ids, mask = encoder.padded([e.ids for e in tok.encode_batch(SENTENCES)])
    with torch.no_grad():
        ours = torch.nn.functional.normalize(mean_pooled(rater.bert(ids, mask), mask), dim=-1).numpy()
    assert ours.shape == reference.shape == (3, 384)
    assert np.abs(ours - reference).max() < 1e-5


def test_the_frozen_layers_run_once_and_the_top_layers_continue_from_them():
    rater = encoder.base_rater(model_dir(), frozen=4).eval()
    tok = encoder.tokenizer(model_dir(), 128)
    ids, mask = encoder.padded([e.ids for e in tok.encode_batch(SENTENCES)])
    states = encoder.lower_states(rater, tok, SENTENCES)
    assert [len(s) for s in states] == mask.sum(1).tolist()
    with torch.no_grad():
        whole = rater.head(mean_pooled(rater.bert(ids, mask), mask)).squeeze(-1)
        split = rater(*encoder.padded(states))
    assert torch.allclose(whole, split, atol=1e-5)
    trained = {name.split(".")[2] for name in rater.trained_state() if name.startswith("bert.layers.")}
    assert trained == {"4", "5"} and {"head.weight", "head.bias"} <= set(rater.trained_state())


def test_batches_cover_every_answer_once_and_group_similar_lengths():
    lengths = list(np.random.default_rng(3).integers(5, 120, size=300))
    batches = list(encoder.length_batches(lengths, 16, np.random.default_rng(0)))
    assert sorted(int(i) for b in batches for i in b) == list(range(300))
    spread = np.mean([np.ptp([lengths[i] for i in b]) for b in batches])
    assert spread < 0.5 * np.ptp(lengths)  # within a run of 256, neighbours in length share a batch


GOOD = ["mRNA leaves the nucleus and tRNA brings amino acids to the ribosome.",
        "The ribosome reads the codons of mRNA; tRNA anticodons bring the matching amino acids.",
        "Messenger RNA goes to the ribosome, and transfer RNA carries amino acids to it.",
        "At the ribosome each codon of the mRNA is matched by a tRNA carrying an amino acid."]
POOR = ["I like football and my dog.", "The weather was sunny yesterday.",
        "My favourite colour is blue.", "We went to the market to buy rice."]


def test_a_fine_tune_learns_to_rate_answers_it_has_not_seen():
    texts, ratings = GOOD[:3] * 4 + POOR[:3] * 4, [2] * 12 + [0] * 12
    tuned = TunedEncoder(FineTune(epochs=10, rate=5e-4, batch=8, max_tokens=48)).fit(texts, ratings, levels=2)
    unseen = tuned.predict([GOOD[3], POOR[3]])
    assert unseen[0] - unseen[1] > 1.0, unseen
    again = TunedEncoder(FineTune(epochs=10, rate=5e-4, batch=8, max_tokens=48)).fit(texts, ratings, levels=2)
    assert np.allclose(again.predict([GOOD[3], POOR[3]]), unseen, atol=1e-4)  # the seed decides everything


def test_a_cached_fine_tune_loads_the_same_weights_and_other_ratings_train_afresh(tmp_path, monkeypatch):
    settings = FineTune(epochs=1, batch=8, max_tokens=48, cache=tmp_path / "kept")
    texts, ratings = GOOD[:3] + POOR[:3], [2, 2, 2, 0, 0, 0]
    first = TunedEncoder(settings).fit(texts, ratings, levels=2)
    kept = list((tmp_path / "kept").iterdir())
    assert [p.suffix for p in kept] == [".npz"]  # one file, nothing partial left beside it

    def no_training(*args, **kwargs):
        raise AssertionError("trained again although the same fit is kept")

    monkeypatch.setattr(encoder, "train", no_training)
    again = TunedEncoder(settings).fit(texts, ratings, levels=2)
    assert again.state.keys() == first.state.keys()
    assert all(np.array_equal(again.state[k], first.state[k]) for k in first.state)
    assert np.array_equal(again.predict(GOOD[3:] + POOR[3:]), first.predict(GOOD[3:] + POOR[3:]))
    # a different rating, answer or setting is a different fit: it trains (here: reaches the patched trainer)
    for changed in (lambda: TunedEncoder(settings).fit(texts, [2, 2, 1, 0, 0, 0], levels=2),
                    lambda: TunedEncoder(settings).fit(texts[:-1] + ["Another answer."], ratings, levels=2),
                    lambda: TunedEncoder(FineTune(epochs=2, batch=8, max_tokens=48, cache=settings.cache))
                    .fit(texts, ratings, levels=2)):
        with pytest.raises(AssertionError, match="trained again"):
            changed()
    # the cache and the blend's weight are not what the weights depend on
    assert FineTune(weight=0.7, cache=tmp_path).training_key(texts, ratings, 2) == FineTune().training_key(texts, ratings, 2)


def test_a_fine_tune_runs_on_every_core_when_its_caller_holds_openmp_to_one_thread(monkeypatch):
    """The Calibration page holds OpenMP to one thread for scikit-learn's boosting; that held torch too."""
    from threadpoolctl import threadpool_limits

    from scoring import finetune

    monkeypatch.setattr(finetune, "cores", lambda: 3)
    seen: list[int] = []
    real_train, real_rate = encoder.train, encoder.rate
    monkeypatch.setattr(encoder, "train", lambda *a, **k: (seen.append(torch.get_num_threads()), real_train(*a, **k)))
    monkeypatch.setattr(encoder, "rate", lambda *a, **k: (seen.append(torch.get_num_threads()), real_rate(*a, **k))[1])
    with threadpool_limits(limits=1, user_api="openmp"):
        assert torch.get_num_threads() == 1
        tuned = TunedEncoder(FineTune(epochs=1, batch=8, max_tokens=48)).fit(GOOD[:3] + POOR[:3], [2, 2, 2, 0, 0, 0], 2)
        tuned.predict(GOOD[3:])
        assert torch.get_num_threads() == 1  # as the caller set it, once the fine-tune is done
    assert seen == [3, 3]


def test_a_fine_tune_given_its_threads_runs_on_that_many(monkeypatch):
    """Two folds fitted side by side each take one thread (``FineTune.threads``), not every core."""
    from scoring import finetune

    monkeypatch.setattr(finetune, "cores", lambda: 3)
    seen: list[int] = []
    real_train = encoder.train
    monkeypatch.setattr(encoder, "train", lambda *a, **k: (seen.append(torch.get_num_threads()), real_train(*a, **k)))
    settings = FineTune(epochs=1, batch=8, max_tokens=48, threads=1)
    TunedEncoder(settings).fit(GOOD[:3] + POOR[:3], [2, 2, 2, 0, 0, 0], 2)
    assert seen == [1]
    assert settings.training_key(GOOD, [2] * len(GOOD), 2) == FineTune(
        epochs=1, batch=8, max_tokens=48).training_key(GOOD, [2] * len(GOOD), 2)  # threads do not change the weights' key


def test_a_tuned_encoder_needs_fitting_and_one_rating_per_answer():
    with pytest.raises(DataError, match="not been fitted"):
        TunedEncoder().predict(["text"])
    with pytest.raises(DataError, match="one rating per answer"):
        TunedEncoder().fit(["a", "b"], [1], levels=2)


@pytest.mark.parametrize("shared, answers, expected", [
    (None, [100, 120], True),  # few answers a question: one fine-tune for all
    (None, [SHARED_BELOW - 1, SHARED_BELOW - 1, 5000], True),  # the median decides
    (None, [SHARED_BELOW, 5000], False),  # enough for one each
    (None, [100], False),  # one question: its own fine-tune, shared with nothing
    (True, [5000, 5000], True), (False, [100, 100], False),  # chosen, not left to the counts
    (True, [100], False),
])
def test_questions_share_a_fine_tune_when_they_have_few_answers_or_are_told_to(shared, answers, expected):
    assert FineTune(shared=shared).shares(answers) is expected


def test_a_shared_fine_tune_rates_each_question_by_its_own_head():
    """One encoder for two questions that judge the same answers oppositely: each question's head learns its own."""
    texts = (GOOD[:3] + POOR[:3]) * 4
    ratings = ([2] * 3 + [0] * 3) * 2 + ([0] * 3 + [4] * 3) * 2  # "biology" rewards GOOD (0..2), "other" POOR (0..4)
    levels = [2] * 12 + [4] * 12
    questions = ["biology"] * 12 + ["other"] * 12
    shared = SharedTunedEncoder(FineTune(epochs=10, rate=5e-4, batch=8, max_tokens=48)).fit(
        texts, ratings, levels, questions)
    assert shared.questions == ("biology", "other")
    biology, other = shared.head("biology", 2), shared.head("other", 4)
    on_biology, on_other = biology.predict([GOOD[3], POOR[3]]), other.predict([GOOD[3], POOR[3]])
    assert on_biology[0] - on_biology[1] > 1.0, on_biology  # on its scale 0..2
    assert on_other[1] - on_other[0] > 2.0, on_other  # on its scale 0..4
    assert biology.settings is shared.settings
    with pytest.raises(DataError, match="not fitted on question 'history'"):
        shared.head("history", 2)
    with pytest.raises(DataError, match="one rating, scale and question per answer"):
        SharedTunedEncoder().fit(texts, ratings, levels, questions[:-1])


def test_a_questions_own_fine_tune_trains_three_layers_and_a_shared_one_two():
    settings = FineTune(epochs=1, batch=8, max_tokens=48)
    texts, ratings = GOOD[:3] + POOR[:3], [2, 2, 1, 0, 0, 1]
    own = TunedEncoder(settings).fit(texts, ratings, levels=2)
    shared = SharedTunedEncoder(settings).fit(texts, ratings, [2] * 6, ["q"] * 6)

    def layers(state):
        return sorted({int(name.split(".")[2]) for name in state if name.startswith("bert.layers.")})

    assert layers(own.state) == [3, 4, 5] and layers(shared.state) == [4, 5]
    assert settings.training_key(texts, ratings, 2) != settings.training_key(texts, ratings, [2] * 6, ["q"] * 6)


def test_a_shared_fine_tune_of_one_question_is_that_questions_own_fine_tune_of_as_many_layers():
    settings = FineTune(epochs=2, batch=8, max_tokens=48, trained_layers=2)  # as many as a shared one trains
    texts, ratings = GOOD[:3] + POOR[:3], [2, 2, 1, 0, 0, 1]
    own = TunedEncoder(settings).fit(texts, ratings, levels=2)
    shared = SharedTunedEncoder(settings).fit(texts, ratings, [2] * 6, ["q"] * 6)
    assert shared.state.keys() == own.state.keys()
    assert all(np.allclose(shared.state[k], own.state[k], atol=1e-6) for k in own.state)
    assert np.allclose(shared.head("q", 2).predict(GOOD[3:]), own.predict(GOOD[3:]), atol=1e-5)


def test_a_cached_shared_fine_tune_is_kept_under_its_questions(tmp_path, monkeypatch):
    settings = FineTune(epochs=1, batch=8, max_tokens=48, cache=tmp_path)
    texts, ratings, levels = GOOD[:3] + POOR[:3], [2, 2, 2, 0, 0, 0], [2] * 6
    first = SharedTunedEncoder(settings).fit(texts, ratings, levels, ["a"] * 3 + ["b"] * 3)

    def no_training(*args, **kwargs):
        raise AssertionError("trained again although the same fit is kept")

    monkeypatch.setattr(encoder, "train", no_training)
    again = SharedTunedEncoder(settings).fit(texts, ratings, levels, ["a"] * 3 + ["b"] * 3)
    assert all(np.array_equal(again.state[k], first.state[k]) for k in first.state)
    with pytest.raises(AssertionError, match="trained again"):  # the same answers under other questions
        SharedTunedEncoder(settings).fit(texts, ratings, levels, ["a", "b"] * 3)
    assert settings.training_key(texts, ratings, levels, ["a"] * 3 + ["b"] * 3) != settings.training_key(
        texts, ratings, 2)


def test_a_calibration_with_a_shared_fine_tune_keeps_one_encoder_for_its_questions(tmp_path):
    data = make_answers(0)  # "cells" (60 answers) and "stack" (24): both get their own model at 20
    calibration = fit_calibration(data, min_answers=20, fine_tune=FineTune(epochs=1, max_tokens=48, shared=True))
    cells_head, stack_head = calibration.models["cells"].tuned_, calibration.models["stack"].tuned_
    assert cells_head.encoder is stack_head.encoder and cells_head.encoder.questions == ("cells", "stack")
    assert (cells_head.levels, stack_head.levels) == (3, 10)  # "stack" is marked in half marks out of 5
    assert calibration.fine_tuned() and calibration.questions["stack"]["fine_tuned"]
    assert calibration.questions["stack"]["shared_fine_tune"] and calibration.questions["cells"]["shared_fine_tune"]
    path = tmp_path / "shared.cal"
    calibration.save(path)
    loaded = load_calibration(path)
    assert loaded.models["cells"].tuned_.encoder is loaded.models["stack"].tuned_.encoder  # kept once in the file
    rows = rows_of(make_answers(4, n_cells=8, n_small=6))
    assert np.array_equal(loaded.predict_rows(rows), calibration.predict_rows(rows))
    assert not np.array_equal(calibration.without_fine_tune().predict_rows(rows), calibration.predict_rows(rows))


def cells():
    data = make_answers(0)
    return data[data.question_id == "cells"]


def test_a_fine_tuned_question_model_averages_the_encoder_into_its_rating():
    data = cells()
    args = (list(data.answer), np.zeros((len(data), 1)), [{}] * len(data))
    # without the boosting learner, which is slow to fit and has nothing to do with the encoder's share
    plain = QuestionModel(max_score=3.0, step=1.0, boosting=False).fit(*args, data.score.to_numpy())
    tuned = QuestionModel(max_score=3.0, step=1.0, boosting=False, fine_tune=FineTune(epochs=2, max_tokens=64)).fit(
        *args, data.score.to_numpy())
    X = tuned._matrix(tuned._respelled(args[0]), args[1], args[2])
    learners = tuned._continuous(tuned.learners_, X)
    encoded = tuned.tuned_.predict(args[0])
    weight = tuned.fine_tune.weight
    assert np.allclose(tuned._rating(args[0], X), (1 - weight) * learners + weight * encoded)
    assert np.array_equal(tuned.cutpoints_, plain.cutpoints_)  # fitted on the learners' held-out ratings alone
    predicted = tuned.predict(*args)
    assert set(predicted) <= {0.0, 1.0, 2.0, 3.0} and np.corrcoef(predicted, data.score)[0, 1] > 0.5


def test_a_fine_tuned_calibration_says_so_and_predicts_the_same_after_saving(tmp_path):
    calibration = fit_calibration(make_answers(0), fine_tune=FineTune(epochs=1, max_tokens=48))
    assert calibration.fine_tuned()
    assert calibration.questions["cells"]["fine_tuned"] and not calibration.questions["stack"]["fine_tuned"]
    # one question with its own model ("stack" is on the shared model): its own fine-tune, shared with nothing
    assert isinstance(calibration.models["cells"].tuned_, TunedEncoder)
    assert not calibration.questions["cells"]["shared_fine_tune"]
    path = tmp_path / "tuned.cal"
    calibration.save(path)
    assert json.loads(path.read_bytes().split(b"\n", 1)[0])["questions"]["cells"]["fine_tuned"] is True
    loaded = load_calibration(path)
    rows = make_answers(4, n_cells=8, n_small=3)
    assert np.array_equal(np.nan_to_num(loaded.predict_rows(rows_of(rows)), nan=-1),
                          np.nan_to_num(calibration.predict_rows(rows_of(rows)), nan=-1))


def rows_of(frame):
    from scoring.calibrate import score_rows

    return score_rows(frame)


@pytest.fixture
def without_torch(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # `import torch` now fails as if it were not installed


def test_without_torch_fine_tuning_says_what_to_install(without_torch, tmp_path, capsys, monkeypatch):
    with pytest.raises(FineTuneUnavailable, match=r"torch .*pip install -r requirements-finetune.txt"):
        model_dir()
    graded = tmp_path / "graded.csv"
    make_answers(0).to_csv(graded, index=False)
    made = run_here(capsys, monkeypatch, "calibrate", str(graded), "-o", str(tmp_path / "x.cal"), "--fine-tune")
    assert made.returncode == 2 and "requirements-finetune.txt" in made.stderr and "\n" not in made.stderr.strip()
    assert not (tmp_path / "x.cal").exists()


def test_a_fine_tuned_calibration_without_torch_is_a_one_line_error(tmp_path, monkeypatch):
    calibration = pickle.loads(pickle.dumps(fitted()))  # a copy: fitted() is shared with test_calibrate
    calibration.models["cells"].tuned_ = TunedEncoder(FineTune(), levels=3, state={"head.bias": np.zeros(1)})
    path = tmp_path / "tuned.cal"
    calibration.save(path)
    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(CalibrationError, match=r"tuned.cal was calibrated with --fine-tune: .*requirements-finetune"):
        load_calibration(path)


def test_fine_tune_goes_with_cross_validation_in_evaluate(tmp_path, capsys, monkeypatch):
    graded = tmp_path / "graded.csv"
    make_answers(0).to_csv(graded, index=False)
    alone = run_here(capsys, monkeypatch, "evaluate", str(graded), "--fine-tune")
    assert alone.returncode == 2 and "--fine-tune goes with --cv" in alone.stderr
    crossed = run_here(capsys, monkeypatch, "evaluate", str(graded), "--cv", "2", "--fine-tune", "--json")
    assert crossed.returncode == 0, crossed.stderr
    shown = json.loads(crossed.stdout)
    assert shown["per_question"]["cells"]["n"] == 60
    assert shown["without_fine_tune"]["per_question"]["cells"]["n"] == 60  # the same folds, n-gram models alone
    # 30 training answers a fold, under --min-answers' 50: no own model, so nothing fine-tuned and the same figures
    assert shown["without_fine_tune"]["per_question"]["cells"] == shown["per_question"]["cells"]
    table = run_here(capsys, monkeypatch, "evaluate", str(graded), "--cv", "2", "--fine-tune")
    assert table.returncode == 0 and "The same folds without the fine-tune" in table.stdout


def test_cross_validation_with_a_fine_tune_gives_the_module_alone_from_the_same_fits():
    """benchmarks/run.py --fine-tune takes the calibrated row from the fine-tune's folds instead of fitting them twice."""
    from scoring.calibrate import cross_validate, cross_validate_fine_tune

    data = make_answers(0, n_cells=44, n_small=0)
    common = dict(k=2, rows=rows_of(data), min_answers=20)  # 22 training answers a fold: "cells" gets its own model
    tuned, alone = cross_validate_fine_tune(data, fine_tune=FineTune(epochs=1, max_tokens=48), jobs=2, **common)
    assert alone.as_dict() == cross_validate(data, jobs=1, **common).as_dict()
    assert tuned.per_question["cells"].qwk != alone.per_question["cells"].qwk  # the fine-tune moved the ratings


@pytest.mark.parametrize("flags, shared", [([], None), (["--shared-fine-tune", "auto"], None),
                                           (["--shared-fine-tune", "always"], True),
                                           (["--shared-fine-tune", "never"], False)])
def test_calibrate_passes_the_sharing_of_the_fine_tune_on(flags, shared, tmp_path, capsys, monkeypatch):
    import scoring.calibrate

    graded = tmp_path / "graded.csv"
    make_answers(0).to_csv(graded, index=False)
    seen = []

    def fit_calibration_stand_in(frame, *args, fine_tune=None, **kwargs):  # what the command asks for, not a fit
        seen.append(fine_tune)
        raise DataError("stopped before fitting")

    monkeypatch.setattr(scoring.calibrate, "fit_calibration", fit_calibration_stand_in)
    made = run_here(capsys, monkeypatch, "calibrate", str(graded), "-o", str(tmp_path / "x.cal"), "--fine-tune", *flags)
    assert made.returncode == 2 and "stopped before fitting" in made.stderr
    assert seen == [FineTune(shared=shared)]


def test_the_sharing_of_a_fine_tune_goes_with_a_fine_tune(tmp_path, capsys, monkeypatch):
    graded = tmp_path / "graded.csv"
    make_answers(0).to_csv(graded, index=False)
    for command in (["calibrate", str(graded), "-o", str(tmp_path / "x.cal")], ["evaluate", str(graded), "--cv", "2"]):
        made = run_here(capsys, monkeypatch, *command, "--shared-fine-tune", "always")
        assert made.returncode == 2 and "--shared-fine-tune goes with --fine-tune" in made.stderr
    assert not (tmp_path / "x.cal").exists()


def test_the_help_quotes_the_count_below_which_questions_share_a_fine_tune(capsys):
    from scoring.cli import _parser

    calibrate = next(a for a in _parser()._subparsers._group_actions[0].choices["calibrate"]._actions
                     if a.dest == "shared_fine_tune")
    assert f"fewer than {SHARED_BELOW} graded answers" in calibrate.help
