"""The viewer's clock (app_pages.clock): stored UTC times shown in the browser's time zone."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from app_pages.clock import clock_time, date_time, local, zone_abbreviation, zone_named, zone_title

#: 22:51:29 UTC on 25 Nov is 04:21:29 on 26 Nov in India (UTC+05:30): the day changes too
LATE_EVENING_UTC = datetime(2026, 11, 25, 22, 51, 29, 900_000, tzinfo=timezone.utc)
INDIA = ZoneInfo("Asia/Kolkata")


def test_a_utc_time_is_shown_on_the_indian_clock_with_its_zone():
    assert local(LATE_EVENING_UTC, INDIA).utcoffset() == timedelta(hours=5, minutes=30)
    assert clock_time(LATE_EVENING_UTC, INDIA) == "04:21:29 IST"
    assert date_time(LATE_EVENING_UTC, INDIA) == "26 Nov 2026, 04:21 IST"
    assert date_time(LATE_EVENING_UTC, INDIA, offset=True) == "26 Nov 2026, 04:21 IST (UTC+05:30)"


def test_a_naive_time_is_taken_as_utc():
    naive = LATE_EVENING_UTC.replace(tzinfo=None)
    assert clock_time(naive, INDIA) == "04:21:29 IST"
    assert date_time(naive, timezone.utc) == "25 Nov 2026, 22:51 UTC"


@pytest.mark.parametrize("name", [None, "", "Not/A_zone", "Asia", "../../etc/passwd", "/etc/localtime", "a\x00b"])
def test_an_unknown_or_invalid_zone_falls_back_to_utc_and_says_so(name):
    zone = zone_named(name)
    assert zone is timezone.utc
    assert clock_time(LATE_EVENING_UTC, zone) == "22:51:29 UTC"
    assert date_time(LATE_EVENING_UTC, zone, offset=True) == "25 Nov 2026, 22:51 UTC"


def test_without_a_known_name_the_browsers_offset_is_used():
    # browsers give minutes *behind* UTC: -330 in India, 300 in New York in winter
    assert date_time(LATE_EVENING_UTC, zone_named("Not/A_zone", -330)) == "26 Nov 2026, 04:21 UTC+05:30"
    assert clock_time(LATE_EVENING_UTC, zone_named(None, 300)) == "17:51:29 UTC-05:00"
    assert zone_named(None, 0) is timezone.utc and zone_named(None, 10_000) is timezone.utc  # nonsense: UTC
    assert zone_named("Asia/Kolkata", 0) == INDIA  # the name wins: it knows summer time where there is one


def test_zones_without_an_abbreviation_and_summer_time():
    assert zone_abbreviation(LATE_EVENING_UTC, ZoneInfo("Asia/Dubai")) == "UTC+04"  # tz data writes "+04"
    berlin = ZoneInfo("Europe/Berlin")
    winter, summer = datetime(2026, 1, 10, 12, tzinfo=timezone.utc), datetime(2026, 7, 10, 12, tzinfo=timezone.utc)
    assert clock_time(winter, berlin) == "13:00:00 CET" and clock_time(summer, berlin) == "14:00:00 CEST"
    assert zone_title([winter, summer, winter], berlin) == "CET/CEST"
    assert zone_title([LATE_EVENING_UTC], INDIA) == "IST" and zone_title([], INDIA) == "IST"
