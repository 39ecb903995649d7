"""Progress page in AppTest, with a few stored attempts."""

from __future__ import annotations

import json

import pyarrow as pa
import yaml

import storage
import storage.progress
from scoring.bank import write_atomic
from tests.conftest import SAMPLE_QUESTION
from tests.test_app_history import ANSWER, record_attempt

#: The sample question made long: its last words come after the 90th character.
LONG_TEXT = SAMPLE_QUESTION["text"] + " Answer with reference to the compensation cess and the Fifteenth Finance Commission."


def open_progress(app):
    app.run()
    app.switch_page("app_pages/progress.py").run()
    assert not app.exception, app.exception
    return app


def test_progress_without_attempts_invites_to_practise(app, sample_item):
    open_progress(app)
    assert any("No attempts yet" in i.value for i in app.info)


def test_progress_table_charts_weakest_areas_and_averages(app, bank_dir, sample_item):
    good = record_attempt(bank_dir, sample_item, ANSWER, minutes_ago=60)
    weak = record_attempt(bank_dir, sample_item, "The GST Council was set up in 2016 to run GST.", minutes_ago=10)
    open_progress(app)
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["Attempts"] == "2"
    expected_avg = (good.percent + weak.percent) / 2
    assert metrics["Average"] == f"{expected_avg:.0f}%"
    frames = [d.value for d in app.dataframe]
    table = frames[0]
    assert list(table.columns[:3]) == ["date", "question", "paper"]
    assert len(table) == 2 and set(table["marks"]) == {good.marks, weak.marks}
    assert (table["question"].str.contains("GST Council")).all()
    weakest = next(f for f in frames if "area" in f.columns)
    assert "States' loss of fiscal autonomy" in set(weakest["area"])  # missed in both attempts
    top = weakest.iloc[0]
    assert top["miss_rate"] == weakest["miss_rate"].max()
    by_paper = next(f for f in frames if "paper" in f.columns and "average_percent" in f.columns)
    assert by_paper.iloc[0]["attempts"] == 2 and by_paper.iloc[0]["average_percent"] == round(expected_avg, 1)
    assert len(app.get("vega_lite_chart")) == 2  # marks over time, weakest areas
    csv = app.get("download_button")[0]
    assert csv.proto.label == "Download attempts as CSV"


def test_progress_filters_narrow_the_table(app, bank_dir, sample_item):
    record_attempt(bank_dir, sample_item, ANSWER)
    open_progress(app)
    app.multiselect(key="progress_filter_paper").set_value(["GS2"]).run()
    assert app.metric[0].value == "1"
    app.text_input(key="progress_filter_search").set_value("no such question").run()
    assert app.metric[0].value == "0"
    assert storage.count_attempts(storage.default_user_id()) == 1


def column_titles(frame) -> dict[str, str]:
    """The titles a dataframe element shows over its columns, by column name."""
    return {name: config.get("label") for name, config in json.loads(frame.proto.columns).items()
            if not config.get("hidden")}


def table_with(app, *columns: str):
    """The first dataframe element holding all these columns (AppTest gives read-only tables no key)."""
    return next(d for d in app.dataframe if set(columns) <= set(d.value.columns))


def chart_spec(app, mark: str) -> dict:
    """The Vega-Lite spec of the chart of this mark ("line" over time, "bar" for weakest areas)."""
    specs = [json.loads(c.proto.spec) for c in app.get("vega_lite_chart")]
    return next(s for s in specs if s["mark"]["type"] == mark)


def test_search_reads_the_whole_question_and_the_csv_carries_it(app, bank_dir, sample_item, monkeypatch):
    record_attempt(bank_dir, sample_item, ANSWER)
    question = {**SAMPLE_QUESTION, "text": LONG_TEXT}
    write_atomic(bank_dir / "questions" / f"{SAMPLE_QUESTION['id']}.yaml", yaml.safe_dump(question))
    assert LONG_TEXT.index("Finance Commission") > 90
    downloads = []  # the bytes the page hands to its CSV download, kept as the page makes them
    real_csv_bytes = storage.progress.csv_bytes

    def kept_csv_bytes(table):
        downloads.append(real_csv_bytes(table))
        return downloads[-1]

    monkeypatch.setattr(storage.progress, "csv_bytes", kept_csv_bytes)
    open_progress(app)
    app.text_input(key="progress_filter_search").set_value("fifteenth FINANCE commission").run()
    assert app.metric[0].value == "1"
    assert app.dataframe[0].value["question"].tolist() == [LONG_TEXT]
    assert LONG_TEXT in downloads[-1].decode("utf-8")


def test_filters_that_match_nothing_say_so_and_show_no_empty_sections(app, bank_dir, sample_item):
    record_attempt(bank_dir, sample_item, "The GST Council was set up in 2016 to run GST.")
    open_progress(app)
    app.text_input(key="progress_filter_search").set_value("no such question").run()
    assert not app.exception, app.exception
    assert [i.value for i in app.info] == ["No attempts match these filters. Clear a filter or change the search "
                                           "to see them."]
    assert not app.success  # not "No missed rubric points": there are no attempts to judge
    assert not app.dataframe and not app.get("vega_lite_chart") and not app.get("download_button")
    assert [s.value for s in app.subheader] == []


def test_every_table_column_has_a_readable_title_and_the_question_is_widest(app, bank_dir, sample_item):
    record_attempt(bank_dir, sample_item, "The GST Council was set up in 2016 to run GST.")
    open_progress(app)
    attempts = table_with(app, "question")
    assert column_titles(attempts) == {  # AppTest's browser sends no time zone: the dates are in UTC, and say so
        "date": "Date (UTC)", "question": "Question", "paper": "Paper", "topic": "Topic", "marks": "Marks",
        "max_marks": "Out of", "percent": "%", "time": "Time", "words": "Words"}
    widths = {name: config["width"] for name, config in json.loads(attempts.proto.columns).items()
              if not config.get("hidden")}
    assert max(widths, key=widths.get) == "question" and widths["question"] > 2 * widths["topic"]
    assert sum(widths.values()) <= 818  # the table's width at a 1280 px screen: no sideways scroll
    for name in ("paper", "topic"):
        config = json.loads(table_with(app, name, "attempts").proto.columns)
        titles = [config[column]["label"] for column in (name, "attempts", "average_percent")]
        assert titles == [name.title(), "Attempts", "Average"]
        shown = [column for column in config.values() if not column.get("hidden")]
        assert len(shown) == 3  # average marks are not comparable across 10- and 15-mark questions; % is
        assert sum(column["width"] for column in shown) <= 326  # the table's width on a 360 px phone
        assert all(column["width"] >= 7 * len(column["label"]) + 16 for column in shown)  # ~7 px a letter


def test_weakest_areas_chart_fits_a_phone(app, bank_dir, sample_item):
    record_attempt(bank_dir, sample_item, "The GST Council was set up in 2016 to run GST.")
    open_progress(app)
    spec = chart_spec(app, "bar")
    assert spec["encoding"]["x"]["title"] == "Missed"
    assert spec["encoding"]["y"]["axis"]["labelLimit"] == 160
    # 32 px a bar; a plain number is the whole chart's height, axis included, and squashed the bars
    assert spec["height"] == {"step": 32}


def test_a_phone_gets_compact_attempts_and_weakest_tables_that_fit_its_screen(app, bank_dir, sample_item):
    attempt = record_attempt(bank_dir, sample_item, "The GST Council was set up in 2016 to run GST.")
    open_progress(app)
    compact = table_with(app, "marks_text")
    assert column_titles(compact) == {"date": "Date", "question": "Question", "marks_text": "Marks"}
    # the question is cut to its first words there: the time tells two attempts on one day apart
    assert json.loads(compact.proto.columns)["date"]["type_config"]["format"] == "D MMM HH:mm"
    assert compact.value["marks_text"].tolist() == [f"{attempt.marks:g} / 10"]  # as the feedback writes them
    weakest = [d for d in app.dataframe if "area" in d.value.columns]
    assert [list(column_titles(d).values()) for d in weakest] == [
        ["Area", "Kind", "Missed", "Partly covered", "Asked", "Missed %", "Questions"], ["Area", "Missed %"]]
    for table in (compact, weakest[1]):
        widths = [c["width"] for c in json.loads(table.proto.columns).values() if not c.get("hidden")]
        assert sum(widths) <= 326  # the table's width on a 360 px phone
    assert sum(c["width"] for c in json.loads(weakest[0].proto.columns).values() if not c.get("hidden")) <= 818
    # the page's container queries switch between them at the wide tables' widths
    style = "".join(h.proto.body for h in app.get("html"))
    assert "@container (max-width: 816px) { .st-key-progress_attempts_wide" in style  # 815 px of columns, 2 of border
    assert "@container (min-width: 797px) { .st-key-progress_weakest_compact" in style


def test_time_axis_labels_name_what_changes_between_ticks(app, bank_dir, sample_item):
    record_attempt(bank_dir, sample_item, ANSWER, minutes_ago=2)
    record_attempt(bank_dir, sample_item, ANSWER, minutes_ago=1)
    open_progress(app)
    axis = chart_spec(app, "line")["encoding"]["x"]["axis"]
    # one static format ("%d %b %H:%M") labelled every tick of a two-minute span alike;
    # Vega's dynamic format picks by the tick: seconds within a minute, the clock within a day
    assert isinstance(axis["format"], dict)
    assert "%S" in axis["format"]["seconds"] and "%M" in axis["format"]["minutes"]
    assert axis["format"]["date"] == "%d %b"


def test_times_are_drawn_as_the_axis_says_not_in_the_browsers_time_zone(app, bank_dir, sample_item):
    record_attempt(bank_dir, sample_item, ANSWER, minutes_ago=2)
    record_attempt(bank_dir, sample_item, ANSWER, minutes_ago=1)
    open_progress(app)  # no time zone from the browser (AppTest's default): UTC, and the title says so
    x = chart_spec(app, "line")["encoding"]["x"]
    # a utc scale draws the dates as given, whatever the browser's zone (an axis formatType "utc"
    # beside the multi-format drew ".800"); the page gives it the viewer's clock times
    assert x["title"] == "Submitted (UTC)" and x["scale"]["type"] == "utc" and "formatType" not in x["axis"]
    tooltips = chart_spec(app, "line")["encoding"]["tooltip"]
    # written by the page ("26 Nov 2026, 23:14 UTC"): Vega's formatType "utc" showed "NaN" in the browser
    assert not any(t["field"] == "date" for t in tooltips)
    assert {"field": "submitted", "title": "Submitted", "type": "nominal"} in tooltips


def test_a_browser_in_india_sees_its_own_clock_in_the_table_and_the_chart(app, bank_dir, sample_item):
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    attempt = record_attempt(bank_dir, sample_item, ANSWER)
    app.context["timezone"] = "Asia/Kolkata"  # what Streamlit hears from a browser in India
    app.context["timezone_offset"] = -330
    open_progress(app)
    india = attempt.submitted_at.astimezone(ZoneInfo("Asia/Kolkata"))
    wide = table_with(app, "question", "paper")
    assert column_titles(wide)["date"] == "Date (IST)"
    assert wide.value["date"].tolist() == [india]  # the same moment, on the Indian clock
    assert str(wide.value["date"].dt.tz) == "Asia/Kolkata"
    x = chart_spec(app, "line")["encoding"]["x"]
    assert x["title"] == "Submitted (IST)" and x["scale"]["type"] == "utc"
    line = next(c for c in app.get("vega_lite_chart") if json.loads(c.proto.spec)["mark"]["type"] == "line")
    data = pa.ipc.open_stream(line.proto.datasets[0].data.data).read_all()
    assert data.column("submitted").to_pylist() == [f"{india.day} {india:%b %Y, %H:%M} IST"]  # the tooltip's
    # the one attempt sits mid-domain at 5:30 past its UTC time: the utc scale draws IST clock times
    first, last = (datetime.fromisoformat(d) for d in x["scale"]["domain"])
    assert first + timedelta(days=1) == india.replace(tzinfo=first.tzinfo)
    assert first + timedelta(days=1) - attempt.submitted_at == timedelta(hours=5, minutes=30)


def test_the_first_and_last_points_sit_inside_the_plot_not_on_its_edges(app, bank_dir, sample_item):
    record_attempt(bank_dir, sample_item, ANSWER, minutes_ago=2)
    record_attempt(bank_dir, sample_item, ANSWER, minutes_ago=1)
    open_progress(app)
    scale = chart_spec(app, "line")["encoding"]["x"]["scale"]
    # a time scale's domain is the data's own span, so without padding the end points were drawn
    # half cut off on the plot's left and right edges; padding keeps this many px clear at each end
    assert scale["padding"] >= 8  # more than a point's radius (about 3 px) and the line's width
    assert scale["type"] == "utc"
    marks = chart_spec(app, "line")["encoding"]["y"]["scale"]  # 0% and 100% too, on the bottom and top edges
    assert marks["domain"] == [0, 100] and marks["padding"] >= 8 and marks["nice"] is False


def test_one_attempt_gets_a_readable_time_axis(app, bank_dir, sample_item):
    from datetime import datetime

    record_attempt(bank_dir, sample_item, ANSWER)
    open_progress(app)
    over_time = next(c for c in app.get("vega_lite_chart") if '"date"' in c.proto.spec and "mark_line" not in c.proto.spec)
    x = json.loads(over_time.proto.spec)["encoding"]["x"]
    first, last = (datetime.fromisoformat(d) for d in x["scale"]["domain"])
    assert (last - first).days == 2  # a day either side of the one attempt, not a span of zero (ticks in ms)
    assert x["scale"]["padding"] >= 8  # the axis's end ticks are kept off the plot's edges too
    assert x["title"] == "Submitted (UTC)"
