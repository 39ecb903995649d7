# Experiment, not part of the app (issue 4's lever log, benchmarks/README.md).
"""Unsupervised lever: prefer content words when choosing a generated point's evidence phrases.

``evidence_phrases`` ranks a key element's (or reference sentence's) candidate phrases by how
distinctive their words are *among the rubric's texts*, so a word that only one element uses
wins even when it is everyday English: "much" (how much vinegar), "long" (how long it was
rinsed), "called" (triplets called codons), "other end", "certain".  Any answer that says
"much" then earns a point's partial credit.  This experiment adds how rare each word is in
English at large (wordfreq's Zipf frequency: 7 for "the", about 6 for "much", 3.6 for
"vinegar", 1.4 for "anticodon"):

MODE=weight  a phrase scores sum over its words of log(1 + texts/df) * (1 + W * max(0, CAP - zipf))
MODE=drop    single-word candidates with Zipf >= Z are dropped (phrases of several words keep them)
MODE=none    the ranking before this lever

The module adopted MODE=weight with W=0.1, CAP=6 (``scoring.evaluate.english_rarity``); this script
reimplements the ranking, so each mode is measured here whatever the module does.

Usage: MODE=drop Z=5.5 python benchmarks/experiments/general_rarity.py
Needs `pip install wordfreq` (not a dependency of the app).
"""
import math
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))

from wordfreq import zipf_frequency

import scoring.evaluate as ev
from scoring.suggest import candidate_phrases, without_question_words

B = os.environ.get("MAINS_BENCHMARKS_DIR", os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                         "..", "..", "..", "shared", "benchmarks")) + "/"
MODE = os.environ.get("MODE", "none")
W = float(os.environ.get("W", "0.3"))
CAP = float(os.environ.get("CAP", "6"))
Z = float(os.environ.get("Z", "5.5"))


def zipf(word: str) -> float:
    return zipf_frequency(word, "en", wordlist=os.environ.get("WORDLIST", "best"))


def evidence_phrases(texts, question="", *, top=6):
    candidates = []
    for text in texts:
        found = []
        for run in candidate_phrases(text):
            parts = run.split()
            found.append(run)
            if len(parts) > 2:
                found += [" ".join(pair) for pair in zip(parts, parts[1:])]
            if len(parts) > 1:
                found += [w for w in parts if len(w) > 3]
        found = without_question_words(list(dict.fromkeys(found)), question)
        if MODE == "drop":
            kept = [p for p in found if " " in p or zipf(p) < Z]
            found = kept or found
        candidates.append(found)
    frequency = {}
    for phrases in candidates:
        for word in {w for p in phrases for w in p.split()}:
            frequency[word] = frequency.get(word, 0) + 1

    def distinctiveness(phrase):
        score = 0.0
        for w in phrase.split():
            idf = math.log(1 + len(texts) / frequency[w])
            if MODE == "weight":
                idf *= 1 + W * max(0.0, CAP - zipf(w))
            score += idf
        return score

    return [sorted(phrases, key=lambda p: (-distinctiveness(p), p))[:top] for phrases in candidates]


ev.evidence_phrases = evidence_phrases

if __name__ == "__main__":
    asap = ev.read_graded(B + "asap_sas_train.csv.gz")
    rubrics = ev.read_rubrics(B + "asap_sas_rubrics.json")
    asap = asap[asap.question_id.isin(list(rubrics))]
    result = ev.evaluate_frame(asap, None, rubrics)
    qwk = {q: round(e.qwk, 4) for q, e in result.per_question.items()}
    mohler = ev.evaluate_frame(ev.read_graded(B + "mohler.csv"))
    print(f"MODE={MODE} W={W} CAP={CAP} Z={Z}: ASAP {qwk} mean {sum(qwk.values()) / 3:.4f}; "
          f"Mohler r {mohler.overall.pearson:.4f}")
