# Experiment, not part of the app (issue 4's lever log, benchmarks/README.md).
# Needs: pip install -r requirements-finetune.txt. Shares $ROWS with finetune_probe.py.
"""Probe: with few graded answers per question, as a mentor has, does one fine-tune shared by all
questions (multitask_finetune.py) do better than one per question?

For each fold in FOLDS (default 0) of `evaluate --cv 5` and each ASAP set, N (default 100) of the
set's training answers are drawn at random (seed DRAW, default 0); the held-out answers are the whole fold's. On
those N answers of each set it fits, as finetune_probe.py does:
  * the module (QuestionModel), its continuous rating of the held-out answers and its cutpoints;
  * scoring.finetune's per-question fine-tune (FineTune's defaults, not cached);
and on the 10 x N answers together the shared fine-tune of multitask_finetune.py (a head per question).
Predictions are saved in finetune_probe.py's format under $OUT (default /tmp/mains-ft-small-N):
per-question/ and shared/, so that `PREDICTIONS=$OUT/shared FOLDS=0 python3 finetune_probe.py report`
pools them. THREADS (default 1) as in the other probes.
"""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import numpy as np
from finetune_probe import qwk
from multitask_finetune import asap_data, fit_and_rate

import scoring.calibrate as cal
from scoring.finetune import FineTune, TunedEncoder

N = int(os.environ.get("N", "100"))
DRAW = int(os.environ.get("DRAW", "0"))
OUT = os.environ.get("OUT", f"/tmp/mains-ft-small-{N}" + (f"-draw{DRAW}" if DRAW else ""))


def save(folder, key, f, test, module, tuned, cutpoints, levels, seconds):
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, f"{key}-fold{f}.npz")
    np.savez(path + ".tmp.npz", test=test, module=module, tuned=tuned, cutpoints=cutpoints, levels=levels,
             seconds=seconds)
    os.replace(path + ".tmp.npz", path)


def main():
    threads = int(os.environ.get("THREADS", "1"))
    rows, labels, scores, levels, keys, splits = asap_data(threads)
    settings = FineTune(threads=threads)
    for f in [int(f) for f in os.environ.get("FOLDS", "0").split(",")]:
        train_all, test_all = splits[f]
        rng = np.random.default_rng(DRAW)
        picked, modules = [], {}
        for key in keys:
            train = rng.choice(train_all[labels[train_all] == key], N, replace=False)
            test = test_all[labels[test_all] == key]
            picked.append(train)
            lv, y = int(levels[train[0]]), np.rint(scores[train]).astype(int)
            t0 = time.time()
            qm = cal.QuestionModel(max_score=lv, step=1.0)
            sub, held = rows.take(train), rows.take(test)
            qm.fit(sub.texts, sub.generic, sub.specific, scores[train])
            module = qm._continuous(qm.learners_, qm._matrix(qm._respelled(held.texts), held.generic, held.specific))
            t1 = time.time()
            tuned = TunedEncoder(settings).fit([rows.texts[i] for i in train], y, lv).predict(held.texts)
            t2 = time.time()
            modules[key] = test, module, qm.cutpoints_, lv, t1 - t0
            save(os.path.join(OUT, "per-question"), key, f, test, module, tuned, qm.cutpoints_, lv, [t1 - t0, t2 - t1])
            y_test = np.rint(scores[test]).astype(int)
            print(f"{key} fold {f} n={N}: module cut {qwk(y_test, cal.apply_cutpoints(module, qm.cutpoints_)):.3f} | "
                  f"per-question tuned round {qwk(y_test, np.clip(np.rint(tuned), 0, lv)):.3f} ({t2 - t1:.0f} s)",
                  flush=True)
        train = np.concatenate(picked)
        t0 = time.time()
        shared = fit_and_rate(settings, [rows.texts[i] for i in train], np.rint(scores[train]).astype(int),
                              levels[train], labels[train], [rows.texts[i] for i in test_all], labels[test_all])
        seconds = time.time() - t0
        print(f"fold {f}: shared fine-tune on {len(train)} answers, {seconds:.0f} s", flush=True)
        for key in keys:
            test, module, cutpoints, lv, module_seconds = modules[key]
            mine = labels[test_all] == key
            assert np.array_equal(test_all[mine], test)
            tuned = shared[mine] * lv
            save(os.path.join(OUT, "shared"), key, f, test, module, tuned, cutpoints, lv,
                 [module_seconds, seconds / len(keys)])
            y_test = np.rint(scores[test]).astype(int)
            print(f"  {key}: shared tuned round {qwk(y_test, np.clip(np.rint(tuned), 0, lv)):.3f}", flush=True)


if __name__ == "__main__":
    main()
