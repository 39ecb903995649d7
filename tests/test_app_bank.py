"""Question bank page in AppTest: validation, save, edit, delete, import, bank errors."""

from __future__ import annotations

import html
import json
import re

import yaml

from scoring.bank import load_bank
from scoring.importing import MAX_IMPORT_BYTES

NEW_ID = "test-new-question"
NEW_POINTS = [
    {"id": "article-280", "label": "Finance Commission under Article 280", "weight": 2.0,
     "hint": "Name Article 280.", "evidence": "Article 280; Finance Commission", "concepts": ""},
    {"id": "devolution", "label": "Share of taxes devolved to states", "weight": 1.0,
     "hint": "Say what the Commission recommends.", "evidence": "devolution; share of taxes", "concepts": ""},
]


def open_bank(app, section: str = "Browse"):
    app.run()
    app.switch_page("app_pages/question_bank.py").run()
    assert not app.exception, app.exception
    if section != "Browse":
        app.radio(key="bank_section").set_value(section).run()
    return app


def as_read(markdown: str) -> str:
    """Markdown as a reader sees it: without its escapes."""
    return html.unescape(re.sub(r"\\(.)", r"\1", markdown))


def bullets(markdown: str) -> list[tuple[str, str]]:
    """A list of "- **Name**: message" lines as (name, message), as read."""
    found = []
    for line in markdown.splitlines():
        named = re.fullmatch(r"- \*\*(.+?)\*\*: (.*)", line)
        if named:
            found.append((as_read(named[1]), as_read(named[2])))
        elif line.startswith("- "):
            found.append(("", as_read(line[2:])))
    return found


def problems(app) -> list[tuple[str, str]]:
    """The form's problem list as (the field's label, the problem), whole, as the mentor reads it."""
    shown = [e.value for e in app.error if "problem(s) to fix before saving" in e.value]
    assert len(shown) <= 1, shown
    if not shown:
        return []
    head, listed = shown[0].split("\n\n", 1)
    faults = bullets(listed)
    assert head == f"{len(faults)} problem(s) to fix before saving:", shown[0]
    return faults


def fill_form(app, *, qid: str = NEW_ID, points=NEW_POINTS):
    app.text_input(key="bank_form_id").set_value(qid)
    app.selectbox(key="bank_form_paper").set_value("GS2")
    app.text_input(key="bank_form_topic").set_value("Fiscal federalism")
    app.number_input(key="bank_form_marks").set_value(10)
    app.selectbox(key="bank_form_directive").set_value("explain")
    app.text_area(key="bank_form_text").set_value("Explain the role of the Finance Commission. <b>bold?</b>")
    app.text_area(key="bank_form_model_answer").set_value(
        "The Finance Commission is set up under Article 280 of the Constitution. "
        "It recommends the share of taxes to be devolved to the states.")
    app.session_state["bank_form_points_rows"] = points
    app.session_state["bank_form_points_version"] = app.session_state["bank_form_points_version"] + 1
    return app.run()


def test_an_untouched_form_lists_no_problems_until_something_is_entered(app, sample_item):
    open_bank(app, "Add or edit")
    assert problems(app) == [] and not app.error  # no red "5 problem(s)" before the mentor has typed anything
    assert any("anything missing is listed here as you go" in i.value for i in app.info)
    assert app.button(key="bank_form_save").disabled
    app.text_input(key="bank_form_topic").set_value("Fiscal federalism").run()
    faults = dict(problems(app))
    assert {"Id", "Question text", "Model answer", "Rubric points"} <= set(faults)  # the form's labels
    assert faults["Id"] == "required: fill it in"  # not "id '' must be lower-case letters…"
    assert faults["Rubric points"] == "add at least one rubric point"
    app.text_input(key="bank_form_id").set_value("fc-role").run()
    app.text_input(key="bank_form_topic").set_value("").run()
    assert dict(problems(app))["Topic"] == "required: fill it in"
    app.text_input(key="bank_form_id").set_value("").run()
    assert problems(app) == []  # emptied again: as calm as a new form
    assert app.button(key="bank_form_save").disabled


def test_choosing_a_directive_counts_as_starting_the_form(app, sample_item):
    open_bank(app, "Add or edit")
    app.selectbox(key="bank_form_directive").set_value("examine").run()
    assert dict(problems(app))["Id"] == "required: fill it in"


def test_bad_values_are_named_by_field(app, sample_item):
    open_bank(app, "Add or edit")
    bad_points = [
        {"id": "ok-point", "label": "A point", "weight": 0.0, "hint": "Say x.", "evidence": "x", "concepts": ""},
        {"id": "other", "label": "Another", "weight": 1.0, "hint": "Say it.", "evidence": "",
         "concepts": "no-such-concept"},
    ]
    fill_form(app, qid="../escape", points=bad_points)
    faults = problems(app)
    assert any(field == "Id" and "no '/', '..'" in message for field, message in faults)
    fill_form(app, points=bad_points)
    faults = problems(app)
    assert ("Rubric point 1 › weight", "must be more than 0") in faults, faults
    fill_form(app, points=bad_points[1:])
    faults = problems(app)
    assert any("unknown concept 'no-such-concept'" in message for _, message in faults), faults
    assert app.button(key="bank_form_save").disabled


def test_problems_are_listed_whole_and_named_by_the_forms_labels(app, sample_item):
    """The walk-through: a table's cells cut long messages ("…at most 8…"), and pydantic's words and code
    names ("marks: Input should be greater than 0", `model_answer`) sat beside plain ones."""
    open_bank(app, "Add or edit")
    fill_form(app, qid="BIMSTEC Act East!")
    app.text_area(key="bank_form_model_answer").set_value("").run()
    app.text_input(key="bank_form_tags").set_value("bimstec, act east").run()
    assert not [d for d in app.dataframe if "problem" in d.value.columns]  # a list that wraps, not a grid
    assert problems(app) == [
        ("Id", "id 'BIMSTEC Act East!' must be lower-case letters, digits, '-' or '_' (no '/', '..' or spaces), "
               "at most 80 characters"),
        ("Model answer", "required: fill it in"),
    ]
    app.text_input(key="bank_form_id").set_value(NEW_ID).run()
    app.text_area(key="bank_form_text").set_value("Examine the role of the Finance Commission.").run()
    assert problems(app) == [
        ("Model answer", "required: fill it in"),
        ("Directive", "The question says 'Examine' but the directive chosen is 'explain': choose 'examine' or "
                      "reword the question"),
    ]
    assert not any("Input should" in message or "_" in name for name, message in problems(app))


def test_numbers_out_of_bounds_reach_the_problem_list(app, sample_item):
    """The walk-through: 0 typed in Marks showed a red "!" on the box (the browser keeps a value outside the
    box's bounds to itself) and the problem list said nothing; the boxes have no bounds, the rules name it."""
    open_bank(app, "Add or edit")
    fill_form(app)
    for key in ("bank_form_marks", "bank_form_word_limit", "bank_form_time_limit", "bank_point_weight"):
        box = app.number_input(key=key).proto
        assert not box.has_min and not box.has_max, key
    app.number_input(key="bank_form_marks").set_value(0).run()
    assert problems(app) == [("Marks", "must be more than 0")]
    app.number_input(key="bank_form_marks").set_value(300).run()
    app.number_input(key="bank_form_word_limit").set_value(-10).run()
    assert problems(app) == [("Marks", "must be at most 250"), ("Word limit", "must be more than 0")]
    assert app.button(key="bank_form_save").disabled
    app.number_input(key="bank_form_marks").set_value(10).run()
    app.number_input(key="bank_form_word_limit").set_value(0).run()  # 0: from the marks
    assert problems(app) == []


def test_evidence_of_only_function_words_and_an_empty_hint_are_refused(app, sample_item):
    """The walk-through: evidence ";;  ; the" and no hint were "valid", saved as [the], and an unrelated
    17-word answer then earned part of the point."""
    open_bank(app, "Add or edit")
    fill_form(app, points=[{**NEW_POINTS[0], "evidence": ";;  ; the", "hint": ""}])
    faults = dict(problems(app))
    assert faults["Rubric point 1 › evidence"] == ("evidence 'the' of point 'article-280' is only function words or "
                                            "punctuation: use words an answer making this point would contain")
    assert faults["Rubric point 1 › hint"].startswith("required: the hint is what an aspirant reads when this point is missed")
    assert not any("valid" in s.value for s in app.success)
    assert app.button(key="bank_form_save").disabled


def test_stray_separators_in_evidence_are_dropped_quietly(app, bank_dir, sample_item):
    open_bank(app, "Add or edit")
    fill_form(app, points=[{**NEW_POINTS[0], "evidence": ";; Article 280 ;  ; ;Finance Commission;"}, NEW_POINTS[1]])
    assert problems(app) == []
    app.button(key="bank_form_save").click().run()
    assert load_bank(bank_dir)[NEW_ID].rubric.points[0].evidence == ("Article 280", "Finance Commission")


def test_a_duplicate_point_id_in_the_table_is_named_under_points(app, sample_item):
    open_bank(app, "Add or edit")
    fill_form(app, points=[NEW_POINTS[0], {**NEW_POINTS[1], "id": "article-280"}])
    assert problems(app) == [("Rubric points",
                              "point id 'article-280' is used more than once: give each point its own id")]


def test_the_directive_follows_the_question_until_the_mentor_picks_one(app, sample_item):
    open_bank(app, "Add or edit")
    assert app.selectbox(key="bank_form_directive").value == "discuss"
    app.text_area(key="bank_form_text").set_value("Examine the significance of Open RAN for India.").run()
    assert app.selectbox(key="bank_form_directive").value == "examine"  # not "discuss" under an "Examine" question
    assert any("taken from the question text" in c.value for c in app.caption)
    app.text_area(key="bank_form_text").set_value(
        "“Open RAN is the future.” Critically examine the claim for India.").run()
    assert app.selectbox(key="bank_form_directive").value == "critically examine"
    app.selectbox(key="bank_form_directive").set_value("discuss").run()  # the mentor's choice stands…
    assert app.selectbox(key="bank_form_directive").value == "discuss"
    assert ("Directive", "The question says 'Critically examine' but the directive chosen is 'discuss': "
                         "choose 'critically examine' or reword the question") in problems(app)  # …and is questioned
    app.button(key="bank_form_new").click().run()  # a new question follows its words again…
    app.button(key="bank_unsaved_form_discard").click().run()  # …once this one's words are let go
    app.text_area(key="bank_form_text").set_value("Explain the role of the Finance Commission.").run()
    assert app.selectbox(key="bank_form_directive").value == "explain"


def test_a_question_whose_words_contradict_its_directive_cannot_be_saved(app, bank_dir, sample_item):
    open_bank(app, "Add or edit")
    fill_form(app)  # chooses "explain"
    app.text_area(key="bank_form_text").set_value("Examine the significance of the Finance Commission.").run()
    assert ("Directive", "The question says 'Examine' but the directive chosen is 'explain': "
                         "choose 'examine' or reword the question") in problems(app)
    assert app.button(key="bank_form_save").disabled
    app.selectbox(key="bank_form_directive").set_value("examine").run()
    assert problems(app) == []


def test_an_existing_id_is_refused_in_add_mode(app, sample_item):
    open_bank(app, "Add or edit")
    fill_form(app, qid=sample_item.id)
    assert any(field == "Id" and "already in the bank" in message for field, message in problems(app))
    assert app.button(key="bank_form_save").disabled


def test_a_question_already_in_the_bank_under_another_id_is_refused(app, sample_item):
    open_bank(app, "Add or edit")
    fill_form(app)
    app.text_area(key="bank_form_text").set_value("  " + sample_item.question.text.upper().rstrip(".?") + "  ").run()
    assert ("Question text", f"the same question is already in the bank as {sample_item.id!r}; "
                    "open it from Browse and choose Edit") in problems(app)
    assert app.button(key="bank_form_save").disabled


def test_valid_question_previews_saves_and_can_be_practised_at_once(app, bank_dir, sample_item):
    open_bank(app, "Add or edit")
    fill_form(app)
    assert problems(app) == []
    assert any("valid" in s.value for s in app.success)
    app.text_area(key="bank_form_sample").set_value("The Finance Commission works under Article 280.").run()
    app.button(key="bank_form_preview").click().run()
    assert any(m.label == "Sample marks" for m in app.metric)
    app.button(key="bank_form_save").click().run()
    assert not app.exception, app.exception
    saved = load_bank(bank_dir)
    assert NEW_ID in saved and not saved.errors
    assert [p.id for p in saved[NEW_ID].rubric.points] == ["article-280", "devolution"]
    assert saved[NEW_ID].rubric.points[0].evidence == ("Article 280", "Finance Commission")
    assert any(f"Saved {NEW_ID}" in s.value for s in app.success)
    # practise it without a restart
    app.button(key="bank_form_practise").click().run()
    assert not app.exception, app.exception
    assert [t.value for t in app.title] == ["Practice"]  # st.switch_page went to Practice
    assert app.session_state["practice_question_id"] == NEW_ID
    app.switch_page("app_pages/practice.py")  # AppTest reruns the page it last switched to; keep it in step
    app.button(key="practice_start").click().run()
    assert not app.exception, app.exception
    assert app.get("bidi_component"), "the new question cannot be practised"


def test_suggest_points_leaves_out_what_a_point_already_there_covers(app, sample_item):
    open_bank(app, "Add or edit")
    fill_form(app, points=[{"id": "jwg", "label": "The JWG", "weight": 2.0, "hint": "",
                            "evidence": "Joint Working Group; JWG", "concepts": ""}])
    app.text_area(key="bank_form_model_answer").set_value(
        "India and Japan set up a Joint Working Group on critical minerals. "
        "Toyota Tsusho built a rare-earth refinery in Andhra Pradesh.").run()
    app.button(key="bank_form_suggest").click().run()
    assert not app.exception, app.exception
    rows = app.session_state["bank_form_points_rows"]
    assert [r["id"] for r in rows] == ["jwg", "rare-earth-refinery"]  # no second point for the JWG


def test_suggest_points_skips_a_sentence_that_makes_a_point_already_there_in_other_words(app, sample_item):
    """A point written by hand with the evidence "Kaladan" had been suggested again as
    "kaladan-multimodal-project" (its evidence differs, its sentence is the same)."""
    open_bank(app, "Add or edit")
    fill_form(app, points=[{"id": "connectivity", "label": "Connectivity projects", "weight": 2.0, "hint": "",
                            "evidence": "Kaladan; Trilateral Highway", "concepts": ""}])
    app.text_area(key="bank_form_model_answer").set_value(
        "The Kaladan Multimodal project connects Mizoram to Sittwe port. "
        "The secretariat in Dhaka is small and underfunded.").run()
    app.button(key="bank_form_suggest").click().run()
    assert not app.exception, app.exception
    rows = app.session_state["bank_form_points_rows"]
    assert [r["id"] for r in rows][0] == "connectivity" and len(rows) == 2
    assert "Kaladan" not in rows[1]["hint"] and "secretariat" in rows[1]["evidence"]
    app.button(key="bank_form_suggest").click().run()  # again: nothing new, and it says so
    assert len(app.session_state["bank_form_points_rows"]) == 2
    assert any("Nothing new to suggest" in m.value for m in [*app.info, *app.success, *app.warning, *app.toast])


def test_suggest_points_fills_the_rubric_table(app, sample_item):
    open_bank(app, "Add or edit")
    app.text_area(key="bank_form_model_answer").set_value(
        "India and Japan set up a Joint Working Group on critical minerals. "
        "Toyota Tsusho built a rare-earth refinery in Andhra Pradesh.").run()
    app.button(key="bank_form_suggest").click().run()
    rows = app.session_state["bank_form_points_rows"]
    assert [r["id"] for r in rows] == ["joint-working-group", "rare-earth-refinery"]
    editor = next(d for d in app.dataframe if "evidence" in d.value.columns)
    assert list(editor.value["id"]) == ["joint-working-group", "rare-earth-refinery"]


def test_edit_then_delete_with_confirmation(app, bank_dir, sample_item):
    open_bank(app)
    app.selectbox(key="bank_pick").set_value(sample_item.id).run()
    app.button(key="bank_edit").click().run()
    assert app.radio(key="bank_section").value == "Add or edit"
    assert app.text_input(key="bank_form_id").disabled
    assert app.text_input(key="bank_form_topic").value == "Federalism"
    app.text_input(key="bank_form_topic").set_value("Cooperative federalism").run()
    assert problems(app) == []
    app.button(key="bank_form_save").click().run()
    assert load_bank(bank_dir)[sample_item.id].question.topic == "Cooperative federalism"

    app.radio(key="bank_section").set_value("Browse").run()
    app.selectbox(key="bank_pick").set_value(sample_item.id).run()
    assert app.button(key="bank_delete").disabled  # not without confirmation
    app.checkbox(key="bank_delete_confirm").check().run()
    app.button(key="bank_delete").click().run()
    assert not app.exception, app.exception
    assert sample_item.id not in load_bank(bank_dir)
    assert not (bank_dir / "rubric" / f"{sample_item.id}.yaml").exists()
    assert any(f"Deleted {sample_item.id}." in s.value for s in app.success)
    assert not [o for o in app.selectbox(key="bank_pick").options if o.endswith(f" — {sample_item.id}")]
    assert app.session_state["bank_delete_confirm"] is False  # the next question opened is not pre-confirmed


def test_bank_file_problems_are_shown_to_mentors(app, bank_dir, sample_item):
    (bank_dir / "questions" / "broken.yaml").write_text("id: broken\npaper: [unclosed\n", encoding="utf-8")
    (bank_dir / "questions" / "no-rubric.yaml").write_text(
        yaml.safe_dump({"id": "no-rubric", "paper": "GS1", "topic": "t", "marks": 10, "directive": "discuss",
                        "text": "Discuss.", "model_answer": "Yes."}), encoding="utf-8")
    open_bank(app)
    panel = next(m.value for m in app.markdown if "broken.yaml" in as_read(m.value))
    listed = bullets(panel)
    assert {"broken.yaml › line 3", "no-rubric.yaml › rubric"} <= {name for name, _ in listed}, listed
    assert ("no-rubric.yaml › rubric", "no rubric file rubric/no-rubric.yaml") in listed  # whole, not cut
    # the rest still loads; each option names the question by its words first, then its id
    assert "Examine the role of the GST Council in cooperative federalism in India. — test-gst-council" in \
        app.selectbox(key="bank_pick").options


def shown_columns(frame) -> dict[str, dict]:
    """A dataframe element's visible columns, by name, with their config (title as "label", "width")."""
    return {name: config for name, config in json.loads(frame.proto.columns).items() if not config.get("hidden")}


def test_browse_tables_have_a_compact_version_that_fits_a_phone(app, sample_item):
    open_bank(app)
    app.selectbox(key="bank_pick").set_value(sample_item.id).run()
    assert not app.exception, app.exception
    tables = {tuple(d.value.columns): d for d in app.dataframe}
    wide = shown_columns(tables[("id", "paper", "topic", "marks", "directive", "points", "question")])
    compact = shown_columns(tables[("question", "marks")])  # on a phone: the question's words first
    points_wide = shown_columns(tables[("id", "label", "weight", "hint", "evidence", "concepts")])
    points_compact = shown_columns(tables[("label", "weight")])
    assert sample_item.question.text in tables[("question", "marks")].value["question"].tolist()
    assert tables[("label", "weight")].value["label"].tolist() == [p.label for p in sample_item.rubric.points]

    assert {n: c["label"] for n, c in wide.items()} == {
        "id": "Id", "paper": "Paper", "topic": "Topic", "marks": "Marks", "directive": "Directive",
        "points": "Points", "question": "Question"}
    assert {n: c["label"] for n, c in compact.items()} == {"question": "Question", "marks": "Marks"}
    assert {n: c["label"] for n, c in points_wide.items()} == {
        "id": "Id", "label": "Label", "weight": "Weight", "hint": "Hint", "evidence": "Evidence",
        "concepts": "Concepts"}
    assert {n: c["label"] for n, c in points_compact.items()} == {"label": "Label", "weight": "Weight"}

    def width(columns):
        return sum(c["width"] for c in columns.values())

    # the grids' widths, measured in Chromium: 818 and 786 px (the points sit in a bordered box) at a
    # 1280 px screen with the sidebar open; 326 and 294 px on a 360 px phone
    assert width(wide) <= 818 and width(points_wide) <= 786
    assert width(compact) <= 326 and width(points_compact) <= 294
    assert max(wide, key=lambda n: wide[n]["width"]) == "question"
    assert all(c["width"] >= 7 * len(c["label"]) + 16 for t in (wide, compact, points_wide, points_compact)
               for c in t.values())  # ~7 px a letter: every whole title shows

    # the page's container queries switch each pair at the wide table's width (its grid border included)
    style = "".join(h.proto.body for h in app.get("html"))
    assert f"@container (max-width: {width(wide) + 1}px) {{ .st-key-bank_table_wide" in style
    assert f"@container (min-width: {width(wide) + 2}px) {{ .st-key-bank_table_compact" in style
    assert f"@container (max-width: {width(points_wide) + 1}px) {{ .st-key-bank_detail_points_wide" in style
    assert f"@container (min-width: {width(points_wide) + 2}px) {{ .st-key-bank_detail_points_compact" in style
    assert ".st-key-bank_table, .st-key-bank_detail_points { container-type: inline-size; }" in style


# ------------------------------------------------------------------ import


def csv_file(rows: list[dict]) -> bytes:
    import csv
    import io

    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=["id", "paper", "topic", "marks", "directive", "text", "model_answer",
                                             "source", "tags", "points"])
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


GOOD_ROW = {
    "id": "imp-finance-commission", "paper": "GS2", "topic": "Fiscal federalism", "marks": "10",
    "directive": "explain", "text": "Explain the role of the Finance Commission.",
    "model_answer": "The Finance Commission is set up under Article 280.", "source": "Article 280",
    "tags": "polity; finance",
    "points": json.dumps([{"id": "article-280", "label": "Article 280", "hint": "Name Article 280.",
                           "evidence": ["Article 280"]}]),
}
BAD_ROW = {**GOOD_ROW, "id": "imp-bad", "paper": "GS7", "points": "[{id: x, label: X, weight: -1, evidence: [y]}]"}


def report(app):
    """The import's table: each row's number, id and status."""
    return next(d.value for d in app.dataframe if list(d.value.columns) == ["row", "id", "status"])


def refused_reasons(app) -> dict[str, list[str]]:
    """The list below the table: each refused row ("Row 2 (imp-bad)") and its reasons, whole, as read."""
    shown = [m.value for m in app.markdown if m.value.startswith("- **Row ")]
    assert len(shown) <= 1, shown
    reasons: dict[str, list[str]] = {}
    for line in shown[0].splitlines() if shown else []:
        if line.startswith("- **Row "):
            row = as_read(line[2:].replace("**", "").removesuffix(":"))
            reasons[row] = []
        else:
            assert line.startswith("    - "), line
            reasons[row].append(as_read(line.removeprefix("    - ")))
    return reasons


def test_import_with_a_refused_row_changes_nothing_until_asked(app, bank_dir, sample_item):
    open_bank(app, "Import")
    app.file_uploader(key="bank_import_file").set_value(("bank.csv", csv_file([GOOD_ROW, BAD_ROW]), "text/csv"))
    app.run()
    rows = report(app)
    assert list(rows["status"]) == ["ready", "refused"]
    assert refused_reasons(app) == {"Row 2 (imp-bad)": [
        "paper: must be one of 'GS1', 'GS2', 'GS3', 'GS4' or 'Essay'",
        "points › point 1 › weight: must be more than 0",
        "points › point 1 › hint: required: the hint is what an aspirant reads when this point is missed "
        "(\"Add: <label>. <hint>\"); say in one sentence what to add"]}
    assert app.button(key="bank_import_go").disabled
    assert not (bank_dir / "questions" / "imp-finance-commission.yaml").exists()
    app.checkbox(key="bank_import_partial").check().run()
    app.button(key="bank_import_go").click().run()
    assert not app.exception, app.exception
    assert list(report(app)["status"]) == ["added", "refused"]
    assert list(refused_reasons(app)) == ["Row 2 (imp-bad)"]  # still said after the import
    bank = load_bank(bank_dir)
    assert "imp-finance-commission" in bank and "imp-bad" not in bank
    assert bank["imp-finance-commission"].question.tags == ("polity", "finance")


def test_import_lists_every_reason_whole(app, bank_dir, sample_item):
    """The walk-through: "The question says 'Examine' but the directive chosen is 'd…" was cut in its cell."""
    rows = [{**GOOD_ROW, "id": "BIMSTEC Act East!", "text": "Examine the role of the Finance Commission.",
             "points": "[{id: p, label: P, hint: H., evidence: [x], concepts: [nonexistent]}]"}, GOOD_ROW]
    open_bank(app, "Import")
    app.file_uploader(key="bank_import_file").set_value(("bank.csv", csv_file(rows), "text/csv"))
    app.run()
    assert list(report(app)["status"]) == ["refused", "ready"]
    assert refused_reasons(app) == {"Row 1 (BIMSTEC Act East!)": [
        "id: id 'BIMSTEC Act East!' must be lower-case letters, digits, '-' or '_' (no '/', '..' or spaces), "
        "at most 80 characters",
        "directive: The question says 'Examine' but the directive chosen is 'explain': choose 'examine' or "
        "reword the question",
        "points › point 1 › concepts: unknown concept 'nonexistent'"]}
    warning = " ".join(w.value for w in app.warning)
    assert "1 of 2 row(s) refused" in warning


def test_yaml_import_adds_every_question(app, bank_dir, sample_item):
    data = {"questions": [{k: v for k, v in GOOD_ROW.items() if k not in ("points", "tags")}
                          | {"marks": 10, "rubric": {"points": [{"id": "a280", "label": "Article 280",
                                                                  "hint": "Name Article 280.",
                                                                  "evidence": ["Article 280"]}]}}]}
    open_bank(app, "Import")
    app.file_uploader(key="bank_import_file").set_value(("bank.yaml", yaml.safe_dump(data).encode(), "text/yaml"))
    app.run()
    assert list(report(app)["status"]) == ["ready"]
    app.button(key="bank_import_go").click().run()
    assert list(report(app)["status"]) == ["added"]
    assert "imp-finance-commission" in load_bank(bank_dir)


def test_when_every_row_is_refused_the_import_offers_no_partial_import(app, bank_dir, sample_item):
    open_bank(app, "Import")
    rows = [BAD_ROW, {**GOOD_ROW, "id": "imp-no-marks", "marks": "ten"}]
    app.file_uploader(key="bank_import_file").set_value(("bank.csv", csv_file(rows), "text/csv"))
    app.run()
    assert list(report(app)["status"]) == ["refused", "refused"]
    warning = " ".join(w.value for w in app.warning)
    assert "2 of 2 row(s) refused, so nothing can be imported" in warning
    assert "import only the valid rows" not in warning  # there are none
    assert not app.get("checkbox") or not [c for c in app.checkbox if c.key == "bank_import_partial"]
    assert app.button(key="bank_import_go").disabled


def test_oversized_and_non_utf8_uploads_are_refused_with_a_clear_message(app, bank_dir, sample_item):
    before = sorted(p.name for p in (bank_dir / "questions").iterdir())
    open_bank(app, "Import")
    app.file_uploader(key="bank_import_file").set_value(
        ("big.csv", b"id," + b"x" * (MAX_IMPORT_BYTES + 10), "text/csv"))
    app.run()
    assert any("the limit is 2 MB" in e.value for e in app.error)
    app.file_uploader(key="bank_import_file").set_value(
        ("latin.csv", "id,paper\ncafé,GS1\n".encode("latin-1"), "text/csv"))
    app.run()
    assert any("not UTF-8" in e.value.replace("\\", "") for e in app.error)
    app.file_uploader(key="bank_import_file").set_value(("cols.csv", b"id,paper\nq,GS1\n", "text/csv"))
    app.run()
    assert any("Missing columns" in e.value.replace("\\", "") for e in app.error)
    app.file_uploader(key="bank_import_file").set_value(("empty.csv", b" \n", "text/csv"))
    app.run()
    assert [as_read(e.value) for e in app.error] == ["Nothing was imported. The file is empty."]
    assert not [d for d in app.dataframe if "status" in d.value.columns]  # no table of rows that are not there
    assert sorted(p.name for p in (bank_dir / "questions").iterdir()) == before


def test_the_import_uploader_lets_an_oversized_file_through_to_the_clear_message(app, sample_item):
    import tomllib
    from pathlib import Path

    open_bank(app, "Import")
    limit_mb = app.file_uploader(key="bank_import_file").proto.max_upload_size_mb
    config = Path(__file__).resolve().parent.parent / ".streamlit" / "config.toml"
    server = tomllib.loads(config.read_text(encoding="utf-8"))
    assert MAX_IMPORT_BYTES < limit_mb * 2**20 <= server["server"]["maxUploadSize"] * 2**20


def test_bank_fingerprint_changes_when_a_question_is_saved_or_deleted(bank_dir, sample_item):
    from app_pages.context import bank_fingerprint
    from scoring.bank import delete_item, save_item

    before = bank_fingerprint(bank_dir)
    assert bank_fingerprint(bank_dir) == before  # stable while nothing changes
    edited = sample_item.model_copy(update={"question": sample_item.question.model_copy(update={"topic": "Other"})})
    save_item(bank_dir, edited, overwrite=True)
    after_save = bank_fingerprint(bank_dir)
    assert after_save != before
    delete_item(bank_dir, sample_item.id)
    assert bank_fingerprint(bank_dir) not in (before, after_save)


def test_add_a_point_with_plain_fields_keeps_the_rows_already_there(app, sample_item):
    open_bank(app, "Add or edit")
    fill_form(app, points=NEW_POINTS[:1])
    app.text_input(key="bank_point_id").set_value("devolution")
    app.text_input(key="bank_point_label").set_value("Share of taxes devolved to states")
    app.number_input(key="bank_point_weight").set_value(1.5)
    app.text_input(key="bank_point_hint").set_value("Say what the Commission recommends.")
    app.text_input(key="bank_point_evidence").set_value("devolution; share of taxes")
    app.button(key="bank_point_add").click().run()
    assert not app.exception, app.exception
    editor = next(d for d in app.dataframe if "evidence" in d.value.columns)
    assert list(editor.value["id"]) == ["article-280", "devolution"]
    assert app.text_input(key="bank_point_id").value == ""  # cleared for the next point
    assert problems(app) == []


def test_a_half_written_question_survives_leaving_the_section_and_the_page(app, sample_item):
    open_bank(app, "Add or edit")
    app.text_input(key="bank_form_id").set_value("half-written")
    app.text_area(key="bank_form_text").set_value("Explain the half-written question.").run()
    app.radio(key="bank_section").set_value("Browse").run()
    app.switch_page("app_pages/progress.py").run()
    app.switch_page("app_pages/question_bank.py").run()
    app.radio(key="bank_section").set_value("Add or edit").run()
    assert not app.exception, app.exception
    assert app.text_input(key="bank_form_id").value == "half-written"
    assert app.text_area(key="bank_form_text").value == "Explain the half-written question."


def unsaved_warning(app) -> str:
    """The question "Edit this question" or "Start a new question" asks first, as read ("" when none)."""
    shown = [as_read(w.value) for w in app.warning if "unsaved changes" in w.value]
    assert len(shown) <= 1, shown
    return shown[0] if shown else ""


def test_edit_this_question_asks_before_dropping_a_half_written_new_question(app, bank_dir, sample_item):
    """The walk-through: a new question typed (not saved), then Browse › Edit this question: the form said
    "Editing …" and the new question was gone, without a word."""
    open_bank(app, "Add or edit")
    app.text_input(key="bank_form_id").set_value("half-written")
    app.text_area(key="bank_form_text").set_value("Explain the half-written question.")
    app.text_area(key="bank_form_model_answer").set_value("A model answer, half written.").run()
    app.radio(key="bank_section").set_value("Browse").run()
    app.selectbox(key="bank_pick").set_value(sample_item.id).run()
    app.button(key="bank_edit").click().run()
    assert not app.exception, app.exception
    assert app.radio(key="bank_section").value == "Browse"  # not loaded: asked first
    assert unsaved_warning(app) == ("You have unsaved changes to a new question (half-written). "
                                    f"Discard them to edit {sample_item.id}, or keep editing?")
    app.button(key="bank_unsaved_browse_keep").click().run()
    assert app.radio(key="bank_section").value == "Add or edit" and not unsaved_warning(app)
    assert app.text_input(key="bank_form_id").value == "half-written"
    assert app.text_area(key="bank_form_text").value == "Explain the half-written question."
    assert app.text_area(key="bank_form_model_answer").value == "A model answer, half written."
    assert any(h.value == "New question" for h in app.subheader)

    app.radio(key="bank_section").set_value("Browse").run()
    app.selectbox(key="bank_pick").set_value(sample_item.id).run()
    app.button(key="bank_edit").click().run()
    app.button(key="bank_unsaved_browse_discard").click().run()  # the mentor's choice, said in words
    assert app.radio(key="bank_section").value == "Add or edit"
    assert any(h.value == f"Editing {sample_item.id}" for h in app.subheader)
    assert app.text_input(key="bank_form_topic").value == "Federalism" and not unsaved_warning(app)
    assert not (bank_dir / "questions" / "half-written.yaml").exists()


def test_start_a_new_question_asks_before_dropping_changes_to_the_one_being_edited(app, bank_dir, sample_item):
    """The walk-through: Marks changed to 15 in edit mode, then "Start a new question": the change was dropped."""
    open_bank(app)
    app.selectbox(key="bank_pick").set_value(sample_item.id).run()
    app.button(key="bank_edit").click().run()
    app.button(key="bank_form_new").click().run()  # nothing changed yet: no question to ask
    assert any(h.value == "New question" for h in app.subheader) and not unsaved_warning(app)

    app.radio(key="bank_section").set_value("Browse").run()
    app.selectbox(key="bank_pick").set_value(sample_item.id).run()
    app.button(key="bank_edit").click().run()
    app.number_input(key="bank_form_marks").set_value(15).run()
    app.button(key="bank_form_new").click().run()
    assert not app.exception, app.exception
    assert unsaved_warning(app) == (f"You have unsaved changes to {sample_item.id}. Discard them to start a new "
                                    "question, or keep editing?")
    assert any(h.value == f"Editing {sample_item.id}" for h in app.subheader)
    assert app.number_input(key="bank_form_marks").value == 15
    app.button(key="bank_unsaved_form_keep").click().run()
    assert not unsaved_warning(app) and app.number_input(key="bank_form_marks").value == 15

    # saved, the change is no longer at stake: a new question starts at once
    app.button(key="bank_form_save").click().run()
    assert load_bank(bank_dir)[sample_item.id].question.marks == 15
    app.button(key="bank_form_new").click().run()
    assert any(h.value == "New question" for h in app.subheader) and not unsaved_warning(app)

    # the rubric table and the "Add a point" fields are the mentor's work too
    app.text_input(key="bank_point_label").set_value("A point not yet added").run()
    app.button(key="bank_form_new").click().run()
    assert "unsaved changes to a new question." in unsaved_warning(app)
    app.button(key="bank_unsaved_form_discard").click().run()
    assert app.text_input(key="bank_point_label").value == "" and not unsaved_warning(app)
    fill_form(app, qid="with-points")
    app.button(key="bank_form_new").click().run()
    assert "unsaved changes to a new question (with-points)" in unsaved_warning(app)


def test_edit_this_question_goes_back_to_the_changes_when_it_is_the_one_being_edited(app, sample_item):
    open_bank(app)
    app.selectbox(key="bank_pick").set_value(sample_item.id).run()
    app.button(key="bank_edit").click().run()
    app.text_input(key="bank_form_topic").set_value("Cooperative federalism").run()
    app.radio(key="bank_section").set_value("Browse").run()
    app.selectbox(key="bank_pick").set_value(sample_item.id).run()
    app.button(key="bank_edit").click().run()
    assert app.radio(key="bank_section").value == "Add or edit" and not unsaved_warning(app)
    assert app.text_input(key="bank_form_topic").value == "Cooperative federalism"


def test_the_question_waiting_is_forgotten_when_the_mentor_goes_elsewhere(app, sample_item):
    open_bank(app, "Add or edit")
    app.text_input(key="bank_form_id").set_value("half-written").run()
    app.radio(key="bank_section").set_value("Browse").run()
    app.selectbox(key="bank_pick").set_value(sample_item.id).run()
    app.button(key="bank_edit").click().run()
    assert unsaved_warning(app)
    app.radio(key="bank_section").set_value("Import").run()
    app.radio(key="bank_section").set_value("Browse").run()
    assert not unsaved_warning(app)  # not asked again about a click long past
    app.radio(key="bank_section").set_value("Add or edit").run()
    assert app.text_input(key="bank_form_id").value == "half-written"


def point_panel_errors(app) -> list[str]:
    """The "Add a point" panel's messages, as read (without the Markdown escapes)."""
    return [e.value.replace("\\", "") for e in app.error if "point" in e.value.lower()]


def test_add_this_point_with_empty_fields_says_what_is_missing(app, sample_item):
    open_bank(app, "Add or edit")
    app.button(key="bank_point_add").click().run()
    assert not app.exception, app.exception
    assert point_panel_errors(app) == ["Nothing to add yet: fill in the point id, label, hint and evidence "
                                       "phrases (or concept ids)."]
    assert app.session_state["bank_form_points_rows"] == []
    app.text_input(key="bank_point_id").set_value("jwg").run()
    app.text_input(key="bank_point_evidence").set_value(";; the").run()
    app.button(key="bank_point_add").click().run()
    message = point_panel_errors(app)[0]
    assert message.startswith("This point was not added:")
    assert "- Label: required: fill it in" in message
    assert "- Hint: required: the hint is what an aspirant reads" in message
    assert "- Evidence phrases: evidence 'the' of point 'jwg' is only function words" in message
    assert app.session_state["bank_form_points_rows"] == []
    assert app.text_input(key="bank_point_id").value == "jwg"  # kept, to be fixed


def test_add_this_point_lists_every_problem_at_once(app, sample_item):
    """The walk-through: id "Bridge 1", no hint, evidence "the; of" and concepts "act-east, nonexistent" listed
    three problems; the unknown concept appeared only once the others were fixed."""
    open_bank(app, "Add or edit")
    app.text_input(key="bank_point_id").set_value("Bridge 1")
    app.text_input(key="bank_point_label").set_value("Bridge to ASEAN")
    app.text_input(key="bank_point_evidence").set_value("the; of")
    app.text_input(key="bank_point_concepts").set_value("act-east, nonexistent")
    app.button(key="bank_point_add").click().run()
    lines = point_panel_errors(app)[0].splitlines()
    assert lines[0] == "This point was not added:"
    assert [line.split(":")[0] for line in lines[1:]] == ["- Point id", "- Hint", "- Evidence phrases", "- Concept ids"]
    assert lines[-1] == "- Concept ids: unknown concept 'nonexistent'"  # act-east is known
    assert app.session_state["bank_form_points_rows"] == []


def test_add_this_point_refuses_an_id_the_rubric_already_has(app, sample_item):
    open_bank(app, "Add or edit")
    fill_form(app, points=NEW_POINTS[:1])
    app.text_input(key="bank_point_id").set_value("article-280")
    app.text_input(key="bank_point_label").set_value("Article 280 again")
    app.text_input(key="bank_point_hint").set_value("Name Article 280.")
    app.text_input(key="bank_point_evidence").set_value("Article 280")
    app.button(key="bank_point_add").click().run()
    message = point_panel_errors(app)[0]
    assert "- Point id: the rubric already has a point 'article-280'; give this one its own id" in message
    editor = next(d for d in app.dataframe if "evidence" in d.value.columns)
    assert list(editor.value["id"]) == ["article-280"]  # not added to the grid
    assert problems(app) == []  # and so no "(file): duplicate point ids" either
