"""Turning user text into safe HTML or Markdown, and feedback into a Markdown file.

Pure functions, no Streamlit.  Everything an aspirant or mentor typed (answers,
question text, hints, imported content) goes through ``html.escape`` or
``escape_markdown`` before it is shown, so it always renders as text; the downloaded
feedback file uses ``escape_markdown_file``, which escapes less so that it reads as
plain text too.

>>> escape_markdown("[click](javascript:alert(1)) <b>x</b>")
'\\\\[click\\\\]\\\\(javascript\\\\:alert\\\\(1\\\\)\\\\) &lt;b&gt;x&lt;\\\\/b&gt;'
>>> highlight_answer("FOIP matters. JWG works.", [(14, 24, "jwg", "JWG")])
'FOIP matters. <mark class="mains-evidence" data-point="jwg" title="JWG">JWG works.</mark>'
"""

from __future__ import annotations

import html
import re
import string
from collections.abc import Iterable, Sequence

from scoring.feedback import Component, Feedback, PointResult, StructureReport

_MD_SPECIAL = re.compile("([" + re.escape(string.punctuation.replace("<", "").replace(">", "").replace("&", "")) + "])")

STATUS_ICON = {"covered": "✅", "partial": "🟡", "missed": "❌"}


def escape_markdown(text: str) -> str:
    """Text that Streamlit's Markdown shows literally: no links, images, emphasis, HTML,
    LaTeX (``$``) or directives (``:red[...]``)."""
    text = _MD_SPECIAL.sub(r"\\\1", text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


#: What a Markdown file's readers act on inside running text: code, emphasis, links and images, HTML and
#: entities, table cells and strike-through.  The rest of the punctuation stays bare, so the file reads
#: as plain text too ("Re-read", "$67.9 billion", "timelines, stockpiles").  "$" is not escaped:
#: CommonMark has no math, and an amount such as "$67.9" cannot open math where viewers add it.
_MD_FILE_SPECIAL = re.compile(r"([\\`*_\[\]<>&|~])")
#: ... and what they act on at the start of a line: headings, quotes, lists, rules.
_MD_FILE_LINE_START = re.compile(r"^(\s*)([#>+=-]|\d+(?=[.)]))", re.MULTILINE)


def escape_markdown_file(text: str) -> str:
    """Text for a downloaded Markdown file: shown literally by a Markdown viewer, and readable as plain text.

    >>> escape_markdown_file("Re-read: $67.9 bn, [link](x) & <b>")
    'Re-read: $67.9 bn, \\\\[link\\\\](x) \\\\& \\\\<b\\\\>'
    >>> escape_markdown_file("Intro\\n# not a heading\\n1. not a list")
    'Intro\\n\\\\# not a heading\\n1\\\\. not a list'
    """
    text = _MD_FILE_SPECIAL.sub(r"\\\1", text)
    # a mark is escaped by a backslash before it; an ordered list's number, by one before its "." or ")"
    return _MD_FILE_LINE_START.sub(lambda m: m[1] + (m[2] + "\\" if m[2][0].isdigit() else "\\" + m[2]), text)


def escape_markdown_block(text: str) -> str:
    """Like ``escape_markdown`` but keeps the writer's line breaks (two spaces before each newline)."""
    return "  \n".join(escape_markdown(line) for line in text.splitlines())


def text_html(text: str, *, css_class: str = "mains-text") -> str:
    """A block of user text as escaped HTML that keeps its line breaks."""
    return f'<div class="{css_class}">{html.escape(text)}</div>'


def merge_spans(spans: Iterable[tuple[int, int, str, str]], length: int) -> list[tuple[int, int, str, str]]:
    """Clip spans to the text, sort them, and drop any that overlap an earlier one."""
    out: list[tuple[int, int, str, str]] = []
    for start, end, point_id, label in sorted(spans, key=lambda s: (s[0], -s[1])):
        start, end = max(0, start), min(length, end)
        if end <= start or (out and start < out[-1][1]):
            continue
        out.append((start, end, point_id, label))
    return out


def highlight_answer(answer: str, spans: Sequence[tuple[int, int, str, str]]) -> str:
    """The answer as escaped HTML with each evidence span wrapped in ``<mark>``.

    ``spans`` are ``(start, end, point_id, label)`` character offsets into the raw
    answer; the text is escaped piece by piece, so offsets stay right.
    """
    pieces, cursor = [], 0
    for start, end, point_id, label in merge_spans(spans, len(answer)):
        pieces.append(html.escape(answer[cursor:start]))
        pieces.append(
            f'<mark class="mains-evidence" data-point="{html.escape(point_id, quote=True)}" '
            f'title="{html.escape(label, quote=True)}">{html.escape(answer[start:end])}</mark>'
        )
        cursor = end
    pieces.append(html.escape(answer[cursor:]))
    return "".join(pieces)


def marked_answer_html(answer: str, feedback: Feedback) -> str:
    """``highlight_answer`` for the marked part; words past the end of marking follow, greyed.

    >>> from scoring.feedback import LengthReport
    >>> length = LengthReport(words=4, limit=2, ratio=2.0, status="over", marked_words=3, marked_until=13)
    >>> marked_answer_html("One two three four", Feedback(question_id="q", marks=0, max_marks=10, length=length))
    'One two three<span class="mains-unmarked" title="Not marked: after word 3"> four</span>'
    """
    marked = feedback.marked_text(answer)
    html_text = highlight_answer(marked, evidence_spans(feedback))
    if len(marked) == len(answer):
        return html_text
    return (f'{html_text}<span class="mains-unmarked" title="Not marked: after word {marked_words(feedback)}">'
            f"{html.escape(answer[len(marked):])}</span>")


def marked_words(feedback: Feedback) -> int | None:
    """How many words were marked, when the answer ran past the end of marking; else None."""
    return feedback.length.marked_words if feedback.length is not None else None


def after_marking_note(point: PointResult, feedback: Feedback) -> str:
    """For a point made (or completed) only after marking stopped: where, and what to do."""
    return (f"Made {'' if point.status == 'missed' else 'in full '}only after word {marked_words(feedback):,}, "
            "where marking stopped: move it up.")


def unmarked_caption(feedback: Feedback) -> str:
    """What the greyed end of the answer means, or "" when all of it was marked."""
    words = marked_words(feedback)
    return "" if words is None else f" Greyed: the words after word {words:,}, which were not marked."


def evidence_spans(feedback: Feedback) -> list[tuple[int, int, str, str]]:
    """Spans of the sentences that earned covered or partial points."""
    return [
        (p.span[0], p.span[1], p.id, p.label)
        for p in feedback.points
        if p.span is not None and p.status in ("covered", "partial")
    ]


def format_marks(marks: float, max_marks: float) -> str:
    """``8.5 / 15`` (whole numbers without a decimal point).

    >>> format_marks(8.5, 15.0), format_marks(9.0, 10)
    ('8.5 / 15', '9 / 10')
    """
    return f"{_number(marks)} / {_number(max_marks)}"


def shortened(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters at a word boundary, with "…" when cut.

    >>> shortened("Evaluate the India–Japan approach to supply chains.", 30), shortened("Short.", 30)
    ('Evaluate the India–Japan…', 'Short.')
    """
    if len(text) <= limit:
        return text
    cut = text[:limit].rstrip()
    if not text[len(cut)].isspace() and " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:–-") + "…"


def component_line(component: Component, max_marks: float) -> str:
    """One component as a Markdown line that wraps on any screen (a table's note column was cut).

    The note is escaped like any other text (so punctuation gains backslashes).

    >>> component_line(Component(name="content", score=0.6667, weight=0.65, marks=4.333,
    ...                          note="2 of 3 rubric points covered"), 10)
    '**Content**: 4.33 of 6.50 marks (67%). 2 of 3 rubric points covered'
    """
    name = escape_markdown(component.name[:1].upper() + component.name[1:])
    line = f"**{name}**: {component.marks:.2f} of {component.weight * max_marks:.2f} marks ({component.score:.0%})."
    return f"{line} {escape_markdown(component.note)}" if component.note else line


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _mmss(seconds: int) -> str:
    minutes, secs = divmod(max(0, int(seconds)), 60)
    return f"{minutes:02d}:{secs:02d}"


def structure_line(structure: StructureReport) -> str:
    """Each part of the answer's structure with a tick or a cross, and its paragraphs (screen and download).

    >>> structure_line(StructureReport(introduction=True, body=True, conclusion=False, way_forward=True,
    ...                                paragraphs=1))
    '✅ Introduction · ✅ Body · ❌ Conclusion · ✅ Way forward · 1 paragraph'
    """
    parts = [("Introduction", structure.introduction), ("Body", structure.body),
             ("Conclusion", structure.conclusion), ("Way forward", structure.way_forward)]
    paragraphs = f"{structure.paragraphs} paragraph{'s' if structure.paragraphs != 1 else ''}"
    return " · ".join([*(f"{'✅' if ok else '❌'} {name}" for name, ok in parts), paragraphs])


def way_forward_note(feedback: Feedback) -> str:
    """When the structure's way forward is there but the rubric's way-forward point is not: say both ("" if not).

    The Structure line judges form (a recommendation after the introduction); the rubric judges what it says.
    """
    short = feedback.way_forward_short_of_rubric()
    if not short:
        return ""
    names = "; ".join(f"“{p.label}”" for p in short)
    return (f"Your answer says what should be done, but not yet what this question's way forward needs: {names}. "
            "See the rubric points.")


def structure_notes(feedback: Feedback) -> list[str]:
    """The Structure section's notes (screen and download): the scorer's, then ``way_forward_note``'s."""
    if feedback.structure is None:
        return []
    return [note for note in (*feedback.structure.notes, way_forward_note(feedback)) if note]


def calibration_note(feedback: Feedback) -> str:
    """Why the headline marks differ from the components: they are calibrated; the rest is the scorer's.

    When calibration lowers the marks, the points may show nothing to fix: the note says where to look instead.
    """
    scorer = ("" if feedback.scorer_marks is None
              else f" The scorer alone gave {format_marks(feedback.scorer_marks, feedback.max_marks)}.")
    lower = ("" if feedback.scorer_marks is None or feedback.marks >= feedback.scorer_marks
             else " The lower mark follows how your mentor graded answers like yours, not a fault the scorer "
                  "found: if the points and hints leave nothing to fix, compare your answer with the model answer "
                  "or ask your mentor what it lacks.")
    return ("Marks calibrated from your mentor's graded answers." + scorer
            + " The components, points and hints are the scorer's evidence." + lower)


def feedback_markdown(
    feedback: Feedback,
    *,
    question_text: str,
    answer: str,
    model_answer: str | None = None,
    submitted: str = "",
    time_taken_seconds: int | None = None,
    time_limit_seconds: int | None = None,
    overtime_seconds: int = 0,
) -> str:
    """The feedback as a Markdown document to download (user text is escaped)."""
    lines = ["# Answer feedback", ""]
    lines += [f"**Question:** {escape_markdown_file(question_text)}", ""]
    if submitted:
        lines += [f"**Submitted:** {submitted}", ""]
    lines += [f"## Marks: {format_marks(feedback.marks, feedback.max_marks)}", ""]
    if feedback.calibrated:
        lines += [calibration_note(feedback), ""]
    if feedback.message:
        lines += [escape_markdown_file(feedback.message), ""]
    flags = [f for f in feedback.flags if f.message != feedback.message]  # the headline is said above
    for flag in flags:
        lines.append(f"- ⚠️ {escape_markdown_file(flag.message)}")
    if flags:
        lines.append("")
    if feedback.components:
        if feedback.calibrated:
            lines += ["The scorer's marks by component, before calibration:", ""]
        lines += ["| Component | Score | Marks |", "|---|---|---|"]
        for c in feedback.components:
            lines.append(f"| {escape_markdown_file(c.name)} | {c.score:.0%} | {c.marks:.2f} of {c.weight * feedback.max_marks:.2f} |")
        lines.append("")
    lines += ["## Rubric points", ""]
    for p in feedback.points:
        lines.append(f"- {STATUS_ICON[p.status]} **{escape_markdown_file(p.label)}** ({p.status})")
        if p.evidence and p.status != "missed":
            lines.append(f"  - Evidence: “{escape_markdown_file(feedback.evidence_quote(p))}”")
        if p.after_marking:
            lines.append(f"  - {after_marking_note(p, feedback)}")
        elif p.hint and p.status != "covered":
            lines.append(f"  - Hint: {escape_markdown_file(p.hint)}")
    lines.append("")
    if feedback.suggestions:
        lines += ["## Suggestions", ""] + [f"- {escape_markdown_file(s)}" for s in feedback.suggestions] + [""]
    if feedback.structure:
        notes = structure_notes(feedback)
        lines += ["## Structure", "", structure_line(feedback.structure), ""]
        lines += [f"- {escape_markdown_file(n)}" for n in notes] + ([""] if notes else [])
    if feedback.directive:
        d = feedback.directive
        verdict = "fits" if d.fits else "does not yet fit"
        lines += ["## Directive", "", f"*{escape_markdown_file(d.directive)}*: {escape_markdown_file(d.asks)} The answer {verdict}."]
        if d.missing:
            lines.append(f"Missing: {escape_markdown_file(', '.join(d.missing))}.")
        lines.append("")
    lines += ["## Length and time", ""]
    if feedback.length:
        lines.append(f"- Words: {feedback.length.words:,} of {feedback.length.limit:,} ({feedback.length.status})")
        if marked_words(feedback) is not None:
            lines.append(f"- Marked: the first {marked_words(feedback):,} words (the answer below shows where "
                         "marking stopped)")
    if time_taken_seconds is not None and time_limit_seconds is not None:
        lines.append(f"- Time: {_mmss(time_taken_seconds)} of {_mmss(time_limit_seconds)}")
    if overtime_seconds:
        lines.append(f"- Overtime: {_mmss(overtime_seconds)} past the time limit")
    marked = feedback.marked_text(answer)
    if len(marked) < len(answer):
        answer = f"{marked}\n\n[marking stopped here: the words below were not marked]\n\n{answer[len(marked):].lstrip()}"
    lines += ["", "## Your answer", "", "```text", answer.replace("```", "`\u200b``"), "```", ""]
    if model_answer:
        lines += ["## Model answer", "", "```text", model_answer.replace("```", "`\u200b``"), "```", ""]
    return "\n".join(lines)
