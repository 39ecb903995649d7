"""What every page needs: the bank, a fitted scorer, and the current user.

The bank and scorer are cached per process with ``st.cache_resource``, keyed on a
fingerprint of the bank's files (name, size, mtime, inode), so a question saved
from the Question bank page is practisable on the next rerun without a restart,
while an unchanged bank is never re-read or re-fitted.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import streamlit as st

import storage
from scoring.bank import Bank, bank_root, load_bank
from scoring.scorer import Scorer

CSS = """
<style>
.mains-text { white-space: pre-wrap; overflow-wrap: anywhere; line-height: 1.6; }
.mains-answer { white-space: pre-wrap; overflow-wrap: anywhere; line-height: 1.7;
  padding: 0.75rem 1rem; border: 1px solid rgba(128,128,128,0.35); border-radius: 0.5rem; }
.mains-answer mark.mains-evidence { background: rgba(255, 214, 10, 0.45); color: inherit;
  border-radius: 0.2rem; padding: 0 0.1rem; }
.mains-question { font-size: 1.15rem; white-space: pre-wrap; overflow-wrap: anywhere; line-height: 1.6; }
</style>
"""


def bank_fingerprint(root: Path) -> str:
    """Changes whenever a bank file is added, removed or rewritten (atomic saves change the inode)."""
    digest = hashlib.sha1()
    for folder in ("questions", "rubric"):
        directory = root / folder
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError:
            continue
        for entry in entries:
            if entry.name.endswith((".yaml", ".yml")) and not entry.name.startswith("."):
                info = entry.stat()
                digest.update(f"{folder}/{entry.name}:{info.st_size}:{info.st_mtime_ns}:{info.st_ino};".encode())
    return digest.hexdigest()


@st.cache_resource(max_entries=4, show_spinner=False)
def _bank(root: str, fingerprint: str) -> Bank:
    return load_bank(root)


@st.cache_resource(max_entries=4, show_spinner="Preparing the scorer…")
def _scorer(root: str, fingerprint: str) -> Scorer:
    return Scorer().fit(_bank(root, fingerprint))


def current_bank() -> Bank:
    root = bank_root()
    return _bank(str(root), bank_fingerprint(root))


def current_scorer() -> Scorer:
    root = bank_root()
    return _scorer(str(root), bank_fingerprint(root))


def current_user_id() -> int:
    """The signed-in user; in single-user mode, the local user (issue 6 adds accounts)."""
    url = storage.database_url()
    cached = st.session_state.get("app_user")
    if not cached or cached[0] != url:
        cached = (url, storage.default_user_id())
        st.session_state["app_user"] = cached
    return cached[1]


def page_style() -> None:
    st.html(CSS)
