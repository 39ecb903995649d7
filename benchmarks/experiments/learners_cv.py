# Experiment, not part of the app (issue 4's lever log, benchmarks/README.md).
# Path: $MAINS_BENCHMARKS_DIR (default ../shared/benchmarks beside the repository).
"""ASAP 10-set 5-fold CV of scoring/calibrate.py with more learners in the per-question model.

LEARNERS: comma list of extra learners averaged with ridge + ordinal logit:
  knn        cosine k-nearest-neighbour regression on the model's feature matrix (K, default 15)
  hgb        histogram gradient boosting on the scorer's features + the TOP (default 300)
             word/char n-grams most correlated with the rating, as presence/absence
             (HGB_ITER, HGB_LR, HGB_LEAVES: its trees, rate and leaves; default 200, 0.05, 15)
  svr        linear support-vector regression (C 0.1) on the feature matrix
  et         extremely randomised trees (ET_TREES, default 300) on hgb's design
  hgbc       hgb as a classifier over the ratings, its expected rating
LSA=N: append N truncated-SVD components of the feature matrix (fitted on the training
fold, rows normalised, times LSA_W, default 1) to it; svr_rbf (a learner): RBF support-vector
regression on those components (needs LSA).
STACK=1: weight the learners by non-negative least squares on their inner out-of-fold
predictions (the ones the cutpoints are fitted on) instead of averaging them.
Folds run in forked processes so the patches apply there too.
The module's own boosting learner (QuestionModel.boosting, adopted from "hgb") is off here,
so the baseline is the module as it was before it.
Usage: LEARNERS=knn,hgb STACK=1 python learners_cv.py
"""
import os, sys, warnings
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
import numpy as np
from scipy.optimize import nnls
from sklearn.neighbors import KNeighborsRegressor
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.svm import LinearSVR
from sklearn.model_selection import KFold
import scoring.calibrate as cal
from scoring.metrics import best_cutpoints


import forkpool
forkpool.install()
EXTRA = [s for s in os.environ.get("LEARNERS", "").split(",") if s]
STACK = os.environ.get("STACK", "0") == "1"
K = int(os.environ.get("K", "15"))
TOP = int(os.environ.get("TOP", "300"))
HGB_ITER = int(os.environ.get("HGB_ITER", "200"))  # boosting settings of "hgb" (the module's by default)
HGB_LR = float(os.environ.get("HGB_LR", "0.05"))
HGB_LEAVES = int(os.environ.get("HGB_LEAVES", "15"))


class Knn:
    def fit(self, X, y):
        self.m = KNeighborsRegressor(n_neighbors=min(K, X.shape[0]), metric="cosine", weights="distance",
                                     algorithm="brute").fit(X, y)
        return self
    def predict(self, X): return self.m.predict(X)


class Hgb:
    def fit(self, X, y):
        self.m = self._model().fit(self._select(X, y), y)
        return self
    def _model(self):
        return HistGradientBoostingRegressor(max_iter=HGB_ITER, learning_rate=HGB_LR, max_leaf_nodes=HGB_LEAVES,
                                             min_samples_leaf=10, l2_regularization=1.0,
                                             early_stopping=False, random_state=0)
    def _select(self, X, y):
        """Choose the TOP n-gram columns and the dense block; the design matrix for X."""
        B = (X > 0).astype(np.float32)
        yc = y - y.mean()
        cov = np.asarray(B.T @ yc).ravel()  # sum_i B_ij (y_i - ybar)
        p = np.asarray(B.mean(0)).ravel()
        sd = np.sqrt(np.maximum(p - p ** 2, 0)) + 1e-9
        corr = np.abs(cov / sd)
        self.cols = np.argsort(-corr)[:TOP]
        end = X.shape[1] - (LSA if LSA else 0)
        self.dense = np.arange(end - self.ndense, end)
        return self._z(X)
    def _z(self, X):
        return np.hstack([(X[:, self.cols] > 0).toarray(), X[:, self.dense].toarray()])
    def predict(self, X): return self.m.predict(self._z(X))


class Et(Hgb):
    """Extremely randomised trees on the same design as Hgb (ET_TREES trees, default 300)."""
    def _model(self):
        from sklearn.ensemble import ExtraTreesRegressor
        return ExtraTreesRegressor(n_estimators=int(os.environ.get("ET_TREES", "300")), max_features=0.3,
                                   min_samples_leaf=3, n_jobs=1, random_state=0)


class Hgbc(Hgb):
    """Boosting as a classifier over the ratings (log loss), its expected rating."""
    def _model(self):
        from sklearn.ensemble import HistGradientBoostingClassifier
        return HistGradientBoostingClassifier(max_iter=HGB_ITER, learning_rate=HGB_LR, max_leaf_nodes=HGB_LEAVES,
                                              min_samples_leaf=10, l2_regularization=1.0,
                                              early_stopping=False, random_state=0)
    def predict(self, X): return self.m.predict_proba(self._z(X)) @ self.m.classes_


class Svr:
    def fit(self, X, y):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.m = LinearSVR(C=0.1, epsilon=0.0, max_iter=5000, dual="auto").fit(X, y)
        return self
    def predict(self, X): return self.m.predict(X)


LSA = int(os.environ.get("LSA", "0"))
LSA_W = float(os.environ.get("LSA_W", "1"))
from sklearn.decomposition import TruncatedSVD
from sklearn.preprocessing import normalize
from sklearn.svm import SVR
from scipy.sparse import csr_matrix, hstack


class SvrRbf:
    def fit(self, X, y):
        self.m = SVR(C=1.0, epsilon=0.1, gamma="scale").fit(X[:, -LSA:].toarray(), y)
        return self
    def predict(self, X): return self.m.predict(X[:, -LSA:].toarray())


def _with_lsa(self, X):
    if not LSA:
        return X
    return hstack([X, csr_matrix(normalize(self.svd_.transform(X)) * LSA_W)]).tocsr()


MAKE = {"svr_rbf": SvrRbf, "knn": Knn, "hgb": Hgb, "svr": Svr, "et": Et, "hgbc": Hgbc}
orig_learners = cal.QuestionModel._learners


def _learners(self, X, y):
    # the module's own boosting learner (adopted from "hgb") is left out here; a dataclass
    # field's default cannot be switched off from outside by setting the class attribute
    learners = [l for l in orig_learners(self, X, y) if not isinstance(l, cal.SelectedBoosting)]
    if len(np.unique(y)) >= 2:
        for name in EXTRA:
            m = MAKE[name]()
            m.ndense = len(self.names_) + len(cal.GENERIC_FEATURES)
            learners.append(m.fit(X, y))
    return learners


def _each(learners, X):
    return np.column_stack([cal.expected_rating(l, X) if not isinstance(l, (Knn, Hgb, Svr, SvrRbf)) else l.predict(X)
                            for l in learners])


def fit(self, texts, generic, specific, scores):
    y = np.clip(np.rint(np.asarray(scores, float) / self.step), 0, self.levels).astype(int)
    self.spelling_ = cal.learn_spelling(texts) if self.respell else {}
    texts = self._respelled(texts)
    self.names_ = sorted({n for row in specific for n in row})
    named = np.array([[row.get(n, 0.0) for n in self.names_] for row in specific]).reshape(len(texts), -1)
    self.scaler_ = cal.StandardScaler().fit(np.hstack([generic, named]))
    vs = (cal._fit_vectorizer(lambda **o: cal._tfidf(ngram_range=(1, 2), **o), texts),
          cal._fit_vectorizer(lambda **o: cal._tfidf(analyzer="char_wb", ngram_range=(2, 5), **o), texts))
    self.vectorizers_ = [v for v in vs if v is not None]
    X = self._matrix(texts, generic, specific)
    if LSA:
        self.svd_ = TruncatedSVD(min(LSA, X.shape[1] - 1), random_state=0).fit(X)
        X = _with_lsa(self, X)
    self.constant_ = int(y[0]) if len(np.unique(y)) == 1 else None
    if self.constant_ is not None:
        return self
    self.learners_ = self._learners(X, y)
    self.weights_ = np.full(len(self.learners_), 1 / len(self.learners_))
    held = np.zeros((len(y), len(self.learners_)))
    for tr, te in KFold(self.inner_folds, shuffle=True, random_state=1).split(X):
        ls = self._learners(X[tr], y[tr])
        held[te] = _each(ls, X[te]) if len(ls) == len(self.learners_) else y[tr].mean()
    if STACK:
        w, _ = nnls(held, y.astype(float))
        self.weights_ = w / w.sum() if w.sum() > 0 else self.weights_
    self.cutpoints_ = best_cutpoints(held @ self.weights_, y, self.levels)
    return self


def predict(self, texts, generic, specific):
    if self.constant_ is not None:
        return np.full(len(texts), self.constant_ * self.step)
    X = _with_lsa(self, self._matrix(self._respelled(texts), generic, specific))
    r = cal.apply_cutpoints(_each(self.learners_, X) @ self.weights_, self.cutpoints_)
    return np.clip(r, 0, self.levels) * self.step


cal.QuestionModel._learners = _learners
cal.QuestionModel.fit = fit
cal.QuestionModel.predict = predict
from scoring.evaluate import read_graded
B = os.environ.get("MAINS_BENCHMARKS_DIR", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared", "benchmarks")) + "/"
asap = read_graded(B + "asap_sas_train.csv.gz")
per, mean, seconds = forkpool.asap_cv(asap)
print(os.environ.get("TAG", ""), "LEARNERS", EXTRA, "STACK", STACK, "LSA", LSA, LSA_W, "K", K, "TOP", TOP, "HGB", HGB_ITER, HGB_LR, HGB_LEAVES, per, "mean", mean, "s", seconds, flush=True)
