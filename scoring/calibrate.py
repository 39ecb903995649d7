"""Calibration: learn marks from a mentor's graded answers.

The unsupervised scorer knows only the rubric (or a reference answer).  A
calibration also learns from answers a mentor has already graded, so that its
marks follow that mentor's scale.  It is fitted with scikit-learn from:

- the scorer's own features of each answer: the marks share, every component's
  score, each rubric point's strength (by point id), strength statistics;
- TF-IDF word (1–2) and character (2–5, within words) n-grams of the answer.

Per question with at least ``min_answers`` graded answers (default 50) it first
respells rare misspellings to the common form those answers use
(``scoring.spelling``), then fits a ridge regression, an ordinal logistic
regression (cumulative logits) and gradient boosting on the n-grams that best
track the rating (``SelectedBoosting``) on those features, averages them, and
cuts the result into the question's own ratings with cutpoints that maximise
quadratic weighted kappa on held-out (out-of-fold) predictions.  Every other
graded question is served by one shared model (gradient boosting plus ridge on
question-independent features): the scorer's features, similarity to the
reference answer, and how similar the answer is to that question's graded
answers and what they earned (nearest neighbours).  A question the calibration
has never seen keeps the scorer's own marks.

The app and the command line use it like this (the signature to wire in):

    from scoring.calibrate import load_calibration
    calibration = load_calibration(path)                 # CalibrationError: one-line message
    feedback = scorer.score(item, answer)
    feedback = calibration.apply(feedback, item, answer)  # -> Feedback

``Calibration.apply(feedback, item, answer) -> Feedback`` returns a copy with
``calibrated=True`` and ``marks`` replaced by the calibrated marks (half marks,
within [0, max_marks]); the components, points and suggestions stay the scorer's,
so the explanation is unchanged.  It returns ``feedback`` unchanged when the
question is not in the calibration, or when the scorer gave 0 by rule (empty, too
long to score, the question copied).  ``Calibration.predict(item, answer,
feedback) -> float`` gives the calibrated marks alone (``feedback.marks`` when
the question is unknown).  ``Calibration.covers(item)`` says whether it knows a
question.

A calibration file is one line of JSON (format, version, n, questions), then a
zlib-compressed pickle.  ``load_calibration`` checks the header before
unpickling and raises ``CalibrationError`` with one line on a bad file.  Load only
files you (or your mentor) made: a pickle can run code.
"""

from __future__ import annotations

import copy
import json
import math
import pickle
import warnings
import zlib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Iterable, Sequence

import numpy as np
import pandas as pd
from scipy.sparse import csr_matrix, hstack
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.preprocessing import StandardScaler

from scoring.bank import Bank
from scoring.evaluate import (DataError, Evaluation, build_items, check_graded, fit_scorers, human_step,
                              safe_question_id, scorer_for, summarise)
from scoring.feedback import Feedback
from scoring.finetune import FineTune, FineTuneUnavailable, SharedTunedEncoder, TunedEncoder, cores, model_dir
from scoring.metrics import apply_cutpoints, best_cutpoints
from scoring.models import Item
from scoring.scorer import analyse, round_half
from scoring.spelling import learn_spelling, respell

FORMAT = "mains-calibration"
VERSION = 1
MIN_ANSWERS = 50
#: rule-based zero marks that calibration never overrides
RULE_FLAGS = frozenset({"empty", "too_long_to_score", "copied_question", "not_english"})

#: question-independent features read off a Feedback, in this order
GENERIC_FEATURES = (
    "has_feedback", "marks_share", "content", "relevance", "structure", "directive", "length",
    "strength_mean", "strength_max", "strength_min", "covered_share", "partial_share", "log_words",
)
_COMPONENTS = ("content", "relevance", "structure", "directive", "length")


class CalibrationError(DataError):
    """A calibration file that cannot be used; the message is one line."""


# ------------------------------------------------------------------ features


def feedback_features(feedback: Feedback | None, answer: str) -> tuple[np.ndarray, dict[str, float]]:
    """The scorer's features of one answer: a fixed generic vector and per-point/component values by name."""
    words = len(str(answer).split())
    if feedback is None:
        vector = np.zeros(len(GENERIC_FEATURES))
        vector[-1] = math.log1p(words)
        return vector, {}
    components = {c.name: c.score for c in feedback.components}
    strengths = [p.strength for p in feedback.points] or [0.0]
    statuses = [p.status for p in feedback.points]
    total = max(1, len(statuses))
    vector = np.array([
        1.0,
        feedback.marks / feedback.max_marks if feedback.max_marks else 0.0,
        *(components.get(name, 0.0) for name in _COMPONENTS),
        float(np.mean(strengths)), float(np.max(strengths)), float(np.min(strengths)),
        statuses.count("covered") / total, statuses.count("partial") / total,
        math.log1p(words),
    ])
    specific = {f"point:{p.id}": p.strength for p in feedback.points}
    specific.update({f"component:{name}": value for name, value in components.items()})
    return vector, specific


@dataclass
class Rows:
    """Label-free features of graded answers, computed once (cross-validation reuses them)."""

    keys: list[str]
    texts: list[str]
    references: list[str]
    generic: np.ndarray
    specific: list[dict[str, float]]
    unsupervised: np.ndarray  # the scorer's marks as a share of its maximum (nan: unscored)
    rule_zero: np.ndarray  # bool: the scorer gave 0 by rule (empty, copied question, too long)

    def take(self, index: Sequence[int]) -> "Rows":
        index = list(index)
        return Rows([self.keys[i] for i in index], [self.texts[i] for i in index],
                    [self.references[i] for i in index], self.generic[index],
                    [self.specific[i] for i in index], self.unsupervised[index], self.rule_zero[index])

    def __len__(self) -> int:
        return len(self.keys)


def score_rows(frame: pd.DataFrame, bank: Bank | None = None, rubrics: dict | None = None,
               progress: Callable[[Iterable], Iterable] | None = None) -> Rows:
    """Score every graded answer with the unsupervised scorer and read off its features."""
    items = build_items(frame, bank, rubrics)
    scorers = fit_scorers(items, bank) if items else {}
    keys, texts, references, generic, specific, unsupervised, rule_zero = [], [], [], [], [], [], []
    rows = zip(frame["question_id"], frame["answer"])
    for question_id, answer in (progress(rows) if progress else rows):
        item = items.get(question_id)
        feedback = scorer_for(question_id, item, scorers, bank).score(item, answer) if item is not None else None
        vector, named = feedback_features(feedback, answer)
        keys.append(safe_question_id(question_id))
        texts.append(feedback.marked_text(str(answer)) if feedback is not None else str(answer))
        references.append(item.question.model_answer if item is not None else "")
        generic.append(vector)
        specific.append(named)
        unsupervised.append(feedback.marks / feedback.max_marks if feedback is not None else math.nan)
        rule_zero.append(feedback is not None and bool(feedback.flag_codes() & RULE_FLAGS))
    return Rows(keys, texts, references, np.array(generic).reshape(len(keys), len(GENERIC_FEATURES)),
                specific, np.array(unsupervised, float), np.array(rule_zero, bool))


def _tfidf(**options) -> TfidfVectorizer:
    return TfidfVectorizer(sublinear_tf=True, dtype=np.float64, **options)


def _fit_vectorizer(make: Callable[..., TfidfVectorizer], texts: list[str]) -> TfidfVectorizer | None:
    """Fit with min_df=2, falling back to 1; None when the texts have no terms at all."""
    for min_df in (2, 1):
        try:
            return make(min_df=min_df).fit(texts)
        except ValueError:
            continue
    return None


# ------------------------------------------------------------------ per-question model


def _logistic(c: float) -> LogisticRegression:
    return LogisticRegression(C=c, max_iter=300, tol=1e-3)


class OrdinalLogit:
    """Ordinal logistic regression as cumulative binary models: one P(rating ≥ k) per step k.

    The expected rating is the lowest rating plus, for each step up, its size times
    the probability of reaching it.  Ratings are ordered, so each binary model uses
    every answer (a 2 and a 3 both teach "at least 2"), unlike one multinomial model.
    """

    def __init__(self, C: float = 10.0):
        self.C = C

    def fit(self, X, y: np.ndarray) -> "OrdinalLogit":
        self.classes_ = np.unique(y)
        self.steps_: list[LogisticRegression] = []
        for rating in self.classes_[1:]:
            reached = (y >= rating).astype(int)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                self.steps_.append(_logistic(self.C).fit(X, reached))
        return self

    def expected(self, X) -> np.ndarray:
        out = np.full(X.shape[0], float(self.classes_[0]))
        for low, high, step in zip(self.classes_[:-1], self.classes_[1:], self.steps_):
            out += (high - low) * step.predict_proba(X)[:, 1]
        return out


#: the smallest leaf of the per-question boosting: fewer than twice as many answers leave no split to make
BOOSTING_LEAF = 10


#: scikit-learn's most bins a column can have (its default)
MAX_BINS = 255


def boosted_trees(min_samples_leaf: int, max_bins: int = MAX_BINS) -> HistGradientBoostingRegressor:
    """The gradient boosting both models use: 200 small trees, slow learning, deterministic.

    ``max_bins`` from ``bins_needed`` grows the same trees faster on few answers (see there).
    """
    return HistGradientBoostingRegressor(max_iter=200, learning_rate=0.05, max_leaf_nodes=15,
                                         min_samples_leaf=min_samples_leaf, l2_regularization=1.0,
                                         early_stopping=False, random_state=0, max_bins=max_bins)


def bins_needed(X: np.ndarray) -> int:
    """The most distinct values any column of ``X`` has, between 2 and ``MAX_BINS``.

    A column with no more distinct values than ``max_bins`` is binned at the midpoints between
    them whatever ``max_bins`` is, so boosting with this many bins grows the same trees as with
    255. It is faster on few answers: every tree node's histograms carry ``max_bins`` slots for
    every column, so 50 answers' 1,000 n-gram columns cost as much as 1,000 answers' would.

    >>> bins_needed(np.array([[0.0, 1.0], [1.0, 1.0], [0.0, 0.5], [0.0, 2.0]]))
    3
    """
    if len(X) < 2:
        return 2
    changes = (np.diff(np.sort(X, axis=0), axis=0) != 0).sum(axis=0)
    return int(np.clip(1 + changes.max(), 2, MAX_BINS))


def presence_tracking(ngrams, y: np.ndarray) -> np.ndarray:
    """How strongly each column's presence (a value above 0) tracks the rating ``y``, one value per column.

    |Σ presence · (y − mean y)| over presence's spread √(p(1 − p)): Pearson's r of presence with
    the rating times n · std(y), so it ranks the columns as r does.

    >>> presence_tracking(csr_matrix([[1.0, 0.0], [0.0, 1.0], [2.0, 1.0]]), np.array([2.0, 0.0, 1.0])).round(3).tolist()
    [2.121, 2.121]
    """
    present = (ngrams > 0).astype(np.float64)
    share = np.asarray(present.mean(axis=0)).ravel()
    covariance = np.asarray(present.T @ (y - y.mean())).ravel()
    return np.abs(covariance) / (np.sqrt(np.maximum(share - share ** 2, 0.0)) + 1e-9)


class SelectedBoosting:
    """Gradient boosting on the n-grams that best track the rating, as present or absent, plus the scorer's features.

    Trees can learn what a linear model cannot: that two phrases together earn a
    step, or that a third element only counts once two are there.  Boosting on
    every n-gram would be slow, so it sees the ``top`` n-grams whose presence
    correlates most with the rating in the training answers, and the dense block
    (the scorer's features, the last ``dense`` columns of the matrix).
    """

    def __init__(self, dense: int, top: int = 1000):
        self.dense = dense
        self.top = top

    def _design(self, X) -> np.ndarray:
        present = (X[:, self.columns_] > 0).toarray()
        return np.hstack([present, X[:, X.shape[1] - self.dense:].toarray()])

    def fit(self, X, y: np.ndarray) -> "SelectedBoosting":
        correlation = presence_tracking(X[:, :X.shape[1] - self.dense], y)
        self.columns_ = np.argsort(-correlation, kind="stable")[:self.top]
        if len(y) < 2 * BOOSTING_LEAF:  # no tree can split: every one predicts the mean, so skip growing them
            self.model_, self.mean_ = None, float(np.mean(y))
            return self
        design = self._design(X)
        self.model_ = boosted_trees(BOOSTING_LEAF, bins_needed(design)).fit(design, y)
        return self

    def predict(self, X) -> np.ndarray:
        if self.model_ is None:
            return np.full(X.shape[0], self.mean_)
        return self.model_.predict(self._design(X))


def expected_rating(learner, X) -> np.ndarray:
    """A fitted learner's continuous rating: ridge's prediction, or a classifier's expected rating."""
    if isinstance(learner, OrdinalLogit):
        return learner.expected(X)
    if isinstance(learner, LogisticRegression):  # calibrations saved before the ordinal model
        return learner.predict_proba(X) @ learner.classes_
    return learner.predict(X)


@dataclass
class QuestionModel:
    """Ridge, ordinal logistic regression and boosting on n-grams and scorer features, cut into the question's ratings."""

    max_score: float
    step: float
    dense_weight: float = 0.3
    ridge_alpha: float = 1.0
    logit_c: float = 10.0
    inner_folds: int = 3
    respell: bool = True  # rare misspellings count as their common form (scoring.spelling)
    ordinal: bool = True  # cumulative logits P(rating ≥ k) rather than one multinomial model
    boosting: bool = True  # a third learner: gradient boosting on the most telling n-grams (SelectedBoosting)
    fine_tune: FineTune | None = None  # opt-in: also fine-tune a sentence encoder, averaged in (scoring.finetune)

    @property
    def levels(self) -> int:
        return int(round(self.max_score / self.step))

    def _matrix(self, texts: list[str], generic: np.ndarray, specific: list[dict[str, float]]):
        named = np.array([[row.get(name, 0.0) for name in self.names_] for row in specific]).reshape(len(texts), -1)
        dense = self.scaler_.transform(np.hstack([generic, named])) * self.dense_weight
        blocks = [v.transform(texts) for v in self.vectorizers_] + [csr_matrix(dense)]
        return hstack(blocks).tocsr()

    def _respelled(self, texts: list[str]) -> list[str]:
        spelling = getattr(self, "spelling_", {})  # absent in calibrations saved before respelling
        return [respell(text, spelling) for text in texts] if spelling else texts

    def _learners(self, X, y: np.ndarray) -> list:
        learners = [Ridge(alpha=self.ridge_alpha).fit(X, y)]
        if len(np.unique(y)) >= 2:
            if self.ordinal:
                learners.append(OrdinalLogit(C=self.logit_c).fit(X, y))
            else:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", ConvergenceWarning)
                    learners.append(_logistic(self.logit_c).fit(X, y))
            if self.boosting:
                learners.append(SelectedBoosting(dense=self.scaler_.n_features_in_).fit(X, y))
        return learners

    @staticmethod
    def _continuous(learners: list, X) -> np.ndarray:
        return np.mean([expected_rating(learner, X) for learner in learners], axis=0)

    def _rating(self, texts: list[str], X) -> np.ndarray:
        """The continuous rating: the learners' average, and with a fine-tuned encoder, its weighted average with
        the encoder's (``FineTune.weight``).

        The cutpoints are fitted on the learners' held-out ratings alone, as measured (benchmarks/README.md)."""
        rating = self._continuous(self.learners_, X)
        tuned = getattr(self, "tuned_", None)  # absent in calibrations saved before fine-tuning
        if tuned is None:
            return rating
        return (1 - tuned.settings.weight) * rating + tuned.settings.weight * tuned.predict(texts)

    def ratings(self, scores: np.ndarray) -> np.ndarray:
        """Scores as the question's ratings 0..levels (its steps counted), what the learners learn."""
        return np.clip(np.rint(np.asarray(scores, float) / self.step), 0, self.levels).astype(int)

    def fit(self, texts: list[str], generic: np.ndarray, specific: list[dict[str, float]],
            scores: np.ndarray) -> "QuestionModel":
        y = self.ratings(scores)
        self.spelling_ = learn_spelling(texts) if self.respell else {}
        originals, texts = texts, self._respelled(texts)
        self.names_ = sorted({name for row in specific for name in row})
        named = np.array([[row.get(name, 0.0) for name in self.names_] for row in specific]).reshape(len(texts), -1)
        self.scaler_ = StandardScaler().fit(np.hstack([generic, named]))
        vectorizers = (_fit_vectorizer(lambda **o: _tfidf(ngram_range=(1, 2), **o), texts),
                       _fit_vectorizer(lambda **o: _tfidf(analyzer="char_wb", ngram_range=(2, 5), **o), texts))
        self.vectorizers_ = [v for v in vectorizers if v is not None]
        X = self._matrix(texts, generic, specific)
        self.constant_ = int(y[0]) if len(np.unique(y)) == 1 else None
        if self.constant_ is not None:
            return self
        self.learners_ = self._learners(X, y)
        self.cutpoints_ = np.arange(self.levels) + 0.5
        folds = min(self.inner_folds, len(y))
        if folds >= 2:
            held_out = np.zeros(len(y))
            for inner_train, inner_test in KFold(folds, shuffle=True, random_state=1).split(X):
                if len(np.unique(y[inner_train])) < 2:
                    held_out[inner_test] = y[inner_train].mean()
                    continue
                held_out[inner_test] = self._continuous(self._learners(X[inner_train], y[inner_train]), X[inner_test])
            self.cutpoints_ = best_cutpoints(held_out, y, self.levels)
        self.tuned_ = None if self.fine_tune is None else TunedEncoder(self.fine_tune).fit(originals, y, self.levels)
        return self

    def predict(self, texts: list[str], generic: np.ndarray, specific: list[dict[str, float]]) -> np.ndarray:
        """Scores on the question's human scale, in its steps."""
        if self.constant_ is not None:
            return np.full(len(texts), self.constant_ * self.step)
        X = self._matrix(self._respelled(texts), generic, specific)
        ratings = apply_cutpoints(self._rating(texts, X), self.cutpoints_)
        return np.clip(ratings, 0, self.levels) * self.step


# ------------------------------------------------------------------ shared model


def _neighbour_features(similarity: np.ndarray, fractions: np.ndarray, default: float, k: int = 5) -> np.ndarray:
    """For each row of ``similarity`` (answers × graded answers): what the nearest graded answers earned.

    Columns: similarity-weighted share earned by the ``k`` nearest, share earned by the
    nearest, the highest similarity, the mean similarity of the ``k`` nearest.
    """
    rows = similarity.shape[0]
    if similarity.shape[1] == 0 or not np.isfinite(similarity).any():
        return np.tile([default, default, 0.0, 0.0], (rows, 1))
    k = min(k, similarity.shape[1])
    order = np.argsort(-similarity, axis=1, kind="stable")[:, :k]
    sims = np.take_along_axis(similarity, order, axis=1)
    valid = np.isfinite(sims)
    weights = np.where(valid, np.maximum(sims, 1e-6), 0.0)
    earned = fractions[order]
    weighted = np.where(weights.sum(1) > 0, (weights * earned).sum(1) / np.maximum(weights.sum(1), 1e-12), default)
    top = np.where(valid[:, 0], earned[:, 0], default)
    best = np.where(valid[:, 0], sims[:, 0], 0.0)
    mean = np.where(valid.any(1), np.where(valid, sims, 0.0).sum(1) / np.maximum(valid.sum(1), 1), 0.0)
    return np.column_stack([weighted, top, best, mean])


@dataclass
class SharedModel:
    """One model for every question with few graded answers: question-independent features only."""

    neighbours: int = 5
    memory_keys: frozenset = frozenset()

    def _vectors(self, texts: list[str]):
        return [v.transform(texts) for v in self.vectorizers_]

    def _reference_similarity(self, texts: list[str], references: list[str]) -> np.ndarray:
        answers, refs = self._vectors(texts), self._vectors(references)
        return np.column_stack([np.asarray(a.multiply(r).sum(axis=1)).ravel() for a, r in zip(answers, refs)])

    def _neighbours(self, keys: list[str], vectors: list, memory: dict, exclude_self: bool) -> np.ndarray:
        out = np.zeros((len(keys), 4 * len(vectors) + 1))
        by_key: dict[str, list[int]] = {}
        for i, key in enumerate(keys):
            by_key.setdefault(key, []).append(i)
        for key, index in by_key.items():
            stored = memory.get(key)
            if stored is None:
                out[index] = np.r_[np.tile([self.mean_, self.mean_, 0.0, 0.0], len(vectors)), 0.0]
                continue
            matrices, fractions = stored
            columns = []
            for space, matrix in enumerate(matrices):
                similarity = (vectors[space][index] @ matrix.T).toarray()
                if exclude_self:
                    np.fill_diagonal(similarity, -np.inf)
                columns.append(_neighbour_features(similarity, fractions, self.mean_, self.neighbours))
            count = len(fractions) - (1 if exclude_self else 0)
            out[index] = np.column_stack([*columns, np.full(len(index), math.log1p(count))])
        return out

    def _design(self, rows: Rows, memory: dict, exclude_self: bool) -> tuple[np.ndarray, np.ndarray]:
        vectors = self._vectors(rows.texts)
        plain = np.hstack([rows.generic, self._reference_similarity(rows.texts, rows.references)])
        with_neighbours = np.hstack([plain, self._neighbours(rows.keys, vectors, memory, exclude_self)])
        return plain, with_neighbours

    @staticmethod
    def _regressors(X: np.ndarray, y: np.ndarray) -> list:
        models = [_scaled_ridge(X, y)]
        if len(y) >= 40:
            models.append(boosted_trees(20, bins_needed(X)).fit(X, y))
        return models

    def fit(self, rows: Rows, fractions: np.ndarray) -> "SharedModel":
        fractions = np.asarray(fractions, float)
        self.mean_ = float(fractions.mean())
        corpus = rows.texts + sorted({r for r in rows.references if r})
        self.vectorizers_ = [v for v in (
            _fit_vectorizer(lambda **o: _tfidf(analyzer=analyse, **o), corpus),
            _fit_vectorizer(lambda **o: _tfidf(analyzer="char_wb", ngram_range=(2, 5), max_features=60000, **o), corpus),
        ) if v is not None]
        vectors = self._vectors(rows.texts)
        training_memory = _memory(rows.keys, vectors, fractions, set(rows.keys))
        plain, with_neighbours = self._design(rows, training_memory, exclude_self=True)
        self.plain_models_ = self._regressors(plain, fractions)
        self.neighbour_models_ = self._regressors(with_neighbours, fractions)
        self.memory_ = _memory(rows.keys, vectors, fractions, self.memory_keys)
        return self

    def predict(self, rows: Rows) -> np.ndarray:
        """Shares of the maximum, 0..1; neighbours are used for questions with graded answers in memory."""
        plain, with_neighbours = self._design(rows, self.memory_, exclude_self=False)
        known = np.array([key in self.memory_ for key in rows.keys], bool)
        out = _average(self.plain_models_, plain)
        if known.any():
            out[known] = _average(self.neighbour_models_, with_neighbours[known])
        return np.clip(out, 0.0, 1.0)


def _memory(keys: list[str], vectors: list, fractions: np.ndarray, wanted: set | frozenset) -> dict:
    memory: dict[str, tuple[list, np.ndarray]] = {}
    index: dict[str, list[int]] = {}
    for i, key in enumerate(keys):
        if key in wanted:
            index.setdefault(key, []).append(i)
    for key, rows in index.items():
        memory[key] = ([v[rows] for v in vectors], fractions[rows])
    return memory


def _scaled_ridge(X: np.ndarray, y: np.ndarray):
    from sklearn.pipeline import make_pipeline

    return make_pipeline(StandardScaler(), Ridge(alpha=10.0)).fit(X, y)


def _average(models: list, X: np.ndarray) -> np.ndarray:
    return np.mean([m.predict(X) for m in models], axis=0)


# ------------------------------------------------------------------ the calibration


@dataclass
class Calibration:
    """Per-question models where there are enough graded answers, a shared model for the rest."""

    questions: dict[str, dict] = field(default_factory=dict)  # key → {n, model, max_score, step}
    models: dict[str, QuestionModel] = field(default_factory=dict)
    shared: SharedModel | None = None
    n: int = 0
    min_answers: int = MIN_ANSWERS

    def header(self) -> dict:
        return {"format": FORMAT, "version": VERSION, "n": self.n, "min_answers": self.min_answers,
                "questions": self.questions}

    # -------------------------------------------------------------- predicting

    def fine_tuned(self) -> bool:
        """Whether any question's model averages in a fine-tuned encoder (which needs torch to predict)."""
        return any(getattr(model, "tuned_", None) is not None for model in self.models.values())

    def without_fine_tune(self) -> "Calibration":
        """This calibration with each question's n-gram learners alone: what it rates without ``--fine-tune``
        (their fit, cutpoints included, never depends on the fine-tune)."""
        models = {}
        for key, model in self.models.items():
            models[key] = copy.copy(model)
            models[key].tuned_ = None
        return replace(self, models=models)

    def covers(self, item_or_id: Item | str) -> bool:
        key = item_or_id.id if isinstance(item_or_id, Item) else safe_question_id(str(item_or_id))
        return key in self.questions

    def predict_rows(self, rows: Rows) -> np.ndarray:
        """Shares of each question's maximum (nan for questions the calibration does not know)."""
        out = np.full(len(rows), np.nan)
        by_key: dict[str, list[int]] = {}
        for i, key in enumerate(rows.keys):
            by_key.setdefault(key, []).append(i)
        shared_index = []
        for key, index in by_key.items():
            info = self.questions.get(key)
            if info is None:
                continue
            if key in self.models:
                part = rows.take(index)
                out[index] = self.models[key].predict(part.texts, part.generic, part.specific) / info["max_score"]
            elif self.shared is not None:
                shared_index += index
        if shared_index:
            out[shared_index] = self.shared.predict(rows.take(shared_index))
        out[rows.rule_zero] = np.where(np.isnan(out[rows.rule_zero]), np.nan, 0.0)
        return out

    def marks_for(self, items: Sequence[Item], answers: Sequence[str],
                  feedbacks: Sequence[Feedback]) -> list[float | None]:
        """Calibrated marks (out of each feedback's maximum, half marks, under its caps) for many answers at once.

        None where the calibration leaves the scorer's marks alone: an unknown
        question, or 0 marks given by rule (empty, too long to score, the question copied).
        """
        return [None if marks is None else feedback.capped(marks).marks
                for marks, feedback in zip(self._uncapped_marks(items, answers, feedbacks), feedbacks)]

    def _uncapped_marks(self, items: Sequence[Item], answers: Sequence[str],
                        feedbacks: Sequence[Feedback]) -> list[float | None]:
        """``marks_for`` before the scorer's caps."""
        keep = [item.id in self.questions and not (feedback.flag_codes() & RULE_FLAGS)
                for item, feedback in zip(items, feedbacks)]
        index = [i for i, k in enumerate(keep) if k]
        out: list[float | None] = [None] * len(keep)
        if not index:
            return out
        features = [feedback_features(feedbacks[i], answers[i]) for i in index]
        rows = Rows([items[i].id for i in index], [feedbacks[i].marked_text(str(answers[i])) for i in index],
                    [items[i].question.model_answer for i in index],
                    np.array([f[0] for f in features]).reshape(len(index), len(GENERIC_FEATURES)),
                    [f[1] for f in features],
                    np.array([feedbacks[i].marks / feedbacks[i].max_marks if feedbacks[i].max_marks else 0.0
                              for i in index]),
                    np.zeros(len(index), bool))
        for i, share in zip(index, self.predict_rows(rows)):
            if not math.isnan(share):
                maximum = float(feedbacks[i].max_marks)
                out[i] = min(maximum, max(0.0, round_half(float(share) * maximum)))
        return out

    def predict(self, item: Item, answer: str, feedback: Feedback) -> float:
        """Calibrated marks out of ``feedback.max_marks`` (half marks); the scorer's marks for an unknown question."""
        marks = self.marks_for([item], [answer], [feedback])[0]
        return feedback.marks if marks is None else marks

    def apply(self, feedback: Feedback, item: Item, answer: str) -> Feedback:
        """``feedback`` with calibrated marks, ``calibrated=True`` and the scorer's own marks kept in
        ``scorer_marks``; unchanged for an unknown question. The scorer's caps (off topic, too short) hold the
        calibrated marks too, and the short answer's flag is said when its cap lowers them."""
        marks = self._uncapped_marks([item], [answer], [feedback])[0]
        if marks is None:
            return feedback
        return feedback.capped(marks).model_copy(update={"calibrated": True, "scorer_marks": feedback.marks})

    # -------------------------------------------------------------- files

    def save(self, path: str | Path) -> None:
        payload = zlib.compress(pickle.dumps(self, protocol=pickle.HIGHEST_PROTOCOL), 6)
        data = json.dumps(self.header(), sort_keys=True).encode("utf-8") + b"\n" + payload
        path = Path(path)
        tmp = path.with_name(f".{path.name}.tmp")
        try:
            tmp.write_bytes(data)
            tmp.replace(path)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise CalibrationError(f"cannot write {path}: {exc.strerror or exc}")


def load_calibration(path: str | Path) -> Calibration:
    """Read a calibration file; ``CalibrationError`` (one line) when it is missing, not one, or damaged."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise CalibrationError(f"no such calibration file: {path}")
    except OSError as exc:
        raise CalibrationError(f"cannot read {path}: {exc.strerror or exc}")
    head, _, payload = data.partition(b"\n")
    try:
        header = json.loads(head.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        header = None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise CalibrationError(f"{path.name}: not a calibration file (make one with 'python -m scoring calibrate')")
    if header.get("version") != VERSION:
        raise CalibrationError(f"{path.name}: calibration format version {header.get('version')!r}, "
                               f"this scorer reads version {VERSION}; calibrate again")
    try:
        calibration = pickle.loads(zlib.decompress(payload))
    except Exception as exc:  # any damage to the payload: one line, never a traceback
        raise CalibrationError(f"{path.name}: damaged calibration file ({type(exc).__name__})")
    if not isinstance(calibration, Calibration):
        raise CalibrationError(f"{path.name}: damaged calibration file (unexpected content)")
    if calibration.fine_tuned():
        try:
            model_dir()
        except FineTuneUnavailable as exc:
            raise CalibrationError(f"{path.name} was calibrated with --fine-tune: {exc}") from None
    return calibration


# ------------------------------------------------------------------ fitting


def _fit_question(key: str, rows: Rows, scores: np.ndarray, max_score: float, step: float,
                  fine_tune: FineTune | None = None) -> tuple[str, QuestionModel]:
    model = QuestionModel(max_score=max_score, step=step, fine_tune=fine_tune)
    return key, model.fit(rows.texts, rows.generic, rows.specific, scores)


def _share_fine_tune(fine_tune: FineTune, tasks: list[tuple], models: dict[str, QuestionModel]) -> None:
    """One fine-tune on every question model's answers (``FineTune.shared``), each question rated by its own
    head, averaged into its model as a question's own fine-tune is."""
    texts: list[str] = []
    ratings: list[int] = []
    levels: list[int] = []
    questions: list[str] = []
    for key, rows, scores, *_ in tasks:
        texts += rows.texts
        ratings += models[key].ratings(scores).tolist()
        levels += [models[key].levels] * len(rows)
        questions += [key] * len(rows)
    encoder = SharedTunedEncoder(fine_tune).fit(texts, ratings, levels, questions)
    for key, model in models.items():
        model.tuned_ = encoder.head(key, model.levels)


def fit_rows(rows: Rows, scores: Sequence[float], max_scores: Sequence[float], *,
             min_answers: int = MIN_ANSWERS, jobs: int = 1, fine_tune: FineTune | None = None,
             question_progress: Callable[[Iterable], Iterable] | None = None) -> Calibration:
    """Fit a calibration from precomputed features and the human scores (``question_progress`` wraps the
    questions fitted one after another, for a progress bar; with a shared fine-tune, that one fit instead)."""
    scores, max_scores = np.asarray(scores, float), np.asarray(max_scores, float)
    if len(rows) == 0:
        raise DataError("no graded answers to calibrate from")
    by_key: dict[str, list[int]] = {}
    for i, key in enumerate(rows.keys):
        by_key.setdefault(key, []).append(i)
    big = {key for key, index in by_key.items() if len(index) >= min_answers}
    shared_tune = fine_tune is not None and fine_tune.shares([len(by_key[key]) for key in big])
    own_tune = None if shared_tune else fine_tune  # each question model's own fine-tune
    questions, tasks, small = {}, [], set()
    for key, index in by_key.items():
        max_score = float(max_scores[index].max())
        step = human_step(scores[index])
        questions[key] = {"n": len(index), "model": "question" if key in big else "shared", "max_score": max_score,
                          "step": step, "fine_tuned": key in big and fine_tune is not None,
                          "shared_fine_tune": key in big and shared_tune}
        if key in big:
            tasks.append((key, rows.take(index), scores[index], max_score, step, own_tune))
        else:
            small.add(key)
    if jobs > 1 and len(tasks) > 1 and own_tune is None:  # a fine-tune already keeps every core busy
        from joblib import Parallel, delayed

        fitted = dict(Parallel(n_jobs=jobs)(delayed(_fit_question)(*task) for task in tasks))
    else:
        each = question_progress(tasks) if question_progress and not shared_tune else tasks
        fitted = dict(_fit_question(*task) for task in each)
    if shared_tune:  # one fine-tune for all, after the question models
        for shared_tasks in (question_progress([tasks]) if question_progress else [tasks]):
            _share_fine_tune(fine_tune, shared_tasks, fitted)
    shared = None
    if small:
        shared = SharedModel(memory_keys=frozenset(small)).fit(rows, scores / max_scores)
    return Calibration(questions=questions, models=fitted, shared=shared, n=len(rows), min_answers=min_answers)


def fit_calibration(frame: pd.DataFrame, bank: Bank | None = None, rubrics: dict | None = None, *,
                    min_answers: int = MIN_ANSWERS, jobs: int = 1, progress=None,
                    fine_tune: FineTune | None = None, question_progress=None) -> Calibration:
    """Fit a calibration from a graded frame (the benchmark format: question_id, answer, score, max_score, …)."""
    frame = check_graded(frame)
    rows = score_rows(frame, bank, rubrics, progress)
    return fit_rows(rows, frame["score"], frame["max_score"], min_answers=min_answers, jobs=jobs, fine_tune=fine_tune,
                    question_progress=question_progress)


def _fold(rows: Rows, scores: np.ndarray, max_scores: np.ndarray, train, test, min_answers: int,
          fine_tune: FineTune | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """One fold's held-out answers and their predictions; with ``fine_tune``, also the n-gram learners' alone."""
    calibration = fit_rows(rows.take(train), scores[train], max_scores[train], min_answers=min_answers,
                           fine_tune=fine_tune)
    held_out = rows.take(test)
    alone = calibration.without_fine_tune().predict_rows(held_out) if fine_tune is not None else None
    return test, calibration.predict_rows(held_out), alone


def fold_splits(keys: Sequence[str], k: int, seed: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    """The (train, test) indices of K folds stratified by question: each question's answers are spread over
    all K folds (questions with fewer than K answers are pooled as one stratum).

    >>> [len(test) for _, test in fold_splits(["a"] * 6 + ["b"] * 4, k=2)]
    [5, 5]
    """
    labels = np.array(keys)
    counts = pd.Series(labels).value_counts()
    strata = np.where(pd.Series(labels).map(counts).to_numpy() >= k, labels, "~rare")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return list(StratifiedKFold(k, shuffle=True, random_state=seed).split(np.zeros(len(labels)), strata))


def cross_validate(frame: pd.DataFrame, bank: Bank | None = None, rubrics: dict | None = None, *, k: int = 5,
                   seed: int = 0, min_answers: int = MIN_ANSWERS, jobs: int = 2, rows: Rows | None = None,
                   progress=None, fine_tune: FineTune | None = None) -> Evaluation:
    """K-fold cross-validated agreement: fit on K-1 folds, predict the held-out fold.

    Folds are stratified by question, so each question's answers are spread over
    all K folds.  The scorer's features are computed once; everything learned
    (vocabularies, models, cutpoints) is fitted inside each training fold.
    """
    return _cross_validated(frame, bank, rubrics, k=k, seed=seed, min_answers=min_answers, jobs=jobs, rows=rows,
                            progress=progress, fine_tune=fine_tune)[0]


def cross_validate_fine_tune(frame: pd.DataFrame, bank: Bank | None = None, rubrics: dict | None = None, *,
                             fine_tune: FineTune | None, k: int = 5, seed: int = 0, min_answers: int = MIN_ANSWERS,
                             jobs: int = 2, rows: Rows | None = None,
                             progress=None) -> tuple[Evaluation, Evaluation | None]:
    """``cross_validate`` with ``fine_tune``, and without it from the same fits: the n-gram learners alone, as
    ``cross_validate`` without ``fine_tune`` gives them, at no extra cost. With ``fine_tune`` None:
    ``cross_validate``'s result, and None."""
    return _cross_validated(frame, bank, rubrics, k=k, seed=seed, min_answers=min_answers, jobs=jobs, rows=rows,
                            progress=progress, fine_tune=fine_tune)


def _cross_validated(frame: pd.DataFrame, bank: Bank | None, rubrics: dict | None, *, k: int, seed: int,
                     min_answers: int, jobs: int, rows: Rows | None, progress,
                     fine_tune: FineTune | None) -> tuple[Evaluation, Evaluation | None]:
    """The cross-validated agreement, and with ``fine_tune`` the n-gram learners' alone (else None).

    Folds run in ``jobs`` worker processes. A fine-tune in a worker runs on its share of the cores: two
    side by side on one thread each finish sooner than one after the other on two."""
    frame = check_graded(frame)
    if k < 2:
        raise DataError("--cv needs K of at least 2")
    if len(frame) < k:
        raise DataError(f"--cv {k} needs at least {k} graded answers (got {len(frame)})")
    rows = rows if rows is not None else score_rows(frame, bank, rubrics)
    scores, max_scores = frame["score"].to_numpy(float), frame["max_score"].to_numpy(float)
    splits = fold_splits(rows.keys, k, seed)
    workers = min(jobs, k)
    if fine_tune is not None and workers > 1 and fine_tune.threads is None:
        fine_tune = replace(fine_tune, threads=max(1, cores() // workers))
    tasks = [(rows, scores, max_scores, train, test, min_answers, fine_tune) for train, test in splits]
    if workers > 1:
        from joblib import Parallel, delayed

        results = Parallel(n_jobs=workers, return_as="generator")(delayed(_fold)(*task) for task in tasks)
    else:
        results = (_fold(*task) for task in tasks)
    results = list(progress(results) if progress else results)  # the bar moves as folds finish
    shares = np.full(len(frame), np.nan)
    alone = np.full(len(frame), np.nan) if fine_tune is not None else None
    for test, predicted, predicted_alone in results:
        shares[test] = predicted
        if alone is not None:
            alone[test] = predicted_alone

    def evaluation(held_out: np.ndarray) -> Evaluation:
        return summarise(frame, [None if math.isnan(s) else s * m for s, m in zip(held_out, max_scores)])

    return evaluation(shares), evaluation(alone) if alone is not None else None


def calibrated_predictions(frame: pd.DataFrame, calibration: Calibration, rows: Rows) -> list[float | None]:
    """Each row's calibrated score on its human scale; the scorer's own (in proportion) where the question is unknown."""
    shares = calibration.predict_rows(rows)
    out: list[float | None] = []
    for share, fallback, max_score in zip(shares, rows.unsupervised, frame["max_score"].to_numpy(float)):
        value = share if not math.isnan(share) else fallback
        out.append(None if math.isnan(value) else float(value) * max_score)
    return out


# ------------------------------------------------------------------ reports


def evaluate_calibration(frame: pd.DataFrame, calibration: Calibration, bank: Bank | None = None,
                         rubrics: dict | None = None, rows: Rows | None = None) -> tuple[Evaluation, Evaluation]:
    """Agreement before (the scorer alone) and after calibration, on the same rows."""
    frame = check_graded(frame)
    rows = rows if rows is not None else score_rows(frame, bank, rubrics)
    max_scores = frame["max_score"].to_numpy(float)
    before = summarise(frame, [None if math.isnan(u) else u * m for u, m in zip(rows.unsupervised, max_scores)])
    after = summarise(frame, calibrated_predictions(frame, calibration, rows))
    return before, after


_MEASURES = ("pearson", "spearman", "qwk", "rmse")


def _summarise_or_none(frame: pd.DataFrame, raw: list[float | None]) -> Evaluation | None:
    return summarise(frame, raw) if any(v is not None for v in raw) else None


def agreement_report(frame: pd.DataFrame, bank: Bank | None = None, calibration: Calibration | None = None, *,
                     rubrics: dict | None = None, rows: Rows | None = None) -> pd.DataFrame:
    """Agreement with a mentor's grades, one row per question and an ``overall`` row.

    ``frame`` is a graded table (question_id, answer, score, max_score; question and
    reference_answer optional).  Columns: ``n``, ``pearson``, ``spearman``, ``qwk``,
    ``rmse`` for the scorer alone; with a ``calibration``, also ``pearson_calibrated``,
    ``spearman_calibrated``, ``qwk_calibrated`` and ``rmse_calibrated``.  The index is
    the question id (``overall`` last).  Pure: no files, no printing.  Raises
    ``DataError`` (one-line message) for an unusable table.  ``rows`` (from
    ``score_rows`` on the same frame) skips scoring the answers again.
    """
    frame = check_graded(frame)
    rows = rows if rows is not None else score_rows(frame, bank, rubrics)
    max_scores = frame["max_score"].to_numpy(float)
    evaluations = {"": _summarise_or_none(frame, [None if math.isnan(u) else u * m
                                                  for u, m in zip(rows.unsupervised, max_scores)])}
    if calibration is not None:
        evaluations["_calibrated"] = _summarise_or_none(frame, calibrated_predictions(frame, calibration, rows))
    names = list(dict.fromkeys(q for e in evaluations.values() if e is not None for q in e.per_question))
    records = []
    for name in [*names, "overall"]:
        record = {"question_id": name}
        for suffix, evaluation in evaluations.items():
            if evaluation is None:
                continue
            agreement = evaluation.overall if name == "overall" else evaluation.per_question.get(name)
            if agreement is None:
                continue
            record["n"] = max(record.get("n", 0), agreement.n)
            for measure in _MEASURES:
                record[measure + suffix] = getattr(agreement, measure)
        records.append(record)
    columns = ["n", *_MEASURES] + ([m + "_calibrated" for m in _MEASURES] if calibration is not None else [])
    return pd.DataFrame.from_records(records, index="question_id").reindex(columns=columns)


def evaluation_table(evaluation: Evaluation) -> pd.DataFrame:
    """An ``Evaluation`` (e.g. from ``cross_validate``) as a table shaped like ``agreement_report``'s first columns.

    Columns ``n``, ``pearson``, ``spearman``, ``qwk``, ``rmse``; one row per question and ``overall`` last.
    """
    named = [*evaluation.per_question.items(), ("overall", evaluation.overall)]
    records = [{"question_id": name, "n": agreement.n, **{m: getattr(agreement, m) for m in _MEASURES}}
               for name, agreement in named]
    return pd.DataFrame.from_records(records, index="question_id").reindex(columns=["n", *_MEASURES])


#: the measures on which a higher figure is better agreement (RMSE, a distance, is better lower)
HIGHER_IS_BETTER = {"pearson": True, "spearman": True, "qwk": True, "rmse": False}


@dataclass(frozen=True)
class MeasureChange:
    """One question's figure on one measure, before and after calibration (nan: not measurable), and the verdict:
    "worse", "better", or "same" when it moved less than the margin ``agreement_changes`` was given."""

    measure: str
    before: float
    after: float
    verdict: str


def agreement_changes(before: pd.DataFrame, after: pd.DataFrame, *, margin: float = 0.05,
                      rmse_share: float = 0.1) -> dict[str, list[MeasureChange]]:
    """Each question's (and ``overall``'s) measures before and after calibration, each with its verdict.

    ``before`` and ``after`` are shaped like ``agreement_report`` and ``evaluation_table`` (measures
    ``pearson``, ``spearman``, ``qwk``, ``rmse``; the question id as index); a question in only one is
    left out.  A correlation or QWK is worse or better when it moved by at least ``margin`` (they run up
    to 1), RMSE when it moved by at least ``rmse_share`` of its figure before (it is in the question's
    marks, whatever they are); less is within the noise of a few dozen answers and counts as "same".  A
    figure that calibration leaves not measurable (the calibrated marks of the question are all the
    same) is worse.

    >>> before = pd.DataFrame({"pearson": [0.703], "spearman": [0.6], "qwk": [0.41], "rmse": [2.4]}, index=["q"])
    >>> after = pd.DataFrame({"pearson": [0.5], "spearman": [0.61], "qwk": [0.6], "rmse": [1.9]}, index=["q"])
    >>> [(c.measure, c.verdict) for c in agreement_changes(before, after)["q"]]
    [('pearson', 'worse'), ('spearman', 'same'), ('qwk', 'better'), ('rmse', 'better')]
    """
    changes: dict[str, list[MeasureChange]] = {}
    for question in [q for q in before.index if q in after.index]:
        found = []
        for measure in _MEASURES:
            old, new = float(before.loc[question, measure]), float(after.loc[question, measure])
            if math.isnan(old) or math.isnan(new):
                verdict = "worse" if math.isnan(new) and not math.isnan(old) else "same"
            else:
                gain = (new - old) if HIGHER_IS_BETTER[measure] else (old - new)
                needed = margin if measure != "rmse" else rmse_share * old
                verdict = "same"
                if abs(gain) >= needed and gain != 0:
                    verdict = "better" if gain > 0 else "worse"
            found.append(MeasureChange(measure, old, new, verdict))
        changes[str(question)] = found
    return changes


#: Seconds the Calibration page's work takes, measured on the project's 2-core machine with
#: OpenMP held to one thread (as the page holds it), load average 2 to 3: marking the answers
#: with the scorer, a question's own model fitted on n of its answers, and the shared model
#: fitted on m answers.  Measured: own 3.1 to 3.7 s (50 answers of ASAP sets 3 and 8), 5.1 to
#: 5.3 s (100), 8.0 to 9.4 s (200), 14.1 to 20.2 s (400), since boosting keeps only the bins its
#: columns need (``bins_needed``; before, 4.8 to 5.2, 8.8 to 9.4, 15.1 to 15.9 and 25.5 to 28.3 s);
#: shared 0.4 s (24), 1.3 to 1.5 s (80 to 100), 2.4 to 3.4 s (160 to 200), 4.4 to 4.9 s (320 to 400).
_SCORING_SECONDS = (0.2, 0.003)
_OWN_MODEL_SECONDS = (1.2, 0.04)
_SHARED_MODEL_SECONDS = (0.3, 0.013)
#: a fine-tune (``--fine-tune``) shared by questions (two layers trained): the ASAP cross-validation's median
#: per-question fine-tune of two layers, 153 s for 1,312 answers of about 50 words on 2 cores, is 0.117 s an answer
#: (a shared one measured about as long per answer, or less); the encoder's loading is the fixed part. A question's
#: own fine-tune trains three layers, which took a third longer (320 s against 240 s, median, one core each)
_SHARED_FINE_TUNE_SECONDS = (2.0, 0.12)
_FINE_TUNE_SECONDS = (2.0, 0.16)


def estimated_fit_steps(answers: dict[str, int], *, min_answers: int = MIN_ANSWERS, folds: int = 5,
                        fine_tune: bool = False) -> list[float]:
    """Roughly how many seconds each step of the Calibration page's work takes, one after another on one
    core: marking the graded answers (``answers``: each question's number of them) with the scorer, fitting
    on all of them, then each of ``folds`` cross-validation folds.  With ``fine_tune`` every question with
    its own model is fine-tuned too, in every step (a fine-tune they share costs about the same per answer:
    one shared fit on ASAP's 10 x 1,360 answers took 1,907-2,283 s on one thread, ten own fits 10 x 205 s).

    Each fold trains on about (folds - 1)/folds of a question's answers, and gives the question its own
    model only if that is still ``min_answers`` or more, as ``fit_rows`` does.  A machine busy with other
    work is slower: these are figures to plan by, not a promise.

    >>> [round(s, 1) for s in estimated_fit_steps({"a": 50, "b": 50})]  # own models; shared in the folds
    [0.5, 6.4, 1.3, 1.3, 1.3, 1.3, 1.3]
    >>> [round(s, 1) for s in estimated_fit_steps({"a": 50, "b": 50}, fine_tune=True)]  # no fine-tune when shared
    [0.5, 22.4, 1.3, 1.3, 1.3, 1.3, 1.3]
    """
    def cost(line: tuple[float, float], n: float) -> float:
        return line[0] + line[1] * n

    steps = [cost(_SCORING_SECONDS, sum(answers.values()))]
    for share in [1.0] + [(folds - 1) / folds] * folds:
        trained = {q: n * share for q, n in answers.items()}
        shared = sum(n for n in trained.values() if n < min_answers)
        own = [n for n in trained.values() if n >= min_answers]
        tune = _SHARED_FINE_TUNE_SECONDS if FineTune().shares(own) else _FINE_TUNE_SECONDS
        steps.append(sum(cost(_OWN_MODEL_SECONDS, n) for n in own)
                     + sum(cost(tune, n) for n in own if fine_tune)
                     + (cost(_SHARED_MODEL_SECONDS, shared) if shared else 0.0))
    return steps


def estimated_fit_seconds(answers: dict[str, int], *, min_answers: int = MIN_ANSWERS, folds: int = 5,
                          fine_tune: bool = False) -> float:
    """The sum of ``estimated_fit_steps``.

    >>> round(estimated_fit_seconds({"a": 50, "b": 50}))  # measured 10.5 s (14.9 s before bins_needed)
    14
    >>> round(estimated_fit_seconds({"a": 100}))  # measured 26.3 s (ASAP set 3; 53.8 s before bins_needed)
    28
    >>> round(estimated_fit_seconds({q: 10 for q in "abcdefghij"}))  # measured 9.0 s
    9
    """
    return sum(estimated_fit_steps(answers, min_answers=min_answers, folds=folds, fine_tune=fine_tune))
