"""Bank import parsing (scoring/importing.py) and the all-or-nothing writer (storage/bank_files.py)."""

from __future__ import annotations

import json

import pytest

import scoring.bank
from scoring.bank import BankWriteError, load_bank
from scoring.importing import MAX_IMPORT_BYTES, parse_bank_upload
from storage.bank_files import add_items

HEADER = "id,paper,topic,marks,directive,text,model_answer,points\n"
POINTS = json.dumps([{"id": "p1", "label": "Point one", "weight": 2, "hint": "Say alpha.",
                      "evidence": ["alpha", "beta"]}]).replace('"', '""')


def row(qid: str, *, paper: str = "GS2", marks: str = "10", points: str = f'"{POINTS}"', text: str = "") -> str:
    return f"{qid},{paper},Polity,{marks},discuss,{text or 'Discuss alpha in ' + qid + '.'},Alpha is beta.,{points}\n"


def test_valid_csv_rows_become_items():
    report = parse_bank_upload("bank.csv", (HEADER + row("q-one") + row("q-two", marks="15")).encode())
    assert report.ok and not report.file_errors
    assert [i.id for i in report.items] == ["q-one", "q-two"]
    assert report.items[1].question.word_limit == 250
    assert report.items[0].rubric.points[0].evidence == ("alpha", "beta")


def test_each_refused_row_says_why():
    text = (HEADER + row("q-one") + row("Bad Id") + row("q-three", paper="GS9") + row("q-one")
            + row("q-five", points='"[{id: p, label: P, hint: H., weight: 0, evidence: [x]}]"')
            + row("q-six", points='"[{id: p, label: P, hint: H., concepts: [nope]}]"')
            + row("q-seven", points='"[unclosed"') + row("q-eight", points=""))
    report = parse_bank_upload("bank.csv", text.encode(), existing_ids={"q-three"})
    reasons = {r.row: " | ".join(r.reasons) for r in report.refused}
    assert [r.status for r in report.rows] == ["ready"] + ["refused"] * 7
    assert "id 'Bad Id' must be lower-case" in reasons[2]
    assert "paper" in reasons[3] and "already in the bank" in reasons[3]
    assert "appears earlier in this file" in reasons[4]
    assert "points › point 1 › weight" in reasons[5]  # named from the column it was written in
    assert "unknown concept 'nope'" in reasons[6]
    assert "not valid JSON or YAML" in reasons[7]
    assert "cell is empty" in reasons[8]
    assert not report.ok


def test_a_question_already_asked_is_refused_whatever_its_id_case_or_spacing():
    text = HEADER + row("q-new", text="discuss   ALPHA in the seed!") + row("q-two", text="Discuss beta.") \
        + row("q-three", text="Discuss  beta")
    report = parse_bank_upload("bank.csv", text.encode(), existing_texts={"q-seed": "Discuss alpha in the seed."})
    reasons = {r.row: " | ".join(r.reasons) for r in report.refused}
    assert [r.status for r in report.rows] == ["refused", "ready", "refused"]
    assert "the same question is already in the bank as 'q-seed'" in reasons[1]
    assert "the same question is row 2 of this file" in reasons[3]
    assert [i.id for i in report.items] == ["q-two"] and not report.ok


def test_rows_that_break_the_rules_a_mentor_relies_on_are_refused_with_the_reason():
    text = (HEADER
            + row("q-examine", text="Examine the significance of alpha.")
            + row("q-quoted", text="“Alpha is beta.” Examine how.")
            + row("q-the", points='"[{id: p, label: P, hint: Say alpha., evidence: [the, \'\']}]"')
            + row("q-no-hint", points='"[{id: p, label: P, evidence: [alpha]}]"'))
    report = parse_bank_upload("bank.csv", text.encode())
    reasons = {r.id: r.reasons for r in report.rows}
    assert [r.status for r in report.rows] == ["refused"] * 4 and not report.items
    assert reasons["q-examine"] == ("directive: The question says 'Examine' but the directive chosen is 'discuss': "
                                    "choose 'examine' or reword the question",)
    assert "The question says 'Examine'" in reasons["q-quoted"][0]
    assert reasons["q-the"] == ("points › point 1 › evidence: evidence 'the' of point 'p' is only function words or "
                                "punctuation: use words an answer making this point would contain",)
    assert reasons["q-no-hint"][0].startswith("points › point 1 › hint: required: the hint is what an aspirant reads")


def test_the_repository_bank_would_import_cleanly_into_an_empty_bank():
    import yaml

    from tests.scoring_support import REPO_ROOT

    bank = load_bank(REPO_ROOT)
    questions = [{**item.question.model_dump(mode="json"), "rubric": {"points": [
        p.model_dump(mode="json") for p in item.rubric.points]}} for item in bank]
    report = parse_bank_upload("bank.yaml", yaml.safe_dump({"questions": questions}).encode(), concepts=bank.concepts)
    assert report.ok and [r.reasons for r in report.refused] == []
    assert len(report.items) == len(bank) >= 16


def test_file_level_faults_are_clear():
    assert "limit is 2 MB" in parse_bank_upload("b.csv", b"x" * (MAX_IMPORT_BYTES + 1)).file_errors[0]
    assert "not UTF-8" in parse_bank_upload("b.csv", "id\ncafé".encode("cp1252")).file_errors[0]
    assert "Missing columns: text, model_answer" in parse_bank_upload(
        "b.csv", b"id,paper,topic,marks,directive,points\n").file_errors[0]
    assert "Unknown column: colour" in parse_bank_upload("b.csv", (HEADER.strip() + ",colour\n").encode()).file_errors[0]
    assert "no questions" in parse_bank_upload("b.csv", HEADER.encode()).file_errors[0]
    assert "Malformed YAML" in parse_bank_upload("b.yaml", b"questions: [unclosed").file_errors[0]
    assert "'questions' list" in parse_bank_upload("b.yaml", b"- a\n- b\n").file_errors[0]
    assert ".csv, .yaml or .yml" in parse_bank_upload("b.txt", b"hello").file_errors[0]
    assert "NUL" in parse_bank_upload("b.csv", b"id\x00,paper\n").file_errors[0]


def test_an_empty_file_says_it_is_empty_not_which_columns_are_missing():
    for name in ("b.csv", "b.yaml"):
        for data in (b"", b"  \n\r\n\t ", b"\xef\xbb\xbf\n"):
            report = parse_bank_upload(name, data)
            assert report.file_errors == ["The file is empty."], (name, data, report.file_errors)
            assert not report.rows and not report.items


def test_a_bank_saved_excel_style_with_semicolons_is_read():
    """Excel where the decimal mark is a comma saves "CSV" with semicolons; the walk-through got
    "Missing columns: id, paper, …" though every column was in the header."""
    import csv
    import io

    points = json.dumps([{"id": "p1", "label": "Point one", "weight": 2, "hint": "Say alpha.",
                          "evidence": ["alpha", "beta"]}])
    for sep in (";", "\t"):
        out = io.StringIO()
        writer = csv.writer(out, delimiter=sep)
        writer.writerow(["id", "paper", "topic", "marks", "directive", "text", "model_answer", "tags", "points"])
        writer.writerow(["q-semi", "GS2", "Polity", "10", "discuss", "Discuss alpha, then beta.", "Alpha is beta.",
                         "polity; federalism", points])
        report = parse_bank_upload("bank.csv", out.getvalue().encode("utf-8-sig"))
        assert not report.file_errors, (sep, report.file_errors)
        assert report.ok and [i.id for i in report.items] == ["q-semi"]
        question = report.items[0].question
        assert question.text == "Discuss alpha, then beta." and question.tags == ("polity", "federalism")
        assert report.items[0].rubric.points[0].evidence == ("alpha", "beta")


def test_a_row_with_a_faulty_question_names_its_unknown_concepts_too():
    text = HEADER + row("Bad Id", points='"[{id: p, label: P, hint: H., evidence: [x], concepts: [nope]}]"')
    reasons = parse_bank_upload("bank.csv", text.encode()).rows[0].reasons
    assert any("must be lower-case" in r for r in reasons)
    assert "points › point 1 › concepts: unknown concept 'nope'" in reasons, reasons


def test_a_row_names_pydantic_faults_in_plain_words():
    reasons = parse_bank_upload("bank.csv", (HEADER + row("q-zero", marks="0")).encode()).rows[0].reasons
    assert reasons == ("marks: must be more than 0",)


def test_bom_and_extra_cells():
    text = "\ufeff" + HEADER + row("q-one").rstrip("\n") + ",surplus\n"
    report = parse_bank_upload("b.csv", text.encode("utf-8"))
    assert report.rows[0].status == "refused" and "more cells than the header" in report.rows[0].reasons[0]


def test_yaml_upload_with_rubrics():
    text = """
questions:
  - id: y-one
    paper: GS3
    topic: Economy
    marks: 15
    directive: examine
    text: Examine the thing.
    model_answer: The thing is examined.
    rubric:
      points:
        - {id: a, label: A, hint: Name the thing., evidence: [thing]}
  - id: y-two
    paper: GS3
    topic: Economy
    marks: 15
    directive: examine
    text: Examine more.
    model_answer: More.
"""
    report = parse_bank_upload("b.yml", text.encode())
    assert [(r.id, r.status) for r in report.rows] == [("y-one", "ready"), ("y-two", "refused")]
    assert "rubric: missing" in report.rows[1].reasons[0]


def test_a_rubric_fault_is_named_from_where_the_mentor_wrote_it():
    """In a CSV the rubric is the points column; in YAML a question's rubric."""
    bad_point = "{id: a, label: A, hint: Name alpha., weight: 0, evidence: [alpha]}"
    csv_report = parse_bank_upload("b.csv", (HEADER + row("q-one", points=f'"[{bad_point}]"')
                                             + row("q-two", points="5")).encode())
    assert [r.reasons for r in csv_report.rows] == [("points › point 1 › weight: must be more than 0",),
                                                    ("points: must be a list",)]
    yaml_text = ("questions:\n- {id: q-one, paper: GS2, topic: Polity, marks: 10, directive: discuss, "
                 f"text: Discuss alpha., model_answer: Alpha is beta., rubric: {{points: [{bad_point}]}}}}\n")
    assert parse_bank_upload("b.yaml", yaml_text.encode()).rows[0].reasons == (
        "rubric › point 1 › weight: must be more than 0",)


def test_markup_in_imported_content_is_kept_as_plain_text():
    points = json.dumps([{"id": "p", "label": "<img src=x onerror=alert(1)>", "hint": "H.",
                          "evidence": ["x"]}]).replace('"', '""')
    report = parse_bank_upload("b.csv", (HEADER + row("q-x", points=f'"{points}"')).encode())
    assert report.items[0].rubric.points[0].label == "<img src=x onerror=alert(1)>"


def test_add_items_rolls_back_when_a_write_fails_halfway(bank_dir, monkeypatch):
    report = parse_bank_upload("bank.csv", (HEADER + row("q-one") + row("q-two") + row("q-three")).encode())
    before = sorted(p.name for folder in ("questions", "rubric") for p in (bank_dir / folder).iterdir())
    real_write = scoring.bank.write_atomic
    calls = {"n": 0}

    def flaky_write(path, text):
        calls["n"] += 1
        if calls["n"] == 4:  # q-two's question file: q-one is written, q-two's rubric too
            raise OSError("disk full")
        real_write(path, text)

    monkeypatch.setattr(scoring.bank, "write_atomic", flaky_write)
    with pytest.raises(BankWriteError, match="nothing was imported"):
        add_items(bank_dir, report.items)
    after = sorted(p.name for folder in ("questions", "rubric") for p in (bank_dir / folder).iterdir())
    assert after == before


def test_add_items_never_overwrites(bank_dir):
    report = parse_bank_upload("bank.csv", (HEADER + row("q-one")).encode())
    assert add_items(bank_dir, report.items) == ["q-one"]
    assert "q-one" in load_bank(bank_dir)
    with pytest.raises(BankWriteError, match="already in the bank"):
        add_items(bank_dir, report.items)
