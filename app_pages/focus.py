"""Keyboard focus to the page's heading after the screen changes under the reader (Submit → Feedback).

Without it, the pressed button disappears with the screen it was on and the browser
drops focus to the top of the document: a keyboard user tabs through the menu again
and a screen reader announces nothing. ``focus_heading`` moves focus to the main
heading (made focusable with ``tabindex="-1"``, so it is not an extra tab stop), once
per ``token``: reruns and reloads of the same screen leave focus where the reader put it.
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
  let tries = 0;
  const focus = () => {
    const heading = document.querySelector('[data-testid="stMain"] h1');
    if (!heading) {
      if (++tries < 40) setTimeout(focus, 50);  // the heading is drawn in the same run: wait up to 2 s
      return;
    }
    heading.setAttribute("tabindex", "-1");
    heading.style.outline = "none";  // focus is for the reader's place, not a control to press
    heading.focus();
  };
  focus();
}
"""

_focus = st.components.v2.component("mains_focus_heading", html="<span></span>", js=JS)


_ASKED = "_focus_heading_token"


def focus_heading(*, key: str, token: str) -> None:
    """Move keyboard focus to this page's title, once for each distinct ``token``."""
    _focus(key=key, data={"token": token}, height="content")


def focus_heading_on_next_run(screen: str) -> None:
    """Call where a button swaps the screen (before ``st.rerun``): the next run focuses its heading."""
    st.session_state[_ASKED] = f"{screen}-{uuid.uuid4().hex}"


def focus_heading_if_asked(*, key: str) -> None:
    """Last thing a page draws: focus its heading if a button asked for it on the run before."""
    token = st.session_state.pop(_ASKED, None)
    if token:
        focus_heading(key=key, token=token)
