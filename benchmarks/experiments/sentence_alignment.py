# Experiment, not part of the app (issue 4's lever log, benchmarks/README.md, row 18).
# Path: $MAINS_BENCHMARKS_DIR (default ../shared/benchmarks beside the repository).
"""Unsupervised ASAP 1/5/6 with sentence alignment for key-element rubrics.

A point's strength becomes what a single sentence of the answer shows (its phrases and
its TF-IDF similarity in that sentence, not summed over the answer), and each sentence
evidences at most CAP points: points choose in order of strength, each taking its best
sentence that still has room.  CAP=99 leaves only the one-sentence rule.
Usage: CAP=1 python sentence_alignment.py
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
import numpy as np

import scoring.evidence as ev
import scoring.scorer as sc
from scoring.evaluate import evaluate_frame, read_graded, read_rubrics

CAP = int(os.environ.get("CAP", "1"))
B = os.environ.get("MAINS_BENCHMARKS_DIR", os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                         "..", "..", "..", "shared", "benchmarks")) + "/"
SENTENCE_SCORES: dict[int, list[float]] = {}  # id(PointResult) -> each sentence's strength for that point
original_judge = ev.judge_point


def judge_point(compiled, view, answer, similarities, settings):
    """The module's judgement, plus each sentence's own strength for the point (kept aside)."""
    per_sentence = [0.0] * len(view.sentences)
    for phrase in compiled.phrases:
        weight = settings.concept_strength if phrase.strength_key == "concept" else settings.phrase_strength
        for index, quality in ev.phrase_hits(phrase, view, settings).items():
            per_sentence[index] += weight * phrase.share * quality
    values = similarities.tolist() if hasattr(similarities, "tolist") else list(similarities)
    sims = [ev.similarity_strength(v, settings) for v in values]
    result = original_judge(compiled, view, answer, similarities, settings)
    SENTENCE_SCORES[id(result)] = [min(1.0, s + settings.similarity_share * m) for s, m in zip(per_sentence, sims)]
    return result


original_points = sc.Scorer._judge_points


def _judge_points(self, prepared, view, text, sentence_matrix):
    points = original_points(self, prepared, view, text, sentence_matrix)
    if prepared.item.rubric.policy != "bands" or not len(view.sentences):
        return points
    room = [CAP] * len(view.sentences)
    aligned = list(points)
    for i in sorted(range(len(points)), key=lambda i: -points[i].strength):
        scores = SENTENCE_SCORES.pop(id(points[i]))
        open_sentences = [j for j in range(len(scores)) if room[j] > 0]
        best = max(open_sentences, key=scores.__getitem__, default=None)
        strength = min(points[i].strength, scores[best]) if best is not None else 0.0
        if best is not None and strength >= self.settings.partial_at:
            room[best] -= 1
        aligned[i] = points[i].model_copy(update={"strength": round(strength, 3),
                                                      "status": ev.status_for(strength, self.settings)})
    return tuple(aligned)


sc.judge_point = judge_point
sc.Scorer._judge_points = _judge_points
asap = read_graded(B + "asap_sas_train.csv.gz")
sets = ["asap-1", "asap-5", "asap-6"]
evaluation = evaluate_frame(asap[asap.question_id.isin(sets)].reset_index(drop=True), None,
                            read_rubrics(B + "asap_sas_rubrics.json"))
qwk = [round(evaluation.per_question[s].qwk, 3) for s in sets]
print("CAP", CAP, qwk, "mean", round(float(np.mean(qwk)), 4))
