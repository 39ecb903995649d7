"""``evaluate``: agreement of the unsupervised scorer with a small graded set made here."""

from __future__ import annotations

import codecs
import gzip
import io
import json
import subprocess
import sys

import pandas as pd
import pytest

from scoring.cli import main
from scoring.evaluate import (DataError, bank_marks, benchmark_scorer, build_items, check_graded, evaluate_frame,
                              evidence_phrases, human_step, item_from_reference, read_graded, read_graded_file,
                              read_rubrics)
from scoring.metrics import pearson
from scoring.suggest import english_rarity

PHOTO_Q = "Explain what photosynthesis produces."
PHOTO_REF = ("Photosynthesis converts light energy into chemical energy. "
             "Plants use carbon dioxide and water to make glucose and release oxygen.")
STACK_Q = "What is a stack?"
STACK_REF = "A stack is a last in first out data structure. Elements are pushed onto and popped from the top."

GRADED = [
    ("photo", PHOTO_Q, PHOTO_REF, "Plants use light energy to turn carbon dioxide and water into glucose, releasing "
                                  "oxygen, so light energy becomes chemical energy.", 5),
    ("photo", PHOTO_Q, PHOTO_REF, "It makes glucose from carbon dioxide and water and gives off oxygen.", 4),
    ("photo", PHOTO_Q, PHOTO_REF, "Plants make their food using sunlight.", 2),
    ("photo", PHOTO_Q, PHOTO_REF, "It happens in the leaves of a plant.", 1),
    ("photo", PHOTO_Q, PHOTO_REF, "Photosynthesis produces photosynthesis.", 0),
    ("stack", STACK_Q, STACK_REF, "A stack stores elements last in first out: you push onto the top and pop from "
                                  "the top.", 5),
    ("stack", STACK_Q, STACK_REF, "A structure where the last element pushed is the first popped.", 4),
    ("stack", STACK_Q, STACK_REF, "A kind of data structure.", 1),
    ("stack", STACK_Q, STACK_REF, "A queue of people at a bus stop.", 0),
]


def graded_frame() -> pd.DataFrame:
    return pd.DataFrame(GRADED, columns=["question_id", "question", "reference_answer", "answer", "score"]).assign(
        max_score=5.0, split="all")


def run_here(capsys, monkeypatch, *args: str) -> subprocess.CompletedProcess:
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    monkeypatch.delenv("MAINS_CALIBRATION", raising=False)
    code = main(list(args))
    captured = capsys.readouterr()
    return subprocess.CompletedProcess(args, code, captured.out, captured.err)


def test_reference_answers_rank_good_answers_above_poor_ones():
    frame = check_graded(graded_frame())
    result = evaluate_frame(frame)
    assert result.overall.n == len(GRADED) and result.skipped == 0
    assert set(result.per_question) == {"photo", "stack"}
    assert result.overall.pearson > 0.7
    predicted = pd.Series(result.predictions, index=frame.index)
    for _, group in frame.groupby("question_id"):
        best, worst = group["score"].idxmax(), group["score"].idxmin()
        assert predicted[best] > predicted[worst]
    # every prediction sits on the human scale, in its steps
    assert all(0 <= p <= 5 and float(p).is_integer() for p in result.predictions)


def test_copying_the_question_prompt_earns_nothing_for_its_words():
    item = item_from_reference("photo", PHOTO_Q, PHOTO_REF, 5)
    scorer = benchmark_scorer("weighted").fit([item], concepts={})
    copied = scorer.score(item, "Photosynthesis produces what photosynthesis produces, explained.")
    content = scorer.score(item, "Light energy becomes chemical energy as glucose and oxygen are made.")
    assert copied.marks < content.marks


def test_short_fragments_count_for_reference_answers():
    item = item_from_reference("stack", STACK_Q, STACK_REF, 5)
    scorer = benchmark_scorer("weighted").fit([item], concepts={})
    assert scorer.score(item, "last in first out").marks > scorer.score(item, "a list").marks


def test_evidence_phrases_drop_prompt_words_and_keep_sub_phrases():
    phrases = evidence_phrases(
        ["Passive transport occurs when substances move from higher to lower concentration",
         "Osmosis is the diffusion of water across the cell membrane"],
        "List three processes cells use to move substances across the cell membrane.", top=8)
    assert "passive transport" in phrases[0]  # a pair taken out of "passive transport occurs"
    assert "cell membrane" not in phrases[1]  # only prompt words
    assert "osmosis" in phrases[1]


def test_evidence_phrases_prefer_words_rare_in_english_to_everyday_ones_only_one_text_uses():
    texts = ["how much vinegar was used in each container", "what size of container to use",
             "mRNA bases are read in triplets called codons by rRNA"]
    vinegar, _, codons = evidence_phrases(texts, top=50)  # every candidate, in order
    # "much" and "vinegar", "called" and "codons": each pair is in one text only, so only English at large
    # tells them apart
    assert vinegar.index("vinegar") < vinegar.index("much")
    assert codons.index("codons") < codons.index("called")
    chosen = evidence_phrases(texts)[2]
    assert "codons" in chosen and "called" not in chosen
    assert english_rarity("much") == 0.0 < english_rarity("called") < english_rarity("vinegar") < english_rarity("codons")


def test_rubric_bands_count_key_elements(tmp_path, capsys, monkeypatch):
    rubrics = {"cells": {
        "key_elements": ["Osmosis is the diffusion of water across a membrane",
                         "Active transport uses energy to pump substances against the gradient",
                         "Endocytosis engulfs large particles in a vesicle"],
        "bands": [{"min_points": 2, "score": 2}, {"min_points": 1, "score": 1}]}}
    rows = [
        ("Osmosis is when water diffuses across the membrane. Active transport uses energy to pump ions "
         "against the gradient.", 2),
        ("Osmosis is the diffusion of water across a membrane from high to low water potential.", 1),
        ("Cells are very small and have a nucleus in the middle.", 0),
    ]
    frame = pd.DataFrame([("cells", "How do cells move substances across their membrane?", "", a, s, 2)
                          for a, s in rows],
                         columns=["question_id", "question", "reference_answer", "answer", "score", "max_score"])
    data, rubric_file = tmp_path / "cells.csv", tmp_path / "rubrics.json"
    frame.to_csv(data, index=False)
    rubric_file.write_text(json.dumps(rubrics), encoding="utf-8")
    result = evaluate_frame(read_graded(data), rubrics=read_rubrics(rubric_file))
    assert result.predictions == [2.0, 1.0, 0.0]
    assert result.overall.qwk == pytest.approx(1.0)
    out = run_here(capsys, monkeypatch, "evaluate", str(data), "--rubrics", str(rubric_file), "--json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["overall"]["n"] == 3


def test_cli_table_and_json_on_csv_and_gzip(tmp_path, capsys, monkeypatch):
    plain, packed = tmp_path / "graded.csv", tmp_path / "graded.csv.gz"
    graded_frame().to_csv(plain, index=False)
    graded_frame().to_csv(packed, index=False, compression="gzip")
    table = run_here(capsys, monkeypatch, "evaluate", str(plain))
    assert table.returncode == 0, table.stderr
    assert "overall" in table.stdout and "photo" in table.stdout and "qwk" in table.stdout
    data = json.loads(run_here(capsys, monkeypatch, "evaluate", str(packed), "--json").stdout)
    assert data["overall"]["n"] == len(GRADED)
    assert set(data["per_question"]) == {"photo", "stack"}


def test_rows_without_rubric_or_reference_are_skipped():
    frame = graded_frame()
    extra = pd.DataFrame([("mystery", "Why?", "", "Because.", 1.0, 5.0, "all")], columns=frame.columns)
    result = evaluate_frame(check_graded(pd.concat([frame, extra], ignore_index=True)))
    assert result.skipped == 1 and result.overall.n == len(GRADED)


@pytest.mark.parametrize("content, expected", [
    ("question_id,answer,score\nq,a,1\n", "missing column(s) max_score"),
    ("question_id,answer,score,max_score\nq,a,7,5\n", "bad.csv: line 2: score 7 is above max_score 5; every score"),
    ("question_id,answer,score,max_score\nq,a,high,5\n", "line 2: score is not a number"),
])
def test_bad_graded_files_are_one_line_errors(tmp_path, capsys, monkeypatch, content, expected):
    path = tmp_path / "bad.csv"
    path.write_text(content, encoding="utf-8")
    result = run_here(capsys, monkeypatch, "evaluate", str(path))
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and expected in lines[0]


HEADER = "question_id,answer,score,max_score\n"


def read_error(tmp_path, data: bytes, name: str = "graded.csv") -> str:
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(DataError) as raised:
        read_graded(path)
    message = str(raised.value)
    assert "\n" not in message
    return message


def graded_csv(rows: list[str]) -> bytes:
    """A graded file's bytes: the header, then each row (a row may hold quoted line breaks)."""
    return (HEADER + "\n".join(rows) + "\n").encode()


def test_scores_out_of_range_name_their_lines_and_values(tmp_path):
    rows = ['q,one,3,15', 'q,"two\n\nparagraphs",18,15', 'q,three,-1,15', 'q,four,2,0', 'q,five,6,5', 'q,six,1,1']
    message = read_error(tmp_path, graded_csv(rows))
    assert message == ("graded.csv: line 3: score 18 is above max_score 15; line 6 (row 4 in a spreadsheet): "
                       "score -1 is below 0; line 7 (row 5 in a spreadsheet): max_score 0 is not above 0 "
                       "(and 1 more line(s) like these); every score must lie between 0 and its max_score, "
                       "and max_score must be above 0")
    # a frame checked without a file counts one line a row
    with pytest.raises(DataError, match=r"^data: line 3: score 7.5 is above max_score 5;"):
        check_graded(pd.DataFrame({"question_id": ["q", "q"], "answer": ["a", "b"], "score": [1, 7.5],
                                   "max_score": [5, 5]}))


MARKS = {"ij-critical-minerals": 15.0, "ij-ai-governance": 10.0}


def test_a_bank_questions_rows_must_be_graded_out_of_its_marks(tmp_path):
    """12 for a 10-mark question is a slip in the file (or the wrong id): refused, naming every line, before the
    score's own range (a score of 11 out of "12" is the max_score's fault, not the score's)."""
    rows = ['ij-ai-governance,one,6,10', 'ij-ai-governance,"two\nlines",11,12', 'ij-critical-minerals,three,9,10',
            'benchmark-q,four,2,3']
    path = tmp_path / "graded.csv"
    path.write_bytes(graded_csv(rows))
    with pytest.raises(DataError) as raised:
        read_graded(path, bank_marks=MARKS)
    assert str(raised.value) == (
        "graded.csv: line 3: max_score 12 for ij-ai-governance, a 10-mark question in the bank; line 5 (row 4 in a "
        "spreadsheet): max_score 10 for ij-critical-minerals, a 15-mark question in the bank; grade each answer out "
        "of its question's marks (or correct the question id)")
    assert len(read_graded(path)) == 4  # without the bank (a benchmark's file), rows are checked as before
    rows[1], rows[2] = 'ij-ai-governance,"two\nlines",9,10', 'ij-critical-minerals,three,9,15'
    path.write_bytes(graded_csv(rows))
    assert list(read_graded(path, bank_marks=MARKS)["max_score"]) == [10, 10, 15, 3]


def test_an_empty_answer_to_a_bank_question_with_marks_is_refused(tmp_path):
    rows = ['ij-ai-governance,one,6,10', 'ij-ai-governance,,4,10', 'ij-ai-governance," ",0,10',
            'ij-critical-minerals,"  \n ",7.5,15']
    path = tmp_path / "graded.csv"
    path.write_bytes(graded_csv(rows))
    with pytest.raises(DataError) as raised:
        read_graded(path, bank_marks=MARKS)
    assert str(raised.value) == (
        "graded.csv: line 3: the answer is empty but has score 4; line 5: the answer is empty but has score 7.5; "
        "an empty answer earns 0: put its text back, give it 0, or remove the row")


def test_empty_answers_kept_are_reported_as_warnings_that_name_their_lines(tmp_path):
    rows = ['ij-ai-governance,"one\ntwo",6,10', 'ij-ai-governance,,0,10', 'ij-ai-governance,"\n",0,10',
            'benchmark-q,,0,3', 'benchmark-q,,2,3', 'benchmark-q,"yes, it is",3,3']
    path = tmp_path / "graded.csv"
    path.write_bytes(graded_csv(rows))
    graded = read_graded_file(path, bank_marks=MARKS)
    assert len(graded.frame) == 6  # nothing is dropped
    assert graded.warnings == (
        "graded.csv: 3 empty answers graded 0 are kept, as the scorer gives an empty answer 0 too (and a calibration "
        "keeps that 0): lines 4 (row 3 in a spreadsheet), 5 (row 4 in a spreadsheet) and 7 (row 5 in a spreadsheet)",
        "graded.csv: an empty answer with marks is kept as published; the scorer gives an empty answer 0, which "
        "counts against its agreement: line 8 (row 6 in a spreadsheet)")
    assert read_graded_file(tmp_path / "graded.csv").warnings[1].startswith("graded.csv: an empty answer with marks")
    rows = ['ij-ai-governance,one,6,10'] * 3
    path.write_bytes(graded_csv(rows))
    assert read_graded_file(path, bank_marks=MARKS).warnings == ()


def test_bank_marks_are_the_banks_questions_less_those_a_rubrics_file_marks():
    from tests.scoring_support import bank

    marks = bank_marks(bank())
    assert marks["ij-critical-minerals"] == 15 and marks["ij-ai-governance"] == 10 and len(marks) == len(bank())
    assert "ij-ai-governance" not in bank_marks(bank(), {"ij-ai-governance": {}})
    assert bank_marks(None) == {}


def test_a_score_that_is_not_a_number_is_on_the_line_it_is_on(tmp_path):
    data = (HEADER + 'q,"one\ntwo",3,15\nq,three,high,15\n').encode()
    assert read_error(tmp_path, data) == "graded.csv: line 4 (row 3 in a spreadsheet): score is not a number"


def test_a_file_that_is_not_utf8_names_the_line_and_how_to_save_it(tmp_path):
    data = (HEADER + "q,plain,3,15\nq,a long answer about the caf\u00e9,3,15\n").encode("cp1252")
    message = read_error(tmp_path, data)
    assert message.startswith("graded.csv: not UTF-8 text: line 3 has the byte 0xE9 ('é' in Windows-1252, "
                              "which Excel's plain \"CSV\" uses); save it as UTF-8:")
    assert "codec" not in message and "position" not in message
    assert 'in Excel, File › Save As › "CSV UTF-8 (Comma delimited)"' in message
    # the same file gzipped: the line is counted in the unzipped text
    assert read_error(tmp_path, gzip.compress(data), "graded.csv.gz").startswith(
        "graded.csv.gz: not UTF-8 text: line 3 has the byte 0xE9")
    # a byte-order mark is fine, and is not counted
    assert read_graded_bytes(tmp_path, codecs.BOM_UTF8 + (HEADER + "q,caf\u00e9,3,15\n").encode())["answer"][0] == "caf\u00e9"


@pytest.mark.parametrize("data, start", [
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "graded.csv: not a CSV text file (line 1 has the byte 0x89, "),
    (bytes(range(256)), "graded.csv: not a CSV text file (line 2 has the byte 0x80, "),
    (b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00\xb5U0#",
     "graded.csv: a spreadsheet workbook (Excel or LibreOffice), not a CSV file: open it and save the sheet"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00\x00", "graded.csv: a spreadsheet workbook"),
    ((HEADER + "q,a,1,2\n").encode("utf-16"), "graded.csv: UTF-16 text (as Excel's \"Unicode Text\" saves it), not UTF-8"),
], ids=["png", "binary", "xlsx", "xls", "utf-16"])
def test_a_binary_or_wrongly_encoded_file_says_what_it_is_and_how_to_save_a_csv(tmp_path, data, start):
    message = read_error(tmp_path, data)
    assert message.startswith(start), message
    assert '"CSV UTF-8 (Comma delimited)"' in message and "codec" not in message


def read_graded_bytes(tmp_path, data: bytes, name: str = "graded.csv") -> pd.DataFrame:
    path = tmp_path / name
    path.write_bytes(data)
    return read_graded(path)


def test_semicolon_and_tab_separated_files_are_read_like_comma_separated_ones(tmp_path):
    """Excel saves "CSV" with semicolons where the decimal mark is a comma; tabs come from copying a sheet."""
    comma = read_graded_bytes(tmp_path, (HEADER + 'q,"Yes, it is; really",7.5,15\nq,"two\nlines",3,15\n').encode(),
                              "comma.csv")
    semicolon = read_graded_bytes(tmp_path, b'question_id;answer;score;max_score\r\n'
                                            b'q;"Yes, it is; really";7,5;15\r\nq;"two\nlines";3;15\r\n', "semi.csv")
    tab = read_graded_bytes(tmp_path, b'question_id\tanswer\tscore\tmax_score\n'
                                      b'q\tYes, it is; really\t7.5\t15\nq\t"two\nlines"\t3\t15\n', "tab.csv")
    columns = ["question_id", "answer", "score", "max_score"]
    assert comma[columns].to_dict("records") == [
        {"question_id": "q", "answer": "Yes, it is; really", "score": 7.5, "max_score": 15.0},
        {"question_id": "q", "answer": "two\nlines", "score": 3.0, "max_score": 15.0}]
    assert semicolon[columns].equals(comma[columns]) and tab[columns].equals(comma[columns])
    # a fault in a semicolon file is placed like any other
    message = read_error(tmp_path, b"question_id;answer;score;max_score\nq;a;7,5;15\nq;b;16,5;15\n")
    assert message.startswith("graded.csv: line 3: score 16.5 is above max_score 15;")


def test_wrong_column_names_show_the_columns_found(tmp_path):
    message = read_error(tmp_path, b"id,text,marks,out_of\nq,a,1,2\n")
    assert message == ("graded.csv: missing column(s) question_id, answer, score, max_score; need question_id, "
                       "answer, score, max_score; found id, text, marks, out_of")
    message = read_error(tmp_path, b"Question_ID,answer,Score ,max_score\nq,a,1,2\n")
    assert message.endswith("found Question_ID, answer, Score , max_score (write 'Question_ID' as 'question_id', "
                            "'Score ' as 'score': names must match exactly)")


def test_rows_with_too_many_values_or_an_unclosed_quote_name_the_line(tmp_path):
    message = read_error(tmp_path, (HEADER + 'q,"one\ntwo",1,2\nq,three, four,1,2\n').encode())
    assert message == ("graded.csv: line 4 (row 3 in a spreadsheet) has 5 values but the header has 4 columns; "
                       "a value with a comma or a line break in it must be in double quotes")
    message = read_error(tmp_path, (HEADER + 'q,one,1,2\nq,"two, three,1,2\nq,four,1,2\n').encode())
    assert message.startswith('graded.csv: from line 3 on, a double quote (") is opened and never closed')


def test_empty_header_only_and_damaged_gzip_files(tmp_path):
    assert read_error(tmp_path, codecs.BOM_UTF8 + b" \n\n") == "graded.csv: the file is empty"
    assert read_error(tmp_path, HEADER.encode()) == "graded.csv: no rows"
    assert read_error(tmp_path, b"not gzip", "graded.csv.gz").startswith("graded.csv.gz: not a readable gzip file (")


def test_bad_rubrics_file_is_a_data_error(tmp_path):
    path = tmp_path / "rubrics.json"
    path.write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(DataError, match="expected"):
        read_rubrics(path)


def test_human_step_and_items():
    assert human_step([0, 1, 3]) == 1.0 and human_step([0, 2.5]) == 0.5
    items = build_items(check_graded(graded_frame()), None, None)
    assert set(items) == {"photo", "stack"}
    assert all(len(item.rubric.points) == 2 for item in items.values())  # one point per reference sentence
    assert pearson([5, 4, 2, 1, 0], [5, 4, 2, 1, 0]) == pytest.approx(1.0)
