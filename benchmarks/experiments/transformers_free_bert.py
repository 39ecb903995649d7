# Experiment, not part of the app (issue 4's lever log): finetune_probe.py's encoder.
"""A BERT encoder in plain torch, loaded from a safetensors dict (as minilm_numpy reads it),
so fine-tuning needs neither transformers nor sentence-transformers."""
import math

import torch
from torch import nn


class Layer(nn.Module):
    def __init__(self, width, heads, inner):
        super().__init__()
        self.heads = heads
        self.query, self.key, self.value = (nn.Linear(width, width) for _ in range(3))
        self.attn_out = nn.Linear(width, width)
        self.attn_norm = nn.LayerNorm(width, eps=1e-12)
        self.inner = nn.Linear(width, inner)
        self.out = nn.Linear(inner, width)
        self.out_norm = nn.LayerNorm(width, eps=1e-12)
        self.drop = nn.Dropout(0.1)

    def forward(self, x, bias):
        B, T, W = x.shape
        H, D = self.heads, W // self.heads
        q = self.query(x).view(B, T, H, D).transpose(1, 2)
        k = self.key(x).view(B, T, H, D).transpose(1, 2)
        v = self.value(x).view(B, T, H, D).transpose(1, 2)
        a = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(D) + bias, dim=-1)
        ctx = (self.drop(a) @ v).transpose(1, 2).reshape(B, T, W)
        x = self.attn_norm(x + self.drop(self.attn_out(ctx)))
        return self.out_norm(x + self.drop(self.out(nn.functional.gelu(self.inner(x)))))


class Bert(nn.Module):
    def __init__(self, weights, heads=12):
        super().__init__()
        p = "" if "embeddings.word_embeddings.weight" in weights else "bert."
        W = lambda name: torch.tensor(weights[p + name].copy())  # noqa: E731
        vocab, width = weights[p + "embeddings.word_embeddings.weight"].shape
        inner = weights[p + "encoder.layer.0.intermediate.dense.weight"].shape[0]
        n = 1 + max(int(k.split(".")[2 if not p else 3]) for k in weights if "encoder.layer." in k)
        self.words = nn.Embedding(vocab, width)
        self.positions = nn.Embedding(weights[p + "embeddings.position_embeddings.weight"].shape[0], width)
        self.types = nn.Parameter(W("embeddings.token_type_embeddings.weight")[0])
        self.norm = nn.LayerNorm(width, eps=1e-12)
        self.drop = nn.Dropout(0.1)
        self.layers = nn.ModuleList(Layer(width, heads, inner) for _ in range(n))
        with torch.no_grad():
            self.words.weight.copy_(W("embeddings.word_embeddings.weight"))
            self.positions.weight.copy_(W("embeddings.position_embeddings.weight"))
            self.norm.weight.copy_(W("embeddings.LayerNorm.weight")); self.norm.bias.copy_(W("embeddings.LayerNorm.bias"))
            names = {"query": "attention.self.query", "key": "attention.self.key", "value": "attention.self.value",
                     "attn_out": "attention.output.dense", "inner": "intermediate.dense", "out": "output.dense"}
            norms = {"attn_norm": "attention.output.LayerNorm", "out_norm": "output.LayerNorm"}
            for i, layer in enumerate(self.layers):
                for mine, theirs in names.items():
                    getattr(layer, mine).weight.copy_(W(f"encoder.layer.{i}.{theirs}.weight"))
                    getattr(layer, mine).bias.copy_(W(f"encoder.layer.{i}.{theirs}.bias"))
                for mine, theirs in norms.items():
                    getattr(layer, mine).weight.copy_(W(f"encoder.layer.{i}.{theirs}.weight"))
                    getattr(layer, mine).bias.copy_(W(f"encoder.layer.{i}.{theirs}.bias"))

    def embed(self, ids):
        """Token, position and type embeddings, normalised: the input of the first layer."""
        return self.drop(self.norm(self.words(ids) + self.positions.weight[:ids.shape[1]][None] + self.types))

    @staticmethod
    def encode(x, mask, layers):
        """Run ``x`` through ``layers`` (a slice of ``self.layers``); padding (mask 0) is never attended to."""
        bias = (1.0 - mask[:, None, None, :].float()) * -1e9
        for layer in layers:
            x = layer(x, bias)
        return x

    def forward(self, ids, mask):
        return self.encode(self.embed(ids), mask, self.layers)
