"""Property tests (hypothesis) for the scorer's invariants.

Example budgets are fixed and the search is derandomised, so CI runs the same
examples every time and stays fast.
"""

from __future__ import annotations

import math
import unicodedata

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from scoring.models import Item
from scoring.text import clean, split_sentences, word_count
from tests.scoring_support import bank, scorer

ITEMS = sorted(bank().items.values(), key=lambda item: item.id)
PROPERTY = settings(max_examples=150, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

items = st.sampled_from(ITEMS)
#: any unicode at all, including surrogates, controls, RTL marks and emoji
any_text = st.text(alphabet=st.characters(codec=None), max_size=600)
#: text that looks like answers: words from the bank, punctuation and line breaks
bank_words = sorted({w for item in ITEMS for w in item.question.model_answer.split()})
answer_like = st.lists(st.one_of(st.sampled_from(bank_words), st.sampled_from([".", "\n", "\n\n", "- ", ","])),
                       max_size=250).map(" ".join)


def _assert_sane(item: Item, answer: str) -> None:
    feedback = scorer().score(item, answer)
    assert 0 <= feedback.marks <= feedback.max_marks
    assert (feedback.marks * 2).is_integer()
    for point in feedback.points:
        if point.span is not None:
            start, end = point.span
            assert clean(answer)[start:end] == point.evidence  # control characters show as spaces
    assert scorer().score(item, answer) == feedback


@PROPERTY
@given(items, any_text)
def test_any_unicode_scores_within_bounds_deterministically(item, answer):
    _assert_sane(item, answer)


@PROPERTY
@given(items, answer_like)
def test_answer_like_text_scores_within_bounds_deterministically(item, answer):
    _assert_sane(item, answer)


def _paragraphs(item: Item) -> list[str]:
    return [p for p in item.question.model_answer.split("\n") if p.strip()]


def _covering_sentence(item: Item, point_id: str) -> str:
    """A plain sentence that makes a point with its own evidence, as an aspirant would."""
    point = next(p for p in item.rubric.points if p.id == point_id)
    phrases = list(point.evidence[:3]) or [bank().concepts[c].name for c in point.concepts]
    return f"An important dimension is {' and '.join(phrases)}, which matters for India and Japan."


@settings(max_examples=120, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_adding_a_sentence_that_covers_a_missed_point_never_lowers_marks(data):
    item = data.draw(items)
    paragraphs = _paragraphs(item)
    kept = data.draw(st.lists(st.sampled_from(range(len(paragraphs))), unique=True, max_size=len(paragraphs)))
    base = "\n\n".join(paragraphs[i] for i in sorted(kept))
    before = scorer().score(item, base)
    missed = [p.id for p in before.points if p.status == "missed"]
    assume(missed)
    point_id = data.draw(st.sampled_from(missed))
    blocks = [b for b in base.split("\n\n") if b.strip()]
    position = data.draw(st.integers(min_value=0, max_value=max(0, len(blocks) - 1)))
    blocks.insert(position, _covering_sentence(item, point_id))
    after = scorer().score(item, "\n\n".join(blocks))
    assert {p.id: p.status for p in after.points}[point_id] != "missed"
    assert after.marks >= before.marks, (item.id, point_id, before.marks, after.marks)


@PROPERTY
@given(items, answer_like)
def test_words_past_the_end_of_marking_never_earn_marks(item, tail):
    base = "\n\n".join([item.question.model_answer] * 3)  # at least 1.8 times the limit: past 1.5
    before = scorer().score(item, base)
    after = scorer().score(item, base + "\n\n" + tail)
    assert before.length is not None and before.length.marked_words is not None
    marked = [(p.id, p.status, p.strength, p.span) for p in before.points]
    assert [(p.id, p.status, p.strength, p.span) for p in after.points] == marked  # what was marked is unchanged
    assert after.marks <= before.marks


@PROPERTY
@given(st.data())
def test_marks_given_from_elsewhere_keep_to_the_caps_and_say_so_only_when_they_bite(data):
    """A calibration's marks (any half mark here) go through ``Feedback.capped``: never above a cap, equal to
    what was given when no cap is lower, and the short answer's flag present exactly when its cap lowered them."""
    item = data.draw(items)
    lines = _paragraphs(item)
    kept = data.draw(st.lists(st.sampled_from(range(len(lines))), unique=True, min_size=1, max_size=len(lines)))
    feedback = scorer().score(item, "\n\n".join(lines[i] for i in sorted(kept)))
    given_marks = data.draw(st.integers(0, int(2 * item.question.marks))) / 2
    capped = feedback.capped(given_marks)
    limit = min([c.marks for c in feedback.caps], default=given_marks)
    assert capped.marks == min(given_marks, limit)
    short = [c for c in feedback.caps if c.code == "short"]
    before_short = min([given_marks] + [c.marks for c in feedback.caps if c.code != "short"])  # off topic first
    assert ("short_capped" in capped.flag_codes()) == bool(short and before_short > short[0].marks)
    assert capped.flag_codes() - {"short_capped"} == feedback.flag_codes() - {"short_capped"}


@PROPERTY
@given(st.data())
def test_a_short_answer_never_earns_more_than_its_length_allows(data):
    """Under 80% of the word limit, marks are at most the maximum × words / (0.8 × limit), in half marks,
    however many rubric points the words name: here the model answer's own lines, cut short."""
    item = data.draw(items)
    lines = _paragraphs(item)
    kept = data.draw(st.lists(st.sampled_from(range(len(lines))), unique=True, min_size=1, max_size=len(lines)))
    answer = "\n\n".join(lines[i] for i in sorted(kept))
    feedback = scorer().score(item, answer)
    words, limit = word_count(answer), item.question.word_limit
    if words < 0.8 * limit and not feedback.flag_codes() & {"empty", "copied_question"}:
        assert feedback.marks <= math.floor(item.question.marks * words / (0.8 * limit) * 2) / 2
    capped = [f.message for f in feedback.flags if f.code == "short_capped"]
    if capped:  # said only when it bites, with the marks it left
        assert words < 0.8 * limit and capped[0].startswith(f"Marks capped at {feedback.marks:g} of ")


@PROPERTY
@given(any_text)
def test_a_word_counts_the_same_whether_its_accents_are_composed_or_combining(text):
    # a phone or a pasted PDF may send "é" as one character or as "e" and a combining accent; Indic vowel signs
    # are combining marks too: none of them may split a word (the answer box counts with the same pattern)
    assert word_count(unicodedata.normalize("NFD", text)) == word_count(unicodedata.normalize("NFC", text))


def test_indic_words_count_once_each_with_their_vowel_signs():
    assert word_count("आत्मनिर्भर भारत और जापान") == 4  # the conjunct's virama and the vowel signs stay in their word
    assert word_count("தமிழ் நாடு") == 2
    assert word_count("India–Japan ties: भारत-जापान संबंध") == 4  # hyphenated or en-dashed pairs count once in any script


@PROPERTY
@given(st.one_of(any_text, answer_like))
def test_an_answers_sentences_hold_all_its_words_and_no_word_twice(text):
    # the scorer counts prose words as all the marked words when every sentence is prose (scorer._prose_words)
    text = clean(text)
    assert sum(word_count(s.text) for s in split_sentences(text)) == word_count(text)
