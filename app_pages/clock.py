"""The viewer's own clock: times are stored in UTC, and shown in the browser's time zone.

Streamlit tells the server the browser's time zone on every run: ``st.context.timezone``
(an IANA name such as "Asia/Kolkata") and ``st.context.timezone_offset`` (minutes *behind*
UTC: -330 in India).  Both are None when the client did not send them (AppTest, unless a
test sets ``AppTest.context``).  A name this server does not know (no time-zone data
for it) falls back to the offset, and with neither the times are shown in UTC, saying so.

Every time on screen names its zone ("22:51:29 IST"), so a fallback is never mistaken
for the aspirant's own clock.  Only what is shown changes: the database keeps UTC.

>>> from datetime import datetime, timezone
>>> moment = datetime(2026, 11, 25, 22, 51, 29, tzinfo=timezone.utc)
>>> india = zone_named("Asia/Kolkata")
>>> clock_time(moment, india), date_time(moment, india)
('04:21:29 IST', '26 Nov 2026, 04:21 IST')
>>> date_time(moment, india, offset=True)
'26 Nov 2026, 04:21 IST (UTC+05:30)'
>>> date_time(moment, zone_named(None)), date_time(moment, zone_named("No/Such_zone", -330))
('25 Nov 2026, 22:51 UTC', '26 Nov 2026, 04:21 UTC+05:30')
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import streamlit as st


def zone_named(name: str | None, offset_minutes: int | None = None) -> tzinfo:
    """The zone called ``name``; else the fixed offset (minutes behind UTC, as browsers give it); else UTC.

    >>> zone_named("Asia/Kolkata"), zone_named("../etc/passwd"), zone_named(None, 0)
    (zoneinfo.ZoneInfo(key='Asia/Kolkata'), datetime.timezone.utc, datetime.timezone.utc)
    >>> zone_named("", -345)
    datetime.timezone(datetime.timedelta(seconds=20700))
    """
    if name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError, OSError):  # unknown, malformed, or no data here
            pass
    if isinstance(offset_minutes, int) and abs(offset_minutes) < 24 * 60:
        return timezone(-timedelta(minutes=offset_minutes))
    return timezone.utc


def viewer_zone() -> tzinfo:
    """The time zone of the browser this run is for (UTC when it is not known)."""
    return zone_named(st.context.timezone, st.context.timezone_offset)


def local(moment: datetime, zone: tzinfo | None = None) -> datetime:
    """``moment`` (naive means UTC) on the viewer's clock, or on ``zone``'s."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(zone or viewer_zone())


def zone_abbreviation(moment: datetime, zone: tzinfo | None = None) -> str:
    """The zone's short name at that moment: "IST", "CEST"; "UTC+04" where it has none (tz data writes "+04").

    >>> from datetime import datetime, timezone
    >>> zone_abbreviation(datetime(2026, 7, 1, tzinfo=timezone.utc), zone_named("Asia/Dubai"))
    'UTC+04'
    """
    return _abbreviation(local(moment, zone))


def _abbreviation(shown: datetime) -> str:
    """The short name of an aware datetime's own zone at that moment."""
    name = shown.tzname() or "UTC"
    return f"UTC{name}" if name[:1] in "+-" else name


def zone_title(moments: Iterable[datetime], zone: tzinfo | None = None) -> str:
    """The zone's short names over these moments, for a column or axis title: "IST"; "CET/CEST" across a change.

    With no moments, the name it has now.
    """
    zone = zone or viewer_zone()
    names = list(dict.fromkeys(zone_abbreviation(m, zone) for m in moments))
    return "/".join(names) or zone_abbreviation(datetime.now(timezone.utc), zone)


def clock_time(moment: datetime, zone: tzinfo | None = None) -> str:
    """The time of day with its zone: "04:21:29 IST"."""
    shown = local(moment, zone)
    return f"{shown:%H:%M:%S} {_abbreviation(shown)}"


def date_time(moment: datetime, zone: tzinfo | None = None, *, offset: bool = False) -> str:
    """The day and time with its zone: "26 Nov 2026, 04:21 IST".

    ``offset=True`` adds the offset from UTC, for text read away from the app (a download):
    "26 Nov 2026, 04:21 IST (UTC+05:30)" (an abbreviation alone can name two zones).
    """
    shown = local(moment, zone)
    name = _abbreviation(shown)
    text = f"{shown.day} {shown:%b %Y, %H:%M} {name}"
    if offset and not name.startswith("UTC"):
        utc_offset = shown.strftime("%z")  # "+0530"
        text += f" (UTC{utc_offset[:3]}:{utc_offset[3:]})"
    return text
