# Experiment, not part of the app (issue 4's lever log, benchmarks/README.md).
# Needs: pip install -r requirements-finetune.txt (the repo's; requirements-dev.txt includes it)
# The scorer's features are cached in $ROWS (default /tmp/mains-rows-asap.pkl, shared with module_cv.py).
"""Probe: does fine-tuning MiniLM (all-MiniLM-L6-v2, 22M weights) on a question's graded
answers agree with the examiners better than the calibrated module, and how long does it take?

For each set named in SETS (default all ten) and each fold in FOLDS (default 0), on the same
5 folds as `evaluate --cv 5`:
  * the module (QuestionModel) fitted on the training answers, its continuous rating on the
    held-out ones, and its rating cut at its own cutpoints;
  * MiniLM fine-tuned with a linear head on the mean-pooled tokens (MSE on the rating in
    [0, 1]; AdamW, rate LR, EPOCHS epochs, batch 16, at most MAX_LEN tokens); the embeddings and
    the first FREEZE (default 4) of its 6 layers stay fixed and their output is computed once;
  * the two averaged (continuous), cut at the module's cutpoints and rounded.
Prints QWK of each and the seconds each took, and saves each set-fold's held-out predictions in
$PREDICTIONS (default /tmp/mains-finetune-predictions) as <set>-fold<k>.npz; a set-fold already
saved there is skipped, so a run can be resumed. The fine-tune is scoring.finetune's, the one
`calibrate --fine-tune` fits (its training batches are drawn by length: scoring.encoder.length_batches).

THREADS (default: every core) is how many threads each fine-tune runs on: two runs side by side with
THREADS=1 (say, two SEEDs) finish sooner than one after the other. SEED (default 0) seeds the fine-tune; give each seed its own PREDICTIONS folder. Trained weights are
kept in CACHE (default ~/.cache/mains-practice/fine-tunes, the folder `benchmarks/run.py --fine-tune`
uses; CACHE= keeps none), so a fit already made by either is loaded, not trained again.
MODULE_FROM (another run's PREDICTIONS folder) takes the module's held-out ratings and cutpoints from that run
instead of fitting the module again (about 100 s a set-fold): for runs that change only the fine-tune's settings.

`python3 finetune_probe.py report` reads the saved predictions and prints, for every set whose five
folds are all saved, the pooled cross-validated QWK exactly as `evaluate --cv 5` computes it
(scoring.evaluate.summarise on every held-out prediction, 0 for the answers the scorer gives 0 by
rule) for the module, the fine-tuned model and the blend. With FOLDS (say FOLDS=0) it reports those folds'
held-out answers alone, for every set that has them saved. With ENSEMBLE (other PREDICTIONS folders, made with
other SEEDs, separated by commas) the fine-tuned rating is the mean of every folder's, over the sets saved in all.
"""
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import forkpool
import numpy as np
from sklearn.metrics import cohen_kappa_score

import scoring.calibrate as cal
from scoring.evaluate import read_graded
from scoring.finetune import FineTune, TunedEncoder

B = os.environ.get("MAINS_BENCHMARKS_DIR", os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                         "..", "..", "..", "shared", "benchmarks")) + "/"
LR = float(os.environ.get("LR", "1e-4"))
EPOCHS = int(os.environ.get("EPOCHS", "4"))
MAX_LEN = int(os.environ.get("MAX_LEN", "128"))
PREDICTIONS = os.environ.get("PREDICTIONS", "/tmp/mains-finetune-predictions")
FREEZE = int(os.environ.get("FREEZE", "4"))  # the embeddings and the first FREEZE layers stay fixed, their output cached


def qwk(a, b):
    return cohen_kappa_score(np.asarray(a, int), np.asarray(b, int), weights="quadratic")


SEED = int(os.environ.get("SEED", "0"))
#: trained weights are kept where `benchmarks/run.py --fine-tune` keeps them (the same key: a fit here with the
#: default settings is the one run.py's cross-validation makes for that set and fold, and either reuses the other's)
CACHE = os.environ.get("CACHE", os.path.expanduser("~/.cache/mains-practice/fine-tunes")) or None


def finetune(train_texts, train_y, test_texts, levels):
    """scoring.finetune's fine-tune (what `calibrate --fine-tune` fits) with this run's settings."""
    settings = FineTune(trained_layers=6 - FREEZE, epochs=EPOCHS, rate=LR, max_tokens=MAX_LEN, seed=SEED,
                        cache=CACHE and Path(CACHE), threads=int(os.environ.get("THREADS", "0")) or None)
    return TunedEncoder(settings).fit(train_texts, train_y, levels).predict(test_texts)


#: another run's PREDICTIONS folder to take the module's held-out ratings and cutpoints from (they do not depend
#: on the fine-tune's settings): a run that changes only the fine-tune then skips refitting the module
MODULE_FROM = os.environ.get("MODULE_FROM", "")


def module_ratings(key, fold, rows, train, test, scores, levels, step):
    """The module's continuous held-out ratings and its cutpoints: from MODULE_FROM when saved there
    (checked to be the same held-out answers), else fitted here on the training answers."""
    saved = os.path.join(MODULE_FROM, f"{key}-fold{fold}.npz") if MODULE_FROM else ""
    if saved and os.path.exists(saved):
        kept = np.load(saved)
        assert np.array_equal(kept["test"], test), f"{saved} holds other answers"
        return kept["module"], kept["cutpoints"]
    qm = cal.QuestionModel(max_score=levels, step=step)
    sub = rows.take(train)
    qm.fit(sub.texts, sub.generic, sub.specific, scores[train])
    tst = rows.take(test)
    Xt = qm._matrix(qm._respelled(tst.texts), tst.generic, tst.specific)
    return qm._continuous(qm.learners_, Xt), qm.cutpoints_


def main():
    frame = read_graded(B + "asap_sas_train.csv.gz")
    rows = forkpool.asap_rows(frame, os.environ.get("ROWS", "/tmp/mains-rows-asap.pkl"))
    labels = np.array(rows.keys)
    splits = cal.fold_splits(rows.keys, 5)  # the folds of `evaluate --cv 5`
    sets = os.environ.get("SETS", ",".join(f"asap-{i}" for i in range(1, 11))).split(",")
    folds = [int(f) for f in os.environ.get("FOLDS", "0").split(",")]
    scores = frame["score"].to_numpy(float)
    max_scores = frame["max_score"].to_numpy(float)
    print("LR", LR, "EPOCHS", EPOCHS, "MAX_LEN", MAX_LEN, "FREEZE", FREEZE, "SEED", SEED, "CACHE", CACHE, flush=True)
    os.makedirs(PREDICTIONS, exist_ok=True)
    for key in sets:
        for f in folds:
            saved = os.path.join(PREDICTIONS, f"{key}-fold{f}.npz")
            if os.path.exists(saved):
                continue
            train, test = splits[f]
            train = train[labels[train] == key]
            test = test[labels[test] == key]
            step = 1.0
            levels = int(max_scores[train[0]])
            y_train = np.rint(scores[train]).astype(int)
            y_test = np.rint(scores[test]).astype(int)
            t0 = time.time()
            module_cont, cutpoints = module_ratings(key, f, rows, train, test, scores, levels, step)
            module_cut = cal.apply_cutpoints(module_cont, cutpoints)
            t1 = time.time()
            tuned = finetune([rows.texts[i] for i in train], y_train, [rows.texts[i] for i in test], levels)
            t2 = time.time()
            blend = (module_cont + tuned) / 2
            np.savez(saved + ".tmp.npz", test=test, module=module_cont, tuned=tuned, cutpoints=cutpoints,
                     levels=levels, seconds=[t1 - t0, t2 - t1])
            os.replace(saved + ".tmp.npz", saved)
            print(f"{key} fold {f} n={len(train)}/{len(test)} module cut {qwk(y_test, module_cut):.3f} "
                  f"round {qwk(y_test, np.clip(np.rint(module_cont), 0, levels)):.3f} ({t1 - t0:.0f} s) | "
                  f"tuned round {qwk(y_test, np.clip(np.rint(tuned), 0, levels)):.3f} ({t2 - t1:.0f} s) | "
                  f"blend cut {qwk(y_test, cal.apply_cutpoints(blend, cutpoints)):.3f} "
                  f"round {qwk(y_test, np.clip(np.rint(blend), 0, levels)):.3f}", flush=True)


def report():
    """Pooled 5-fold QWK per complete set, as `evaluate --cv 5` computes it, of the module, the fine-tuned
    model (cut at the module's cutpoints) and the blend (``--fine-tune``: weight 0.5 on each). Then the blend
    at other weights on the fine-tuned model, and the weight chosen for each set on the other sets alone
    (leave one set out), so that choosing it is not fitted to the set it is measured on."""
    from scoring.evaluate import summarise
    from scoring.metrics import fisher_mean

    frame = read_graded(B + "asap_sas_train.csv.gz")
    rows = forkpool.asap_rows(frame, os.environ.get("ROWS", "/tmp/mains-rows-asap.pkl"))
    max_scores = frame["max_score"].to_numpy(float)
    weights = [0.3, 0.4, 0.5, 0.6, 0.7]
    names = ["module", "tuned"] + [f"w={w}" for w in weights]
    shares = {name: np.full(len(frame), np.nan) for name in names}
    complete, seconds = [], []
    held_out = np.zeros(len(frame), bool)  # the answers of the folds reported
    folders = [PREDICTIONS] + [f for f in os.environ.get("ENSEMBLE", "").split(",") if f]
    folds = [int(f) for f in os.environ["FOLDS"].split(",")] if "FOLDS" in os.environ else range(5)
    print("fine-tuned rating: mean of", ", ".join(folders), "| folds", ",".join(map(str, folds)))
    for key in sorted(set(rows.keys), key=lambda k: int(k.split("-")[1])):
        files = [[os.path.join(folder, f"{key}-fold{f}.npz") for folder in folders] for f in folds]
        if not all(os.path.exists(path) for paths in files for path in paths):
            continue
        complete.append(key)
        for paths in files:
            saved, *others = [np.load(path) for path in paths]
            test, cut, levels = saved["test"], saved["cutpoints"], int(saved["levels"])
            held_out[test] = True
            assert all(np.array_equal(other["test"], test) for other in others), paths
            seconds.append(float(saved["seconds"][1]))
            tuned = np.mean([saved["tuned"]] + [other["tuned"] for other in others], axis=0)
            blends = {f"w={w}": (1 - w) * saved["module"] + w * tuned for w in weights}
            for name, cont in {"module": saved["module"], "tuned": tuned, **blends}.items():
                share = np.clip(cal.apply_cutpoints(cont, cut), 0, levels) / levels
                shares[name][test] = np.where(rows.rule_zero[test], 0.0, share)
    if not complete:
        print("no set has folds", ",".join(map(str, folds)), "all saved in", PREDICTIONS)
        return
    keep = np.isin(np.array(rows.keys), complete) & held_out
    sub = frame[keep].reset_index(drop=True)
    print(f"{len(complete)} sets with every fold reported; fine-tune median {np.median(seconds):.0f} s, total {sum(seconds):.0f} s")
    table = {}
    for name, share in shares.items():
        ev = summarise(sub, list(share[keep] * max_scores[keep]))
        table[name] = per = [ev.per_question[key].qwk for key in complete]
        print(f"{name:7s} mean {np.mean(per):.4f} (Fisher {fisher_mean(per):.4f})  " + " ".join(
            f"{key} {q:.3f}" for key, q in zip(complete, per)))
    if len(complete) > 1:
        chosen = []
        for i in range(len(complete)):
            best = max(weights, key=lambda w: np.mean([q for j, q in enumerate(table[f"w={w}"]) if j != i]))
            chosen.append((best, table[f"w={best}"][i]))
        print(f"w chosen on the other sets: mean {np.mean([q for _, q in chosen]):.4f}  "
              + " ".join(f"{key} w={w} {q:.3f}" for key, (w, q) in zip(complete, chosen)))


if __name__ == "__main__":
    report() if sys.argv[1:] == ["report"] else main()
