"""Load and save the question bank: ``questions/*.yaml``, ``rubric/*.yaml``, ``rubric/concepts.yaml``.

Loading never stops at a bad file: each fault becomes a ``BankError`` naming the
file, the field and the fault, and the rest of the bank still loads.  Saving is
atomic (temp file, fsync, rename), so a crash mid-write leaves the old file intact.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from scoring.models import BANK_RULES, Concept, Item, Question, Rubric, check_safe_id, directive_mismatch

CONCEPTS_FILE = "concepts.yaml"
MAX_BANK_FILE_BYTES = 1_000_000
#: PyYAML's safe loader, in C (LibYAML) where PyYAML was built with it: the same rules, ~10x faster
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class BankError:
    """One fault in one bank file."""

    file: str
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}: {self.field}" if self.field else self.file
        return f"{where}: {self.message}"


@dataclass
class Bank:
    """The loaded bank: items by id, shared concepts, and every fault found."""

    items: dict[str, Item] = field(default_factory=dict)
    concepts: dict[str, Concept] = field(default_factory=dict)
    errors: list[BankError] = field(default_factory=list)
    root: Path | None = None

    def __contains__(self, question_id: object) -> bool:
        return question_id in self.items

    def __getitem__(self, question_id: str) -> Item:
        return self.items[question_id]

    def __iter__(self):
        return iter(self.items.values())

    def __len__(self) -> int:
        return len(self.items)

    @property
    def questions(self) -> list[Question]:
        return [item.question for item in self.items.values()]


def field_name(loc: tuple) -> str:
    """pydantic's location the way a mentor counts: ``('points', 0, 'weight')`` is ``point 1 › weight``.

    >>> field_name(("points", 0, "evidence", 2)), field_name(("topic",)), field_name(())
    ('point 1 › evidence 3', 'topic', '(file)')
    """
    parts: list[str] = []
    for part in loc:
        if isinstance(part, int) and parts:
            name = parts.pop()
            parts.append(f"{name[:-1] if name.endswith('s') else name} {part + 1}")
        else:
            parts.append(str(part))
    return " › ".join(parts) or "(file)"


def _number(value: object) -> str:
    """A bound as a mentor writes it: ``100.0`` is ``100``."""
    return f"{value:g}" if isinstance(value, float) else str(value)


#: pydantic's error types said the way a mentor would, after the field's name ("marks: must be more than 0")
_PLAIN_WORDING = {
    "greater_than": lambda ctx: f"must be more than {_number(ctx['gt'])}",
    "greater_than_equal": lambda ctx: f"must be {_number(ctx['ge'])} or more",
    "less_than": lambda ctx: f"must be less than {_number(ctx['lt'])}",
    "less_than_equal": lambda ctx: f"must be at most {_number(ctx['le'])}",
    "literal_error": lambda ctx: f"must be one of {ctx['expected']}",
    "string_too_short": lambda ctx: "required: fill it in",
    "missing": lambda ctx: "required: add it",
    "extra_forbidden": lambda ctx: "not a field here: remove it or check its spelling",
    "string_type": lambda ctx: "must be text",
    "float_parsing": lambda ctx: "must be a number",
    "float_type": lambda ctx: "must be a number",
    "int_parsing": lambda ctx: "must be a whole number",
    "int_type": lambda ctx: "must be a whole number",
    "int_from_float": lambda ctx: "must be a whole number",
    "tuple_type": lambda ctx: "must be a list",
    "list_type": lambda ctx: "must be a list",
    "model_type": lambda ctx: "must be a mapping of fields (name: value)",
    "dict_type": lambda ctx: "must be a mapping of fields (name: value)",
}


def plain_message(error: Mapping[str, Any]) -> str:
    """One of pydantic's errors (``exc.errors()``) said the way a mentor would, without the field's name.

    >>> plain_message({"type": "greater_than", "loc": ("marks",), "msg": "Input should be greater than 0",
    ...                "ctx": {"gt": 0}})
    'must be more than 0'
    >>> plain_message({"type": "too_short", "loc": ("points",), "msg": "Tuple should have at least 1 item"})
    'add at least one rubric point'
    """
    loc, message = tuple(error.get("loc", ())), str(error.get("msg", ""))
    if error.get("type") == "too_short":
        wanted = {"points": "rubric point", "evidence": "evidence phrase"}.get(str(loc[-1]) if loc else "", "entry")
        return f"add at least one {wanted}"
    plain = _PLAIN_WORDING.get(str(error.get("type")))
    if plain is not None:
        try:
            return plain(error.get("ctx") or {})
        except (KeyError, TypeError, ValueError):
            pass  # a bound pydantic did not give: its own words, below
    return message.removeprefix("Value error, ")


def _left_empty_by_its_own_faults(err: dict, errors: list[dict]) -> bool:
    """"At least 1 item after validation, not 0": the list has items, each with its own fault listed."""
    loc = tuple(err["loc"])
    return "after validation" in err["msg"] and any(
        tuple(other["loc"][:len(loc)]) == loc and len(other["loc"]) > len(loc) for other in errors)


def validation_errors(file: str, exc: ValidationError) -> list[BankError]:
    """Turn pydantic's errors into ``BankError`` rows naming each field, in plain words."""
    errors = exc.errors()
    return [BankError(file, field_name(tuple(err["loc"])), plain_message(err))
            for err in errors if not _left_empty_by_its_own_faults(err, errors)]


def read_yaml(path: Path) -> tuple[Any, list[BankError]]:
    """Parse one YAML file safely; faults come back as errors, never raised."""
    name = path.name
    try:
        if path.stat().st_size > MAX_BANK_FILE_BYTES:
            return None, [BankError(name, "", f"file is larger than {MAX_BANK_FILE_BYTES:,} bytes")]
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return None, [BankError(name, "", "file is not UTF-8 text")]
    except OSError as exc:
        return None, [BankError(name, "", f"cannot read: {exc.strerror or exc}")]
    return parse_yaml(name, text)


def parse_yaml(name: str, text: str) -> tuple[Any, list[BankError]]:
    """``yaml.safe_load`` (LibYAML's C safe loader when PyYAML has it) with a readable error naming the line."""
    try:
        return yaml.load(text, Loader=SAFE_LOADER), []
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        return None, [BankError(name, where, f"malformed YAML: {problem}")]


def parse_concepts(name: str, data: Any) -> tuple[dict[str, Concept], list[BankError]]:
    """Concepts file: ``concepts: [{id, name, aliases}]``."""
    if not isinstance(data, dict) or not isinstance(data.get("concepts"), list):
        return {}, [BankError(name, "concepts", "expected a mapping with a 'concepts' list")]
    concepts: dict[str, Concept] = {}
    errors: list[BankError] = []
    for index, raw in enumerate(data["concepts"]):
        try:
            concept = Concept.model_validate(raw)
        except ValidationError as exc:
            errors += [BankError(name, f"concepts.{index}.{e.field}", e.message)
                       for e in validation_errors(name, exc)]
            continue
        if concept.id in concepts:
            errors.append(BankError(name, f"concepts.{index}.id", f"duplicate concept id {concept.id!r}"))
            continue
        concepts[concept.id] = concept
    return concepts, errors


def parse_question(name: str, data: Any) -> tuple[Question | None, list[BankError]]:
    """A question for the bank: the schema's rules, and a directive that agrees with the question's words
    (a question that says "Examine" is not shown to aspirants as "Discuss")."""
    if not isinstance(data, dict):
        return None, [BankError(name, "(file)", "expected a mapping of question fields")]
    text, directive = data.get("text"), data.get("directive")
    mismatch = directive_mismatch(text, directive) if isinstance(text, str) and isinstance(directive, str) else None
    errors = [BankError(name, "directive", mismatch)] if mismatch else []
    try:
        question = Question.model_validate(data)
    except ValidationError as exc:
        return None, [*validation_errors(name, exc), *errors]
    return (None, errors) if errors else (question, [])


def parse_rubric(name: str, data: Any, question_id: str) -> tuple[Rubric | None, list[BankError]]:
    if not isinstance(data, dict):
        return None, [BankError(name, "(file)", "expected a mapping with a 'points' list")]
    data = {"question_id": question_id, **data}
    try:
        rubric = Rubric.model_validate(data, context=BANK_RULES)
    except ValidationError as exc:
        return None, validation_errors(name, exc)
    if rubric.question_id != question_id:
        return None, [BankError(name, "question_id",
                                f"{rubric.question_id!r} does not match the question id {question_id!r}")]
    return rubric, []


def _concept_refs(rubric_data: Any) -> list[tuple[int, str]]:
    """(point index, concept id) for each concept a rubric's points name, read from the data as written,
    so an unknown concept is found even while another fault keeps the rubric from validating."""
    points = rubric_data.get("points") if isinstance(rubric_data, Mapping) else None
    if not isinstance(points, (list, tuple)):
        return []
    refs = []
    for index, point in enumerate(points):
        if not isinstance(point, Mapping):
            continue
        named = point.get("concepts")
        named = list(named) if isinstance(named, (list, tuple)) else []
        if "concept" in point:
            named.insert(0, point["concept"])
        refs += [(index, ref.strip()) for ref in named if isinstance(ref, str) and ref.strip()]
    return refs


def unknown_concepts(name: str, rubric_data: Any, concepts: Mapping[str, Concept]) -> list[BankError]:
    """A fault for each concept a rubric's points name that ``concepts`` does not define.

    >>> unknown_concepts("rubric", {"points": [{"id": "a", "concepts": ["jwg", "nope"]}]}, {})
    [BankError(file='rubric', field='point 1 › concepts', message="unknown concept 'jwg'"), \
BankError(file='rubric', field='point 1 › concepts', message="unknown concept 'nope'")]
    """
    return [BankError(name, field_name(("points", index, "concepts")), f"unknown concept {ref!r}")
            for index, ref in _concept_refs(rubric_data) if ref not in concepts]


def rubric_errors(name: str, rubric_data: Any, concepts: Mapping[str, Concept]) -> list[BankError]:
    """Every fault of a rubric, whatever its question: the rules of the bank and unknown concepts, all at
    once (for a form or an import row whose question has faults of its own)."""
    _, errors = parse_rubric(name, rubric_data, "placeholder")
    return [*(e for e in errors if e.field != "question_id"), *unknown_concepts(name, rubric_data, concepts)]


def build_item(
    question: Question, rubric_data: Any, rubric_name: str, concepts: Mapping[str, Concept]
) -> tuple[Item | None, list[BankError]]:
    """Pair a validated question with its rubric; every fault of the rubric, unknown concepts included, at once."""
    rubric, errors = parse_rubric(rubric_name, rubric_data, question.id)
    errors = [*errors, *unknown_concepts(rubric_name, rubric_data, concepts)]
    if rubric is None or errors:
        return None, errors
    return Item(question=question, rubric=rubric), []


def same_text_key(text: str) -> str:
    """A question's text reduced to its words, so that case, spacing and punctuation do not make a new question.

    >>> same_text_key("Discuss  the JWG.") == same_text_key("discuss the JWG")
    True
    """
    return " ".join("".join(ch if ch.isalnum() else " " for ch in text.casefold()).split())


def question_with_text(text: str, items: dict[str, Item], *, other_than: str | None = None) -> str | None:
    """The id of a bank question (other than ``other_than``) whose text is the same as ``text``, if any."""
    key = same_text_key(text)
    return next((qid for qid, item in items.items()
                 if qid != other_than and same_text_key(item.question.text) == key), None)


def load_bank(root: Path | str) -> Bank:
    """Load ``root/questions`` and ``root/rubric``; bad files become ``Bank.errors``."""
    root = Path(root)
    bank = Bank(root=root)
    rubric_dir, question_dir = root / "rubric", root / "questions"
    concepts_path = rubric_dir / CONCEPTS_FILE
    if concepts_path.exists():
        data, errors = read_yaml(concepts_path)
        bank.errors += errors
        if not errors:
            bank.concepts, errors = parse_concepts(concepts_path.name, data)
            bank.errors += errors
    for path in _yaml_files(question_dir):
        item, errors = _load_item(path, rubric_dir, bank)
        bank.errors += errors
        if item is not None:
            bank.items[item.id] = item
    return bank


def _yaml_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())


def _load_item(path: Path, rubric_dir: Path, bank: Bank) -> tuple[Item | None, list[BankError]]:
    data, errors = read_yaml(path)
    if errors:
        return None, errors
    question, errors = parse_question(path.name, data)
    if question is None:
        return None, errors
    if question.id != path.stem:
        return None, [BankError(path.name, "id", f"id {question.id!r} must match the file name {path.stem!r}")]
    if question.id in bank.items:
        return None, [BankError(path.name, "id", f"duplicate question id {question.id!r}")]
    rubric_path = _rubric_path(rubric_dir, question.id)
    if rubric_path is None:
        return None, [BankError(path.name, "rubric", f"no rubric file rubric/{question.id}.yaml")]
    rubric_data, errors = read_yaml(rubric_path)
    if errors:
        return None, errors
    return build_item(question, rubric_data, rubric_path.name, bank.concepts)


def _rubric_path(rubric_dir: Path, question_id: str) -> Path | None:
    for suffix in (".yaml", ".yml"):
        candidate = rubric_dir / f"{question_id}{suffix}"
        if candidate.is_file():
            return candidate
    return None


# ---------------------------------------------------------------- saving


def question_yaml(question: Question) -> str:
    data = question.model_dump(mode="json", exclude_defaults=False)
    return _dump(data)


def rubric_yaml(rubric: Rubric) -> str:
    data = rubric.model_dump(mode="json")
    if data["policy"] == "weighted":
        data.pop("bands")
    for point in data["points"]:
        if not point["concepts"]:
            point.pop("concepts")
    return _dump(data)


def _dump(data: dict) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so that readers see the old file or the new one, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class BankWriteError(Exception):
    """A save that was refused; nothing was written."""


def save_item(root: Path | str, item: Item, *, overwrite: bool = False) -> None:
    """Save a question and its rubric atomically.

    An existing id is never overwritten unless ``overwrite`` says this is an edit.
    The rubric is written first, so a question never appears without its rubric.
    """
    root = Path(root)
    check_safe_id(item.id)
    question_path = root / "questions" / f"{item.id}.yaml"
    if question_path.exists() and not overwrite:
        raise BankWriteError(f"a question with id {item.id!r} already exists; edit it instead")
    write_atomic(root / "rubric" / f"{item.id}.yaml", rubric_yaml(item.rubric))
    write_atomic(question_path, question_yaml(item.question))


def delete_item(root: Path | str, question_id: str) -> None:
    """Remove a question and its rubric (question first, so no half-item is ever visible)."""
    root = Path(root)
    check_safe_id(question_id)
    for path in (root / "questions" / f"{question_id}.yaml", root / "rubric" / f"{question_id}.yaml"):
        path.unlink(missing_ok=True)


def bank_root() -> Path:
    """The bank folder: ``$MAINS_BANK_DIR`` or the repository root."""
    return Path(os.environ.get("MAINS_BANK_DIR", Path(__file__).resolve().parent.parent))

