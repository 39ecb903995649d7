"""``Scorer``: fit once on the bank, then score many answers into ``Feedback``.

Shaped like a scikit-learn estimator: ``__init__`` stores parameters, ``fit``
learns the TF-IDF vocabulary and prepares every rubric, returning ``self``;
learned state ends in ``_``.  ``score`` is pure and deterministic.

    scorer = Scorer().fit(load_bank("."))
    feedback = scorer.score(bank["ij-critical-minerals"], answer_text)
"""

from __future__ import annotations

import math
from itertools import chain, repeat
from dataclasses import dataclass, field
from typing import Iterable, Sequence

import numpy as np
from rapidfuzz import fuzz
from sklearn.feature_extraction.text import TfidfVectorizer

from scoring.components import (DEVELOPED_AT, MARKED_UP_TO, STRUCTURE_PARTS, directive_fit, length, marked_word_limit, missing_parts,
                                structure)
from scoring.evidence import AnswerView, CompiledPoint, MatchSettings, compile_point, judge_point, split_shared
from scoring.feedback import Cap, Component, Feedback, Flag, PointResult, StructureReport
from scoring.models import Concept, Item, Rubric
from scoring.text import (STOPWORDS, clean, end_of_word, is_prose_tokens, latin_share, normalise, prompt_of,
                          split_sentences, stem, word_count, words)

SCORER_NAME = "mains-scorer/1"
#: an answer with fewer of its letters in the Latin alphabet than this is not read (the scorer reads English)
ENGLISH_SHARE = 0.5


@dataclass(frozen=True)
class Weights:
    """Shares of the maximum marks; they must add up to 1."""

    content: float = 0.65
    relevance: float = 0.10
    structure: float = 0.12
    directive: float = 0.08
    length: float = 0.05

    def __post_init__(self) -> None:
        total = self.content + self.relevance + self.structure + self.directive + self.length
        if not math.isclose(total, 1.0, abs_tol=1e-6) or min(self.as_dict().values()) < 0:
            raise ValueError(f"component weights must be non-negative and add up to 1 (got {total:.3f})")

    def as_dict(self) -> dict[str, float]:
        return {"content": self.content, "relevance": self.relevance, "structure": self.structure,
                "directive": self.directive, "length": self.length}


def analyse(text: str) -> list[str]:
    """TF-IDF features: stemmed content words and their adjacent pairs.

    >>> analyse("The supply chains of rare earths")
    ['suppli', 'chain', 'rare', 'earth', 'suppli chain', 'chain rare', 'rare earth']
    """
    return features([w.lower() for w in words(text)])


def features(tokens: Iterable[str]) -> list[str]:
    """``analyse`` for words already split and lower-cased."""
    stems = [stem(w) for w in tokens if w not in STOPWORDS]
    return stems + [f"{a} {b}" for a, b in zip(stems, stems[1:])]


@dataclass(frozen=True)
class SentenceTerms:
    """Each sentence's TF-IDF row, kept as its non-zero entries in sentence order.

    What scoring reads of the rows (products with the points' columns, which terms occur, the answer's
    total) is cheaper from these arrays than from a scipy matrix, whose checks cost more than the
    arithmetic on a dozen sentences.
    """

    rows: int
    width: int  # the vocabulary's size
    row_of: np.ndarray  # each entry's sentence
    indices: np.ndarray  # each entry's term (the vocabulary's column)
    data: np.ndarray  # each entry's weight; a sentence's weights have unit L2 norm

    @property
    def shape(self) -> tuple[int, int]:
        return self.rows, self.width

    def __matmul__(self, dense: np.ndarray) -> np.ndarray:
        """Each sentence's row times ``dense`` (width × k): rows × k."""
        spread = np.zeros((self.rows, len(self.data)))  # entry k's weight in its sentence's row, column k
        spread[self.row_of, np.arange(len(self.data))] = self.data
        return spread @ dense[self.indices]

    def total(self) -> np.ndarray:
        """The sum of the sentences' rows, dense (the whole answer's terms)."""
        return np.bincount(self.indices, weights=self.data, minlength=self.width)

    def toarray(self) -> np.ndarray:
        out = np.zeros(self.shape)
        out[self.row_of, self.indices] = self.data
        return out


def tfidf_rows(vectorizer: TfidfVectorizer, documents: Iterable[list[str]]) -> SentenceTerms:
    """``vectorizer.transform`` for pre-analysed documents, without scikit-learn's per-call checks.

    Same arithmetic as a fitted ``TfidfVectorizer(sublinear_tf=True)``: 1 + log(count),
    times the learned idf, L2-normalised; a test holds the two equal.
    """
    vocabulary, idf = vectorizer.vocabulary_, vectorizer.idf_
    width = len(vocabulary)
    columns_of = [list(map(vocabulary.get, document, repeat(-1))) for document in documents]
    rows = len(columns_of)
    lengths = np.fromiter(map(len, columns_of), dtype=np.int64, count=rows)
    flat = np.fromiter(chain.from_iterable(columns_of), dtype=np.int64, count=int(lengths.sum()))
    row_ids = np.repeat(np.arange(rows, dtype=np.int64), lengths)
    found = flat >= 0
    keys = row_ids[found] * width + flat[found]
    unique, counts = np.unique(keys, return_counts=True)
    row_of, columns = np.divmod(unique, width) if width else (unique, unique)
    values = (1.0 + np.log(counts)) * idf[columns]
    norms = np.sqrt(np.bincount(row_of, weights=values * values, minlength=rows))
    if len(values):
        values /= norms[row_of]
    return SentenceTerms(rows, width, row_of, columns, values)


def round_half(value: float) -> float:
    """Marks in half marks, rounding halves up.

    >>> round_half(8.24), round_half(8.25), round_half(8.74)
    (8.0, 8.5, 8.5)
    """
    return math.floor(value * 2 + 0.5) / 2


@dataclass(frozen=True)
class PreparedItem:
    """What ``fit`` computes once per question."""

    item: Item
    points: tuple[CompiledPoint, ...]
    point_matrix: object  # sparse, L2-normalised TF-IDF rows, one per point
    model_terms: dict[int, float]  # feature index → TF-IDF weight in the model answer and question
    reference: object  # sparse TF-IDF row of the model answer and question
    term_index: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))  # model_terms' keys
    term_weight: np.ndarray = field(default_factory=lambda: np.zeros(0))  # and values, for fast lookups
    point_columns: np.ndarray | None = None  # point_matrix transposed and dense (terms × points)


@dataclass(frozen=True)
class AfterMarking:
    """What an answer far over its limit has only after the words that were marked."""

    point_ids: frozenset[str]
    structure_parts: tuple[str, ...]  # ``STRUCTURE_PARTS`` keys


@dataclass
class Scorer:
    """Score answers against rubric points and explain every mark."""

    weights: Weights = field(default_factory=Weights)
    settings: MatchSettings = field(default_factory=MatchSettings)
    gate_at: float = 0.5  # content share at which structure, directive and length count in full
    relevance_full_at: float = 0.45  # share of the model answer's terms that counts as fully relevant
    off_topic_margin: float | None = 0.1  # another question's model answer this much closer → off topic
    off_topic_cap: float = 0.25  # the most an off-topic answer can earn, as a share of the marks
    max_length_factor: float = 10.0  # answers over this many times the limit are not scored
    marked_up_to: float | None = MARKED_UP_TO  # words past this many times the limit are not marked (None: all are)
    min_refuse_words: int = 3000
    developed_at: float | None = DEVELOPED_AT  # under this share of the limit, marks are capped in proportion (None: never)
    prose_only: bool = True  # evidence counts only in prose sentences (False: any line, for short answers)
    off_topic_check: bool = True  # cap answers that say little about the question
    graded_credit: bool = False  # content from each point's strength (0..1) rather than its status
    demote_question: bool = False  # relevance ignores the question's own words (they cost nothing to copy)

    def fit(self, bank: Iterable[Item], concepts: dict[str, Concept] | None = None,
            answers: Iterable[str] = ()) -> "Scorer":
        """Learn TF-IDF from the questions, model answers and rubrics; prepare each item.

        ``answers`` (optional, ungraded) join the corpus the inverse document
        frequencies are learned from, so words every answer uses weigh less.
        """
        items = list(bank)
        self.concepts_ = dict(concepts if concepts is not None else getattr(bank, "concepts", {}))
        corpus = [doc for item in items for doc in _documents(item, self.concepts_)] + list(answers)
        corpus = corpus or ["empty"]
        self.vectorizer_ = TfidfVectorizer(analyzer=analyse, sublinear_tf=True).fit(corpus)
        self.prepared_ = {item.version: self._prepare(item) for item in items}
        self.references_ = self.vectorizer_.transform([_reference_text(item) for item in items])
        self.reference_versions_ = [item.version for item in items]
        return self

    def _prepare(self, item: Item) -> PreparedItem:
        points = tuple(compile_point(p, self.concepts_) for p in item.rubric.points)
        if self.settings.split_shared:
            points = split_shared(points)
        point_matrix = self.vectorizer_.transform([p.description for p in points])
        reference = self.vectorizer_.transform([_reference_text(item)])
        model_terms = dict(zip(reference.indices.tolist(), reference.data.tolist()))
        if self.demote_question:
            model_terms = self._demoted_terms(item)
        return PreparedItem(item, points, point_matrix, model_terms, reference,
                            np.fromiter(model_terms.keys(), dtype=np.int64, count=len(model_terms)),
                            np.fromiter(model_terms.values(), dtype=float, count=len(model_terms)),
                            np.ascontiguousarray(point_matrix.T.toarray()))

    def _demoted_terms(self, item: Item) -> dict[int, float]:
        """The model answer's TF-IDF terms without those made only of the question's words."""
        question = set(features([w.lower() for w in words(prompt_of(item.question.text))]))
        row = self.vectorizer_.transform([item.question.model_answer])
        names = self.vectorizer_.get_feature_names_out()
        kept = {}
        for index, weight in zip(row.indices.tolist(), row.data.tolist()):
            if not all(part in question for part in names[index].split(" ")):
                kept[index] = weight
        return kept

    def prepared(self, item: Item) -> PreparedItem:
        """The fitted preparation of ``item``; an unseen item is prepared with the fitted vocabulary."""
        found = self.prepared_.get(item.version)
        if found is None:
            found = self.prepared_[item.version] = self._prepare(item)
        return found

    # ------------------------------------------------------------ scoring

    def score(self, item: Item, answer: str) -> Feedback:
        """Mark ``answer`` to ``item``'s question; never raises on any string."""
        prepared = self.prepared(item)
        text = clean(answer if isinstance(answer, str) else "")
        total_words = word_count(text)
        question = item.question
        early = self._early_exit(prepared, text, total_words)
        if early is not None:
            return early
        marked_words = self._marked_words(question.word_limit, total_words)
        marked = text if marked_words == total_words else text[:end_of_word(text, marked_words)]
        sentences, prose, view, sentence_matrix = self._read(marked)
        points = self._judge_points(prepared, view, marked, sentence_matrix)
        content = content_share(item.rubric, points, graded=self.graded_credit)
        relevance = self._relevance(prepared, sentence_matrix)
        structure_report, structure_score = structure(sentences, marked_words)
        directive_report, directive_score = directive_fit(question.directive, prose)
        length_report, length_score = length(total_words, question.word_limit)
        gate = min(1.0, content / self.gate_at) if self.gate_at else 1.0
        scores = {
            "content": (content, _content_note(points)),
            "relevance": (relevance, "Share of the model answer's key terms your answer uses."),
            "structure": (structure_score * gate, _gated_note("Introduction, body points, conclusion, way forward.", gate)),
            "directive": (directive_score * gate, _gated_note(f"What '{question.directive}' asks: {question.directive_meaning}", gate)),
            "length": (length_score * gate, _gated_note(f"{total_words} of {question.word_limit} words.", gate)),
        }
        components = self._components(scores, question.marks)
        raw = sum(c.marks for c in components)
        flags = _flags(_prose_words(sentences, prose, marked_words), marked_words, length_report.status, total_words,
                       question.word_limit)
        if marked_words < total_words:
            late = self._after_marking(prepared, text, total_words, points, structure_report)
            points = tuple(p.model_copy(update={"after_marking": True}) if p.id in late.point_ids else p
                           for p in points)
            structure_report = structure_report.model_copy(update={"notes": _structure_notes_after_marking(
                structure_report, late.structure_parts, marked_words)})
            length_report = length_report.model_copy(update={"marked_words": marked_words, "marked_until": len(marked)})
            flags = (*flags, _not_marked_flag(total_words, marked_words, question.word_limit,
                                              [p for p in points if p.after_marking]))
        suggestions = _suggestions(points, structure_report.notes, directive_report, length_report.status,
                                   question.word_limit, marked_words)
        off_topic = self._off_topic(prepared, sentence_matrix, points, content, relevance) if self.off_topic_check else ""
        if off_topic:
            flags = (*flags, Flag(code="off_topic", message=(
                f"{off_topic} Such answers are capped at {self.off_topic_cap:.0%} of the marks.")))
        caps = self._caps(bool(off_topic), total_words, question.word_limit, question.marks)
        marks = _clip(round_half(raw), question.marks)
        return Feedback(
            question_id=question.id, question_version=item.version,
            marks=marks, max_marks=question.marks, components=components, points=points,
            suggestions=suggestions, flags=flags, structure=structure_report, directive=directive_report,
            length=length_report, scorer=SCORER_NAME, caps=caps,
        ).capped(marks)

    def _caps(self, off_topic: bool, total_words: int, word_limit: int, max_marks: float) -> tuple[Cap, ...]:
        """The rules that limit this answer's marks: off topic (its flag is said anyway), then too short."""
        caps = []
        if off_topic:
            caps.append(Cap(code="off_topic", marks=math.floor(self.off_topic_cap * max_marks * 2) / 2))
        short_cap = self._short_cap(total_words, word_limit, max_marks)
        if short_cap < max_marks:
            caps.append(Cap(code="short", marks=short_cap, flag=_short_capped_flag(
                total_words, word_limit, short_cap, max_marks, self.developed_at)))
        return tuple(caps)

    def _short_cap(self, total_words: int, word_limit: int, max_marks: float) -> float:
        """The most an answer of this length can earn: in proportion below ``developed_at`` × the limit.

        Rubric points named in a line each are not points developed: at 136 of 250 words, an answer that
        named every point had scored 14/15 where an examiner gives far less.
        """
        if self.developed_at is None or total_words >= self.developed_at * word_limit:
            return max_marks
        return math.floor(max_marks * total_words / (self.developed_at * word_limit) * 2) / 2

    def _marked_words(self, word_limit: int, total_words: int) -> int:
        """How many words are marked: all, or those an examiner's space holds (``marked_up_to`` × the limit)."""
        if self.marked_up_to is None:
            return total_words
        return min(total_words, marked_word_limit(word_limit, self.marked_up_to))

    def _read(self, text: str):
        """Sentences, the prose among them, its tokens (``AnswerView``) and TF-IDF rows (None without prose)."""
        sentences = split_sentences(text)
        tokens = [tuple(w.lower() for w in words(s.text)) for s in sentences]
        keep = [not self.prose_only or is_prose_tokens(s.text, t) for s, t in zip(sentences, tokens)]
        prose = [s for s, k in zip(sentences, keep) if k]
        view = AnswerView.of(prose, [t for t, k in zip(tokens, keep) if k])
        sentence_matrix = tfidf_rows(self.vectorizer_, map(features, view.tokens)) if prose else None
        return sentences, prose, view, sentence_matrix

    def _after_marking(self, prepared: PreparedItem, text: str, total_words: int, marked_points: tuple[PointResult, ...],
                       marked_structure: StructureReport) -> AfterMarking:
        """What the whole answer has that its marked part lacks: points made (or completed) and parts of the
        structure written after marking stopped."""
        sentences, _, view, sentence_matrix = self._read(text)
        whole = self._judge_points(prepared, view, text, sentence_matrix)
        whole_structure = structure(sentences, total_words)[0]
        return AfterMarking(
            point_ids=frozenset(p.id for p, q in zip(marked_points, whole) if q.credit > p.credit),
            structure_parts=tuple(part for part in missing_parts(marked_structure) if getattr(whole_structure, part)),
        )

    def _off_topic(self, prepared: PreparedItem, sentence_matrix, points: tuple[PointResult, ...],
                   content: float, relevance: float) -> str:
        """Why the answer misses the question (off topic, or too general to tell), or "" when it does not.

        Almost none of the model answer's terms means off topic.  Few of them *and* few
        rubric points may be an answer on the topic that stays general, so that message says
        what is missing rather than calling it off topic.
        """
        if relevance < 0.2:
            return "The answer says little about what this question asks. Re-read the question and its directive word."
        if content < 0.25 and relevance < 0.35:
            covered = sum(p.status == "covered" for p in points)
            return (f"The answer makes few of the points this question looks for ({covered} of {len(points)} "
                    "rubric points covered) and uses few of the model answer's key terms: it stays general or "
                    "drifts from the question. Re-read the question and its directive word, and add the "
                    "specifics listed below.")
        closer = self._closer_question(prepared, sentence_matrix)
        if closer:
            text = " ".join(self.prepared_[closer].item.question.text.split())
            quoted = text if len(text) <= 90 else text[:89].rstrip() + "…"
            return f"This reads like an answer to another question in the bank (“{quoted}”), not the one asked."
        return ""

    def _closer_question(self, prepared: PreparedItem, sentence_matrix) -> str | None:
        """The version of a bank question whose model answer fits this answer clearly better, if any."""
        if self.off_topic_margin is None or sentence_matrix is None or len(self.reference_versions_) < 2:
            return None
        answer = sentence_matrix.total()
        norm = math.sqrt(float(answer @ answer))
        if norm:
            answer /= norm
        own = float((prepared.reference @ answer)[0])
        others = self.references_ @ answer
        best, best_version = own, None
        for version, similarity in zip(self.reference_versions_, others):
            if version != prepared.item.version and similarity > best:
                best, best_version = float(similarity), version
        return best_version if best_version is not None and best > own + self.off_topic_margin else None

    def _early_exit(self, prepared: PreparedItem, text: str, total_words: int) -> Feedback | None:
        """Empty, far too long, not in English, or the question copied back: 0 marks with a clear message."""
        question = prepared.item.question
        cap = max(self.min_refuse_words, int(self.max_length_factor * question.word_limit))
        if total_words == 0:
            flag = Flag(code="empty", message="The answer is empty. Write your answer in sentences, then submit.")
        elif total_words > cap:
            flag = Flag(code="too_long_to_score", message=(
                f"The answer has {total_words:,} words, more than {cap:,} (the limit is {question.word_limit}), "
                "so it was not scored. Your text is kept: cut it to the limit and submit again."))
        elif latin_share(text) < ENGLISH_SHARE:
            flag = Flag(code="not_english", message=(
                "This answer is written mostly in another script (for example Devanagari). The scorer reads "
                "English only, so it was not marked. Your text is kept."))
        elif total_words <= 3 * word_count(question.text) and fuzz.ratio(
                normalise(text), normalise(question.text), score_cutoff=85):
            flag = Flag(code="copied_question", message="The answer repeats the question. Answer it in your own words.")
        else:
            return None
        points = tuple(PointResult(id=p.point.id, label=p.point.label, weight=p.point.weight, status="missed",
                                   strength=0.0, hint=p.point.hint, concepts=p.point.concepts)
                       for p in prepared.points)
        length_report = length(total_words, question.word_limit)[0]
        return Feedback(
            question_id=question.id, question_version=prepared.item.version, marks=0.0,
            max_marks=question.marks, points=points, flags=(flag,), length=length_report,
            suggestions=tuple(p.hint for p in points if p.hint)[:5] if flag.code != "too_long_to_score" else (),
            message=flag.message, scorer=SCORER_NAME,
        )

    def _judge_points(self, prepared: PreparedItem, view: AnswerView, text: str, sentence_matrix) -> tuple[PointResult, ...]:
        if sentence_matrix is not None:
            similarities = np.asarray(sentence_matrix @ prepared.point_columns)
        else:
            similarities = np.zeros((0, len(prepared.points)))
        columns = similarities.T.tolist() if len(similarities) else [[] for _ in prepared.points]
        return tuple(
            judge_point(compiled, view, text, columns[column], self.settings)
            for column, compiled in enumerate(prepared.points)
        )

    def _relevance(self, prepared: PreparedItem, sentence_matrix) -> float:
        """Weighted share of the model answer's terms found in the prose (adding text never lowers it)."""
        if sentence_matrix is None or not prepared.model_terms:
            return 0.0
        present = np.zeros(sentence_matrix.shape[1], dtype=bool)
        present[sentence_matrix.indices] = True
        total = float(prepared.term_weight.sum())
        found = float(prepared.term_weight[present[prepared.term_index]].sum())
        return min(1.0, found / total / self.relevance_full_at)

    def _components(self, scores: dict[str, tuple[float, str]], max_marks: float) -> tuple[Component, ...]:
        weights = self.weights.as_dict()
        return tuple(
            Component(name=name, score=round(score, 4), weight=weights[name],
                      marks=round(score * weights[name] * max_marks, 3), note=note)
            for name, (score, note) in scores.items()
        )


def content_share(rubric: Rubric, points: tuple[PointResult, ...], *, graded: bool = False) -> float:
    """Coverage as a share of the content marks: weighted credit, or the rubric's bands.

    ``graded`` credits each point with its strength (0..1) instead of its status's credit.
    """
    credit = (lambda p: p.strength) if graded else (lambda p: p.credit)
    if rubric.policy == "bands":
        covered = sum(credit(p) for p in points)
        top = max(b.marks for b in rubric.bands)
        earned = max((b.marks for b in rubric.bands if covered >= b.min_points), default=0.0)
        return earned / top if top else 0.0
    total = sum(p.weight for p in points)
    return sum(p.weight * credit(p) for p in points) / total if total else 0.0


def _documents(item: Item, concepts: dict[str, Concept]) -> list[str]:
    points = [compile_point(p, concepts).description for p in item.rubric.points]
    return [item.question.text, item.question.model_answer, *points]


def _reference_text(item: Item) -> str:
    return item.question.model_answer + "\n" + item.question.text


def _clip(marks: float, maximum: float) -> float:
    return min(float(maximum), max(0.0, marks))


def _content_note(points: tuple[PointResult, ...]) -> str:
    covered = sum(p.status == "covered" for p in points)
    partial = sum(p.status == "partial" for p in points)
    return f"{covered} of {len(points)} rubric points covered, {partial} partly."


def _gated_note(note: str, gate: float) -> str:
    if gate >= 1.0:
        return note
    return f"{note} Counted at {gate:.0%} because the answer covers little of the rubric."


def _prose_words(sentences: list, prose: list, marked_words: int) -> int:
    """The words of the prose sentences: the marked words less those of the other sentences, which are few and
    short (the sentences hold every word once: they are cut at whitespace, which no counted word spans; a
    property test holds the two counts equal)."""
    kept = set(map(id, prose))
    return marked_words - sum(word_count(s.text) for s in sentences if id(s) not in kept)


def _flags(prose_words, marked_words, length_status, total_words, limit) -> tuple[Flag, ...]:
    flags: list[Flag] = []
    if marked_words and prose_words < 0.5 * marked_words:
        flags.append(Flag(code="keyword_list", message=(
            "Most of this answer is a list of keywords, not sentences. Examiners credit points "
            "explained in sentences, so keywords alone earn little.")))
    if length_status == "over":
        flags.append(Flag(code="over_length", message=(
            f"{total_words:,} words is over the {limit}-word limit. In the exam, extra words cost time for other questions.")))
    elif length_status == "short":
        flags.append(Flag(code="under_length", message=(
            f"At {total_words:,} words, the answer uses under 60% of the {limit}-word limit. Develop more points.")))
    return tuple(flags)


def _not_marked_flag(total_words: int, marked_words: int, limit: int, late: list[PointResult]) -> Flag:
    unmarked = total_words - marked_words
    message = (f"Only the first {marked_words:,} words were marked. An answer to a {limit}-word question is marked "
               f"up to {marked_words:,} words, about what the answer booklet's space and the time allow; the last "
               f"{unmarked:,} {'word' if unmarked == 1 else 'words'} of this one earned nothing.")
    if late:
        message += f" Made or completed only after word {marked_words:,}: {'; '.join(p.label for p in late)}."
    return Flag(code="not_marked", message=message)


def _structure_notes_after_marking(report: StructureReport, late_parts: tuple[str, ...],
                                   marked_words: int) -> tuple[str, ...]:
    """A note for each part the marked words lack: the usual advice, or, for a part the answer wrote only
    after marking stopped, where it was."""
    return tuple(
        f"Your {STRUCTURE_PARTS[part][0]} came after word {marked_words:,}, where marking stopped: write less "
        "before it, so that it is read." if part in late_parts else STRUCTURE_PARTS[part][1]
        for part in missing_parts(report)
    )


def _short_capped_flag(words: int, limit: int, cap: float, max_marks: float, share: float) -> Flag:
    """The cap on a short answer, said once beside the under-length flag's "Develop more points"."""
    return Flag(code="short_capped", message=(
        f"Marks capped at {cap:g} of {max_marks:g}: at {words:,} words, under {share:.0%} of the {limit}-word limit, "
        "the points cannot be developed as examiners expect (3–4 lines each, with a fact or an example)."))


def _and(names: Sequence[str]) -> str:
    """ "a", "a and b", "a, b and c".

    >>> _and(["merits"]), _and(["merits", "demerits"]), _and(["evidence", "limits or risks", "a judgement"])
    ('merits', 'merits and demerits', 'evidence, limits or risks and a judgement')
    """
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _suggestions(points, structure_notes, directive_report, length_status, limit, marked_words) -> tuple[str, ...]:
    """Concrete next steps: points made after marking stopped first, then missed points' hints (heaviest
    first), then partial ones."""
    late = [p for p in points if p.after_marking]
    missed = sorted((p for p in points if p.status == "missed" and not p.after_marking), key=lambda p: -p.weight)
    partial = sorted((p for p in points if p.status == "partial" and not p.after_marking), key=lambda p: -p.weight)
    out = [f"Move up: {p.label}. Your answer {'makes' if p.status == 'missed' else 'completes'} this point only "
           f"after word {marked_words:,}, where marking stopped." for p in late]
    out += [f"Add: {p.label}. {p.hint}".strip() for p in missed]
    out += [f"Develop: {p.label}. {p.hint}".strip() for p in partial]
    if directive_report.missing:
        out.append(f"Add {_and(directive_report.missing)}: '{directive_report.directive}' asks you to "
                   f"{directive_report.asks[:1].lower()}{directive_report.asks[1:]}")
    out += list(structure_notes)
    if length_status == "over":
        out.append(f"Cut to {limit} words: drop repetition before dropping points.")
    return tuple(out)
