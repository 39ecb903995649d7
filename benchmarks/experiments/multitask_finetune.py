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
from torch import nn

import scoring.calibrate as cal
from scoring import encoder
from scoring.evaluate import read_graded
from scoring.finetune import FineTune, model_dir

PREDICTIONS = os.environ.get("PREDICTIONS", "/tmp/mains-ft-multitask")
MODULE_FROM = os.environ.get("MODULE_FROM", "/tmp/mains-ft-seed0")
SEED = int(os.environ.get("SEED", "0"))
SMOKE = int(os.environ.get("SMOKE", "0"))


def rate_all(rater, states, questions, size=64):
    """Each answer's rating from its own question's head (0..1 scale)."""
    rater.eval()
    out = []
    with torch.no_grad():
        for start in range(0, len(states), size):
            hidden, mask = encoder.padded(states[start:start + size])
            q = torch.as_tensor(questions[start:start + size])
            out.append(rater(hidden, mask)[torch.arange(len(q)), q].numpy())
    return np.concatenate(out)


def train_shared(rater, states, targets, questions, settings):
    """encoder.train's loop, with one head per question: an answer's output is its question's column."""
    rng = np.random.default_rng(settings.seed)
    with torch.no_grad():
        for q in np.unique(questions):
            rater.head.bias[q] = float(np.mean(targets[questions == q]))
    steps = max(1, settings.epochs * -(-len(states) // settings.batch))
    optimiser = torch.optim.AdamW([p for p in rater.parameters() if p.requires_grad], lr=settings.rate,
                                  weight_decay=0.01)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: min(1.0, (s + 1) / (0.1 * steps)) * max(0.0, (steps - s) / steps))
    y = torch.tensor(targets, dtype=torch.float32)
    qs = torch.as_tensor(questions)
    lengths = [len(s) for s in states]
    rater.train()
    for _ in range(settings.epochs):
        for pick in encoder.length_batches(lengths, settings.batch, rng):
            hidden, mask = encoder.padded([states[i] for i in pick])
            out = rater(hidden, mask)[torch.arange(len(pick)), qs[pick]]
            loss = nn.functional.mse_loss(out, y[pick])
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
    rater.eval()


def fit_and_rate(settings, count, texts, targets, questions, held_texts, held_questions):
    """The shared fine-tune (``count`` heads) fitted on ``texts`` (``targets`` on 0..1, ``questions`` their heads),
    then each held-out text's rating (0..1) from its question's head."""
    directory = model_dir()
    rater = encoder.base_rater(directory, 6 - settings.trained_layers, settings.seed)
    rater.head = nn.Linear(rater.head.in_features, count)
    tok = encoder.tokenizer(directory, settings.max_tokens)
    train_shared(rater, encoder.lower_states(rater, tok, texts), targets, questions, settings)
    return rate_all(rater, encoder.lower_states(rater, tok, held_texts), held_questions)


def main():
    torch.set_num_threads(int(os.environ.get("THREADS", "1")))
    frame = read_graded(B + "asap_sas_train.csv.gz")
    rows = forkpool.asap_rows(frame, os.environ.get("ROWS", "/tmp/mains-rows-asap.pkl"))
    labels = np.array(rows.keys)
    scores = frame["score"].to_numpy(float)
    max_scores = frame["max_score"].to_numpy(float)
    keys = sorted(set(rows.keys), key=lambda k: int(k.split("-")[1]))
    index = {key: i for i, key in enumerate(keys)}
    levels = max_scores.astype(int)
    questions = np.array([index[k] for k in labels])
    splits = cal.fold_splits(rows.keys, 5)
    settings = FineTune(seed=SEED)
    os.makedirs(PREDICTIONS, exist_ok=True)
    for f in [int(f) for f in os.environ.get("FOLDS", "0").split(",")]:
        train, test = splits[f]
        if SMOKE:  # a quick check that the script runs: a few training answers, nothing saved
            train = np.random.default_rng(0).choice(train, SMOKE, replace=False)
        t0 = time.time()
        held = fit_and_rate(settings, len(keys), [rows.texts[i] for i in train], np.rint(scores[train]) / levels[train],
                            questions[train], [rows.texts[i] for i in test], questions[test])
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
