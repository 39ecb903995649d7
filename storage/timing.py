"""Time accounting for a timed answer: pure functions of a deadline and "now".

The deadline is stored on the server (in the draft), so these never depend on a
browser clock.  Running out of time never touches the text: it only changes what
the clock says and how much overtime the attempt records.

>>> from datetime import datetime, timedelta, timezone
>>> start = datetime(2025, 1, 1, 10, 0, tzinfo=timezone.utc)
>>> deadline = deadline_for(start, minutes=7)
>>> remaining_seconds(deadline, start + timedelta(minutes=5))
120
>>> overtime_seconds(deadline, start + timedelta(minutes=8, seconds=30))
90
>>> format_clock(remaining_seconds(deadline, start + timedelta(seconds=61)))
'05:59'
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def deadline_for(started_at: datetime, *, minutes: float) -> datetime:
    return started_at + timedelta(minutes=minutes)


def remaining_seconds(deadline: datetime, now: datetime) -> int:
    """Whole seconds left (rounded up, so the clock reads 00:00 only at the deadline); 0 after."""
    return max(0, math.ceil((deadline - now).total_seconds()))


def overtime_seconds(deadline: datetime, now: datetime) -> int:
    """Whole seconds written past the deadline; 0 within time."""
    return max(0, math.floor((now - deadline).total_seconds()))


def is_time_up(deadline: datetime, now: datetime) -> bool:
    return now >= deadline


def elapsed_seconds(started_at: datetime, now: datetime) -> int:
    return max(0, math.floor((now - started_at).total_seconds()))


def format_clock(seconds: float) -> str:
    """``mm:ss`` (or ``h:mm:ss`` past an hour) for a non-negative number of seconds.

    >>> format_clock(0), format_clock(59.2), format_clock(3725)
    ('00:00', '00:59', '1:02:05')
    """
    seconds = max(0, int(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


def unix_millis(moment: datetime) -> int:
    """Milliseconds since the Unix epoch (a naive time is taken as UTC), for the browser.

    >>> unix_millis(datetime(1970, 1, 1, 0, 0, 1, tzinfo=timezone.utc))
    1000
    """
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return int(moment.timestamp() * 1000)
