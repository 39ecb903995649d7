"""Agreement with human examiners on graded answers.

Input is the common benchmark format (``question_id, question, reference_answer,
answer, score, max_score``; CSV or .csv.gz).  Questions in the bank are scored
against their rubric; any other question is scored against its reference answer,
whose sentences (or, with ``--rubrics``, the key elements) become rubric points.
"""

from __future__ import annotations

import bz2
import codecs
import csv
import gzip
import io
import json
import lzma
import math
import re
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator, Mapping, Sequence

import numpy as np
import pandas as pd

from scoring.bank import Bank
from scoring.metrics import Agreement, agreement, to_scale
from scoring.models import Band, Item, Question, Rubric, RubricPoint
from scoring.scorer import Scorer, Weights
from scoring.evidence import MatchSettings
from scoring.suggest import candidate_phrases, most_distinctive, without_question_words
from scoring.text import clean, csv_separator, split_sentences, word_count

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
                      off_topic_margin=None, demote_question=True, marked_up_to=None,
                      developed_at=None)
    return Scorer(weights=SHORT_ANSWER_WEIGHTS, settings=BENCHMARK_MATCH, off_topic_check=False,
                  off_topic_margin=None, demote_question=True, prose_only=False, graded_credit=True,
                  relevance_full_at=0.3, marked_up_to=None, developed_at=None)


class DataError(ValueError):
    """A graded file that cannot be used; the message is one line for the user."""


def read_graded(path: str | Path, *, bank_marks: Mapping[str, float] | None = None) -> pd.DataFrame:
    """Read and check a graded CSV (or .csv.gz); raises ``DataError`` with a one-line reason.

    Columns are separated by commas; a file whose header has no comma but semicolons
    (or tabs), as Excel saves CSV where the decimal mark is a comma, is read with that
    separator, and in a semicolon file a score may have a decimal comma ("7,5").  The
    text must be UTF-8 (a byte-order mark is fine).  Messages name the file's line,
    counted as a text editor counts, and the spreadsheet row when an answer's line
    breaks make the two differ.  ``bank_marks``: see ``check_graded``.  The rows kept
    with a warning are in ``read_graded_file``'s ``warnings``.
    """
    return read_graded_file(path, bank_marks=bank_marks).frame


@dataclass(frozen=True)
class GradedFile:
    """A checked graded table and what was noticed in it but kept (one line each, naming the file's lines)."""

    frame: pd.DataFrame
    warnings: tuple[str, ...] = ()


def read_graded_file(path: str | Path, *, bank_marks: Mapping[str, float] | None = None) -> GradedFile:
    """``read_graded``, with the warnings about rows it kept (e.g. an empty answer graded 0)."""
    path = Path(path)
    frame, sep, where = read_table(path, dtype={"question_id": str, "score": str, "max_score": str},
                                   na_values=[""])
    if sep == ";":  # a decimal comma, as Excel writes it beside semicolons: "7,5"
        for column in ("score", "max_score"):
            if column in frame.columns:
                frame[column] = frame[column].str.replace(r"^(\s*[-+]?\d*),(\d+\s*)$", r"\1.\2", regex=True)
    checked, warnings = _checked(frame, path.name, where, bank_marks)
    return GradedFile(checked, warnings)


def read_table(path: str | Path, *, dtype: dict | type, na_values: list[str] | None = None,
               ) -> tuple[pd.DataFrame, str, Callable[[int], str] | None]:
    """A CSV file (or ``.csv.gz``, ``.bz2``, ``.xz``) as a table, its separator, and where each data row is.

    What ``read_graded`` and ``python -m scoring batch`` share: UTF-8 text (a byte-order mark
    is fine), commas or, when the header has none, semicolons or tabs; ``DataError`` with a
    one-line reason that names the line.  ``where(i)`` says where data row ``i`` (from 0)
    is ("line 7"); None for a compression only pandas opens (``.zip``, ``.zst``, ``.tar``).
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"no such file: {path}")
    name = path.name
    options = {"dtype": dtype, "keep_default_na": False, "na_values": na_values}
    raw = _file_bytes(path)
    if raw is None:
        try:
            return pd.read_csv(path, **options), ",", None
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, OSError, EOFError) as exc:
            raise DataError(f"{name}: not a readable CSV ({_first_line(exc)})")
    body = _utf8_body(raw, name)
    if not body.strip():
        raise DataError(f"{name}: the file is empty")
    sep = csv_separator(body[:65536].decode("utf-8", errors="ignore"))
    try:  # pandas reads the bytes: a text copy in io.StringIO costs four bytes a character
        frame = pd.read_csv(io.BytesIO(body), sep=sep, encoding="utf-8", **options)
    except pd.errors.EmptyDataError:
        raise DataError(f"{name}: the file is empty")
    except pd.errors.ParserError as exc:
        raise DataError(f"{name}: {_parser_problem(body.decode('utf-8'), sep, exc)}")
    return frame, sep, _Places(body, sep)


#: how to save a UTF-8 CSV, for messages
_SAVE_AS_UTF8 = ('save it as UTF-8: in Excel, File › Save As › "CSV UTF-8 (Comma delimited)"; in LibreOffice, '
                 'Save As › "Text CSV" with the character set "Unicode (UTF-8)"')
_SEPARATOR_NAMES = {",": "comma", ";": "semicolon", "\t": "tab"}


def _first_line(exc: BaseException) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def _file_bytes(path: Path) -> bytes | None:
    """The file's bytes, unzipped for ``.gz``, ``.bz2`` and ``.xz``; None for another compressed kind."""
    suffixes = [s.lower() for s in path.suffixes]
    last = suffixes[-1] if suffixes else ""
    if last in (".zip", ".zst", ".tar", ".tgz") or suffixes[-2:] in ([".tar", ".gz"], [".tar", ".bz2"], [".tar", ".xz"]):
        return None
    try:
        data = path.read_bytes()
        if last == ".gz":
            return gzip.decompress(data)
        if last == ".bz2":
            return bz2.decompress(data)
        if last == ".xz":
            return lzma.decompress(data)
        return data
    except (OSError, EOFError, zlib.error, lzma.LZMAError, ValueError) as exc:
        kind = {".gz": "gzip file", ".bz2": "bzip2 file", ".xz": "xz file"}.get(last, "file")
        raise DataError(f"{path.name}: not a readable {kind} ({_first_line(exc)})")


def _utf8_body(raw: bytes, name: str) -> bytes:
    """The file's bytes without a byte-order mark, once they are known to be UTF-8; else ``DataError``
    naming the line of the first byte that is not, and how to fix it.

    >>> _utf8_body("question_id,answer\\nq,caf\u00e9\\n".encode("cp1252"), "graded.csv")
    Traceback (most recent call last):
    ...
    scoring.evaluate.DataError: graded.csv: not UTF-8 text: line 2 has the byte 0xE9 ('é' in Windows-1252, ...
    """
    body = raw.removeprefix(codecs.BOM_UTF8)
    try:
        body.decode("utf-8")
        return body
    except UnicodeDecodeError as exc:
        start = exc.start
    line = body.count(b"\n", 0, start) + 1
    byte = body[start]
    if body.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        raise DataError(f"{name}: a spreadsheet workbook (Excel or LibreOffice), not a CSV file: open it and "
                        + _SAVE_AS_UTF8.replace("save it as UTF-8: ", "save the sheet as a CSV: "))
    if body.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise DataError(f"{name}: UTF-16 text (as Excel's \"Unicode Text\" saves it), not UTF-8; {_SAVE_AS_UTF8}")
    if b"\x00" in body[:4096]:
        raise DataError(f"{name}: not a CSV text file (line {line} has the byte 0x{byte:02X}, which is not "
                        f"UTF-8 text; is it the right file?): {_SAVE_AS_UTF8}")
    letter = bytes([byte]).decode("cp1252", errors="replace")
    hint = (f" ('{letter}' in Windows-1252, which Excel's plain \"CSV\" uses)"
            if letter.isprintable() and letter != "\ufffd" else "")
    raise DataError(f"{name}: not UTF-8 text: line {line} has the byte 0x{byte:02X}{hint}; {_SAVE_AS_UTF8}")


def _records(text: str, sep: str) -> Iterator[tuple[int, int, list[str]]]:
    """``(line, row, fields)`` for each record pandas reads (blank lines skipped): the line it starts on
    (counted as a text editor counts) and its row in a spreadsheet (counted as Excel counts)."""
    reader = csv.reader(io.StringIO(text), delimiter=sep)
    previous = 0
    for row, fields in enumerate(reader, 1):
        line, previous = previous + 1, reader.line_num
        if not fields or (len(fields) == 1 and not fields[0].strip()):
            continue
        yield line, row, fields


def _place(line: int, row: int) -> str:
    return f"line {line}" if line == row else f"line {line} (row {row} in a spreadsheet)"


class _Places:
    """Where the data record ``i`` (from 0) is in the file, worked out only when a message needs it."""

    def __init__(self, body: bytes, sep: str):
        self._body, self._sep = body, sep
        self._places: list[str] | None = None

    def __call__(self, i: int) -> str:
        if self._places is None:
            try:
                records = _records(self._body.decode("utf-8"), self._sep)
                self._places = [_place(line, row) for line, row, _ in records][1:]
            except csv.Error:
                self._places = []
        return self._places[i] if i < len(self._places) else f"line {i + 2}"


def _parser_problem(text: str, sep: str, exc: pd.errors.ParserError) -> str:
    """A pandas parsing error in plain words, with the line it is on."""
    separator = _SEPARATOR_NAMES.get(sep, repr(sep))
    try:
        records = list(_records(text, sep))
    except csv.Error:
        records = []
    if records:
        width = len(records[0][2])
        for line, row, fields in records[1:]:
            if len(fields) > width:
                return (f"{_place(line, row)} has {len(fields)} values but the header has {width} columns; "
                        f"a value with a {separator} or a line break in it must be in double quotes")
        if "EOF inside string" in str(exc):
            line, row, _ = records[-1]
            return (f"from {_place(line, row)} on, a double quote (\") is opened and never closed; end the value "
                    'with a double quote, and write a double quote inside a value as two ("")')
    return f"not a readable CSV ({_first_line(exc)})"


def check_graded(frame: pd.DataFrame, name: str = "data", *, where: Callable[[int], str] | None = None,
                 bank_marks: Mapping[str, float] | None = None) -> pd.DataFrame:
    """The graded table with numeric scores; ``DataError`` (one line) naming where a fault is.

    ``where(i)`` says where data row ``i`` (from 0) is in the file ("line 7"); by default
    the line counted as if each row were one line after a header.

    ``bank_marks`` maps the ids of questions marked against the question bank to their
    marks.  Their rows are a mentor's grading of the bank's questions, so they are held to
    the bank: ``max_score`` must be the question's marks (12 for a 10-mark question is a
    slip in the file, or the wrong question id), and an empty answer must not have marks
    (its text was lost; the scorer gives an empty answer 0).  Other rows (a benchmark's,
    marked against its reference answer) are kept as published.  An empty answer that is
    kept is reported by ``read_graded_file``'s warnings.

    >>> check_graded(pd.DataFrame({"question_id": ["q", "q"], "answer": ["a", "b"], "score": [3, 18],
    ...                            "max_score": [15, 15]}), "graded.csv")
    Traceback (most recent call last):
    ...
    scoring.evaluate.DataError: graded.csv: line 3: score 18 is above max_score 15; every score must lie ...
    >>> check_graded(pd.DataFrame({"question_id": ["q", "q"], "answer": ["a", "b"], "score": [3, 8],
    ...                            "max_score": [10, 12]}), "graded.csv", bank_marks={"q": 10})
    Traceback (most recent call last):
    ...
    scoring.evaluate.DataError: graded.csv: line 3: max_score 12 for q, a 10-mark question in the bank; ...
    """
    return _checked(frame, name, where, bank_marks)[0]


def _checked(frame: pd.DataFrame, name: str, where: Callable[[int], str] | None,
             bank_marks: Mapping[str, float] | None) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """``check_graded``'s table, and warnings about the rows it kept."""
    place = where or (lambda i: f"line {i + 2}")
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        raise DataError(f"{name}: missing column(s) {', '.join(missing)}; need {', '.join(REQUIRED_COLUMNS)}; "
                        f"{_found_columns(frame.columns, missing)}")
    frame = frame.copy()
    for column in ("score", "max_score"):
        values = pd.to_numeric(frame[column], errors="coerce")
        bad = values.isna()
        if bad.any():
            raise DataError(f"{name}: {place(int(np.flatnonzero(bad.to_numpy())[0]))}: {column} is not a number")
        frame[column] = values.astype(float)
    _check_bank_marks(frame, name, place, bank_marks or {})  # first: a score above a wrong max_score is that fault
    score, maximum = frame["score"].to_numpy(float), frame["max_score"].to_numpy(float)
    outside = np.flatnonzero((maximum <= 0) | (score < 0) | (score > maximum))
    if len(outside):
        faults = [f"{place(int(i))}: {_range_fault(score[i], maximum[i])}" for i in outside[:3]]
        raise DataError(f"{name}: {'; '.join(faults)}{_more(len(outside), 3)}; every score must lie between 0 and its "
                        "max_score, and max_score must be above 0")
    if frame.empty:
        raise DataError(f"{name}: no rows")
    frame["answer"] = frame["answer"].astype(object).fillna("").astype(str)
    frame["question_id"] = frame["question_id"].astype(str)
    for column in ("question", "reference_answer"):
        if column not in frame.columns:
            frame[column] = ""
        frame[column] = frame[column].astype(object).fillna("").astype(str)
    return frame, _check_rows(frame, name, place, bank_marks or {})


def _check_bank_marks(frame: pd.DataFrame, name: str, place: Callable[[int], str],
                      bank_marks: Mapping[str, float]) -> None:
    """Refuse (``DataError``) a bank question's row graded out of other marks than the question's."""
    questions = frame["question_id"].astype(str).tolist()
    maximum = frame["max_score"].to_numpy(float)
    other_marks = [i for i, q in enumerate(questions) if q in bank_marks and maximum[i] != float(bank_marks[q])]
    if other_marks:
        faults = [f"{place(i)}: max_score {_number(maximum[i])} for {questions[i]}, a "
                  f"{_number(float(bank_marks[questions[i]]))}-mark question in the bank" for i in other_marks[:3]]
        raise DataError(f"{name}: {'; '.join(faults)}{_more(len(other_marks), 3)}; grade each answer out of its "
                        "question's marks (or correct the question id)")


def _check_rows(frame: pd.DataFrame, name: str, place: Callable[[int], str],
                bank_marks: Mapping[str, float]) -> tuple[str, ...]:
    """Refuse (``DataError``) an empty answer to a bank question that has marks; return warnings for the empty
    answers kept."""
    questions = frame["question_id"].tolist()
    score = frame["score"].to_numpy(float)
    in_bank = np.array([q in bank_marks for q in questions], bool)
    empty = np.array([word_count(clean(answer)) == 0 for answer in frame["answer"]], bool)
    lost = np.flatnonzero(empty & in_bank & (score > 0))
    if len(lost):
        faults = [f"{place(int(i))}: the answer is empty but has score {_number(score[i])}" for i in lost[:3]]
        raise DataError(f"{name}: {'; '.join(faults)}{_more(len(lost), 3)}; an empty answer earns 0: put its "
                        "text back, give it 0, or remove the row")
    warnings = []
    zero = np.flatnonzero(empty & (score == 0))
    if len(zero):
        what = "an empty answer graded 0 is" if len(zero) == 1 else f"{len(zero)} empty answers graded 0 are"
        warnings.append(f"{name}: {what} kept, as the scorer gives an empty answer 0 too (and a calibration keeps "
                        f"that 0): {_places(place, zero)}")
    published = np.flatnonzero(empty & ~in_bank & (score > 0))
    if len(published):
        what = ("an empty answer with marks is" if len(published) == 1
                else f"{len(published)} empty answers with marks are")
        warnings.append(f"{name}: {what} kept as published; the scorer gives an empty answer 0, which counts against "
                        f"its agreement: {_places(place, published)}")
    return tuple(warnings)


def _more(total: int, shown: int) -> str:
    return f" (and {total - shown} more line(s) like these)" if total > shown else ""


def _places(place: Callable[[int], str], index: Sequence[int], shown: int = 5) -> str:
    """ "line 7", "lines 7, 9 and 12" or "lines 7, 9, 12, 15, 18 and 3 more": where these rows are."""
    names = [place(int(i)) for i in index[:shown]]
    names = [names[0]] + [n.removeprefix("line ") for n in names[1:]]
    if len(index) == 1:
        return names[0]
    names[0] = "lines " + names[0].removeprefix("line ")
    if len(index) > shown:
        return ", ".join(names) + f" and {len(index) - shown} more"
    return ", ".join(names[:-1]) + " and " + names[-1]


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() and abs(value) < 1e15 else f"{value:g}"


def _range_fault(score: float, maximum: float) -> str:
    if maximum <= 0:
        return f"max_score {_number(maximum)} is not above 0"
    if score < 0:
        return f"score {_number(score)} is below 0"
    return f"score {_number(score)} is above max_score {_number(maximum)}"


def _found_columns(columns: Iterable, missing: list[str]) -> str:
    """The header as read, for a missing-column message; notes a name that differs only in case or spaces."""
    names = [str(c) for c in columns]
    shown = ", ".join(n if len(n) <= 40 else n[:39] + "…" for n in names[:8]) + (", …" if len(names) > 8 else "")
    near = [f"{n!r} as {n.strip().lower()!r}" for n in names if n.strip().lower() in missing][:3]
    note = f" (write {', '.join(near)}: names must match exactly)" if near else ""
    return f"found {shown or 'no columns'}{note}"


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
    nothing.  The ``top`` phrases most distinctive among the texts are kept
    (``most_distinctive``: rare among the texts, and rare in English at large).

    >>> evidence_phrases(["Osmosis is the diffusion of water across the membrane",
    ...                   "Active transport uses energy to move substances across the membrane"],
    ...                  "Describe how substances move across the membrane.", top=3)
    [['osmosis', 'diffusion', 'water'], ['active transport', 'transport', 'active']]
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
    return most_distinctive(candidates, top, rare_in_english=True)


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


def bank_marks(bank: Bank | None, rubrics: Mapping | None = None) -> dict[str, float]:
    """The marks of each question ``build_items`` takes from the bank (those without a rubric in ``rubrics``),
    for ``check_graded``'s ``bank_marks``."""
    if bank is None:
        return {}
    return {item.id: float(item.question.marks) for item in bank if not (rubrics and item.id in rubrics)}


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
