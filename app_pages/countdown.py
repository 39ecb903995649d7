"""The writing countdown: a ``st.components.v2`` component that ticks in the browser.

Why not ``@st.fragment(run_every=1)``: that makes every writer's browser ask the
server to rerun the clock once a second (server CPU for every idle writer, and a
source of "fragment … does not exist anymore" races with the answer box's reruns).
Here the server does no per-second work at all.

The server stays the authority.  The deadline is stored with the draft; each page
run sends the server's *remaining* milliseconds (deadline minus the server's now),
and the browser sets its local deadline to ``Date.now() + remaining_ms`` when that
reading arrives, so a wrong clock on the aspirant's machine changes nothing.  A
refresh is a new page run, hence a fresh reading.  Overtime is still computed on the
server at submit.

Wording matches what the fragment showed: "**07:00** left of 7:00" while time
remains, and a red alert "**Time is up** (7 minutes) · 02:00 over. Nothing you wrote
is cut: …" after.  ``clock_line`` is the same wording as plain text; it travels in
``data["line"]`` (what the server saw at page-run time), which is what AppTest, which
runs no JavaScript, reads.

Accessibility: the ticking numbers are in a ``role="timer"`` element (not a live
region, so screen readers do not announce every second).  The words "Time is up
(N minutes)" go into a polite live region that is empty until then, so they are
announced once, when the deadline passes.

The component is mounted without a shadow root (``isolate_styles=False``) so the
text is part of the page: ``innerText`` of the ``practice_clock`` container reads it
(the browser tests and the load benchmark rely on that).  Its CSS classes all start
with ``mains-countdown``.  For tests: ``data-testid="countdown"``, whose
``data-state`` is ``left`` or ``over``.
"""

from __future__ import annotations

from datetime import datetime

import streamlit as st

from storage.timing import format_clock, is_time_up, overtime_seconds, remaining_seconds, unix_millis, utcnow

TICK_MS = 250  # how often the browser looks at its clock; the text changes once a second

OVER_NOTE = "Writing on is allowed: finish your sentence and submit. The overtime is recorded."

# Icons are inline SVG (no icon font to wait for), hidden from screen readers.
_TIMER_SVG = (
    '<svg viewBox="0 0 24 24" width="1.25em" height="1.25em" aria-hidden="true" focusable="false">'
    '<path fill="currentColor" d="M9 1h6v2H9zm2 7h2v6h-2zm8.03-1.61 1.42-1.42a11 11 0 0 0-1.41-1.41l-1.42 '
    '1.42A9 9 0 1 0 21 13a8.96 8.96 0 0 0-1.97-5.61zM12 20a7 7 0 1 1 0-14 7 7 0 0 1 0 14z"/></svg>'
)
_ALARM_SVG = (
    '<svg viewBox="0 0 24 24" width="1.25em" height="1.25em" aria-hidden="true" focusable="false">'
    '<path fill="currentColor" d="m22 5.72-4.6-3.86-1.29 1.53 4.6 3.86zM7.88 3.39 6.6 1.86 2 5.71l1.29 '
    '1.53zM12.5 8H11v6l4.75 2.85.75-1.23-4-2.37zM12 4a9 9 0 1 0 .01 18.01A9 9 0 0 0 12 4zm0 16a7 7 0 1 1 '
    '0-14 7 7 0 0 1 0 14z"/></svg>'
)

# No whitespace between the inline spans: the JS sets every space, so the text reads
# exactly "07:00 left of 7:00" or "Time is up (7 minutes) · 02:00 over. Nothing …".
HTML = f"""
<div class="mains-countdown" data-testid="countdown" data-state="">
  <div class="mains-countdown-box">
    <span class="mains-countdown-icon mains-countdown-icon-left">{_TIMER_SVG}</span>
    <span class="mains-countdown-icon mains-countdown-icon-over">{_ALARM_SVG}</span>
    <span class="mains-countdown-text"><span class="mains-countdown-up" aria-live="polite"></span><span
      class="mains-countdown-sep" aria-hidden="true"></span><span class="mains-countdown-clock" role="timer"></span><span
      class="mains-countdown-tail"></span></span>
  </div>
</div>
"""

CSS = """
.mains-countdown { font-family: var(--st-font, inherit); font-size: 1rem; line-height: 1.6;
  color: var(--st-text-color, inherit); }
.mains-countdown-box { display: flex; align-items: flex-start; gap: 0.5rem; }
.mains-countdown-icon { display: none; padding-top: 0.15em; }
.mains-countdown[data-state="left"] .mains-countdown-icon-left,
.mains-countdown[data-state="over"] .mains-countdown-icon-over { display: inline-flex; }
.mains-countdown-clock { font-variant-numeric: tabular-nums; }
.mains-countdown[data-state="left"] .mains-countdown-clock,
.mains-countdown-up strong { font-weight: 700; }
.mains-countdown[data-state="over"] .mains-countdown-box {
  padding: 1rem; border-radius: var(--st-base-radius, 0.5rem);
  background: var(--st-red-background-color, rgba(255, 43, 43, 0.09));
  color: var(--st-red-text-color, #bd4043);
}
/* On a phone the red alert stays pinned over the answer: keep it to a few short lines. */
@media (max-width: 640px) {
  .mains-countdown[data-state="over"] { font-size: 0.875rem; line-height: 1.4; }
  .mains-countdown[data-state="over"] .mains-countdown-box { padding: 0.5rem 0.75rem; }
}
"""

JS = """
const pad = (n) => String(n).padStart(2, "0");
// the same format as storage.timing.format_clock: "07:00", "1:01:01"
const formatClock = (seconds) => {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
  return h ? `${h}:${pad(m)}:${pad(r)}` : `${pad(m)}:${pad(r)}`;
};

export default function (component) {
  const { data, parentElement } = component;
  const root = parentElement.querySelector(".mains-countdown");
  if (!root || !data) return;
  const upText = root.querySelector(".mains-countdown-up");  // the only live region (polite)
  const sep = root.querySelector(".mains-countdown-sep");
  const clock = root.querySelector(".mains-countdown-clock");  // role="timer": never announced
  const tail = root.querySelector(".mains-countdown-tail");

  // One interval per countdown, ever: a re-render clears the previous one first.
  clearInterval(root._tick);
  root._tick = null;

  const minutes = Number(data.minutes) || 0;
  const remaining = Number(data.remaining_ms);
  if (!Number.isFinite(remaining)) {  // no reading to count from: show the server's words, still
    root.dataset.state = "";
    upText.textContent = sep.textContent = clock.textContent = "";
    tail.textContent = String(data.line || "");
    return;
  }
  // A new server reading (every page run sends one) sets the local deadline; a
  // re-render that carries the same reading keeps the deadline it already set.
  const issued = String(data.issued_ms);
  if (root.dataset.issued !== issued) {
    root.dataset.issued = issued;
    root._deadline = Date.now() + remaining;
  }
  const note = String(data.note || "");
  if (root._minutes !== minutes || root._note !== note) {  // another question: redraw the words
    root._minutes = minutes;
    root._note = note;
    root.dataset.state = "";
  }

  const tick = () => {
    const ms = root._deadline - Date.now();
    const state = ms <= 0 ? "over" : "left";  // as storage.timing.is_time_up: now >= deadline
    if (root.dataset.state !== state) {
      root.dataset.state = state;
      upText.textContent = "";
      if (state === "over") {  // filled once, when the time runs out: announced once
        const strong = document.createElement("strong");
        strong.textContent = "Time is up";
        upText.append(strong, ` (${minutes} minutes)`);
        sep.textContent = " · ";
        tail.textContent = ` over. ${note}`;
      } else {
        sep.textContent = "";
        tail.textContent = ` left of ${minutes}:00`;
      }
    }
    const text = formatClock(state === "over" ? Math.floor(-ms / 1000) : Math.ceil(ms / 1000));
    if (clock.textContent !== text) clock.textContent = text;
  };
  tick();
  const id = setInterval(tick, Number(data.tick_ms) || 250);
  root._tick = id;
  return () => clearInterval(id);
}
"""

_countdown = st.components.v2.component("mains_countdown", html=HTML, css=CSS, js=JS, isolate_styles=False)


def clock_line(deadline: datetime, minutes: int, now: datetime) -> str:
    """What the countdown says at ``now``, as plain text (the browser shows the same words).

    >>> from datetime import datetime, timedelta, timezone
    >>> t = datetime(2025, 1, 1, 10, 0, tzinfo=timezone.utc)
    >>> clock_line(t + timedelta(minutes=7), 7, t)
    '07:00 left of 7:00'
    >>> clock_line(t, 7, t + timedelta(seconds=121))
    'Time is up (7 minutes) · 02:01 over. Writing on is allowed: finish your sentence and submit. The overtime is recorded.'
    """
    if is_time_up(deadline, now):
        return f"Time is up ({minutes} minutes) · {format_clock(overtime_seconds(deadline, now))} over. {OVER_NOTE}"
    return f"{format_clock(remaining_seconds(deadline, now))} left of {minutes}:00"


def countdown(*, key: str, deadline: datetime, minutes: int, now: datetime | None = None) -> None:
    """Mount the countdown to ``deadline`` (a ``minutes``-long limit); the browser ticks it.

    ``data`` carries the server's reading: ``remaining_ms`` (negative once the time
    is up), ``issued_ms`` (the server's time of that reading, which tells a new
    reading from a re-render of the same one), ``minutes``, ``line`` and the
    ``note`` said once the time is up.
    """
    now = now or utcnow()
    _countdown(
        key=key,
        data={
            "remaining_ms": round((deadline - now).total_seconds() * 1000),
            "issued_ms": unix_millis(now),
            "minutes": minutes,
            "time_up": is_time_up(deadline, now),
            "line": clock_line(deadline, minutes, now),
            "note": OVER_NOTE,
            "tick_ms": TICK_MS,
        },
        height="content",
    )
