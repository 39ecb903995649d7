"""Progress page in AppTest, with a few stored attempts."""

from __future__ import annotations

from tests.test_app_history import ANSWER, record_attempt

import storage


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


def test_one_attempt_gets_a_readable_time_axis(app, bank_dir, sample_item):
    import json
    from datetime import datetime

    record_attempt(bank_dir, sample_item, ANSWER)
    open_progress(app)
    over_time = next(c for c in app.get("vega_lite_chart") if '"date"' in c.proto.spec and "mark_line" not in c.proto.spec)
    x = json.loads(over_time.proto.spec)["encoding"]["x"]
    first, last = (datetime.fromisoformat(d) for d in x["scale"]["domain"])
    assert (last - first).days == 2  # a day either side of the one attempt, not a span of zero (ticks in ms)
    assert x["axis"]["format"] == "%d %b %H:%M" and x["title"] == "Submitted (UTC)"
