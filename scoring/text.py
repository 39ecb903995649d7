"""Tokenising: words, stems, sentences and paragraphs, each with its character span.

Kept apart from the scorer (as in rouge_score's ``tokenize``) so that every
matcher sees the same tokens.

>>> [s.text for s in split_sentences("FOIP matters. The JWG works!\\n- Open RAN pilots")]
['FOIP matters.', 'The JWG works!', '- Open RAN pilots']
>>> stem_tokens("Supply-chains were weaponised")
('suppli', 'chain', 'were', 'weaponis')
"""

from __future__ import annotations

import io
import re
import string
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import regex
import snowballstemmer

WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
_LETTER = r"\p{L}\p{M}*"  # a letter with its combining marks (a Devanagari vowel sign, a decomposed accent)
_RUN = r"[\p{L}\p{N}][\p{L}\p{M}\p{N}]*"  # letters, marks and digits, as a word's part
#: a word as an examiner counts it: hyphenated (or en-dashed) words, numbers with separators ("1,20,000",
#: "67.9") and dotted abbreviations ("U.S.", "e.g.") count once, and a combining mark belongs to its word
#: ("भारत" is one word, not "भ" and "रत"). Written in the Unicode-property syntax that both the ``regex``
#: module and JavaScript read, so the answer box's live count runs this very pattern in the browser
COUNTED_WORD_PATTERN = (rf"{_LETTER}(?:\.{_LETTER})+\.?"
                        rf"|{_RUN}(?:(?:['’\-–]|(?<=\p{{Nd}})[.,](?=\p{{Nd}})){_RUN})*")
COUNTED_WORD = regex.compile(COUNTED_WORD_PATTERN)
_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+|\n+")
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
_BULLET = re.compile(r"^\s*(?:[-*•▪●◦]|\d{1,2}[.)]|\(?[a-z]\))\s+", re.IGNORECASE)

#: function words: their presence is what separates prose from a keyword list
STOPWORDS = frozenset(
    """a an the and or but nor so yet of to in on at by for with from into onto over under about
    as is are was were be been being am do does did has have had having can could will would shall
    should may might must it its this that these those there their they them we our us he she his
    her you your i not no than then which who whom whose what when where why how while also both
    each such more most less very through between across against among within without via upon
    if because since although though whereas thus hence therefore however""".split()
)

_STEMMER = snowballstemmer.stemmer("english")


@dataclass(frozen=True)
class Sentence:
    """A sentence (or bullet line) and where it sits in the answer."""

    text: str
    start: int
    end: int
    paragraph: int
    is_bullet: bool = False


_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


def clean(text: str) -> str:
    r"""Control characters (NUL included) become spaces, one for one, so spans still
    point into the text as the aspirant wrote it; newlines and tabs stay.

    >>> clean("FOIP\x00matters\r\n")
    'FOIP matters \n'
    """
    return _CONTROL.sub(" ", text)


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """Snowball (Porter 2) stem of one lower-cased word; a typographic apostrophe is read as a straight one, so
    a possessive loses its "’s" as it loses "'s" (phones and word processors type "Japan’s").

    >>> stem("Tsusho’s"), stem("Tsusho's"), stem("Japan’s")
    ('tsusho', 'tsusho', 'japan')
    """
    return _STEMMER.stemWord(word.lower().replace("’", "'"))


def words(text: str) -> list[str]:
    """Word tokens; hyphens and slashes split words (``Indo-Pacific`` → ``Indo``, ``Pacific``)."""
    return WORD.findall(text)


_ASCII_LETTERS = string.ascii_letters.encode()
_ASCII_RUNS = re.compile(r"[\x00-\x7f]+")


def latin_share(text: str) -> float:
    """The share of the text's letters that are Latin (English) letters; 1.0 when it has none.

    >>> latin_share("GST Council"), latin_share("भारत और जापान"), latin_share("2026!")
    (1.0, 0.0, 1.0)
    """
    ascii_part = text.encode("ascii", "ignore")  # counted in C: most answers are almost all ASCII
    ascii_letters = len(ascii_part) - len(ascii_part.translate(None, _ASCII_LETTERS))
    others = [c for c in _ASCII_RUNS.sub("", text) if c.isalpha()]
    if not ascii_letters + len(others):
        return 1.0
    latin = ascii_letters + sum(unicodedata.name(c, "").startswith("LATIN") for c in others)
    return latin / (ascii_letters + len(others))


def word_count(text: str) -> int:
    """Words as an examiner counts them: hyphenated words, numbers and abbreviations count once.

    >>> word_count("Indo-Pacific supply-chain risk, 2026.")
    4
    >>> word_count("India–Japan trade: $67.9 billion (₹5,60,000 crore, 10.5%), e.g. in the U.S.")
    11
    >>> word_count("भारत और जापान"), word_count("தமிழ் நாடு"), word_count("e\u0301te\u0301 cafe\u0301")
    (3, 2, 2)
    """
    return len(COUNTED_WORD.findall(text))


def without_bullet(text: str) -> str:
    """A line's text without its list marker, for quoting it.

    >>> without_bullet("- Concentrated supply chains."), without_bullet("2) The JWG."), without_bullet("India.")
    ('Concentrated supply chains.', 'The JWG.', 'India.')
    """
    return _BULLET.sub("", text, count=1)


_ATTACHED_PUNCTUATION = re.compile(r"[^\w\s]*")


def end_of_word(text: str, n: int) -> int:
    """Character offset just after the ``n``-th word (as ``word_count`` counts) and the punctuation
    attached to it, or ``len(text)`` if it has fewer words.

    >>> text = "Indo-Pacific supply-chain risk, 2026."
    >>> text[:end_of_word(text, 2)], text[:end_of_word(text, 3)], end_of_word(text, 9) == len(text)
    ('Indo-Pacific supply-chain', 'Indo-Pacific supply-chain risk,', True)
    """
    if n <= 0:
        return 0
    for index, match in enumerate(COUNTED_WORD.finditer(text), start=1):
        if index == n:
            return _ATTACHED_PUNCTUATION.match(text, match.end()).end()
    return len(text)


def stem_tokens(text: str) -> tuple[str, ...]:
    return tuple(stem(w) for w in words(text))


def normalise(text: str) -> str:
    """Lower-case, punctuation to spaces, one space between words: for fuzzy matching.

    >>> normalise("Indo-Pacific (FOIP)!")
    'indo pacific foip'
    """
    return " ".join(w.lower() for w in words(text))


def split_paragraphs(text: str) -> list[tuple[int, int]]:
    """Spans of non-empty paragraphs (blank-line separated)."""
    spans, start = [], 0
    for match in _PARAGRAPH_BREAK.finditer(text):
        spans.append((start, match.start()))
        start = match.end()
    spans.append((start, len(text)))
    return [(s, e) for s, e in spans if text[s:e].strip()]


def prompt_of(question: str) -> str:
    r"""The question's prompt: its last paragraph, without any stimulus material before it.

    Words of the prompt cost an answer nothing to copy, so matchers may demote them;
    words of a stimulus (a procedure, an article) are often what the answer must use.

    >>> prompt_of("Procedure: rinse the samples.\n\nDescribe what else you would need.")
    'Describe what else you would need.'
    """
    spans = split_paragraphs(question)
    return question[spans[-1][0]:spans[-1][1]].strip() if spans else ""


def split_sentences(text: str) -> list[Sentence]:
    """Sentences and bullet lines with spans into ``text``."""
    sentences: list[Sentence] = []
    for number, (p_start, p_end) in enumerate(split_paragraphs(text)):
        start = p_start
        for match in _SENTENCE_END.finditer(text, p_start, p_end):
            _add_sentence(sentences, text, start, match.start(), number)
            start = match.end()
        _add_sentence(sentences, text, start, p_end, number)
    return sentences


def _add_sentence(out: list[Sentence], text: str, start: int, end: int, paragraph: int) -> None:
    chunk = text[start:end]
    stripped = chunk.strip()
    if not stripped:
        return
    lead = len(chunk) - len(chunk.lstrip())
    start += lead
    end = start + len(stripped)
    out.append(Sentence(stripped, start, end, paragraph, bool(_BULLET.match(stripped))))


def is_prose(sentence: str) -> bool:
    """Does this read as a sentence, rather than a bare list of keywords?

    Evidence only counts inside prose: at least four words, some function words,
    and not a comma-separated run of short fragments.

    >>> is_prose("Japan pledged $67.9 billion of investment over ten years.")
    True
    >>> is_prose("economic security, FOIP, JWG, supply chains, rare earths, HHI")
    False
    >>> is_prose("Japan’s 10 trillion yen investment target brings patient capital.")
    True
    """
    return is_prose_tokens(sentence, [w.lower() for w in words(sentence)])


#: a possessive ("Japan's", "Tsusho’s") does a function word's work: "the capital of Japan"
_POSSESSIVE = ("'s", "’s")


def is_prose_tokens(sentence: str, tokens: list[str] | tuple[str, ...]) -> bool:
    """``is_prose`` for a sentence already split into lower-cased ``words``."""
    if len(tokens) < 4:
        return False
    function_words = sum(1 for t in tokens if t in STOPWORDS or t.endswith(_POSSESSIVE))
    if function_words == 0 or function_words / len(tokens) < 0.1:
        return False
    fragments = [f for f in re.split(r"[,;|/]", sentence) if f.strip()]
    if len(fragments) >= 4 and len(tokens) / len(fragments) < 3.5:
        return False
    return True


def csv_separator(text: str) -> str:
    """The header's separator: a comma, else semicolons or tabs, whichever the header has more of.

    >>> csv_separator("question_id;answer;score;max_score\\n"), csv_separator("a,b;c\\n"), csv_separator("a\\tb\\n")
    (';', ',', '\\t')
    """
    header = next((line for line in io.StringIO(text) if line.strip()), "")
    if "," in header:
        return ","
    counts = {";": header.count(";"), "\t": header.count("\t")}
    best = max(counts, key=lambda sep: counts[sep])
    return best if counts[best] else ","
