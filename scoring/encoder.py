"""all-MiniLM-L6-v2 in torch, with a rating head: the part of ``scoring.finetune`` that needs torch.

Imported only by ``scoring.finetune`` when a fine-tune is fitted or used; nothing else in
``scoring`` imports torch. The BERT encoder is written out here (about fifty lines) rather than
taken from ``transformers``, whose per-layer interface changes between releases: training the top
layers alone needs the lower layers' output computed once, outside the training loop. Its output
equals the sentence-transformers pipeline's to 1e-5 (``tests/test_finetune.py`` checks it against
sentence-transformers itself).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load_file
from tokenizers import Tokenizer
from torch import nn

class Layer(nn.Module):
    """One transformer layer (post-norm BERT): self-attention, then a GELU feed-forward block."""

    def __init__(self, width: int, heads: int, inner: int):
        super().__init__()
        self.heads = heads
        self.query, self.key, self.value = (nn.Linear(width, width) for _ in range(3))
        self.attn_out = nn.Linear(width, width)
        self.attn_norm = nn.LayerNorm(width, eps=1e-12)
        self.inner = nn.Linear(width, inner)
        self.out = nn.Linear(inner, width)
        self.out_norm = nn.LayerNorm(width, eps=1e-12)
        self.drop = nn.Dropout(0.1)

    def forward(self, x: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        batch, tokens, width = x.shape
        heads, size = self.heads, width // self.heads

        def split(t: torch.Tensor) -> torch.Tensor:
            return t.view(batch, tokens, heads, size).transpose(1, 2)

        q, k, v = split(self.query(x)), split(self.key(x)), split(self.value(x))
        attention = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(size) + bias, dim=-1)
        context = (self.drop(attention) @ v).transpose(1, 2).reshape(batch, tokens, width)
        x = self.attn_norm(x + self.drop(self.attn_out(context)))
        return self.out_norm(x + self.drop(self.out(nn.functional.gelu(self.inner(x)))))


#: our parameter names → the checkpoint's, within ``encoder.layer.<i>.``
LAYER_WEIGHTS = {"query": "attention.self.query", "key": "attention.self.key", "value": "attention.self.value",
                 "attn_out": "attention.output.dense", "inner": "intermediate.dense", "out": "output.dense",
                 "attn_norm": "attention.output.LayerNorm", "out_norm": "output.LayerNorm"}


class Bert(nn.Module):
    """The BERT encoder of a checkpoint's weights (token, position and type embeddings, then the layers)."""

    def __init__(self, weights: dict[str, torch.Tensor], heads: int = 12):
        super().__init__()
        vocab, width = weights["embeddings.word_embeddings.weight"].shape
        inner = weights["encoder.layer.0.intermediate.dense.weight"].shape[0]
        count = 1 + max(int(name.split(".")[2]) for name in weights if name.startswith("encoder.layer."))
        self.words = nn.Embedding(vocab, width)
        self.positions = nn.Embedding(weights["embeddings.position_embeddings.weight"].shape[0], width)
        self.types = nn.Parameter(weights["embeddings.token_type_embeddings.weight"][0].clone())
        self.norm = nn.LayerNorm(width, eps=1e-12)
        self.drop = nn.Dropout(0.1)
        self.layers = nn.ModuleList(Layer(width, heads, inner) for _ in range(count))
        with torch.no_grad():
            self.words.weight.copy_(weights["embeddings.word_embeddings.weight"])
            self.positions.weight.copy_(weights["embeddings.position_embeddings.weight"])
            self.norm.weight.copy_(weights["embeddings.LayerNorm.weight"])
            self.norm.bias.copy_(weights["embeddings.LayerNorm.bias"])
            for i, layer in enumerate(self.layers):
                for ours, theirs in LAYER_WEIGHTS.items():
                    getattr(layer, ours).weight.copy_(weights[f"encoder.layer.{i}.{theirs}.weight"])
                    getattr(layer, ours).bias.copy_(weights[f"encoder.layer.{i}.{theirs}.bias"])

    def embed(self, ids: torch.Tensor) -> torch.Tensor:
        """Token, position and type embeddings, normalised: the input of the first layer."""
        return self.drop(self.norm(self.words(ids) + self.positions.weight[:ids.shape[1]][None] + self.types))

    @staticmethod
    def encode(x: torch.Tensor, mask: torch.Tensor, layers: Sequence[nn.Module]) -> torch.Tensor:
        """``x`` through ``layers`` (a slice of ``self.layers``); padding (mask 0) is never attended to."""
        bias = (1.0 - mask[:, None, None, :].float()) * -1e9
        for layer in layers:
            x = layer(x, bias)
        return x

    def forward(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return self.encode(self.embed(ids), mask, self.layers)


class Rater(nn.Module):
    """The encoder's top layers and a linear head on their mean-pooled tokens: one rating per answer.

    The layers below ``frozen`` (and the embeddings) never learn; ``lower`` gives their output,
    which ``forward`` takes as its input. A rater shared by several questions has one head (an output
    column) per question, and each answer is rated by its own question's head."""

    def __init__(self, bert: Bert, frozen: int, heads: int = 1):
        super().__init__()
        self.bert, self.frozen = bert, frozen
        self.head = nn.Linear(bert.words.weight.shape[1], heads)
        for name, parameter in self.named_parameters():
            parameter.requires_grad_(name.startswith("head.") or self._trained_layer(name))

    def _trained_layer(self, name: str) -> bool:
        return name.startswith("bert.layers.") and int(name.split(".")[2]) >= self.frozen

    def lower(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return self.bert.encode(self.bert.embed(ids), mask, self.bert.layers[:self.frozen])

    def forward(self, hidden: torch.Tensor, mask: torch.Tensor, heads: torch.Tensor | None = None) -> torch.Tensor:
        """Each answer's rating: from the one head, or from head ``heads[i]`` for answer i."""
        h = self.bert.encode(hidden, mask, self.bert.layers[self.frozen:])
        m = mask.unsqueeze(-1).float()
        out = self.head((h * m).sum(1) / m.sum(1).clamp(min=1))
        return out.squeeze(-1) if heads is None else out.gather(1, heads[:, None]).squeeze(1)

    def trained_state(self) -> dict[str, np.ndarray]:
        """The weights that learn, as NumPy arrays (what a calibration file keeps)."""
        return {name: p.detach().numpy().copy() for name, p in self.named_parameters() if p.requires_grad}

    def load_trained_state(self, state: dict[str, np.ndarray]) -> None:
        own = dict(self.named_parameters())
        with torch.no_grad():
            for name, value in state.items():
                own[name].copy_(torch.from_numpy(value))


def tokenizer(model_dir: Path, max_tokens: int) -> Tokenizer:
    tok = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    tok.enable_truncation(max_tokens)
    tok.no_padding()
    return tok


@lru_cache(maxsize=1)
def _weights(path: str) -> dict[str, torch.Tensor]:
    return load_file(path)


def base_rater(model_dir: Path, frozen: int, seed: int = 0, heads: int = 1) -> Rater:
    """The pretrained encoder (its weights read once per process) under fresh ``heads``, drawn from ``seed``;
    the same seed goes on to draw the dropout of training."""
    torch.manual_seed(seed)
    return Rater(Bert(_weights(str(model_dir / "model.safetensors"))), frozen, heads)


def lower_states(rater: Rater, tok: Tokenizer, texts: Sequence[str], size: int = 64) -> list[torch.Tensor]:
    """Each text's output of the frozen layers (tokens × width), computed once, without dropout."""
    rater.eval()
    out: list[torch.Tensor] = []
    with torch.no_grad():
        for start in range(0, len(texts), size):
            ids, mask = padded([e.ids for e in tok.encode_batch(list(texts[start:start + size]))])
            for hidden, m in zip(rater.lower(ids, mask), mask):
                out.append(hidden[:int(m.sum())].clone())
    return out


def padded(sequences: Sequence[Sequence[int]] | Sequence[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    """Token ids (or per-token vectors) padded with zeros to the longest, and the mask of the real ones."""
    longest = max(len(s) for s in sequences)
    mask = torch.zeros(len(sequences), longest, dtype=torch.long)
    for i, s in enumerate(sequences):
        mask[i, :len(s)] = 1
    if isinstance(sequences[0], torch.Tensor):
        stacked = torch.zeros(len(sequences), longest, sequences[0].shape[-1])
        for i, s in enumerate(sequences):
            stacked[i, :len(s)] = s
        return stacked, mask
    return torch.tensor([list(s) + [0] * (longest - len(s)) for s in sequences]), mask


def length_batches(lengths: Sequence[int], size: int, rng: np.random.Generator, run: int = 256) -> Iterator[np.ndarray]:
    """One epoch's batches: shuffled answers cut into runs of ``run``, sorted by length within a run (so a
    batch is little padding), cut into batches of ``size`` and shuffled."""
    order = rng.permutation(len(lengths))
    picks = []
    for start in range(0, len(order), run):
        chunk = sorted(order[start:start + run], key=lambda i: lengths[i])
        picks += [np.array(chunk[b:b + size]) for b in range(0, len(chunk), size)]
    for i in rng.permutation(len(picks)):
        yield picks[i]


def each_head(heads: Sequence[int] | None, count: int) -> np.ndarray:
    """Which head rates each of ``count`` answers: ``heads`` as int64, or the one head (0) for all."""
    return np.zeros(count, np.int64) if heads is None else np.asarray(heads, np.int64)


def train(rater: Rater, states: list[torch.Tensor], targets: np.ndarray, *, epochs: int, rate: float, batch: int,
          seed: int, heads: np.ndarray | None = None) -> None:
    """Fit the trained layers and the head to ``targets`` (MSE; AdamW, warm-up over a tenth of the steps,
    then a linear decay to zero). ``seed`` orders the batches. With ``heads`` (a shared rater), answer i's
    output is head ``heads[i]``'s, and each head starts at its own answers' mean."""
    rng = np.random.default_rng(seed)
    targets = np.asarray(targets, float)
    heads = each_head(heads, len(targets))
    with torch.no_grad():
        for head in np.unique(heads):
            rater.head.bias[head] = float(np.mean(targets[heads == head]))
    steps = max(1, epochs * math.ceil(len(states) / batch))
    optimiser = torch.optim.AdamW([p for p in rater.parameters() if p.requires_grad], lr=rate, weight_decay=0.01)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: min(1.0, (s + 1) / (0.1 * steps)) * max(0.0, (steps - s) / steps))
    y, chosen = torch.tensor(targets, dtype=torch.float32), torch.as_tensor(heads)
    lengths = [len(s) for s in states]
    rater.train()
    for _ in range(epochs):
        for pick in length_batches(lengths, batch, rng):
            hidden, mask = padded([states[i] for i in pick])
            loss = nn.functional.mse_loss(rater(hidden, mask, chosen[pick]), y[pick])
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
    rater.eval()


def rate(rater: Rater, tok: Tokenizer, texts: Sequence[str], heads: Sequence[int] | None = None) -> np.ndarray:
    """The head's output for each text (the encoder run whole, without dropout); with ``heads``, text i's
    from head ``heads[i]``."""
    states = lower_states(rater, tok, texts)
    chosen = torch.as_tensor(each_head(heads, len(texts)))
    out = []
    with torch.no_grad():
        for start in range(0, len(states), 64):
            hidden, mask = padded(states[start:start + 64])
            out.append(rater(hidden, mask, chosen[start:start + 64]).numpy())
    return np.concatenate(out) if out else np.zeros(0)
