"""Respelling rare misspellings to the common form a question's answers use."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from scoring.spelling import learn_spelling, respell, word_counts

ANSWERS = (["The protein leaves the nucleus through a pore."] * 6
           + ["Then the ribosome reads the codons."] * 5
           + ["the protien leaves the nucleous", "a ribosone reads it", "till then it waits"])


def test_rare_misspellings_map_to_the_common_spelling():
    mapping = learn_spelling(ANSWERS)
    assert mapping == {"protien": "protein", "nucleous": "nucleus", "ribosone": "ribosome"}


def test_short_rare_words_are_left_alone():
    # "till" is rare and close to "still", but four letters is too short to respell safely
    assert "till" not in learn_spelling(ANSWERS + ["it is still there"] * 6)


def test_a_word_is_respelled_only_when_its_common_form_dominates():
    # seen twice, "protien" is rare (under 3) but "protein" (5) is not 5 times as frequent
    texts = ["protein"] * 5 + ["protien"] * 2
    assert learn_spelling(texts) == {}
    assert learn_spelling(texts + ["protein"] * 5) == {"protien": "protein"}


def test_respell_keeps_everything_but_the_mapped_words():
    text = "The Protien, leaves!\n2 nucleous-pores; PROTIEN"
    assert respell(text, {"protien": "protein", "nucleous": "nucleus"}) == \
        "The protein, leaves!\n2 nucleus-pores; protein"
    assert respell(text, {}) is text


def test_word_counts_ignore_case_and_punctuation():
    assert word_counts(["Cell, cell; CELL.", "cells"]) == {"cell": 3, "cells": 1}


words = st.text(alphabet="abcdefgh", min_size=1, max_size=9)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(words, min_size=1, max_size=8).map(" ".join), min_size=1, max_size=30))
def test_learned_maps_respell_rare_words_to_frequent_ones_and_settle_in_one_pass(texts):
    mapping = learn_spelling(texts)
    counts = word_counts(texts)
    for rare, common in mapping.items():
        assert counts[rare] < 3 <= counts[common] and counts[common] >= 5 * counts[rare]
        assert rare != common and len(rare) >= 5
    for text in texts:
        once = respell(text, mapping)
        assert respell(once, mapping) == once
        assert len(once.split()) == len(text.split())
