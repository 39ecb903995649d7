"""Respelling rare words to the common form that answers to the same question use.

Students misspell the key words of an answer ("protien", "nucleous", "contaneir"),
and each misspelling is a separate word to an n-gram model, seen too rarely to
learn from.  ``learn_spelling`` reads a question's answers (no grades needed) and
maps each rare word to a much more frequent word that is spelled almost the same;
``respell`` applies that map.  Nothing is downloaded and no dictionary is used:
the answers themselves say which spelling is the common one.

>>> texts = ["the protein is made"] * 5 + ["a protien chain"]
>>> mapping = learn_spelling(texts)
>>> mapping
{'protien': 'protein'}
>>> respell("A Protien chain", mapping)
'A protein chain'
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Iterable, Mapping

from rapidfuzz import fuzz, process

WORD = re.compile(r"[A-Za-z]+")

#: a word seen fewer times than this is rare; one seen at least this often can be a target
MIN_COUNT = 3
#: rarely-seen words shorter than this are left alone ("till" is not "still")
MIN_LENGTH = 5
#: rapidfuzz ratio (0..100) a rare word needs with its common form
SIMILARITY = 84.0
#: the common form must be seen at least this many times as often as the rare word
DOMINANCE = 5


def word_counts(texts: Iterable[str]) -> Counter:
    """How often each lower-cased word occurs across ``texts``."""
    return Counter(word.lower() for text in texts for word in WORD.findall(str(text)))


def learn_spelling(texts: Iterable[str], *, min_count: int = MIN_COUNT, min_length: int = MIN_LENGTH,
                   similarity: float = SIMILARITY, dominance: int = DOMINANCE) -> dict[str, str]:
    """Rare word → the frequent, almost identically spelled word it should count as."""
    counts = word_counts(texts)
    common = [word for word, count in counts.items() if count >= min_count and len(word) >= 3]
    mapping: dict[str, str] = {}
    for word, count in counts.items():
        if count >= min_count or len(word) < min_length:
            continue
        match = process.extractOne(word, common, scorer=fuzz.ratio, score_cutoff=similarity)
        if match is not None and counts[match[0]] >= dominance * count:
            mapping[word] = match[0]
    return mapping


def respell(text: str, mapping: Mapping[str, str]) -> str:
    """``text`` with every word in ``mapping`` (any case) replaced by its common form."""
    if not mapping:
        return text
    return WORD.sub(lambda found: mapping.get(found.group(0).lower(), found.group(0)), text)
