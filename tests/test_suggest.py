"""Suggested rubric points: evidence an aspirant could not copy from the question, labels that say they were cut."""

from __future__ import annotations

from scoring.suggest import short_label, suggest_points

MODEL = ("India and Japan set up a Joint Working Group on critical minerals in 2023, to diversify supply chains "
         "away from one country. Toyota Tsusho built a rare-earth refinery in Andhra Pradesh.")


def test_evidence_made_only_of_the_question_words_is_left_out():
    question = "Examine how India–Japan cooperation on critical minerals and supply chains helps India."
    plain = {e for p in suggest_points(MODEL) for e in p.evidence}
    asked = {e for p in suggest_points(MODEL, question=question) for e in p.evidence}
    assert "critical minerals" in plain and "critical minerals" not in asked
    assert "joint working group" in asked and "rare earth refinery" in asked  # what the answer adds stays
    assert not any(set(e.split()) <= {"india", "japan", "critical", "minerals", "supply", "chains"} for e in asked)


def test_a_cut_label_says_so_and_a_whole_one_does_not():
    points = suggest_points(MODEL)
    long_one = next(p for p in points if p.hint.startswith("India and Japan"))
    assert long_one.label.endswith("…") and len(long_one.label.split()) <= 12
    assert short_label("Toyota Tsusho built a rare-earth refinery in Andhra Pradesh.") == \
        "Toyota Tsusho built a rare-earth refinery in Andhra Pradesh."


def test_a_sentence_that_makes_a_point_already_in_the_rubric_suggests_none():
    """A walk-through added five points by hand, then Suggest added seven more that restated them
    ("kaladan-multimodal-project" beside a point whose evidence was "Kaladan")."""
    model = ("BIMSTEC links South and Southeast Asia without Pakistan. The Kaladan Multimodal project connects "
             "Mizoram to Sittwe port. The secretariat in Dhaka is small and underfunded.")
    every = [p.hint for p in suggest_points(model)]
    assert any("Kaladan" in hint for hint in every) and len(every) == 3
    kept = [p.hint for p in suggest_points(model, known_evidence=["kaladan", "without Pakistans"])]
    assert kept == ["The secretariat in Dhaka is small and underfunded."]  # stems match: "Pakistans", "kaladan"
