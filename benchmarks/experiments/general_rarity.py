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

The module adopted MODE=weight with W=0.1, CAP=6 (``scoring.suggest.most_distinctive`` with
``rare_in_english``); this script replaces the ranking that ``evidence_phrases`` calls, so each mode
is measured here whatever the module's defaults are.

Usage: MODE=drop Z=5.5 python benchmarks/experiments/general_rarity.py
Needs `pip install wordfreq` (not a dependency of the app).
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))

from wordfreq import zipf_frequency

import scoring.evaluate as ev
import scoring.suggest as suggest

B = os.environ.get("MAINS_BENCHMARKS_DIR", os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                         "..", "..", "..", "shared", "benchmarks")) + "/"
MODE = os.environ.get("MODE", "none")
W = float(os.environ.get("W", "0.3"))
CAP = float(os.environ.get("CAP", "6"))
Z = float(os.environ.get("Z", "5.5"))
WORDLIST = os.environ.get("WORDLIST", "best")  # "small": wordfreq's list of the most common words only

ranking = suggest.most_distinctive


def most_distinctive(candidates, top, *, rare_in_english=False):
    if MODE == "drop":
        candidates = [[p for p in found if " " in p or zipf_frequency(p, "en", wordlist=WORDLIST) < Z] or found
                      for found in candidates]
    return ranking(candidates, top, rare_in_english=MODE == "weight")


suggest.ENGLISH_RARITY_WEIGHT, suggest.EVERYDAY_ZIPF = W, CAP
suggest.english_rarity = lambda word: max(0.0, CAP - zipf_frequency(word, "en", wordlist=WORDLIST))
ev.most_distinctive = most_distinctive

if __name__ == "__main__":
    asap = ev.read_graded(B + "asap_sas_train.csv.gz")
    rubrics = ev.read_rubrics(B + "asap_sas_rubrics.json")
    asap = asap[asap.question_id.isin(list(rubrics))]
    result = ev.evaluate_frame(asap, None, rubrics)
    qwk = {q: round(e.qwk, 4) for q, e in result.per_question.items()}
    mohler = ev.evaluate_frame(ev.read_graded(B + "mohler.csv"))
    print(f"MODE={MODE} W={W} CAP={CAP} Z={Z} WORDLIST={WORDLIST}: ASAP {qwk} mean {sum(qwk.values()) / 3:.4f}; "
          f"Mohler r {mohler.overall.pearson:.4f}")
