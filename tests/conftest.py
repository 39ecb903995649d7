"""Shared fixtures: a throwaway database and a throwaway copy of the question bank."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def database_url(tmp_path, monkeypatch) -> str:
    """A fresh SQLite file for one test, exported as ``DATABASE_URL``."""
    import storage

    url = f"sqlite:///{tmp_path / 'test.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    yield url
    storage.dispose_engines()


@pytest.fixture
def bank_dir(tmp_path, monkeypatch) -> Path:
    """A copy of the repository's ``questions/`` and ``rubric/``, exported as ``MAINS_BANK_DIR``."""
    root = tmp_path / "bank"
    for folder in ("questions", "rubric"):
        src = REPO_ROOT / folder
        if src.is_dir():
            shutil.copytree(src, root / folder, ignore=shutil.ignore_patterns(".*", "__pycache__"))
        else:
            (root / folder).mkdir(parents=True)
    monkeypatch.setenv("MAINS_BANK_DIR", str(root))
    return root
