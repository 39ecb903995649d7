# Experiment, not part of the app (issue 4's lever log, benchmarks/README.md).
# Needs: pip install -r requirements-finetune.txt, and the fine-tunes of finetune_probe.py in its CACHE.
"""Probe: should `--fine-tune`'s blend be cut at cutpoints fitted for the blend, not the module's?

The module's cutpoints are fitted on its inner out-of-fold ratings of the training answers. The blend
((1 - w) module + w fine-tuned) is now cut at those same cutpoints. Fitting cutpoints for the blend the
same way needs the fine-tune's out-of-fold ratings of the training answers, that is five more fine-tunes
per fit; this probe tries the cheap stand-in: the fine-tune's own (in-sample) ratings of its training
answers, beside the module's inner out-of-fold ones.

For each set in SETS (default all ten) and fold in FOLDS (default 0), loads the fine-tune from CACHE (as
finetune_probe.py made it; one not there is trained and kept), and saves in $OUT/<set>-fold<k>.npz the
module's inner out-of-fold and held-out ratings, the fine-tune's in-sample and held-out ratings, and the
module's cutpoints. `python3 blend_cutpoints.py report` pools the saved folds as `evaluate --cv 5` does.
"""
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import forkpool
import numpy as np
from finetune_probe import B
from sklearn.model_selection import KFold

import scoring.calibrate as cal
from scoring.evaluate import read_graded
from scoring.finetune import FineTune, TunedEncoder
from scoring.metrics import best_cutpoints

OUT = os.environ.get("OUT", "/tmp/mains-blend-cutpoints")
CACHE = os.environ.get("CACHE", os.path.expanduser("~/.cache/mains-practice/fine-tunes"))


def inner_out_of_fold(qm: cal.QuestionModel, X, y: np.ndarray) -> np.ndarray:
    """QuestionModel.fit's inner out-of-fold ratings (the ones its cutpoints are fitted on), made again."""
    held_out = np.zeros(len(y))
    for inner_train, inner_test in KFold(min(qm.inner_folds, len(y)), shuffle=True, random_state=1).split(X):
        if len(np.unique(y[inner_train])) < 2:
            held_out[inner_test] = y[inner_train].mean()
            continue
        held_out[inner_test] = qm._continuous(qm._learners(X[inner_train], y[inner_train]), X[inner_test])
    return held_out


def main():
    frame = read_graded(B + "asap_sas_train.csv.gz")
    rows = forkpool.asap_rows(frame, os.environ.get("ROWS", "/tmp/mains-rows-asap.pkl"))
    labels = np.array(rows.keys)
    splits = cal.fold_splits(rows.keys, 5)
    scores = frame["score"].to_numpy(float)
    max_scores = frame["max_score"].to_numpy(float)
    settings = FineTune(cache=Path(CACHE), threads=int(os.environ.get("THREADS", "0")) or None)
    os.makedirs(OUT, exist_ok=True)
    for key in os.environ.get("SETS", ",".join(f"asap-{i}" for i in range(1, 11))).split(","):
        for f in [int(f) for f in os.environ.get("FOLDS", "0").split(",")]:
            saved = os.path.join(OUT, f"{key}-fold{f}.npz")
            if os.path.exists(saved):
                continue
            t0 = time.time()
            train, test = splits[f]
            train, test = train[labels[train] == key], test[labels[test] == key]
            levels = int(max_scores[train[0]])
            y = np.rint(scores[train]).astype(int)
            qm = cal.QuestionModel(max_score=levels, step=1.0)
            sub, tst = rows.take(train), rows.take(test)
            qm.fit(sub.texts, sub.generic, sub.specific, scores[train])
            X = qm._matrix(qm._respelled(sub.texts), sub.generic, sub.specific)
            oof = inner_out_of_fold(qm, X, y)
            assert np.allclose(best_cutpoints(oof, y, levels), qm.cutpoints_), key
            module = qm._continuous(qm.learners_, qm._matrix(qm._respelled(tst.texts), tst.generic, tst.specific))
            tuned = TunedEncoder(settings).fit(sub.texts, y, levels)
            np.savez(saved + ".tmp.npz", test=test, y=y, oof=oof, module=module, cutpoints=qm.cutpoints_,
                     tuned_train=tuned.predict(sub.texts), tuned=tuned.predict(tst.texts), levels=levels)
            os.replace(saved + ".tmp.npz", saved)
            print(f"{key} fold {f} ({time.time() - t0:.0f} s)", flush=True)


def report():
    from scoring.evaluate import summarise

    frame = read_graded(B + "asap_sas_train.csv.gz")
    rows = forkpool.asap_rows(frame, os.environ.get("ROWS", "/tmp/mains-rows-asap.pkl"))
    max_scores = frame["max_score"].to_numpy(float)
    w = FineTune().weight
    names = ["module", "blend, module's cutpoints", "blend, cutpoints on oof + in-sample"]
    shares = {name: np.full(len(frame), np.nan) for name in names}
    keys = sorted(set(rows.keys), key=lambda k: int(k.split("-")[1]))
    folds = [int(f) for f in os.environ.get("FOLDS", "0").split(",")]
    done = [k for k in keys if all(os.path.exists(os.path.join(OUT, f"{k}-fold{f}.npz")) for f in folds)]
    held = np.zeros(len(frame), bool)
    for key in done:
        for f in folds:
            s = np.load(os.path.join(OUT, f"{key}-fold{f}.npz"))
            test, levels, cut = s["test"], int(s["levels"]), s["cutpoints"]
            held[test] = True
            blend = (1 - w) * s["module"] + w * s["tuned"]
            refit = best_cutpoints((1 - w) * s["oof"] + w * s["tuned_train"], s["y"], levels)
            for name, (cont, c) in zip(names, [(s["module"], cut), (blend, cut), (blend, refit)]):
                share = np.clip(cal.apply_cutpoints(cont, c), 0, levels) / levels
                shares[name][test] = np.where(rows.rule_zero[test], 0.0, share)
    keep = np.isin(np.array(rows.keys), done) & held
    sub = frame[keep].reset_index(drop=True)
    print(f"{len(done)} sets, folds {folds}")
    for name, share in shares.items():
        ev = summarise(sub, list(share[keep] * max_scores[keep]))
        per = [ev.per_question[key].qwk for key in done]
        print(f"{name:38s} mean {np.mean(per):.4f}  " + " ".join(f"{q:.3f}" for q in per))


if __name__ == "__main__":
    report() if sys.argv[1:] == ["report"] else main()
