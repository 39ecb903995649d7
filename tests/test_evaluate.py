"""``evaluate``: agreement of the unsupervised scorer with a small graded set made here."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import pandas as pd
import pytest

from scoring.cli import main
from scoring.evaluate import (DataError, benchmark_scorer, build_items, check_graded, evaluate_frame,
                              evidence_phrases, human_step, item_from_reference, read_graded, read_rubrics)
from scoring.metrics import pearson

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
    ("question_id,answer,score,max_score\nq,a,7,5\n", "every score must lie in [0, max_score]"),
    ("question_id,answer,score,max_score\nq,a,high,5\n", "line 2: score is not a number"),
])
def test_bad_graded_files_are_one_line_errors(tmp_path, capsys, monkeypatch, content, expected):
    path = tmp_path / "bad.csv"
    path.write_text(content, encoding="utf-8")
    result = run_here(capsys, monkeypatch, "evaluate", str(path))
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and expected in lines[0]


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
