# Experiment, not part of the app (issue 4's lever log, benchmarks/README.md).
# Needs: pip install -r requirements-finetune.txt. Shares $ROWS with finetune_probe.py, and reads the module's
# held-out ratings from finetune_probe.py's saved predictions ($MODULE_FROM).
"""Probe: one fine-tune shared by all ten ASAP questions, instead of one per question.

`calibrate --fine-tune` fine-tunes MiniLM's top two layers on each question's training answers
alone (about 1,100-1,450 answers). Here, for each fold in FOLDS (default 0) of `evaluate --cv 5`,
ONE model is fitted on every question's training answers together (about 13,600): the same frozen
lower four layers, the same two trained layers shared by all questions, and a linear head per
question on the mean-pooled tokens (each answer's loss goes through its own question's head).
Everything else is scoring.finetune's default fine-tune: MSE on the rating scaled to 0..1, AdamW at
1e-4 with a warm-up over a tenth of the steps and a linear decay, batch 16 (batches drawn by length,
scoring.encoder.length_batches, over all questions' answers), 4 epochs, at most 128 tokens, seed SEED.

For every set it saves the held-out answers' ratings in $PREDICTIONS (default
/tmp/mains-ft-multitask) as finetune_probe.py does, with the module's held-out rating and cutpoints
copied from $MODULE_FROM (default /tmp/mains-ft-seed0, a finetune_probe.py run with the same folds),
so that `PREDICTIONS=... FOLDS=0 python3 finetune_probe.py report` compares the two directly.
THREADS (default 1): torch's threads, so that two folds can run side by side. SMOKE=n trains on n answers
and saves nothing: a check that the script runs.
"""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import forkpool
import numpy as np
import torch
from finetune_probe import B, qwk

import scoring.calibrate as cal
from scoring.evaluate import read_graded
from scoring.finetune import FineTune, SharedTunedEncoder

PREDICTIONS = os.environ.get("PREDICTIONS", "/tmp/mains-ft-multitask")
MODULE_FROM = os.environ.get("MODULE_FROM", "/tmp/mains-ft-seed0")
SEED = int(os.environ.get("SEED", "0"))
SMOKE = int(os.environ.get("SMOKE", "0"))


def fit_and_rate(settings, texts, ratings, levels, keys, held_texts, held_keys):
    """The shared fine-tune (scoring.finetune.SharedTunedEncoder: a head per question) fitted on ``texts`` (each
    answer's rating on 0..its levels, and its question's key), then each held-out text's rating as a share of its
    maximum, from its question's head.

    The nineteenth session's figures came from this script's own copy of the training loop, which drew the
    heads after a one-head rater's; the product's class (twentieth session) draws them in its place."""
    tuned = SharedTunedEncoder(settings).fit(texts, ratings, levels, keys)
    held_keys = np.asarray(held_keys)
    out = np.zeros(len(held_texts))
    for key in np.unique(held_keys):
        mine = np.flatnonzero(held_keys == key)
        out[mine] = tuned.predict([held_texts[i] for i in mine], str(key))
    return out


def asap_data(threads):
    """torch held to ``threads``; then the ASAP training answers with the scorer's features (forkpool's cache of
    them, $ROWS), each answer's set, score and levels, the sets in order, and the folds of `evaluate --cv 5`."""
    torch.set_num_threads(threads)
    frame = read_graded(B + "asap_sas_train.csv.gz")
    rows = forkpool.asap_rows(frame, os.environ.get("ROWS", "/tmp/mains-rows-asap.pkl"))
    keys = sorted(set(rows.keys), key=lambda k: int(k.split("-")[1]))
    return (rows, np.array(rows.keys), frame["score"].to_numpy(float), frame["max_score"].to_numpy(float).astype(int),
            keys, cal.fold_splits(rows.keys, 5))


def main():
    threads = int(os.environ.get("THREADS", "1"))
    rows, labels, scores, levels, keys, splits = asap_data(threads)
    settings = FineTune(seed=SEED, threads=threads)
    os.makedirs(PREDICTIONS, exist_ok=True)
    for f in [int(f) for f in os.environ.get("FOLDS", "0").split(",")]:
        train, test = splits[f]
        if SMOKE:  # a quick check that the script runs: a few training answers, nothing saved
            train = np.random.default_rng(0).choice(train, SMOKE, replace=False)
        t0 = time.time()
        held = fit_and_rate(settings, [rows.texts[i] for i in train], np.rint(scores[train]).astype(int), levels[train],
                            labels[train], [rows.texts[i] for i in test], labels[test])
        seconds = time.time() - t0
        print(f"fold {f}: {len(train)} training answers, {seconds:.0f} s", flush=True)
        if not SMOKE:  # the ratings themselves, kept before anything else can fail
            np.savez(os.path.join(PREDICTIONS, f"fold{f}-all.npz"), test=test, rating=held)
        for key in keys:
            module_file = os.path.join(MODULE_FROM, f"{key}-fold{f}.npz")
            while not os.path.exists(module_file):  # finetune_probe.py may still be fitting the module
                print("waiting for", module_file, flush=True)
                time.sleep(60)
            module = np.load(module_file)
            mine = labels[test] == key
            assert np.array_equal(module["test"], test[mine]), key
            lv = int(module["levels"])
            tuned = held[mine] * lv
            y = np.rint(scores[test[mine]]).astype(int)
            blend = 0.6 * module["module"] + 0.4 * tuned
            saved = os.path.join(PREDICTIONS, f"{key}-fold{f}.npz")
            if not SMOKE:
                np.savez(saved + ".tmp.npz", test=module["test"], module=module["module"], tuned=tuned,
                         cutpoints=module["cutpoints"], levels=lv, seconds=[module["seconds"][0], seconds / len(keys)])
                os.replace(saved + ".tmp.npz", saved)
            print(f"  {key}: tuned round {qwk(y, np.clip(np.rint(tuned), 0, lv)):.3f} | blend 0.4 cut "
                  f"{qwk(y, cal.apply_cutpoints(blend, module['cutpoints'])):.3f} | module cut "
                  f"{qwk(y, cal.apply_cutpoints(module['module'], module['cutpoints'])):.3f}", flush=True)


if __name__ == "__main__":
    main()
