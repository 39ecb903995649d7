"""benchmarks/run.py's report: a figure just short of its target never reads as meeting it, and results.md
can be written again from results.json without measuring."""

from __future__ import annotations

import json

from benchmarks import run

SPEED = {"median_words": 228, "median_ms": 2.3, "p90_ms": 3.7, "plain_tfidf_median_ms": 1.0,
         "ratio_to_plain_tfidf": 2.3, "batch_answers": 4800, "batch_answers_per_second": 900.0,
         "batch_runs": [880.0, 900.0, 910.0], "huge_answer_words": 20000, "huge_answer_outcome": "scored",
         "huge_answer_seconds": 0.4, "peak_traced_mb": 30.0, "peak_rss_mb": 400.0}


def test_results_md_is_written_again_from_results_json_with_a_near_miss_shown_to_four_places(tmp_path):
    sets = {f"asap-{i}": 0.7496 for i in range(1, 11)}
    figures = [run._figure("ASAP all 10 sets, 5-fold CV, calibrated with --fine-tune", "mean QWK", 0.74961, "asap-cv")]
    saved = tmp_path / "results.json"
    saved.write_text(json.dumps({
        "date": "2026-01-02", "benchmarks_dir": str(tmp_path), "figures": figures, "speed": SPEED,
        "detail": {"asap_cv": {"per_set_qwk": sets}}}), encoding="utf-8")

    assert run.rewrite_report(saved) == 0
    report = (tmp_path / "results.md").read_text(encoding="utf-8")
    assert "on 2026-01-02" in report
    assert "| mean QWK | 0.7496 | 0.600 | ≥ 0.75 | **no** |" in report
    assert "| calibrated | " + " | ".join(["0.750"] * 10) + " | 0.7496 | " in report  # sets to 3 places, the mean to 4


def test_rewriting_without_a_saved_run_says_so(tmp_path, capsys):
    assert run.rewrite_report(tmp_path / "results.json") == 1
    assert "run benchmarks/run.py first" in capsys.readouterr().err
