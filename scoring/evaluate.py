"""Agreement with human examiners on graded answers.

Input is the common benchmark format (``question_id, question, reference_answer,
answer, score, max_score``; CSV or .csv.gz).  Questions in the bank are scored
against their rubric; any other question is scored against its reference answer,
whose sentences (or, with ``--rubrics``, the key elements) become rubric points.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import numpy as np
import pandas as pd

from scoring.bank import Bank
from scoring.metrics import Agreement, agreement, to_scale
from scoring.models import Band, Item, Question, Rubric, RubricPoint
from scoring.scorer import Scorer, Weights
from scoring.evidence import MatchSettings
from scoring.suggest import candidate_phrases, without_question_words
from scoring.text import split_sentences

REQUIRED_COLUMNS = ("question_id", "answer", "score", "max_score")

#: Short answers have no introduction or way forward: only content and relevance count.
SHORT_ANSWER_WEIGHTS = Weights(content=0.3, relevance=0.7, structure=0.0, directive=0.0, length=0.0)
RUBRIC_WEIGHTS = Weights(content=1.0, relevance=0.0, structure=0.0, directive=0.0, length=0.0)

#: Matching for benchmark items, whose points are generated rather than written by a
#: mentor: one evidence phrase alone makes a point partial (0.5), two cover it, and a
#: phrase that several points share counts 1/k for each.
BENCHMARK_MATCH = MatchSettings(phrase_strength=0.5, split_shared=True)


def benchmark_scorer(policy: str) -> Scorer:
    """The scorer for items built from a reference answer ("weighted") or key elements ("bands").

    Short answers are often fragments, so a reference answer's points are matched in
    any line (``prose_only=False``) and credited by strength; relevance (the share of
    the reference's own terms, the question prompt's words demoted) carries most of the
    mark and is full at 30%.  Key-element rubrics keep evidence in sentences ("list
    and describe" is not met by a list) and count points into the rubric's bands.  The
    off-topic cap is for the UPSC bank and is off here.
    """
    if policy == "bands":
        return Scorer(weights=RUBRIC_WEIGHTS, settings=BENCHMARK_MATCH, off_topic_check=False,
                      off_topic_margin=None, demote_question=True)
    return Scorer(weights=SHORT_ANSWER_WEIGHTS, settings=BENCHMARK_MATCH, off_topic_check=False,
                  off_topic_margin=None, demote_question=True, prose_only=False, graded_credit=True,
                  relevance_full_at=0.3)


class DataError(ValueError):
    """A graded file that cannot be used; the message is one line for the user."""


def read_graded(path: str | Path) -> pd.DataFrame:
    """Read and check a graded CSV (or .csv.gz); raises ``DataError`` with a one-line reason."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"no such file: {path}")
    try:
        frame = pd.read_csv(path, dtype={"question_id": str}, keep_default_na=False, na_values=[""])
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, OSError, EOFError) as exc:
        raise DataError(f"{path.name}: not a readable CSV ({str(exc).splitlines()[0] if str(exc) else type(exc).__name__})")
    return check_graded(frame, path.name)


def check_graded(frame: pd.DataFrame, name: str = "data") -> pd.DataFrame:
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        raise DataError(f"{name}: missing column(s) {', '.join(missing)}; need {', '.join(REQUIRED_COLUMNS)}")
    frame = frame.copy()
    for column in ("score", "max_score"):
        values = pd.to_numeric(frame[column], errors="coerce")
        bad = values.isna()
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0]) + 2
            raise DataError(f"{name}: line {row}: {column} is not a number")
        frame[column] = values.astype(float)
    if (frame["max_score"] <= 0).any() or (frame["score"] < 0).any() or (frame["score"] > frame["max_score"]).any():
        raise DataError(f"{name}: every score must lie in [0, max_score] with max_score > 0")
    if frame.empty:
        raise DataError(f"{name}: no rows")
    frame["answer"] = frame["answer"].astype(object).fillna("").astype(str)
    frame["question_id"] = frame["question_id"].astype(str)
    for column in ("question", "reference_answer"):
        if column not in frame.columns:
            frame[column] = ""
        frame[column] = frame[column].astype(object).fillna("").astype(str)
    return frame


def read_rubrics(path: str | Path) -> dict[str, dict]:
    """``asap_sas_rubrics.json`` form: {question_id: {key_elements: [...], bands: [{min_points, score}]}}."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataError(f"no such file: {path}")
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DataError(f"{path.name}: not valid JSON ({exc})")
    if not isinstance(data, dict) or not all(
            isinstance(v, dict) and isinstance(v.get("key_elements"), list) and isinstance(v.get("bands"), list)
            for v in data.values()):
        raise DataError(f"{path.name}: expected {{question_id: {{key_elements: [...], bands: [...]}}}}")
    return data


def human_step(scores: Iterable[float]) -> float:
    """The human scale's step: 1 for whole marks, else 0.5."""
    return 1.0 if all(float(s).is_integer() for s in scores) else 0.5


def safe_question_id(question_id: str) -> str:
    slug = re.sub(r"[^a-z0-9_-]+", "-", question_id.lower()).strip("-")[:70]
    return slug or "question"


def evidence_phrases(texts: list[str], question: str = "", *, top: int = 6) -> list[list[str]]:
    """Evidence phrases for each reference text (a key element or a reference sentence).

    Candidates are each text's content-word runs (RAKE) plus, for runs of three or
    more words, their adjacent pairs, and the single words of longer runs, so that
    "passive transport occurs" is also found as "passive transport".  A phrase made
    only of the question prompt's words is dropped: copying the question earns
    nothing.  The ``top`` phrases most distinctive among the texts are kept (a
    phrase scores the sum of its words' log inverse text frequency).

    >>> evidence_phrases(["Osmosis is the diffusion of water across the membrane",
    ...                   "Active transport uses energy to move substances across the membrane"],
    ...                  "Describe how substances move across the membrane.", top=3)
    [['diffusion', 'osmosis', 'water'], ['active transport', 'active', 'energy']]
    """
    candidates = []
    for text in texts:
        found: list[str] = []
        for run in candidate_phrases(text):
            parts = run.split()
            found.append(run)
            if len(parts) > 2:
                found += [" ".join(pair) for pair in zip(parts, parts[1:])]
            if len(parts) > 1:
                found += [w for w in parts if len(w) > 3]
        candidates.append(without_question_words(list(dict.fromkeys(found)), question))
    frequency: dict[str, int] = {}
    for phrases in candidates:
        for word in {w for p in phrases for w in p.split()}:
            frequency[word] = frequency.get(word, 0) + 1

    def distinctiveness(phrase: str) -> float:
        return sum(math.log(1 + len(texts) / frequency[w]) for w in phrase.split())

    return [sorted(phrases, key=lambda p: (-distinctiveness(p), p))[:top] for phrases in candidates]


def _points_from_texts(texts: list[str], prefix: str, question: str = "") -> tuple[RubricPoint, ...]:
    terms = evidence_phrases(texts, question)
    points = []
    for index, (text, evidence) in enumerate(zip(texts, terms)):
        points.append(RubricPoint(id=f"{prefix}{index + 1}", label=text[:200], hint=text,
                                  evidence=tuple(evidence) or (text[:80],)))
    return tuple(points)


def item_from_reference(question_id: str, question: str, reference: str, max_score: float,
                        rubric: dict | None = None) -> Item:
    """A throwaway ``Item`` for a benchmark question: its reference answer (or key elements) as rubric."""
    qid = safe_question_id(question_id)
    marks = max(1, int(math.ceil(max_score)))
    if rubric is not None:
        points = _points_from_texts([str(e) for e in rubric["key_elements"]], "element-", question)
        bands = tuple(Band(min_points=int(b["min_points"]), marks=float(b["score"])) for b in rubric["bands"])
        rubric_model = Rubric(question_id=qid, policy="bands", bands=bands, points=points)
        reference = reference or "\n".join(str(e) for e in rubric["key_elements"])
    else:
        sentences = [s.text for s in split_sentences(reference)] or [reference]
        rubric_model = Rubric(question_id=qid, points=_points_from_texts(sentences, "ref-", question))
    model = Question(id=qid, paper="GS3", topic=f"benchmark {question_id}", marks=marks, directive="explain",
                     text=question or reference, model_answer=reference)
    return Item(question=model, rubric=rubric_model)


@dataclass
class Evaluation:
    overall: Agreement
    per_question: dict[str, Agreement] = field(default_factory=dict)
    predictions: list[float] = field(default_factory=list)
    skipped: int = 0

    def as_dict(self) -> dict:
        return {"overall": self.overall.as_dict(), "skipped": self.skipped,
                "per_question": {q: a.as_dict() for q, a in self.per_question.items()}}


def build_items(frame: pd.DataFrame, bank: Bank | None, rubrics: dict | None) -> dict[str, Item]:
    """One item per question id: the bank's own, or one built from the reference or rubric."""
    items: dict[str, Item] = {}
    for question_id, group in frame.groupby("question_id", sort=False):
        if bank is not None and question_id in bank and not (rubrics and question_id in rubrics):
            items[question_id] = bank[question_id]
            continue
        first = group.iloc[0]
        rubric = rubrics.get(question_id) if rubrics else None
        if rubric is None and not str(first["reference_answer"]).strip():
            continue
        items[question_id] = item_from_reference(
            question_id, str(first["question"]), str(first["reference_answer"]), float(group["max_score"].max()), rubric)
    return items


def _in_bank(bank: Bank | None, question_id: str, item: Item) -> bool:
    return bank is not None and question_id in bank and item is bank[question_id]


def fit_scorers(items: dict[str, Item], bank: Bank | None) -> dict[str, Scorer]:
    """Scorers by kind: the bank's (full UPSC weights), and one per benchmark policy ("weighted", "bands")."""
    outside = [item for qid, item in items.items() if not _in_bank(bank, qid, item)]
    scorers = {}
    if bank is not None:
        scorers["bank"] = Scorer().fit(bank)
    for policy in sorted({item.rubric.policy for item in outside}):
        chosen = [item for item in outside if item.rubric.policy == policy]
        scorers[policy] = benchmark_scorer(policy).fit(chosen, concepts={})
    return scorers


def scorer_for(question_id: str, item: Item, scorers: dict[str, Scorer], bank: Bank | None) -> Scorer:
    return scorers["bank"] if _in_bank(bank, question_id, item) else scorers[item.rubric.policy]


def predict(frame: pd.DataFrame, items: dict[str, Item], scorers: dict[str, Scorer], bank: Bank | None,
            progress=None) -> list[float | None]:
    """Each answer's marks mapped in proportion onto its human scale (None when unscorable).

    ``progress`` optionally wraps the row iterator (e.g. a tqdm bar).
    """
    out: list[float | None] = []
    rows = zip(frame["question_id"], frame["answer"], frame["max_score"])
    for question_id, answer, max_score in (progress(rows) if progress else rows):
        item = items.get(question_id)
        if item is None:
            out.append(None)
            continue
        feedback = scorer_for(question_id, item, scorers, bank).score(item, answer)
        out.append(feedback.marks / feedback.max_marks * max_score)
    return out


def evaluate_frame(frame: pd.DataFrame, bank: Bank | None = None, rubrics: dict | None = None,
                   progress=None) -> Evaluation:
    items = build_items(frame, bank, rubrics)
    if not items:
        raise DataError("no question could be scored: none is in the bank and none has a reference answer or rubric")
    scorers = fit_scorers(items, bank)
    raw = predict(frame, items, scorers, bank) if progress is None else progress(frame, items, scorers, bank)
    return summarise(frame, raw)


def summarise(frame: pd.DataFrame, raw: list[float | None]) -> Evaluation:
    """Agreement overall and per question, on the rows that could be scored."""
    keep = [i for i, value in enumerate(raw) if value is not None]
    if not keep:
        raise DataError("no answer could be scored")
    scored = frame.iloc[keep]
    step = human_step(scored["score"])
    human = [to_scale(s, m, step) for s, m in zip(scored["score"], scored["max_score"])]
    predicted = [to_scale(raw[i], m, step) for i, m in zip(keep, scored["max_score"])]
    per_question = {}
    positions = pd.Series(range(len(keep)), index=scored.index)
    for question_id, group in scored.groupby("question_id", sort=False):
        idx = positions[group.index].tolist()
        per_question[str(question_id)] = agreement([human[i] for i in idx], [predicted[i] for i in idx], step)
    return Evaluation(overall=agreement(human, predicted, step), per_question=per_question,
                      predictions=predicted, skipped=len(raw) - len(keep))
