"""Shared, cached objects for the scoring tests: the repository's bank and a fitted scorer."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from scoring.bank import Bank, load_bank
from scoring.scorer import Scorer

REPO_ROOT = Path(__file__).resolve().parent.parent
TESTDATA = Path(__file__).resolve().parent / "testdata"

#: A real GS answer on an unrelated subject, for off-topic checks.
UNRELATED_ANSWER = """The monsoon brings about 70 percent of India's annual rainfall between June and September.

- Its onset over Kerala is watched closely because kharif sowing depends on it.
- A weak monsoon lowers reservoir levels and raises food inflation, while floods in Assam and Bihar displace families.
- Rain-fed farmers, who lack irrigation, bear most of the risk of a delayed or erratic season.

Thus, the way forward is better forecasting, micro-irrigation and crop insurance that reaches small farmers in time."""


@lru_cache(maxsize=1)
def bank() -> Bank:
    return load_bank(REPO_ROOT)


@lru_cache(maxsize=1)
def scorer() -> Scorer:
    return Scorer().fit(bank())
