# Experiment, not part of the app (issue 4's lever log, benchmarks/README.md).
"""Unsupervised lever: widen each key element's evidence from the question's own pool of answers
(pseudo-relevance feedback, as in Rocchio's query expansion).

1. Score every answer with the key-element rubric as it is.
2. For each point, the sentences that evidenced it where it was *covered* (two phrases found)
   are its confident examples.
3. Candidate phrases are the content-word runs of those sentences (and their single words and
   pairs), as ``evidence_phrases`` makes them.  A candidate is kept when it is in at least
   MIN_SHARE of the confident sentences (and at least 3), is at least LIFT times as common there
   as in all the pool's sentences, is not made of the prompt's words and is not already a phrase;
   the TOP with the highest support × log lift join the point's evidence.
4. Score again with the wider rubric; QWK per set.

No human score is read before step 4.  MULTI=1 keeps only phrases of two or more words.
Usage: MIN_SHARE=0.05 LIFT=3 TOP=4 python pool_expansion.py
"""
import math
import os
import sys
from collections import Counter

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
import numpy as np

from scoring.evaluate import (build_items, fit_scorers, read_graded, read_rubrics, scorer_for, summarise)
from scoring.models import Item
from scoring.suggest import candidate_phrases, without_question_words
from scoring.text import split_sentences

B = os.environ.get("MAINS_BENCHMARKS_DIR", os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                         "..", "..", "..", "shared", "benchmarks")) + "/"
MIN_SHARE = float(os.environ.get("MIN_SHARE", "0.05"))
LIFT = float(os.environ.get("LIFT", "3"))
TOP = int(os.environ.get("TOP", "4"))
CONFIDENT = os.environ.get("CONFIDENT", "covered")  # or "partial": any evidence at all
MULTI = os.environ.get("MULTI", "0") == "1"  # only phrases of two or more words join


def phrases_of(sentence: str) -> set[str]:
    found = set()
    for run in candidate_phrases(sentence):
        parts = run.split()
        found.add(run)
        found.update(" ".join(pair) for pair in zip(parts, parts[1:]))
        found.update(w for w in parts if len(w) > 3)
    return found


def expanded(item: Item, feedbacks, answers, question: str) -> Item:
    pool = Counter()
    sentences = 0
    for answer in answers:
        for s in split_sentences(answer):
            pool.update(phrases_of(s.text))
            sentences += 1
    points = []
    for index, point in enumerate(item.rubric.points):
        confident = [f.points[index].evidence for f in feedbacks
                     if f.points[index].evidence and (f.points[index].status == "covered" or
                                                      (CONFIDENT == "partial" and f.points[index].status == "partial"))]
        support = Counter()
        for sentence in confident:
            support.update(phrases_of(sentence))
        known = {e.lower() for e in point.evidence}
        scored = []
        for phrase, count in support.items():
            if count < max(3, MIN_SHARE * len(confident)) or phrase in known or (MULTI and " " not in phrase):
                continue
            lift = (count / len(confident)) / (pool[phrase] / sentences)
            if lift >= LIFT:
                scored.append((count * math.log(lift), phrase))
        fresh = without_question_words([p for _, p in sorted(scored, reverse=True)], question)[:TOP]
        if os.environ.get("SHOW"):
            print(item.question.id, point.id, len(confident), point.evidence, "+", fresh)
        points.append(point.model_copy(update={"evidence": (*point.evidence, *fresh)}))
    rubric = item.rubric.model_copy(update={"points": tuple(points)})
    return item.model_copy(update={"rubric": rubric})


frame = read_graded(B + "asap_sas_train.csv.gz")
rubrics = read_rubrics(B + "asap_sas_rubrics.json")
frame = frame[frame["question_id"].isin(rubrics)].reset_index(drop=True)
items = build_items(frame, None, rubrics)
scorers = fit_scorers(items, None)
before = {}
for qid, group in frame.groupby("question_id", sort=False):
    scorer = scorer_for(qid, items[qid], scorers, None)
    before[qid] = [scorer.score(items[qid], a) for a in group["answer"]]
wider = {qid: expanded(items[qid], before[qid], frame.loc[frame.question_id == qid, "answer"].tolist(),
                        str(frame.loc[frame.question_id == qid, "question"].iloc[0]))
         for qid in items}
scorers2 = fit_scorers(wider, None)
raw = [None] * len(frame)
raw0 = [None] * len(frame)
for qid, group in frame.groupby("question_id", sort=False):
    scorer = scorer_for(qid, wider[qid], scorers2, None)
    for position, (i, answer, top) in enumerate(zip(group.index, group["answer"], group["max_score"])):
        f = scorer.score(wider[qid], answer)
        raw[i] = f.marks / f.max_marks * top
        f0 = before[qid][position]
        raw0[i] = f0.marks / f0.max_marks * top
for label, values in (("before", raw0), ("after", raw)):
    ev = summarise(frame, values)
    per = [round(ev.per_question[q].qwk, 4) for q in ("asap-1", "asap-5", "asap-6")]
    print(label, "MIN_SHARE", MIN_SHARE, "LIFT", LIFT, "TOP", TOP, "CONFIDENT", CONFIDENT, "MULTI", MULTI, per,
          "mean", round(float(np.mean(per)), 4), flush=True)
