# Experiment, not part of the app (issue 4's lever log, benchmarks/README.md).
# Paths: $MAINS_BENCHMARKS_DIR (default ../shared/benchmarks beside the repository) and, with
# EMB_W, the embedding cache of embcache.py ($EMB_CACHE, default /tmp/mains-emb-cache.pkl).
"""ASAP 10-set 5-fold CV of scoring/calibrate.py as it is now (ridge + ordinal logit +
boosting on 1,000 n-grams), with one lever switched on from outside:

EMB_W=w      the answer's MiniLM embedding (384 columns, times w) joins the feature matrix
             before the scorer's features; boosting sees it as dense columns too
RIDGE_CV=1   ridge's alpha chosen per question by generalised cross-validation
             (RidgeCV, alphas 0.3 1 3 10) instead of 1
HGB_ITER, HGB_LR, HGB_LEAVES, HGB_LEAF   the boosting's trees, rate, leaves, minimum leaf
             (the module's: 200, 0.05, 15, 10)
WEIGHTS=a,b,c weights of ridge, ordinal logit and boosting in the average (default equal)
LOGIT_C=c    the ordinal logit's C (the module's: 10)
LGB_TOP=n    boosting by LightGBM on sparse present/absent n-grams instead of scikit-learn's
             histogram boosting on a dense block: the n most telling n-grams (0: all of them);
             LGB_ITER, LGB_LR, LGB_LEAVES, LGB_COLS set its trees, rate, leaves, column share
             (default 200, 0.05, 15, 1.0); LGB_STACK=1 gives it ridge's out-of-fold rating as one
             more column (stacking); LGB_BAG=k averages k models, each tree on 80% of the answers;
             LGB_CLASS=1 boosts a classifier over the ratings and takes its expected rating
NBLR=C       a fourth learner: NB-weighted ordinal logit (NBSVM, Wang & Manning 2012): for each
             step, present/absent n-grams scaled by their log-count ratio between the answers
             that reach the step and those that do not, plus the dense block, logistic
             regression with this C; expected rating as for the ordinal logit.  NB_WORDS=1
             takes the word n-grams only (not the character ones) and liblinear's solver
RARITY_W=w   the word n-gram columns (TF-IDF, word 1-2) are scaled by 1 + w * rarity in English at
             large (scoring.suggest.english_rarity; a bigram by its words' mean), as row 24 of the
             unsupervised log weights a generated rubric's evidence: for ridge and the logit a rare
             word's weight is penalised less, and boosting's n-gram choice is unchanged
CORR_W=p     supervised term weighting for ridge and the ordinal logit: each n-gram column (word and
             character) is scaled by (|c| + CORR_EPS)^p, normalised to mean 1 over the n-gram columns,
             where c is how strongly the n-gram's presence tracks the rating in the training answers
             (SelectedBoosting's correlation, so learned inside every fold and inner fold); a telling
             n-gram's weight is penalised less.  Boosting is unchanged (it sees presence)
SKIP=w       word-pair (skip-gram) columns beside the n-grams: every unordered pair of content words
             (English stop words dropped) at most w words apart in the answer, TF-IDF (min_df 2);
             ridge and the logit see them, and boosting may choose them among its 1,000
ALT=a        a fourth learner for diversity: ridge (alpha a) on another view of the answer, binary
             (present/absent, l2-normalised) stemmed content words and their pairs (the scorer's
             analyser) and character 3-6 grams across word boundaries, plus the scorer's features;
             the three learners keep their own matrix
BIG=1        the levers above together as one ensemble, for variance: the module's ridge, ordinal logit
             and boosting, plus ridge and the logit on CORR_W=1's weighted columns and ALT=3's ridge;
             the five linear learners averaged count 2/3 and boosting 1/3, as in the module
Folds run in forked processes (forkpool.py) so the patches apply there too.
Usage: TAG=x RIDGE_CV=1 python module_cv.py
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import forkpool
import numpy as np
import pandas as pd
from scipy.sparse import csr_matrix, diags, hstack
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.linear_model import RidgeCV

import scoring.calibrate as cal
from scoring.evaluate import read_graded

forkpool.install()
B = os.environ.get("MAINS_BENCHMARKS_DIR", os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                         "..", "..", "..", "shared", "benchmarks")) + "/"
EMB_W = float(os.environ.get("EMB_W", "0"))
RIDGE_CV = os.environ.get("RIDGE_CV", "0") == "1"
HGB = {"max_iter": int(os.environ.get("HGB_ITER", "200")),
       "learning_rate": float(os.environ.get("HGB_LR", "0.05")),
       "max_leaf_nodes": int(os.environ.get("HGB_LEAVES", "15"))}
HGB_LEAF = os.environ.get("HGB_LEAF")
WEIGHTS = [float(w) for w in os.environ.get("WEIGHTS", "").split(",") if w]

asap = read_graded(B + "asap_sas_train.csv.gz")

# ---- boosting settings
def boosted_trees(min_samples_leaf, max_bins=cal.MAX_BINS):
    leaf = int(HGB_LEAF) if HGB_LEAF else min_samples_leaf
    return HistGradientBoostingRegressor(**HGB, min_samples_leaf=leaf, l2_regularization=1.0,
                                         early_stopping=False, random_state=0, max_bins=max_bins)


cal.boosted_trees = boosted_trees

# ---- LightGBM on sparse n-grams
LGB_TOP = os.environ.get("LGB_TOP")
if LGB_TOP is not None:
    import lightgbm

    def _lgb_columns(self, X, y):
        if int(LGB_TOP) == 0:
            return np.arange(X.shape[1] - self.dense)
        correlation = cal.presence_tracking(X[:, :X.shape[1] - self.dense], y)
        return np.argsort(-correlation, kind="stable")[:int(LGB_TOP)]

    LGB_STACK = os.environ.get("LGB_STACK", "0") == "1"
    LGB_BAG = int(os.environ.get("LGB_BAG", "0"))

    def _stack_column(self, X, y=None):
        """LGB_STACK=1: ridge's rating as one more column, out-of-fold (3 folds) on the training answers."""
        if y is None:
            return csr_matrix(self.ridge_.predict(X).reshape(-1, 1).astype(np.float32))
        from sklearn.linear_model import Ridge
        from sklearn.model_selection import KFold
        oof = np.zeros(len(y))
        for a, b in KFold(3, shuffle=True, random_state=2).split(X):
            oof[b] = Ridge(alpha=1.0).fit(X[a], y[a]).predict(X[b])
        self.ridge_ = Ridge(alpha=1.0).fit(X, y)
        return csr_matrix(oof.reshape(-1, 1).astype(np.float32))

    def _lgb_design(self, X, y=None):
        present = (X[:, self.columns_] > 0).astype(np.float32)
        blocks = [present, X[:, X.shape[1] - self.dense:].astype(np.float32)]
        if LGB_STACK:
            blocks.append(_stack_column(self, X, y))
        return hstack(blocks).tocsr()

    LGB_CLASS = os.environ.get("LGB_CLASS", "0") == "1"

    def _lgb_predict(self, X):
        design = _lgb_design(self, X)
        if LGB_CLASS:
            return np.mean([m.predict_proba(design) @ m.classes_ for m in self.models_], axis=0)
        return np.mean([m.predict(design) for m in self.models_], axis=0)

    def _lgb_fit(self, X, y):
        self.columns_ = _lgb_columns(self, X, y)
        design = _lgb_design(self, X, y)
        bag = {"subsample": 0.8, "subsample_freq": 1} if LGB_BAG else {"subsample_freq": 0}
        learner = lightgbm.LGBMClassifier if LGB_CLASS else lightgbm.LGBMRegressor
        self.models_ = [learner(
            n_estimators=int(os.environ.get("LGB_ITER", "200")), learning_rate=float(os.environ.get("LGB_LR", "0.05")),
            num_leaves=int(os.environ.get("LGB_LEAVES", "15")), min_child_samples=10, reg_lambda=1.0,
            colsample_bytree=float(os.environ.get("LGB_COLS", "1.0")), **bag,
            n_jobs=1, verbose=-1, random_state=seed).fit(design, y) for seed in range(max(LGB_BAG, 1))]
        return self

    cal.SelectedBoosting.fit = _lgb_fit
    cal.SelectedBoosting.predict = _lgb_predict

# ---- the ordinal logit's inverse regularisation (the module's: 10)
if os.environ.get("LOGIT_C"):
    _orig_learners = cal.QuestionModel._learners

    def _learners_with_c(self, X, y):
        self.logit_c = float(os.environ["LOGIT_C"])
        return _orig_learners(self, X, y)
    cal.QuestionModel._learners = _learners_with_c

# ---- NB-weighted ordinal logit as a fourth learner
if os.environ.get("NBLR"):
    from sklearn.linear_model import LogisticRegression

    class NBOrdinal:
        def __init__(self, dense, C, words=None):
            self.dense, self.C, self.words = dense, C, words

        def _present(self, X):
            end = self.words if self.words is not None else X.shape[1] - self.dense
            return (X[:, :end] > 0).astype(np.float64).tocsr()

        def fit(self, X, y):
            present, dense = self._present(X), X[:, X.shape[1] - self.dense:]
            self.classes_ = np.unique(y)
            self.steps_ = []
            for rating in self.classes_[1:]:
                reached = y >= rating
                p = 1.0 + np.asarray(present[reached].sum(axis=0)).ravel()
                q = 1.0 + np.asarray(present[~reached].sum(axis=0)).ravel()
                ratio = np.log((p / p.sum()) / (q / q.sum()))
                design = hstack([present.multiply(ratio).tocsr(), dense]).tocsr()
                solver = {"solver": "liblinear"} if self.words is not None else {"max_iter": 300, "tol": 1e-3}
                model = LogisticRegression(C=self.C, **solver).fit(design, reached.astype(int))
                self.steps_.append((ratio, model))
            return self

        def predict(self, X):
            present, dense = self._present(X), X[:, X.shape[1] - self.dense:]
            out = np.full(X.shape[0], float(self.classes_[0]))
            for low, high, (ratio, model) in zip(self.classes_[:-1], self.classes_[1:], self.steps_):
                design = hstack([present.multiply(ratio).tocsr(), dense]).tocsr()
                out += (high - low) * model.predict_proba(design)[:, 1]
            return out

    _orig_learners_nb = cal.QuestionModel._learners

    def _learners_with_nb(self, X, y):
        learners = _orig_learners_nb(self, X, y)
        if len(np.unique(y)) >= 2:
            import warnings
            from sklearn.exceptions import ConvergenceWarning
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                words = len(self.vectorizers_[0].vocabulary_) if os.environ.get("NB_WORDS") == "1" else None
                learners.append(NBOrdinal(self.scaler_.n_features_in_, float(os.environ["NBLR"]), words).fit(X, y))
        return learners
    cal.QuestionModel._learners = _learners_with_nb

# ---- ridge alpha by generalised cross-validation
if RIDGE_CV:
    cal.Ridge = lambda alpha: RidgeCV(alphas=(0.3, 1.0, 3.0, 10.0))

# ---- learner weights
if WEIGHTS:
    def _continuous(learners, X):
        w = np.array(WEIGHTS[:len(learners)])
        return np.column_stack([cal.expected_rating(lr, X) for lr in learners]) @ (w / w.sum())
    cal.QuestionModel._continuous = staticmethod(_continuous)

# ---- MiniLM embedding as features
if EMB_W:
    import embcache

    raw = pd.read_csv(B + "asap_sas_train.csv.gz")["answer"].fillna("").astype(str).tolist()
    embcache.ensure(raw)
    LOOK = {t: embcache.CACHE[t] for t in raw}
    RAW_OF: dict[str, str] = {}
    orig_respelled = cal.QuestionModel._respelled

    def _respelled(self, texts):
        out = orig_respelled(self, texts)
        for before, after in zip(texts, out):
            RAW_OF.setdefault(after, before)
        return out

    def _matrix(self, texts, generic, specific):
        named = np.array([[row.get(n, 0.0) for n in self.names_] for row in specific]).reshape(len(texts), -1)
        dense = self.scaler_.transform(np.hstack([generic, named])) * self.dense_weight
        emb = np.array([LOOK.get(RAW_OF.get(t, t), np.zeros(384)) for t in texts]).reshape(len(texts), 384) * EMB_W
        blocks = [v.transform(texts) for v in self.vectorizers_] + [csr_matrix(emb), csr_matrix(dense)]
        return hstack(blocks).tocsr()

    orig_init = cal.SelectedBoosting.__init__

    def _boost_init(self, dense, top=1000):
        orig_init(self, dense + 384, top)

    cal.QuestionModel._respelled = _respelled
    cal.QuestionModel._matrix = _matrix
    cal.SelectedBoosting.__init__ = _boost_init

RARITY_W = float(os.environ.get("RARITY_W", "0"))
if RARITY_W:
    from scoring.suggest import english_rarity

    orig_matrix = cal.QuestionModel._matrix

    def _rarity_matrix(self, texts, generic, specific):
        X = orig_matrix(self, texts, generic, specific).tocsc()
        if not hasattr(self, "rarity_scale_"):
            words = self.vectorizers_[0].get_feature_names_out()
            scale = np.ones(X.shape[1])
            scale[:len(words)] = [1 + RARITY_W * np.mean([english_rarity(w) for w in term.split()]) for term in words]
            self.rarity_scale_ = scale
        return (X @ diags(self.rarity_scale_)).tocsr()

    cal.QuestionModel._matrix = _rarity_matrix

# ---- helpers shared by CORR_W, ALT and BIG
class Part:
    """A fitted learner on some columns of the matrix (all when ``columns`` is None), each column scaled."""

    def __init__(self, learner, columns=None, scale=None):
        self.learner, self.columns, self.scale = learner, columns, scale

    def predict(self, X):
        X = X if self.columns is None else X[:, self.columns]
        return cal.expected_rating(self.learner, (X @ diags(self.scale)).tocsr() if self.scale is not None else X)


def presence_weight(X, y, dense, eps=0.1, power=1.0):
    """(|r| + eps) ** power for each n-gram column, normalised to mean 1, then ones for the dense block; r is the
    Pearson correlation of the n-gram's presence with the rating."""
    r = cal.presence_tracking(X[:, :X.shape[1] - dense], y) / len(y) / (y.std() + 1e-9)
    weight = (np.abs(r) + eps) ** power
    return np.r_[weight / weight.mean(), np.ones(dense)]


def with_alt_view(matrix):
    """``QuestionModel._matrix`` with ALT's view appended: binary, unweighted stemmed content words and their pairs,
    and character 3-6 grams across words (vectorisers fitted on the first call, the training answers)."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    from scoring.scorer import analyse

    def _matrix(self, texts, generic, specific):
        X = matrix(self, texts, generic, specific)
        if not hasattr(self, "alt_"):
            views = [lambda **o: TfidfVectorizer(analyzer=analyse, binary=True, use_idf=False, **o),
                     lambda **o: TfidfVectorizer(analyzer="char", ngram_range=(3, 6), binary=True, use_idf=False,
                                                 max_features=80000, **o)]
            self.alt_ = [v for v in (cal._fit_vectorizer(make, texts) for make in views) if v is not None]
            self.main_width_ = X.shape[1]
        return hstack([X, *(v.transform(texts) for v in self.alt_)]).tocsr()
    return _matrix


def alt_columns(self, X):
    """The module's own columns, and ALT's view with the dense block."""
    dense = self.scaler_.n_features_in_
    main = np.arange(self.main_width_)
    return main, np.r_[np.arange(self.main_width_, X.shape[1]), np.arange(self.main_width_ - dense, self.main_width_)]


CORR_W = float(os.environ.get("CORR_W", "0"))
CORR_EPS = float(os.environ.get("CORR_EPS", "0.1"))
if CORR_W:
    orig_learners_corr = cal.QuestionModel._learners

    def _learners_weighted(self, X, y):
        weight = presence_weight(X, y, self.scaler_.n_features_in_, CORR_EPS, CORR_W)
        linear = orig_learners_corr(self, (X @ diags(weight)).tocsr(), y)
        boosting = [lr for lr in linear if isinstance(lr, cal.SelectedBoosting)]
        return [Part(lr, scale=weight) for lr in linear if not isinstance(lr, cal.SelectedBoosting)] + boosting

    cal.QuestionModel._learners = _learners_weighted

SKIP = int(os.environ.get("SKIP", "0"))
if SKIP:
    import re

    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    def word_pairs(text):
        words = [w for w in re.findall(r"[a-z0-9]+", text.lower()) if w not in ENGLISH_STOP_WORDS]
        return [" | ".join(sorted((a, b))) for i, a in enumerate(words) for b in words[i + 1:i + 1 + SKIP] if a != b]

    orig_matrix_skip = cal.QuestionModel._matrix

    def _skip_matrix(self, texts, generic, specific):
        X = orig_matrix_skip(self, texts, generic, specific)
        if not hasattr(self, "pairs_"):
            self.pairs_ = cal._fit_vectorizer(lambda **o: cal._tfidf(analyzer=word_pairs, **o), texts)
        if self.pairs_ is None:
            return X
        dense = self.scaler_.n_features_in_
        return hstack([X[:, :X.shape[1] - dense], self.pairs_.transform(texts), X[:, X.shape[1] - dense:]]).tocsr()

    cal.QuestionModel._matrix = _skip_matrix

ALT = float(os.environ.get("ALT", "0"))
if ALT:
    from sklearn.linear_model import Ridge

    orig_learners_alt = cal.QuestionModel._learners

    def _learners_alt(self, X, y):
        main, alt = alt_columns(self, X)
        learners = [Part(lr, main) for lr in orig_learners_alt(self, X[:, main], y)]
        return learners + [Part(Ridge(alpha=ALT).fit(X[:, alt], y), alt)]

    cal.QuestionModel._matrix = with_alt_view(cal.QuestionModel._matrix)
    cal.QuestionModel._learners = _learners_alt

BIG = os.environ.get("BIG", "0") == "1"
if BIG:
    from sklearn.linear_model import Ridge

    big_learners = cal.QuestionModel._learners

    def _big_learners(self, X, y):
        main, alt = alt_columns(self, X)
        Xm = X[:, main]
        base = big_learners(self, Xm, y)
        out = [Part(lr, main) for lr in base]
        if len(base) < 3:  # one rating only among these answers: the module's ridge alone
            return out
        weight = presence_weight(Xm, y, self.scaler_.n_features_in_)
        Xw = (Xm @ diags(weight)).tocsr()
        import warnings
        from sklearn.exceptions import ConvergenceWarning
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            out += [Part(Ridge(alpha=self.ridge_alpha).fit(Xw, y), main, weight),
                    Part(cal.OrdinalLogit(C=self.logit_c).fit(Xw, y), main, weight)]
        out.append(Part(Ridge(alpha=3.0).fit(X[:, alt], y), alt))
        return out

    def _big_continuous(learners, X):
        values = [cal.expected_rating(lr, X) for lr in learners]
        if len(values) < 6:
            return np.mean(values, axis=0)
        linear = np.mean([values[0], values[1], *values[3:]], axis=0)
        return (2 * linear + values[2]) / 3

    cal.QuestionModel._matrix = with_alt_view(cal.QuestionModel._matrix)
    cal.QuestionModel._learners = _big_learners
    cal.QuestionModel._continuous = staticmethod(_big_continuous)

if __name__ == "__main__":
    per, mean, seconds = forkpool.asap_cv(asap)
    print(os.environ.get("TAG", ""), "BIG", BIG, "ALT", ALT, "SKIP", SKIP, "CORR_W", CORR_W, CORR_EPS, "RARITY_W", RARITY_W, "NBLR", os.environ.get("NBLR"), "NB_WORDS", os.environ.get("NB_WORDS"), "LOGIT_C", os.environ.get("LOGIT_C"), "LGB_TOP", LGB_TOP, "EMB_W", EMB_W, "RIDGE_CV", RIDGE_CV, "HGB", HGB, HGB_LEAF, "WEIGHTS", WEIGHTS,
          per, "mean", mean, "s", seconds, flush=True)
