# Experiment, not part of the app (issue 4's lever log, benchmarks/README.md).
# Needs: pip install -r requirements-finetune.txt. Shares $ROWS with finetune_probe.py.
"""Diagnostic: does the fine-tune still improve after its 4 epochs?

For each set in SETS (default asap-8,asap-2) on fold FOLD (default 0) of `evaluate --cv 5`, fine-tunes
scoring.finetune's model as `calibrate --fine-tune` does (FineTune's defaults, EPOCHS epochs, default 8,
so the learning rate's linear decay runs over EPOCHS), and after every epoch prints the held-out answers'
QWK of the fine-tuned model alone (rounded), of the blend with the module (weight FineTune.weight, cut at
the module's cutpoints), and the held-out RMSE. Not cached; THREADS as in finetune_probe.py.
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
from torch import nn

import scoring.calibrate as cal
from scoring import encoder
from scoring.evaluate import read_graded
from scoring.finetune import FineTune, every_core, model_dir

EPOCHS = int(os.environ.get("EPOCHS", "8"))


def curve(rater, states, targets, held_states, after_epoch, settings):
    """encoder.train's loop, calling ``after_epoch(epoch, held-out ratings)`` after each epoch."""
    rng = np.random.default_rng(settings.seed)
    with torch.no_grad():
        rater.head.bias.fill_(float(np.mean(targets)))
    steps = max(1, EPOCHS * -(-len(states) // settings.batch))
    optimiser = torch.optim.AdamW([p for p in rater.parameters() if p.requires_grad], lr=settings.rate,
                                  weight_decay=0.01)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: min(1.0, (s + 1) / (0.1 * steps)) * max(0.0, (steps - s) / steps))
    y = torch.tensor(np.asarray(targets, float), dtype=torch.float32)
    lengths = [len(s) for s in states]
    for epoch in range(EPOCHS):
        rater.train()
        for pick in encoder.length_batches(lengths, settings.batch, rng):
            hidden, mask = encoder.padded([states[i] for i in pick])
            loss = nn.functional.mse_loss(rater(hidden, mask), y[pick])
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
        rater.eval()
        with torch.no_grad():
            out = [rater(*encoder.padded(held_states[s:s + 64])).numpy() for s in range(0, len(held_states), 64)]
        after_epoch(epoch + 1, np.concatenate(out))


def main():
    frame = read_graded(B + "asap_sas_train.csv.gz")
    rows = forkpool.asap_rows(frame, os.environ.get("ROWS", "/tmp/mains-rows-asap.pkl"))
    labels = np.array(rows.keys)
    fold = int(os.environ.get("FOLD", "0"))
    splits = cal.fold_splits(rows.keys, 5)
    scores = frame["score"].to_numpy(float)
    levels_of = frame["max_score"].to_numpy(float)
    settings = FineTune(threads=int(os.environ.get("THREADS", "0")) or None)
    print("EPOCHS", EPOCHS, settings, flush=True)
    for key in os.environ.get("SETS", "asap-8,asap-2").split(","):
        train, test = splits[fold]
        train, test = train[labels[train] == key], test[labels[test] == key]
        levels = int(levels_of[train[0]])
        y_test = np.rint(scores[test]).astype(int)
        qm = cal.QuestionModel(max_score=levels, step=1.0)
        sub = rows.take(train)
        qm.fit(sub.texts, sub.generic, sub.specific, scores[train])
        tst = rows.take(test)
        module = qm._continuous(qm.learners_, qm._matrix(qm._respelled(tst.texts), tst.generic, tst.specific))
        print(f"{key} fold {fold}: module cut {qwk(y_test, cal.apply_cutpoints(module, qm.cutpoints_)):.3f}",
              flush=True)
        start = time.time()

        def report(epoch, rated):
            tuned = rated * levels
            blend = settings.weight * tuned + (1 - settings.weight) * module
            print(f"{key} epoch {epoch}: tuned round {qwk(y_test, np.clip(np.rint(tuned), 0, levels)):.3f} "
                  f"blend cut {qwk(y_test, cal.apply_cutpoints(blend, qm.cutpoints_)):.3f} "
                  f"rmse {np.sqrt(np.mean((tuned - y_test) ** 2)):.3f} ({time.time() - start:.0f} s)", flush=True)

        with every_core(settings.threads):
            rater = encoder.base_rater(model_dir(), 6 - settings.trained_layers, settings.seed)
            tok = encoder.tokenizer(model_dir(), settings.max_tokens)
            states = encoder.lower_states(rater, tok, [rows.texts[i] for i in train])
            held = encoder.lower_states(rater, tok, [rows.texts[i] for i in test])
            curve(rater, states, np.rint(scores[train]) / max(levels, 1), held, report, settings)


if __name__ == "__main__":
    main()
