"""``python -m scoring``: list, score, batch, suggest, and one-line errors."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import pandas as pd
import pytest

from scoring.cli import main
from tests.scoring_support import REPO_ROOT, bank


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    """The real command in a new process: exit code, stdout and stderr as a user sees them."""
    return subprocess.run([sys.executable, "-m", "scoring", *args], cwd=REPO_ROOT, input=stdin,
                          capture_output=True, text=True, timeout=120)


def run_here(capsys, monkeypatch, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    """The same command in this process (no interpreter start-up), captured the same way."""
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = main(list(args))
    captured = capsys.readouterr()
    return subprocess.CompletedProcess(args, code, captured.out, captured.err)


def test_list_json_names_every_question():
    result = run("list", "--json")
    assert result.returncode == 0
    rows = json.loads(result.stdout)
    assert {r["id"] for r in rows} == set(bank().items)
    assert {"id", "paper", "marks", "directive", "text"} <= rows[0].keys()


def test_list_plain(capsys):
    assert main(["list"]) == 0
    assert "ij-critical-minerals" in capsys.readouterr().out


def test_score_json_from_stdin(capsys, monkeypatch):
    answer = bank()["ij-critical-minerals"].question.model_answer
    result = run_here(capsys, monkeypatch, "score", "ij-critical-minerals", "-", "--json", stdin=answer)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["max_marks"] == 15 and data["marks"] >= 12
    point = data["points"][0]
    assert {"id", "label", "status", "evidence"} <= point.keys()
    assert {p["status"] for p in data["points"]} <= {"covered", "partial", "missed"}


def test_score_readable_from_file(tmp_path, capsys):
    path = tmp_path / "answer.txt"
    path.write_text("The JWG on Critical Minerals helps India diversify sourcing of rare earths.", encoding="utf-8")
    assert main(["score", "ij-critical-minerals", str(path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Marks: ") and "/ 15" in out
    assert "[x] JWG on Critical Minerals" in out
    assert "hint:" in out


def test_batch_writes_marks_and_point_status(tmp_path, capsys, monkeypatch):
    items = list(bank())[:3]
    rows = pd.DataFrame({"question_id": [i.id for i in items] + [items[0].id],
                         "answer": [i.question.model_answer for i in items] + [""]})
    source, target = tmp_path / "in.csv", tmp_path / "out.csv"
    rows.to_csv(source, index=False)
    result = run_here(capsys, monkeypatch, "batch", str(source), "-o", str(target))
    assert result.returncode == 0, result.stderr
    out = pd.read_csv(target)
    assert list(out["question_id"]) == list(rows["question_id"])
    assert (out["marks"][:3] >= 0.8 * out["max_marks"][:3]).all()
    assert out["marks"].iloc[3] == 0
    statuses = json.loads(out["points"].iloc[0])
    assert set(statuses) == {p.id for p in items[0].rubric.points}


def test_suggest_gives_points_with_evidence(capsys, monkeypatch):
    text = bank()["ij-critical-minerals"].question.model_answer
    result = run_here(capsys, monkeypatch, "suggest", "-", "--json", stdin=text)
    assert result.returncode == 0, result.stderr
    points = json.loads(result.stdout)
    assert 1 <= len(points) <= 8
    assert all(p["evidence"] and p["label"] for p in points)


@pytest.mark.parametrize("args, expected", [
    (("score", "no-such-question", "-"), "unknown question id 'no-such-question'"),
    (("score", "ij-critical-minerals", "/no/such/file.txt"), "no such file"),
    (("batch", "/no/such.csv", "-o", "/tmp/x.csv"), "no such file"),
    (("suggest", "-"), "model answer is empty"),
])
def test_user_errors_are_one_line_with_exit_code_2(args, expected, capsys, monkeypatch):
    result = run_here(capsys, monkeypatch, *args)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and expected in lines[0]


def test_malformed_batch_csv_is_a_one_line_error(tmp_path, capsys, monkeypatch):
    bad = tmp_path / "bad.csv"
    bad.write_text("question,text\n1,2\n", encoding="utf-8")
    result = run_here(capsys, monkeypatch, "batch", str(bad), "-o", str(tmp_path / "o.csv"))
    assert result.returncode == 2 and "missing column(s) question_id, answer" in result.stderr
    assert "found question, text" in result.stderr and "Traceback" not in result.stderr
    excel = tmp_path / "excel.csv"  # what Excel's plain "CSV" saves: Windows-1252
    excel.write_bytes("question_id,answer\nij-critical-minerals,caf\u00e9 diplomacy\n".encode("cp1252"))
    result = run_here(capsys, monkeypatch, "batch", str(excel), "-o", str(tmp_path / "o.csv"))
    assert result.returncode == 2 and "not UTF-8 text: line 2 has the byte 0xE9" in result.stderr
    assert "CSV UTF-8" in result.stderr
    unknown = tmp_path / "unknown.csv"
    unknown.write_text("question_id,answer\nnope,hello\n", encoding="utf-8")
    result = run_here(capsys, monkeypatch, "batch", str(unknown), "-o", str(tmp_path / "o.csv"))
    assert result.returncode == 2 and "unknown question id(s) nope" in result.stderr
    binary = tmp_path / "binary.csv"
    binary.write_bytes(b"\xff\xfe\x00\x00garbage")
    result = run("batch", str(binary), "-o", str(tmp_path / "o.csv"))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def graded_csv(tmp_path, rows: list[tuple[str, str, float, float]]) -> str:
    path = tmp_path / "graded.csv"
    pd.DataFrame(rows, columns=["question_id", "answer", "score", "max_score"]).to_csv(path, index=False)
    return str(path)


@pytest.mark.parametrize("command", ["calibrate", "evaluate"])
def test_calibrate_and_evaluate_hold_a_bank_questions_rows_to_its_marks_as_the_page_does(tmp_path, capsys,
                                                                                          monkeypatch, command):
    command = (command, "-o", str(tmp_path / "never.mcal")) if command == "calibrate" else (command,)
    answer = " ".join(bank()["ij-ai-governance"].question.model_answer.split())  # one line a row
    path = graded_csv(tmp_path, [("ij-ai-governance", answer, 8.0, 10.0), ("ij-ai-governance", answer, 9.0, 12.0),
                                 ("ij-ai-governance", "", 3.0, 10.0)])
    result = run_here(capsys, monkeypatch, command[0], path, *command[1:])
    assert result.returncode == 2 and not result.stdout
    assert result.stderr == ("error: graded.csv: line 3: max_score 12 for ij-ai-governance, a 10-mark question in the "
                             "bank; grade each answer out of its question's marks (or correct the question id)\n")
    assert not (tmp_path / "never.mcal").exists()
    path = graded_csv(tmp_path, [("ij-ai-governance", answer, 8.0, 10.0), ("ij-ai-governance", "", 3.0, 10.0)])
    result = run_here(capsys, monkeypatch, command[0], path, *command[1:])
    assert result.returncode == 2
    assert result.stderr == ("error: graded.csv: line 3: the answer is empty but has score 3; an empty answer earns 0: "
                             "put its text back, give it 0, or remove the row\n")


def test_evaluate_keeps_an_empty_answer_graded_0_and_says_so_on_stderr(tmp_path, capsys, monkeypatch):
    item = bank()["ij-ai-governance"]
    path = graded_csv(tmp_path, [("ij-ai-governance", " ".join(item.question.model_answer.split()), 9.0, 10.0),
                                 ("ij-ai-governance", item.question.text, 1.0, 10.0),
                                 ("ij-ai-governance", " ", 0.0, 10.0)])
    result = run_here(capsys, monkeypatch, "evaluate", path, "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["overall"]["n"] == 3  # the empty answer is counted
    assert result.stderr == ("warning: graded.csv: an empty answer graded 0 is kept, as the scorer gives an empty answer "
                             "0 too (and a calibration keeps that 0): line 4\n")
