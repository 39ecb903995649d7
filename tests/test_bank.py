"""The bank loader: every fault names its file and field, and the rest of the bank still loads."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scoring import bank as bank_module
from scoring.bank import BankWriteError, load_bank, save_item, write_atomic
from scoring.models import DEFAULT_LIMITS, Question, check_safe_id
from tests.scoring_support import REPO_ROOT

GOOD_QUESTION = """id: {id}
paper: GS2
topic: India–Japan relations
marks: 10
directive: explain
text: Explain the JWG on critical minerals.
model_answer: |
  The JWG on Critical Minerals links India's Ministry of Mines with Japan's METI.
"""
GOOD_RUBRIC = """points:
  - id: jwg
    label: JWG on Critical Minerals
    weight: 2
    hint: Mention the JWG.
    concepts: [jwg]
    evidence: [diversify sourcing]
"""


@pytest.fixture
def bank_root(tmp_path: Path) -> Path:
    for folder in ("questions", "rubric"):
        shutil.copytree(REPO_ROOT / folder, tmp_path / folder)
    return tmp_path


def _write(root: Path, qid: str, question: str, rubric: str | None = GOOD_RUBRIC, name: str | None = None) -> None:
    (root / "questions" / f"{name or qid}.yaml").write_text(question.format(id=qid), encoding="utf-8")
    if rubric is not None:
        (root / "rubric" / f"{name or qid}.yaml").write_text(rubric, encoding="utf-8")


def _errors_for(root: Path, file: str) -> list[str]:
    bank = load_bank(root)
    return [f"{e.field}: {e.message}" for e in bank.errors if e.file == file]


def test_repository_bank_loads_cleanly():
    bank = load_bank(REPO_ROOT)
    assert bank.errors == []
    assert len(bank) >= 15
    assert {"foip", "jwg"} <= set(bank.concepts)


def test_a_good_new_question_loads(bank_root):
    _write(bank_root, "ij-new", GOOD_QUESTION)
    bank = load_bank(bank_root)
    assert bank.errors == []
    assert bank["ij-new"].question.word_limit == 150


@pytest.mark.parametrize("marks, words, minutes", [(10, 150, 7), (15, 250, 11), (20, 250, 14), (125, 1200, 90)])
def test_limits_follow_from_marks(marks, words, minutes):
    question = Question(id="q", paper="GS2", topic="t", marks=marks, directive="discuss", text="x", model_answer="y")
    assert (question.word_limit, question.time_limit_minutes) == (words, minutes) == DEFAULT_LIMITS[marks]


def test_given_limits_win_over_defaults():
    question = Question(id="q", paper="GS2", topic="t", marks=10, word_limit=200, time_limit_minutes=9,
                        directive="discuss", text="x", model_answer="y")
    assert (question.word_limit, question.time_limit_minutes) == (200, 9)


CASES = {
    "malformed yaml": (GOOD_QUESTION + "tags: [unclosed\n", GOOD_RUBRIC, "malformed YAML"),
    "wrong type": (GOOD_QUESTION.replace("marks: 10", "marks: ten"), GOOD_RUBRIC, "marks:"),
    "missing field": (GOOD_QUESTION.replace("directive: explain\n", ""), GOOD_RUBRIC, "directive: required: add it"),
    "unknown directive": (GOOD_QUESTION.replace("explain", "ponder", 1), GOOD_RUBRIC, "unknown directive"),
    "zero weight": (GOOD_QUESTION, GOOD_RUBRIC.replace("weight: 2", "weight: 0"), "point 1 › weight"),
    "negative weight": (GOOD_QUESTION, GOOD_RUBRIC.replace("weight: 2", "weight: -1"), "point 1 › weight"),
    "unknown concept": (GOOD_QUESTION, GOOD_RUBRIC.replace("[jwg]", "[no-such-thing]"), "unknown concept 'no-such-thing'"),
    "no points": (GOOD_QUESTION, "points: []\n", "points"),
    "missing rubric": (GOOD_QUESTION, None, "no rubric file"),
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_faulty_file_is_named_with_its_field_and_the_rest_still_loads(bank_root, case):
    question, rubric, expected = CASES[case]
    _write(bank_root, "ij-broken", question, rubric)
    bank = load_bank(bank_root)
    assert "ij-broken" not in bank
    assert len(bank) == len(load_bank(REPO_ROOT))
    messages = [str(e) for e in bank.errors]
    assert any("ij-broken.yaml" in m and expected in m for m in messages), messages


def test_duplicate_question_id_is_an_error(bank_root):
    _write(bank_root, "ij-critical-minerals", GOOD_QUESTION, name="ij-zz-copy")
    errors = _errors_for(bank_root, "ij-zz-copy.yaml")
    assert any("must match the file name" in e or "duplicate" in e for e in errors)
    assert "ij-critical-minerals" in load_bank(bank_root)


def test_duplicate_point_ids_are_named_under_points_not_the_whole_file(bank_root):
    rubric = GOOD_RUBRIC + GOOD_RUBRIC.replace("points:\n", "")
    _write(bank_root, "ij-dupe-points", GOOD_QUESTION, rubric)
    assert _errors_for(bank_root, "ij-dupe-points.yaml") == [
        "points: point id 'jwg' is used more than once: give each point its own id"]


@pytest.mark.parametrize("bad_id", ["../etc/passwd", "a/b", "/abs", "..", "Has Space"])
def test_unsafe_ids_are_refused(bank_root, bad_id):
    with pytest.raises(ValueError, match="must be lower-case"):
        check_safe_id(bad_id)
    _write(bank_root, bad_id, GOOD_QUESTION.replace("id: {id}", f"id: '{bad_id}'"), name="ij-unsafe")
    assert any(e.startswith("id:") for e in _errors_for(bank_root, "ij-unsafe.yaml"))


def test_an_empty_id_is_said_to_be_required(bank_root):
    with pytest.raises(ValueError, match="^required: fill it in$"):
        check_safe_id("")
    _write(bank_root, "", GOOD_QUESTION.replace("id: {id}", "id: ''"), name="ij-no-id")
    assert _errors_for(bank_root, "ij-no-id.yaml") == ["id: required: fill it in"]


# ------------------------------------------------------------------ what a rubric point must carry


def _point_faults(point: dict) -> list[tuple[str, str]]:
    from scoring.bank import parse_rubric

    rubric, errors = parse_rubric("rubric", {"points": [point]}, "q")
    return [(e.field, e.message) for e in errors]


JWG = {"id": "jwg", "label": "JWG", "hint": "Name the JWG."}


def test_evidence_of_only_function_words_is_refused_by_phrase_and_point():
    # the usability walk-through: ";;  ; the" was saved as evidence [the] and gave an unrelated answer credit
    assert _point_faults({**JWG, "evidence": ["", " ", "the"]}) == [
        ("point 1 › evidence", "evidence 'the' of point 'jwg' is only function words or punctuation: "
                               "use words an answer making this point would contain")]
    faults = _point_faults({**JWG, "evidence": ["of it", "; - ;", "JWG"]})
    assert faults and "'of it', '; - ;'" in faults[0][1] and "are only function words" in faults[0][1]


def test_empty_evidence_phrases_are_dropped_and_a_point_needs_some_evidence_or_a_concept():
    from scoring.bank import parse_rubric

    rubric, errors = parse_rubric("rubric", {"points": [{**JWG, "evidence": ["", "JWG", "  "]}]}, "q")
    assert errors == [] and rubric.points[0].evidence == ("JWG",)
    assert _point_faults({**JWG, "evidence": ["", "  "]}) == [
        ("point 1", "add at least one evidence phrase (words an answer would use) or a concept id")]
    rubric, errors = parse_rubric("rubric", {"points": [{**JWG, "concepts": ["jwg"]}]}, "q")
    assert errors == [] and rubric.points[0].concepts == ("jwg",)


def test_a_bank_point_needs_a_hint_but_a_rubric_built_in_code_may_do_without():
    from scoring.models import HINT_REQUIRED, RubricPoint

    for hint in ("", "   "):
        assert _point_faults({**JWG, "hint": hint, "evidence": ["JWG"]}) == [("point 1 › hint", HINT_REQUIRED)]
    assert "what an aspirant reads when this point is missed" in HINT_REQUIRED
    assert RubricPoint(id="jwg", label="JWG", evidence=("JWG",)).hint == ""  # benchmarks and scorer tests


def test_every_point_of_the_repository_bank_has_a_hint_and_usable_evidence():
    from scoring.models import is_function_words

    points = [p for item in load_bank(REPO_ROOT) for p in item.rubric.points]
    assert points and all(p.hint for p in points)
    assert not [(p.id, e) for p in points for e in p.evidence if is_function_words(e)]


# ------------------------------------------------------------------ the directive agrees with the question


@pytest.mark.parametrize("text, named", [
    ("Examine the significance of Open RAN.", "examine"),
    ("Critically examine the barriers to trade.", "critically examine"),
    ("Trade lags the partnership. Critically analyse why.", "critically analyse"),
    ("“Critical minerals are the new pivot of geopolitics.” Examine how India can respond.", "examine"),
    ('"Discuss less, act more." Comment.', "comment"),
    ("In the light of the JWG, discuss its scope.", "discuss"),
    ("Pepper check: explain how the dialogue works.", "explain"),
    ("Critically evaluate the Quad's role.", "evaluate"),
    ("Analyze the prospects.", "analyse"),
    ("Procedure: explain nothing here.\n\nDescribe what else you need.", "describe"),
    ("What explains the success of the JWG? Is it examined often?", None),
    ("Highlighted issues and discussed options remain.", None),
])
def test_the_directive_a_question_names(text, named):
    from scoring.models import directive_named

    assert directive_named(text) == named


def test_a_directive_contradicting_the_question_is_refused_by_name(bank_root):
    from scoring.bank import parse_question

    data = {"id": "q", "paper": "GS2", "topic": "t", "marks": 10, "directive": "discuss",
            "text": "Examine the significance of Open RAN.", "model_answer": "Open RAN is open."}
    question, errors = parse_question("question", data)
    assert question is None
    assert [(e.field, e.message) for e in errors] == [
        ("directive", "The question says 'Examine' but the directive chosen is 'discuss': "
                      "choose 'examine' or reword the question")]
    _, errors = parse_question("question", {**data, "topic": ""})  # named with the other faults at once
    assert {e.field for e in errors} == {"topic", "directive"}
    assert parse_question("question", {**data, "directive": "examine"})[0] is not None
    _write(bank_root, "ij-says-examine", GOOD_QUESTION.replace("directive: explain", "directive: discuss"))
    assert _errors_for(bank_root, "ij-says-examine.yaml") == [
        "directive: The question says 'Explain' but the directive chosen is 'discuss': "
        "choose 'explain' or reword the question"]


def test_every_repository_question_names_its_own_directive():
    from scoring.models import directive_named

    items = list(load_bank(REPO_ROOT))
    assert len(items) >= 16
    assert {item.id: directive_named(item.question.text) for item in items} == \
        {item.id: item.question.directive for item in items}


def test_unknown_concept_in_concepts_file_and_bad_concepts_file(bank_root):
    (bank_root / "rubric" / "concepts.yaml").write_text("concepts: not-a-list\n", encoding="utf-8")
    bank = load_bank(bank_root)
    assert any(e.file == "concepts.yaml" for e in bank.errors)
    # questions whose rubrics use concepts are refused, the others still load
    assert any("unknown concept" in e.message for e in bank.errors)


def test_non_utf8_file_is_an_error(bank_root):
    (bank_root / "questions" / "ij-latin1.yaml").write_bytes("text: caf\xe9\n".encode("latin-1"))
    assert _errors_for(bank_root, "ij-latin1.yaml") == [": file is not UTF-8 text"]


def test_save_refuses_to_overwrite_an_existing_id(bank_root):
    item = load_bank(bank_root)["ij-critical-minerals"]
    with pytest.raises(BankWriteError, match="already exists"):
        save_item(bank_root, item)
    save_item(bank_root, item, overwrite=True)
    assert load_bank(bank_root)["ij-critical-minerals"].version == item.version


def test_saved_item_round_trips(bank_root, tmp_path):
    item = load_bank(bank_root)["ij-ai-dialogue"]
    target = tmp_path / "fresh"
    (target / "rubric").mkdir(parents=True)
    shutil.copy(bank_root / "rubric" / "concepts.yaml", target / "rubric" / "concepts.yaml")
    save_item(target, item)
    assert load_bank(target)["ij-ai-dialogue"] == item


def test_a_crash_halfway_through_a_write_leaves_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "q.yaml"
    path.write_text("old: content\n", encoding="utf-8")

    def fail_fsync(fd):
        raise OSError("disk full")

    monkeypatch.setattr(bank_module.os, "fsync", fail_fsync)
    with pytest.raises(OSError, match="disk full"):
        write_atomic(path, "new: " + "x" * 100_000)
    assert path.read_text(encoding="utf-8") == "old: content\n"
    assert os.listdir(tmp_path) == ["q.yaml"]


@pytest.fixture
def small_bank(tmp_path: Path) -> Path:
    (tmp_path / "questions").mkdir()
    shutil.copytree(REPO_ROOT / "rubric", tmp_path / "rubric")
    shutil.copy(REPO_ROOT / "questions" / "ij-critical-minerals.yaml", tmp_path / "questions")
    return tmp_path


@settings(max_examples=80, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.one_of(st.text(max_size=400), st.sampled_from(list(CASES)).map(lambda c: CASES[c][0] + "\x00")))
def test_loader_never_raises_on_any_file_content(small_bank, content):
    (small_bank / "questions" / "ij-fuzz.yaml").write_text(content, encoding="utf-8", errors="surrogatepass")
    bank = load_bank(small_bank)
    assert "ij-critical-minerals" in bank
    assert "ij-fuzz" not in bank or not any(e.file == "ij-fuzz.yaml" for e in bank.errors)


def test_rubric_faults_are_named_the_way_a_mentor_counts_and_said_once():
    from scoring.bank import field_name, parse_rubric

    _, errors = parse_rubric("rubric", {"points": [{"id": "Bad Point", "label": "", "evidence": ["x"]},
                                                   {"id": "ok", "label": "L", "weight": "heavy", "evidence": ["y"]}]},
                             "q")
    faults = {(e.field, e.message) for e in errors}
    assert ("point 1 › label", "required: fill it in") in faults
    assert ("point 2 › weight", "must be a number") in faults
    assert any(field == "point 1 › id" for field, _ in faults)
    assert not any(field == "points" for field, _ in faults)  # the points are there, each fault is listed
    _, errors = parse_rubric("rubric", {"points": []}, "q")
    assert [(e.field, e.message) for e in errors] == [("points", "add at least one rubric point")]
    assert field_name(("questions", 2, "rubric", "points", 0, "evidence", 1)) == \
        "question 3 › rubric › point 1 › evidence 2"


def test_pydantic_wording_is_said_plainly_after_the_field_name():
    """The Question bank walk-through: "marks: Input should be greater than 0" sat beside plain messages."""
    from scoring.bank import parse_question, parse_rubric

    data = {"id": "q", "paper": "GS9", "topic": "t", "marks": 0, "word_limit": 9000, "directive": "explain",
            "text": "Explain x.", "model_answer": "X.", "colour": "red"}
    _, errors = parse_question("question", data)
    assert {(e.field, e.message) for e in errors} == {
        ("paper", "must be one of 'GS1', 'GS2', 'GS3', 'GS4' or 'Essay'"),
        ("marks", "must be more than 0"),
        ("word_limit", "must be at most 5000"),
        ("colour", "not a field here: remove it or check its spelling"),
    }
    _, errors = parse_rubric("rubric", {"points": [{**JWG, "weight": 200, "evidence": "JWG"}, "jwg"]}, "q")
    assert {(e.field, e.message) for e in errors} == {
        ("point 1 › weight", "must be at most 100"),  # not "100.0"
        ("point 1 › evidence", "must be a list"),
        ("point 2", "must be a mapping of fields (name: value)"),
    }
    assert not any("Input should" in str(e) for e in errors)


def test_a_rubric_lists_unknown_concepts_with_its_other_faults_at_once():
    """The walk-through: an unknown concept appeared only after every other fault of the point was fixed."""
    from scoring.bank import build_item, rubric_errors

    question = Question(id="q", paper="GS2", topic="t", marks=10, directive="explain", text="Explain x.",
                        model_answer="X.")
    rubric = {"points": [{"id": "Bridge 1", "label": "Bridge", "evidence": ["the", "of"],
                          "concepts": ["act-east", "nonexistent"]}]}
    concepts = load_bank(REPO_ROOT).concepts
    assert "act-east" in concepts
    item, errors = build_item(question, rubric, "rubric", concepts)
    assert item is None
    faults = [(e.field, e.message.split(":")[0]) for e in errors]
    assert [f for f, _ in faults] == ["point 1 › id", "point 1 › hint", "point 1 › evidence", "point 1 › concepts"]
    assert faults[-1] == ("point 1 › concepts", "unknown concept 'nonexistent'")
    assert [(e.field, e.message) for e in rubric_errors("rubric", rubric, concepts)] == \
        [(e.field, e.message) for e in errors]  # the same faults when the question has faults of its own
