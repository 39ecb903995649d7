"""The answer box: a ``st.components.v2`` textarea that syncs to Python while the aspirant types.

Why not ``st.text_area``: it sends its value only on blur or Ctrl+Enter, so an
autosave or a refresh could lose everything typed since.  This component's
JavaScript sends the text with ``setStateValue("text", …)`` after a short pause
in typing (debounced), on blur, and when the page is hidden; the word count in
the box is computed in the browser on every keystroke.

Every keystroke is also copied to this browser's ``localStorage`` (key
``mains-draft-<draft id>``), so words typed in the debounce window before a
reload or a closed tab are not lost: when the box mounts and that copy is newer
than the server's saved draft, the box shows it and sends it at once.  The copy
is removed once the server's text matches it.

The user's text is never put into the component's ``html``: it travels in
``data`` and is set as ``textarea.value``.  The box is filled from ``data`` only
the first time it is mounted for a draft, so a rerun never overwrites what is
being typed with an older copy.

Browser tests: the textarea has ``data-testid="answer-input"`` (inside the
component's open shadow root, which Playwright selectors pierce), and the live
count ``data-testid="answer-word-count"``.
"""

from __future__ import annotations

import json

import streamlit as st

from scoring.text import COUNTED_WORD_PATTERN

DEBOUNCE_MS = 400

HTML = """
<div class="mains-editor">
  <textarea data-testid="answer-input" aria-label="Your answer" spellcheck="true" rows="16"></textarea>
  <div class="mains-editor-meta">
    <span class="mains-count" data-testid="answer-word-count" aria-live="polite"></span>
    <span class="mains-sync" data-testid="answer-sync-state"></span>
  </div>
</div>
"""

CSS = """
.mains-editor { display: flex; flex-direction: column; gap: 0.35rem; font-family: var(--st-font); }
.mains-editor textarea {
  box-sizing: border-box; width: 100%; min-height: 22rem; resize: vertical; padding: 0.75rem;
  font: inherit; font-size: 1rem; line-height: 1.6;
  color: var(--st-text-color); background: var(--st-secondary-background-color);
  border: 1px solid var(--st-border-color, rgba(128,128,128,0.4)); border-radius: var(--st-base-radius, 0.5rem);
}
.mains-editor textarea:focus { outline: 2px solid var(--st-primary-color); outline-offset: 0; }
/* The count stays in sight while typing in a box that runs below the screen (a phone): it sticks to
   the bottom of the view, over the box's lower edge.  The page keeps the caret above it (the
   scroll-padding-bottom in app_pages/context.py). */
.mains-editor-meta { display: flex; justify-content: space-between; gap: 0.75rem; font-size: 0.875rem;
  color: var(--st-text-color); position: sticky; bottom: 0; z-index: 1;
  background: var(--st-background-color, #fff); padding: 0.2rem 0; }
.mains-editor-meta > span { opacity: 0.8; }
/* a phone keeps the one line for the count (the autosave line below the box says when it was saved) */
@media (max-width: 480px) { .mains-sync { display: none; } }
.mains-count.over { color: var(--st-red-color, #d33); font-weight: 600; opacity: 1; }
"""

JS = """
// words as scoring.text.COUNTED_WORD counts them: its very pattern (dotted abbreviations, numbers with
// separators and hyphenated or en-dashed words count once; a combining mark belongs to its word)
const WORD = new RegExp(__COUNTED_WORD_PATTERN__, "gu");

export default function (component) {
  const { data, parentElement, setStateValue } = component;
  const box = parentElement.querySelector("textarea");
  const count = parentElement.querySelector(".mains-count");
  const sync = parentElement.querySelector(".mains-sync");
  if (!box || !data) return;
  const limit = Number(data.limit) || 0;
  const draft = String(data.draft);

  const serverText = typeof data.text === "string" ? data.text : "";
  const backupKey = `mains-draft-${draft}`;
  const readBackup = () => {
    try { return JSON.parse(window.localStorage.getItem(backupKey) || "null"); } catch (e) { return null; }
  };
  const writeBackup = () => {
    try { window.localStorage.setItem(backupKey, JSON.stringify({ text: box.value, t: Date.now() })); } catch (e) { /* storage full or blocked */ }
  };

  // Fill the box once per draft; later runs never replace what is being typed.
  let restored = false;
  if (box.dataset.draft !== draft) {
    box.dataset.draft = draft;
    box.value = serverText;
    box._sent = serverText;
    const backup = readBackup();
    if (backup && typeof backup.text === "string" && backup.text !== serverText
        && Number(backup.t) > (Number(data.saved_at_ms) || 0)) {
      box.value = backup.text;  // words typed after the last autosave
      restored = true;
    }
  }
  const kept = readBackup();
  if (kept && kept.text === serverText) {
    try { window.localStorage.removeItem(backupKey); } catch (e) { /* ignore */ }
  }
  box.placeholder = data.placeholder || "";

  const showCount = () => {
    const n = (box.value.match(WORD) || []).length;
    const marked = Number(data.marked) || 0;
    count.textContent = (limit ? `${n} / ${limit} words` : `${n} words`)
      + (marked && n > marked ? ` · words after ${marked} are not marked` : "");
    count.classList.toggle("over", limit > 0 && n > limit);
  };
  const send = () => {
    clearTimeout(box._timer);
    box._timer = null;
    if (box.value === box._sent) return;
    box._sent = box.value;
    sync.textContent = "sent for autosave";  // the line below the box says when the server saved it
    setStateValue("text", box.value);
  };
  box.oninput = () => {
    writeBackup();
    showCount();
    sync.textContent = "typing…";
    clearTimeout(box._timer);
    box._timer = setTimeout(send, Number(data.debounce_ms) || 400);
  };
  box.onblur = send;
  box._send = send;
  if (!box._hideHook) {
    // closing or hiding the tab: send what is pending at once
    box._hideHook = () => { if (box._send) box._send(); };
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "hidden") box._hideHook();
    });
    window.addEventListener("pagehide", () => box._hideHook());
  }
  if (data.focus && !box._focused) { box._focused = true; box.focus(); }
  showCount();
  if (restored) {
    send();
    sync.textContent = "restored words this browser kept";
  }
}
""".replace("__COUNTED_WORD_PATTERN__", json.dumps(COUNTED_WORD_PATTERN))  # a JavaScript string literal

_answer_box = st.components.v2.component("mains_answer_box", html=HTML, css=CSS, js=JS)


def _ignore() -> None:
    """State changes are read from the return value; no callback work is needed."""


def answer_box(*, key: str, draft_id: int, text: str, word_limit: int, marked_words: int = 0,
               saved_at_ms: int = 0, placeholder: str = "") -> str:
    """Mount the answer box for ``draft_id`` and return the latest text the browser sent.

    ``text`` is the saved draft text, shown when the box is first mounted (after a
    refresh, or coming back to the page), unless this browser kept newer words than
    ``saved_at_ms`` (the draft's last save, in Unix milliseconds).  Past ``marked_words`` words
    (0: no such end) the count says the rest will not be marked.  In AppTest, where no JavaScript runs,
    set ``st.session_state[key] = {"text": ...}`` to play the browser.
    """
    result = _answer_box(
        key=key,
        data={
            "draft": draft_id,
            "text": text,
            "saved_at_ms": saved_at_ms,
            "limit": word_limit,
            "marked": marked_words,
            "placeholder": placeholder,
            "debounce_ms": DEBOUNCE_MS,
            "focus": True,
        },
        default={"text": text},
        on_text_change=_ignore,
        height="content",
    )
    value = result.get("text") if result is not None else None
    return value if isinstance(value, str) else text
