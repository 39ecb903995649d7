"""Escaping and highlighting used by every page (app_pages/markup.py, pure)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from app_pages.markup import (
    calibration_note, escape_markdown, escape_markdown_file, evidence_spans, feedback_markdown, format_marks,
    highlight_answer, merge_spans, text_html, way_forward_note,
)
from scoring.feedback import Component, Feedback, Flag, LengthReport, PointResult, StructureReport

#: a reference CommonMark parser: what a Markdown viewer makes of the downloaded file
COMMONMARK = MarkdownIt("commonmark")

#: lines of answer-like text heavy in the characters Markdown acts on
MARKDOWN_LINES = st.lists(st.sampled_from([*"ab1. \\`*_[]()<>&|~$#+-=!:;\"'{}", "&amp;", "http://x", "e.g."]),
                          min_size=1, max_size=30).map("".join).map(str.strip).filter(bool)


def test_markdown_escaping_neutralises_links_images_html_latex_and_directives():
    for hostile in ["[x](javascript:alert(1))", "![p](http://h/x.png)", "<img src=x onerror=alert(1)>",
                    "$\\frac{1}{2}$", ":red[big]", "**bold** _it_ `code`", "# heading", "<script>x</script>"]:
        escaped = escape_markdown(hostile)
        assert "<" not in escaped and ">" not in escaped
        for ch in "[]()!*_`#$:":
            assert f"{ch}" not in escaped.replace(f"\\{ch}", "")


def test_text_html_escapes():
    assert text_html("<b>hi</b>\nthere") == '<div class="mains-text">&lt;b&gt;hi&lt;/b&gt;\nthere</div>'


def test_highlight_escapes_around_and_inside_marks_and_keeps_offsets():
    answer = "<i>Intro</i>. Evidence & more. Tail <script>"
    start = answer.index("Evidence")
    end = answer.index(". Tail")
    out = highlight_answer(answer, [(start, end + 1, "p1", 'label "q"')])
    assert out.count("<mark") == 1
    assert '<mark class="mains-evidence" data-point="p1" title="label &quot;q&quot;">Evidence &amp; more.</mark>' in out
    assert out.startswith("&lt;i&gt;Intro&lt;/i&gt;.") and out.endswith("Tail &lt;script&gt;")


def test_overlapping_or_out_of_range_spans_are_dropped():
    assert merge_spans([(5, 10, "a", ""), (7, 12, "b", ""), (50, 60, "c", ""), (0, 3, "d", "")], 20) == [
        (0, 3, "d", ""), (5, 10, "a", "")]


def test_evidence_spans_only_for_earned_points():
    fb = Feedback(question_id="q", marks=1, max_marks=10, points=(
        PointResult(id="a", label="A", weight=1, status="covered", strength=1, span=(0, 4), evidence="Abcd"),
        PointResult(id="b", label="B", weight=1, status="missed", strength=0, span=(5, 8)),
    ))
    assert evidence_spans(fb) == [(0, 4, "a", "A")]


def test_feedback_markdown_download():
    fb = Feedback(
        question_id="q", marks=8.5, max_marks=15,
        points=(PointResult(id="a", label="A [link](x)", weight=1, status="covered", strength=1, evidence="Yes."),
                PointResult(id="b", label="B", weight=1, status="missed", strength=0, hint="Add B.")),
        flags=(Flag(code="overtime", message="Submitted 01:00 after the limit."),),
        length=LengthReport(words=200, limit=250, ratio=0.8, status="good"),
        suggestions=("Add: B.",),
    )
    text = feedback_markdown(fb, question_text="Q?", answer="My ``` answer", time_taken_seconds=700,
                             time_limit_seconds=660, overtime_seconds=40)
    assert "## Marks: 8.5 / 15" in text
    assert "A \\[link\\](x)" in text and "Hint: Add B." in text
    assert "- Time: 11:40 of 11:00" in text and "- Overtime: 00:40" in text
    assert "Words: 200 of 250" in text
    assert "My `\u200b`` answer" in text  # cannot close the code fence early
    assert format_marks(9, 10) == "9 / 10"
    assert "calibrated" not in text.lower()


def test_feedback_markdown_says_calibrated_marks_differ_from_the_scorers_components():
    fb = Feedback(question_id="q", marks=8, max_marks=15, calibrated=True, scorer_marks=12,
                  components=(Component(name="content", score=0.8, weight=0.6, marks=7.2, note="7 of 9 points"),))
    text = feedback_markdown(fb, question_text="Q?", answer="A.")
    assert "## Marks: 8 / 15" in text
    assert "Marks calibrated from your mentor's graded answers. The scorer alone gave 12 / 15." in text
    assert "The scorer's marks by component, before calibration:" in text


def test_a_calibrated_mark_below_the_scorers_says_where_to_look_when_every_point_is_covered():
    """10 / 15 calibrated, 15 / 15 from the scorer with every point covered: the rubric feedback shows nothing
    to fix, so the note says what the lower mark means and what to do."""
    lowered = Feedback(question_id="q", marks=10, max_marks=15, calibrated=True, scorer_marks=15)
    note = calibration_note(lowered)
    assert note.startswith("Marks calibrated from your mentor's graded answers. The scorer alone gave 15 / 15.")
    assert ("The lower mark follows how your mentor graded answers like yours, not a fault the scorer found: if "
            "the points and hints leave nothing to fix, compare your answer with the model answer or ask your "
            "mentor what it lacks.") in note
    assert note in feedback_markdown(lowered, question_text="Q?", answer="A.")
    for marks in (15, 15.5):  # the same or higher: nothing lost to explain
        same = Feedback(question_id="q", marks=marks, max_marks=16, calibrated=True, scorer_marks=15)
        assert "lower mark" not in calibration_note(same)
    assert "lower mark" not in calibration_note(Feedback(question_id="q", marks=8, max_marks=15, calibrated=True))


def test_feedback_markdown_shows_where_marking_stopped_and_says_the_headline_once():
    answer = "One two three. Four five six."
    headline = "Only the first 3 words were marked."
    fb = Feedback(
        question_id="q", marks=1, max_marks=10, message=headline,
        points=(PointResult(id="a", label="Late point", weight=1, status="missed", strength=0, hint="Add it.",
                            after_marking=True),),
        flags=(Flag(code="not_marked", message=headline), Flag(code="over_length", message="Too long.")),
        length=LengthReport(words=6, limit=2, ratio=3.0, status="over", marked_words=3, marked_until=14),
    )
    text = feedback_markdown(fb, question_text="Q?", answer=answer)
    assert text.count("Only the first 3 words were marked") == 1 and "- ⚠️ Too long." in text
    assert "- Marked: the first 3 words" in text
    assert "One two three.\n\n[marking stopped here: the words below were not marked]\n\nFour five six." in text
    assert "Made only after word 3, where marking stopped: move it up." in text and "Hint: Add it" not in text


@settings(max_examples=300, deadline=None)
@given(MARKDOWN_LINES)
def test_the_downloaded_markdown_shows_any_text_literally(line):
    """Whatever a line holds (links, emphasis, HTML, entities, list and heading marks), a CommonMark
    viewer shows exactly those characters."""
    html_text = line.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    assert COMMONMARK.render(escape_markdown_file(line)) == f"<p>{html_text}</p>\n"


def test_the_downloaded_markdown_reads_as_plain_text_too():
    """Only what Markdown acts on is escaped: commas, colons, hyphens and full stops stay bare."""
    fb = Feedback(
        question_id="q", marks=6, max_marks=15,
        points=(PointResult(id="wf", label="Way forward: JWG timelines, stockpiles and skills", weight=1,
                            status="missed", strength=0, hint="Re-read the note's last part: the $67.9 billion."),),
        structure=StructureReport(introduction=True, body=True, conclusion=True, way_forward=True, paragraphs=4),
    )
    text = feedback_markdown(fb, question_text="Examine India–Japan ties.", answer="A.")
    assert "- ❌ **Way forward: JWG timelines, stockpiles and skills** (missed)" in text
    assert "  - Hint: Re-read the note's last part: the $67.9 billion." in text
    # the structure's way forward is there in form, but the rubric's is missed: the file says so too
    # the checklist is in the file whether or not a part is missing, as on the screen
    assert f"## Structure\n\n✅ Introduction · ✅ Body · ✅ Conclusion · ✅ Way forward · 4 paragraphs\n\n" \
           f"- {way_forward_note(fb)}" in text
    assert way_forward_note(fb) == ("Your answer says what should be done, but not yet what this question's way "
                                    "forward needs: “Way forward: JWG timelines, stockpiles and skills”. See the "
                                    "rubric points.")


def test_an_evidence_sentence_written_as_a_bullet_is_quoted_without_its_marker():
    fb = Feedback(question_id="q", marks=5, max_marks=10, points=(
        PointResult(id="a", label="A", weight=1, status="covered", strength=1,
                    evidence="- Concentrated supply chains: the 2010 curbs showed the risk."),))
    assert fb.evidence_quote(fb.points[0]) == "Concentrated supply chains: the 2010 curbs showed the risk."
    text = feedback_markdown(fb, question_text="Q?", answer="A.")
    assert "  - Evidence: “Concentrated supply chains: the 2010 curbs showed the risk.”" in text
