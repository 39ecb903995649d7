"""Parse an uploaded bank (CSV or YAML) into checked items and a per-row report.

Pure: bytes in, an ``ImportReport`` out.  Nothing is written here; the caller
adds ``report.items`` only when it decides to (see ``storage.bank_files``), so a
refused import changes nothing.

**CSV**: one row per question, with a header row; cells separated by commas, or by
semicolons or tabs (as Excel saves CSV where the decimal mark is a comma).

    id,paper,topic,marks,directive,text,model_answer,source,tags,points

- required: ``id, paper, topic, marks, directive, text, model_answer, points``;
- optional: ``source``, ``tags`` (separated by ``;`` or ``,``), ``word_limit``,
  ``time_limit_minutes``;
- ``points`` holds the rubric points as JSON or YAML: a list of mappings with
  ``id, label, weight, hint, evidence`` (a list of phrases) and/or ``concepts``,
  e.g. ``[{"id": "jwg", "label": "Joint Working Group", "weight": 2,
  "hint": "Name the JWG.", "evidence": ["JWG", "joint working group"]}]``.  A
  mapping with ``points`` (and optionally ``policy`` and ``bands``) is accepted too.

**YAML**: ``{questions: [{...question fields..., rubric: {points: [...]}}]}``.

The file must be UTF-8 (a byte-order mark is allowed) and at most
``MAX_IMPORT_BYTES``.  Every row is checked with the same rules as the bank
loader (``parse_question``, ``build_item``): every point has a hint and evidence an
answer could match (not only function words), and a question whose words name a
directive ("Examine …") is refused with any other directive.  Besides, neither an id
nor a question's text (ignoring case, spacing and punctuation) may already be in the
bank, nor appear twice in the file.

>>> csv_text = (
...     "id,paper,topic,marks,directive,text,model_answer,points\\n"
...     'q-one,GS2,Polity,10,discuss,Discuss X.,X is y.,"[{id: a, label: A, hint: Say x., evidence: [x]}]"\\n'
...     "q-two,GS9,Polity,10,discuss,Discuss X.,X is y.,[]\\n"
...     'q-three,GS2,Polity,10,discuss,Examine Z.,Z is y.,"[{id: a, label: A, hint: Say z., evidence: [z]}]"\\n')
>>> report = parse_bank_upload("bank.csv", csv_text.encode())
>>> [(row.id, row.status) for row in report.rows]
[('q-one', 'ready'), ('q-two', 'refused'), ('q-three', 'refused')]
>>> report.rows[2].reasons
("directive: The question says 'Examine' but the directive chosen is 'discuss': choose 'examine' or reword the question",)
>>> report.ok
False
"""

from __future__ import annotations

import csv
import io
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import yaml

from scoring.bank import BankError, build_item, parse_question, rubric_errors, same_text_key
from scoring.models import Concept, Item
from scoring.text import csv_separator

MAX_IMPORT_BYTES = 2 * 1024 * 1024
MAX_IMPORT_ROWS = 2000

REQUIRED_CSV_COLUMNS = ("id", "paper", "topic", "marks", "directive", "text", "model_answer", "points")
OPTIONAL_CSV_COLUMNS = ("source", "tags", "word_limit", "time_limit_minutes")
_INTEGER_COLUMNS = ("marks", "word_limit", "time_limit_minutes")

RowStatus = Literal["ready", "refused"]


@dataclass(frozen=True)
class ImportRow:
    """What happened to one question of the upload (``row`` counts questions from 1)."""

    row: int
    id: str
    status: RowStatus
    reasons: tuple[str, ...] = ()


@dataclass
class ImportReport:
    """Every row's outcome, the items that passed, and faults of the file as a whole."""

    file: str
    rows: list[ImportRow] = field(default_factory=list)
    items: list[Item] = field(default_factory=list)
    file_errors: list[str] = field(default_factory=list)

    @property
    def refused(self) -> list[ImportRow]:
        return [r for r in self.rows if r.status == "refused"]

    @property
    def ok(self) -> bool:
        """True when the file is sound and every row can be added."""
        return not self.file_errors and not self.refused and bool(self.items)


def parse_bank_upload(
    name: str,
    data: bytes,
    *,
    concepts: Mapping[str, Concept] | None = None,
    existing_ids: Collection[str] = (),
    existing_texts: Mapping[str, str] | None = None,
) -> ImportReport:
    """Check an uploaded ``.csv``, ``.yaml`` or ``.yml`` file; never raises on bad input.

    ``existing_texts`` maps the bank's question ids to their texts, so that a question
    already there under another id is refused too.
    """
    report = ImportReport(file=name)
    if len(data) > MAX_IMPORT_BYTES:
        report.file_errors.append(
            f"The file is {len(data) / 1024 / 1024:.1f} MB; the limit is {MAX_IMPORT_BYTES // (1024 * 1024)} MB. "
            "Split it into smaller files.")
        return report
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        report.file_errors.append(
            f"The file is not UTF-8 text (byte 0x{data[exc.start]:02x} at position {exc.start}). "
            "Save it as UTF-8 (in Excel: 'CSV UTF-8') and upload it again.")
        return report
    if "\x00" in text:
        report.file_errors.append("The file contains NUL bytes; it does not look like a text file.")
        return report
    lowered = name.lower()
    if not lowered.endswith((".csv", ".yaml", ".yml")):
        report.file_errors.append("Upload a .csv, .yaml or .yml file.")
        return report
    if not text.strip():
        report.file_errors.append("The file is empty.")
        return report
    records = _csv_records(text, report) if lowered.endswith(".csv") else _yaml_records(text, report)
    if report.file_errors:
        return report
    if not records:
        report.file_errors.append("The file has no questions.")
        return report
    if len(records) > MAX_IMPORT_ROWS:
        report.file_errors.append(f"The file has {len(records)} questions; at most {MAX_IMPORT_ROWS} can be imported at once.")
        return report
    texts = {same_text_key(text): qid for qid, text in (existing_texts or {}).items()}
    rubric_place = "points" if lowered.endswith(".csv") else "rubric"
    _check_records(records, report, dict(concepts or {}), set(existing_ids), texts, rubric_place)
    return report


# ------------------------------------------------------------------ CSV


def _csv_records(text: str, report: ImportReport) -> list[tuple[dict, Any]]:
    """(question fields, rubric data) per CSV row; faults of a row go in as a string.

    Cells are separated by commas or, in a header without a comma, by semicolons or tabs (as Excel
    saves a CSV where the decimal mark is a comma): the same rule as graded files.
    """
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=csv_separator(text[:65536]))
        header = [h.strip() for h in (reader.fieldnames or [])]
        missing = [c for c in REQUIRED_CSV_COLUMNS if c not in header]
        if missing:
            report.file_errors.append(
                f"Missing column{'s' if len(missing) > 1 else ''}: {', '.join(missing)}. "
                f"The header must name: {', '.join(REQUIRED_CSV_COLUMNS)} "
                f"(optional: {', '.join(OPTIONAL_CSV_COLUMNS)}).")
            return []
        unknown = [c for c in header if c and c not in REQUIRED_CSV_COLUMNS + OPTIONAL_CSV_COLUMNS]
        if unknown:
            report.file_errors.append(f"Unknown column{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)}.")
            return []
        reader.fieldnames = header
        records = []
        for raw in reader:
            if None in raw:
                records.append(({"id": (raw.get("id") or "").strip()}, "the row has more cells than the header"))
                continue
            cells = {k: (v or "").strip() for k, v in raw.items() if k}
            if not any(cells.values()):
                continue  # blank line
            records.append(_csv_row(cells))
        return records
    except csv.Error as exc:
        report.file_errors.append(f"The CSV cannot be read: {exc}.")
        return []


def _csv_row(cells: dict[str, str]) -> tuple[dict, Any]:
    question: dict[str, Any] = {}
    for column in REQUIRED_CSV_COLUMNS + OPTIONAL_CSV_COLUMNS:
        value = cells.get(column, "")
        if column == "points" or value == "":
            continue
        if column in _INTEGER_COLUMNS:
            question[column] = _integer(value)
        elif column == "tags":
            separator = ";" if ";" in value else ","
            question["tags"] = [t.strip() for t in value.split(separator) if t.strip()]
        else:
            question[column] = value
    points_text = cells.get("points", "")
    if not points_text:
        return question, "points: the rubric points cell is empty"
    try:
        points = yaml.safe_load(points_text)
    except yaml.YAMLError as exc:
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        return question, f"points: not valid JSON or YAML ({problem})"
    return question, points if isinstance(points, dict) else {"points": points}


def _integer(value: str) -> Any:
    try:
        number = float(value)
    except ValueError:
        return value  # pydantic names the fault
    return int(number) if number.is_integer() else value


# ------------------------------------------------------------------ YAML


def _yaml_records(text: str, report: ImportReport) -> list[tuple[dict, Any]]:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        report.file_errors.append(f"Malformed YAML{where}: {problem}.")
        return []
    if not isinstance(data, dict) or not isinstance(data.get("questions"), list):
        report.file_errors.append("Expected a mapping with a 'questions' list: {questions: [{id: …, rubric: {points: […]}}]}.")
        return []
    records = []
    for entry in data["questions"]:
        if not isinstance(entry, dict):
            records.append(({}, "expected a mapping of question fields"))
            continue
        entry = dict(entry)
        rubric = entry.pop("rubric", None)
        records.append((entry, rubric if rubric is not None else "rubric: missing (give rubric: {points: [...]})"))
    return records


# ------------------------------------------------------------------ checks


def _check_records(records, report: ImportReport, concepts: dict[str, Concept], existing: set[str],
                   texts: dict[str, str], rubric_place: str) -> None:
    """``texts`` maps each bank question's ``same_text_key`` to its id; a row repeating an earlier row is named too.
    A fault of the rubric is named from where the mentor wrote it, ``rubric_place``: a CSV's ``points`` column
    ("points › point 1 › weight: …"), a YAML question's ``rubric``."""
    seen: set[str] = set()
    texts_in_file: dict[str, int] = {}
    for number, (fields, rubric) in enumerate(records, start=1):
        label = str(fields.get("id", "")).strip() if isinstance(fields, dict) else ""
        reasons: list[str] = []
        if isinstance(rubric, str):
            reasons.append(rubric)
        question, errors = parse_question(f"row {number}", fields)
        reasons += [_reason(e) for e in errors]
        question_id = question.id if question is not None else label
        if question_id in existing:
            reasons.append(f"id: {question_id!r} is already in the bank (edit it there instead)")
        elif question_id and question_id in seen:
            reasons.append(f"id: {question_id!r} appears earlier in this file")
        seen.add(question_id)
        if question is not None:
            key = same_text_key(question.text)
            if key in texts:
                reasons.append(f"text: the same question is already in the bank as {texts[key]!r}")
            elif key in texts_in_file:
                reasons.append(f"text: the same question is row {texts_in_file[key]} of this file")
            texts_in_file.setdefault(key, number)
        item = None
        if question is not None and not isinstance(rubric, str):
            item, errors = build_item(question, rubric, f"row {number}", concepts)
            reasons += [_reason(e, rubric_place) for e in errors]
        elif question is None and not isinstance(rubric, str):
            # name the rubric's faults too, so one upload round shows every fault in the row
            reasons += [_reason(e, rubric_place) for e in rubric_errors(f"row {number}", rubric, concepts)]
        if reasons or item is None:
            report.rows.append(ImportRow(number, label, "refused", tuple(reasons) or ("not a valid question",)))
        else:
            report.rows.append(ImportRow(number, item.id, "ready"))
            report.items.append(item)


def _reason(error: BankError, place: str = "") -> str:
    """The fault in one line, its field first, under ``place`` ("points › point 1 › weight: must be more than 0")."""
    field = error.field
    if place and (field == "(file)" or field == place):  # the place says where, more exactly
        field = ""
    where = " › ".join(part for part in (place, field) if part)
    return f"{where}: {error.message}" if where else error.message
