"""Keyboard focus to the page's heading after the screen changes under the reader (Submit → Feedback).

Without it, the pressed button disappears with the screen it was on and the browser
drops focus to the top of the document: a keyboard user tabs through the menu again
and a screen reader announces nothing. ``focus_heading`` moves focus to the main
heading (made focusable with ``tabindex="-1"``, so it is not an extra tab stop), once
per ``token``: reruns and reloads of the same screen leave focus where the reader put it.
A button that leads straight to one next step can send focus there instead (``target``, a
CSS selector): "Try this question again" focuses Start, which on a phone is a screen
below the heading, and scrolling it into view shows the question chosen.
"""

from __future__ import annotations

import uuid

import streamlit as st

JS = """
export default function (component) {
  const { data } = component;
  const token = String((data && data.token) || "");
  if (!token || window.__mainsFocusedFor === token) return;
  window.__mainsFocusedFor = token;
  const target = String((data && data.target) || "");
  let tries = 0;
  const focus = () => {
    const element = document.querySelector(target || '[data-testid="stMain"] h1');
    if (!element) {
      if (++tries < 40) setTimeout(focus, 50);  // it is drawn in the same run: wait up to 2 s
      return;
    }
    if (!target) {
      element.setAttribute("tabindex", "-1");
      element.style.outline = "none";  // focus is for the reader's place, not a control to press
    }
    element.focus();
    if (target) element.scrollIntoView({ block: "center" });
  };
  focus();
}
"""

_focus = st.components.v2.component("mains_focus_heading", html="<span></span>", js=JS)


_ASKED = "_focus_heading_token"
_TARGET = "_focus_heading_target"


def focus_heading(*, key: str, token: str, target: str = "") -> None:
    """Move keyboard focus to this page's title (or ``target``), once for each distinct ``token``."""
    _focus(key=key, data={"token": token, "target": target}, height="content")


def focus_heading_on_next_run(screen: str, *, target: str = "") -> None:
    """Call where a button swaps the screen (before ``st.rerun``): the next run focuses its heading,
    or the element ``target`` selects."""
    st.session_state[_ASKED] = f"{screen}-{uuid.uuid4().hex}"
    st.session_state[_TARGET] = target


def focus_heading_if_asked(*, key: str) -> None:
    """Last thing a page draws: focus its heading if a button asked for it on the run before."""
    token = st.session_state.pop(_ASKED, None)
    target = st.session_state.pop(_TARGET, "")
    if token:
        focus_heading(key=key, token=token, target=target)
