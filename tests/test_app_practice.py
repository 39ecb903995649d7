"""Practice page in AppTest: choose, start, write (component state set as the browser would), submit.

AppTest runs no JavaScript: the answer box's synced value is set through
``session_state[key] = {"text": ...}`` (what the component's ``setStateValue`` does in
a browser), and the countdown, which ticks in the browser, is checked through the
reading the server sends it (``data``); expiry is tested with a deadline in the past.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

import storage
from app_pages.markup import escape_markdown
from storage.timing import utcnow

APP = Path(__file__).resolve().parent.parent / "streamlit_app.py"
QID = "test-gst-council"
GOOD_ANSWER = (
    "The GST Council is a constitutional body under Article 279A of the Constitution.\n\n"
    "The Union holds one third of the votes and the states two thirds, and decisions need three fourths "
    "of the votes, so cooperative federalism is built into its design.\n\n"
    "In conclusion, the way forward is a dispute settlement mechanism."
)


def bodies(at) -> str:
    """All st.html bodies on screen, as sent to the browser."""
    return "\n".join(h.proto.body for h in at.get("html"))


def editor_key(draft_id: int) -> str:
    return f"practice_answer_{draft_id}"


def component_data(at, name: str = "mains_answer_box") -> dict:
    """The ``data`` sent to the one ``st.components.v2`` component called ``name``."""
    components = [c for c in at.get("bidi_component") if c.proto.component_name == name]
    assert len(components) == 1, f"{name} is not on screen once"
    proto = components[0].proto
    return json.loads(proto.mixed.json if proto.WhichOneof("data") == "mixed" else proto.json)


def clock_data(at) -> dict:
    """The countdown's reading from the server (the browser ticks from it)."""
    return component_data(at, "mains_countdown")


def start(at, question_id: str = QID):
    at.run()
    at.selectbox(key="practice_pick").set_value(question_id).run()
    at.button(key="practice_start").click().run()
    assert not at.exception, at.exception
    user = storage.default_user_id()
    return user, storage.get_open_draft(user, question_id)


def write_and_submit(at, draft, text: str):
    """Type ``text`` into the answer box (as the browser syncs it), then press Submit."""
    at.session_state[editor_key(draft.id)] = {"text": text}
    at.run()
    return at.button(key="practice_submit").click().run()


def test_question_card_shows_marks_word_limit_and_what_the_directive_asks(app, sample_item):
    app.run()
    assert not app.exception
    app.selectbox(key="practice_pick").set_value(QID).run()
    text = " ".join(m.value for m in app.markdown)
    assert "**10 marks**" in text and "**150 words**" in text and "**7 minutes**" in text
    assert "Investigate the key facts and establish their implications" in text.replace("\\", "")
    assert "Examine the role of the GST Council" in bodies(app)
    assert app.button(key="practice_start")


def test_filters_search_and_attempted(app, sample_item):
    app.run()
    options = app.selectbox(key="practice_pick").options
    assert len(options) >= 1
    app.multiselect(key="practice_filter_marks").set_value([10]).run()
    app.text_input(key="practice_search").set_value("GST council").run()
    labels = app.selectbox(key="practice_pick").options
    assert len(labels) == 1 and "GST Council" in labels[0]
    # the one question a search finds is chosen, its card and Start shown without opening the list
    assert app.selectbox(key="practice_pick").value == QID and app.button(key="practice_start")
    app.text_input(key="practice_search").set_value("no such words anywhere").run()
    assert app.selectbox(key="practice_pick").options == []
    assert any("No question matches" in i.value for i in app.info)
    app.text_input(key="practice_search").set_value("").run()
    app.selectbox(key="practice_filter_attempted").set_value("Attempted").run()
    assert app.selectbox(key="practice_pick").options == []  # nothing attempted yet


def test_surprise_me_picks_a_matching_question(app, sample_item):
    app.run()
    app.multiselect(key="practice_filter_paper").set_value(["GS2"]).run()
    app.text_input(key="practice_search").set_value("GST").run()
    app.button(key="practice_surprise").click().run()
    assert app.session_state["practice_question_id"] == QID
    assert app.button(key="practice_start")


def test_start_stores_the_deadline_on_the_server_and_autosaves(app, sample_item):
    user, draft = start(app)
    assert draft is not None
    assert draft.deadline - draft.started_at == timedelta(minutes=7)
    assert app.query_params["q"] == [QID] or app.query_params["q"] == QID
    clock = clock_data(app)  # the clock: the server's reading, which the browser counts down from
    assert clock["line"] == "07:00 left of 7:00" and clock["minutes"] == 7 and not clock["time_up"]
    assert 7 * 60_000 - 30_000 < clock["remaining_ms"] <= 7 * 60_000
    app.session_state[editor_key(draft.id)] = {"text": "The GST Council under Article 279A"}
    app.run()
    assert storage.get_draft(user, draft.id).text == "The GST Council under Article 279A"
    assert any("Autosaved" in c.value and "6 / 150 words" in c.value for c in app.caption)
    app.run()  # a rerun with nothing new to save shows the stored time of the last save
    saved = storage.get_draft(user, draft.id).updated_at  # AppTest's browser sends no time zone: UTC, said
    assert f"Autosaved {saved:%H:%M:%S} UTC · 6 / 150 words" in [c.value for c in app.caption]


def test_the_autosave_time_is_on_the_browsers_clock(app, sample_item):
    from zoneinfo import ZoneInfo

    app.context["timezone"] = "Asia/Kolkata"  # what Streamlit hears from a browser in India
    app.context["timezone_offset"] = -330
    user, draft = start(app)
    app.session_state[editor_key(draft.id)] = {"text": "The GST Council under Article 279A"}
    app.run()
    app.run()  # a rerun with nothing new to save shows the stored time of the last save
    saved = storage.get_draft(user, draft.id).updated_at
    assert saved.utcoffset() == timedelta(0)  # stored in UTC; only the screen changes
    india = saved.astimezone(ZoneInfo("Asia/Kolkata"))
    assert f"Autosaved {india:%H:%M:%S} IST · 6 / 150 words" in [c.value for c in app.caption]
    assert india.strftime("%H:%M:%S") != saved.strftime("%H:%M:%S")


def test_refresh_resumes_the_same_draft_text_and_deadline(database_url, bank_dir, sample_item):
    from streamlit.testing.v1 import AppTest

    first = AppTest.from_file(str(APP), default_timeout=60)
    user, draft = start(first)
    first.session_state[editor_key(draft.id)] = {"text": "Half an answer about Article 279A"}
    first.run()
    # a browser refresh is a new session that only has the URL
    second = AppTest.from_file(str(APP), default_timeout=60)
    second.query_params["q"] = QID
    before = utcnow()
    second.run()
    after = utcnow()
    assert not second.exception
    data = component_data(second)
    assert data["draft"] == draft.id
    assert data["text"] == "Half an answer about Article 279A"
    resumed = storage.get_open_draft(user, QID)
    assert resumed.deadline == draft.deadline and resumed.id == draft.id
    # the refreshed page's clock counts from the stored deadline, read afresh on the server
    sent = clock_data(second)["remaining_ms"]
    earliest, latest = ((draft.deadline - t).total_seconds() * 1000 for t in (after, before))
    assert earliest - 1 <= sent <= latest + 1


def test_submit_shows_marks_points_and_evidence_highlighted_in_the_answer(app, sample_item):
    user, draft = start(app)
    write_and_submit(app, draft, GOOD_ANSWER)
    assert not app.exception, app.exception
    attempt = storage.list_attempts(user)[0]
    assert attempt.question == sample_item.question  # kept as answered, for History after an edit or a delete
    marks = app.metric[0].value
    assert marks == f"{attempt.marks:g} / 10" and attempt.marks > 0
    assert storage.get_open_draft(user, QID) is None
    html = bodies(app)
    covered = [p for p in attempt.feedback.points if p.status == "covered"]
    assert covered, attempt.feedback
    assert 'data-point="article-279a"' in html
    assert "<mark" in html and "Article 279A" in html
    text = " ".join(m.value for m in app.markdown).replace("\\", "")
    assert "Covered" in text and "Missed" in text
    assert any("Hint: Note that states gave up" in c.value.replace("\\", "") for c in app.caption)
    assert app.get("download_button"), "no Markdown download"
    assert app.get("vega_lite_chart"), "no component chart"
    # each component's marks and note as a line that wraps (a table cut the note off on a phone)
    details = next(e for e in app.expander if e.label == "Marks by component")
    lines = details.markdown[0].value.replace("\\", "").splitlines()
    assert len(lines) == len(attempt.feedback.components) and not details.dataframe
    content = next(c for c in attempt.feedback.components if c.name == "content")
    assert lines[0] == f"- **Content**: {content.marks:.2f} of {content.weight * 10:.2f} marks ({content.score:.0%}). " \
                       + content.note
    # the model answer is beside the answer
    assert "a predictable compensation framework" in html


def test_empty_answer_is_refused_with_a_message_and_the_draft_kept(app, sample_item):
    user, draft = start(app)
    app.session_state[editor_key(draft.id)] = {"text": "   \n  "}
    app.run()
    app.button(key="practice_submit").click().run()
    assert any("empty" in w.value for w in app.warning)
    assert storage.count_attempts(user) == 0
    assert storage.get_open_draft(user, QID) is not None


def test_time_up_keeps_writing_allowed_and_records_overtime(app, sample_item):
    user = storage.default_user_id()
    past = utcnow() - timedelta(minutes=9)  # 7-minute question started 9 minutes ago
    draft = storage.start_or_resume_draft(user, QID, sample_item.version, 7, now=past)
    storage.save_draft_text(user, draft.id, "Written before the deadline.")
    app.query_params["q"] = QID
    app.run()
    assert not app.exception
    clock = clock_data(app)
    assert clock["time_up"] and clock["line"].startswith("Time is up (7 minutes) · 02:")
    assert "Writing on is allowed" in clock["line"]
    assert -2 * 60_000 - 30_000 < clock["remaining_ms"] <= -2 * 60_000  # 2 minutes over: negative
    assert component_data(app)["text"] == "Written before the deadline."
    late = "Written before the deadline. And a last line after it, about Article 279A."
    app.session_state[editor_key(draft.id)] = {"text": late}
    app.run()
    assert storage.get_draft(user, draft.id).text == late  # still autosaving after time is up
    app.button(key="practice_submit").click().run()
    attempt = storage.list_attempts(user)[0]
    assert attempt.answer == late
    assert attempt.overtime_seconds >= 119
    assert "overtime" in attempt.feedback.flag_codes()
    assert any("Time was up" in w.value for w in app.warning)


def test_user_markup_in_the_answer_is_shown_as_text(app, sample_item):
    user, draft = start(app)
    hostile = "<img src=x onerror=alert(1)> The GST Council sits under Article 279A. <script>alert(2)</script>"
    write_and_submit(app, draft, hostile)
    html = bodies(app)
    assert "&lt;img src=x onerror=alert(1)&gt;" in html and "&lt;script&gt;" in html
    assert "<img" not in html and "<script" not in html


def test_leave_keeps_the_draft_and_lists_it_as_unfinished(app, sample_item):
    user, draft = start(app)
    app.session_state[editor_key(draft.id)] = {"text": "Some words"}
    app.run()
    assert "the clock keeps running" in app.button(key="practice_leave").help
    app.button(key="practice_leave").click().run()
    notice = [i.value for i in app.info]
    assert any(n.startswith("Draft kept (2 words); the clock keeps running: ") and n.endswith(
        " left. Resume it under Unfinished answers.") for n in notice), notice
    assert app.button(key=f"practice_resume_{draft.id}")
    app.button(key=f"practice_resume_{draft.id}").click().run()
    assert component_data(app)["text"] == "Some words"
    app.button(key="practice_leave").click().run()  # the notice says once, not on every later visit
    app.run()
    assert not [i for i in app.info if i.value.startswith("Draft kept")]


def test_discard_needs_confirmation(app, sample_item):
    user, draft = start(app)
    app.button(key="practice_discard_confirm").click().run()
    assert storage.get_open_draft(user, QID) is None
    assert app.selectbox(key="practice_pick")  # back to choosing
    assert not app.get("bidi_component")


def test_an_answer_far_over_the_limit_is_refused_and_stays_open_to_cut(app, sample_item):
    user, draft = start(app)
    too_long = GOOD_ANSWER + " More." * 3_500  # about 3,550 words: over the 3,000 the scorer reads
    write_and_submit(app, draft, too_long)
    assert not app.exception, app.exception
    assert any("so it was not scored" in w.value and "cut it to the limit" in w.value for w in app.warning)
    assert storage.count_attempts(user) == 0  # no 0-mark attempt in History or Progress
    assert storage.get_open_draft(user, QID).text == too_long
    assert component_data(app)["text"] == too_long  # still in the box, to cut
    cut = GOOD_ANSWER
    write_and_submit(app, draft, cut)
    assert storage.list_attempts(user)[0].answer == cut


def test_words_past_the_end_of_marking_are_named_and_greyed_in_the_feedback(app, sample_item):
    user, draft = start(app)
    assert component_data(app)["marked"] == 225  # the box warns past 1.5 × the 150-word limit
    padding = "Cooperation between the Union and the states has grown over the years. " * 20  # 240 words
    write_and_submit(app, draft, padding + GOOD_ANSWER)
    assert not app.exception, app.exception
    attempt = storage.list_attempts(user)[0]
    assert attempt.answer == padding + GOOD_ANSWER  # kept whole
    assert "not_marked" in attempt.feedback.flag_codes()
    assert any("Only the first 225 words were marked" in e.value for e in [*app.info, *app.warning])
    assert any("Greyed: the words after word 225, which were not marked." in c.value for c in app.caption)
    assert '<span class="mains-unmarked" title="Not marked: after word 225">' in bodies(app)
    assert "Article 279A" not in attempt.feedback.marked_text(attempt.answer)
    assert any(s.startswith("Move up:") for s in attempt.feedback.suggestions)
    assert any("only after word 225, where marking stopped: move it up." in c.value for c in app.caption)


def test_an_answer_in_another_script_is_refused_with_a_plain_reason_and_kept(app, sample_item):
    user, draft = start(app)
    hindi = "जीएसटी परिषद अनुच्छेद 279ए के तहत एक संवैधानिक निकाय है। यह सहकारी संघवाद का उदाहरण है। مرحبا 🙂"
    write_and_submit(app, draft, hindi)
    assert not app.exception, app.exception
    assert any("reads English only" in w.value for w in app.warning), [w.value for w in app.warning]
    assert storage.count_attempts(user) == 0
    assert storage.get_open_draft(user, QID).text == hindi and component_data(app)["text"] == hindi


@pytest.mark.parametrize(
    "answer",
    ["The GST Council (जीएसटी परिषद) under Article 279A. مرحبا 🙂", "GST\x00Council\x07 279A"],
    ids=["english-with-devanagari-rtl-emoji", "control-characters"],
)
def test_awkward_answers_are_marked_or_refused_without_crashing(app, sample_item, answer):
    user, draft = start(app)
    write_and_submit(app, draft, answer)
    assert not app.exception, app.exception
    attempt = storage.list_attempts(user)[0]
    assert len(attempt.answer) == len(answer)  # kept whole (NUL stored as U+FFFD, one for one)
    assert "/ 10" in app.metric[0].value


def test_a_way_forward_in_form_but_not_the_rubrics_says_so_beside_the_structure_tick(app):
    answer = (
        "Critical minerals such as rare earths power EVs, semiconductors and defence, and their supply is "
        "concentrated in one country.\n\n"
        "India and Japan set up a Joint Working Group on Critical Minerals to diversify sourcing.\n\n"
        "Japan brings capital and technology for processing in India.\n\n"
        "Thus, both countries should keep talking."  # "should": a way forward in form, none of the rubric's
    )
    user, draft = start(app, "ij-critical-minerals")
    write_and_submit(app, draft, answer)
    attempt = storage.list_attempts(user)[0]
    wf = next(p for p in attempt.feedback.points if p.id == "limits-way-forward")
    assert attempt.feedback.structure.way_forward and wf.status == "missed"
    shown = [m.value for m in app.markdown]
    assert any("✅ Way forward" in m for m in shown), shown
    assert "- " + escape_markdown(
        "Your answer says what should be done, but not yet what this question's way forward needs: "
        "“Way forward: JWG timelines, stockpiles and skills”. See the rubric points.") in shown, shown


def test_what_to_do_next_shows_the_first_five_steps_and_the_rest_on_a_click(app):
    user, draft = start(app, "ij-critical-minerals")
    write_and_submit(app, draft, "India and Japan are good friends and they cooperate on many things like critical "
                                 "minerals. This will reduce India's dependence on China.")
    steps = storage.list_attempts(user)[0].feedback.suggestions
    assert len(steps) > 5
    more = app.expander(key="practice_feedback_more_steps")
    assert more.label == f"{len(steps) - 5} more steps"
    shown_first = next(m.value for m in app.markdown if m.value.startswith("- " + escape_markdown(steps[0])))
    assert shown_first.count("\n- ") == 4  # five steps in one list
    assert escape_markdown(steps[5]) in more.markdown[0].value


def test_an_off_topic_answer_is_told_its_point_matches_may_be_a_shared_word(app):
    answer = ("The Green Revolution transformed Indian agriculture in the 1960s. High-yielding varieties of wheat "
              "and rice, chemical fertilisers and assured irrigation raised food grain production sharply, and India "
              "moved from ship-to-mouth dependence to self-sufficiency.\n\nThus, sustainable agriculture can secure "
              "both food security and farmers' incomes.")
    user, draft = start(app, "ij-ai-dialogue")
    write_and_submit(app, draft, answer)
    feedback = storage.list_attempts(user)[0].feedback
    assert "off_topic" in feedback.flag_codes() and any(p.status != "missed" for p in feedback.points)
    assert any(c.value.startswith("This answer is flagged off topic: a point marked below may share only a word")
               for c in app.caption)
