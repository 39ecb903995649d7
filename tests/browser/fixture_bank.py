"""Questions the browser tests write into their throwaway copy of the bank.

Each test practises its own question, so an attempt left open by one test (the app
resumes open attempts) never leaks into another.  Their rubrics are small and
controlled, so the tests know which point an answer covers.  Facts come from the
seed note (India–Japan strategic cooperation).
"""

from __future__ import annotations

from pathlib import Path

import yaml

TOPIC = "Browser test fixtures"

#: The evidence sentence the submit test writes, and the rubric point it earns.
COVERED_SENTENCE = (
    "The JWG on Critical Minerals covers rare earth sourcing, processing and stockpiling."
)
COVERED_POINT_LABEL = "Joint Working Group on Critical Minerals"
MISSED_POINT_HINT = "Mention the AI Dialogue launched at the 18th Strategic Dialogue."

MARKUP_IMG = "<img src=x onerror=alert(1)>"
MARKUP_SCRIPT = "<script>alert('xss')</script>"
MARKUP_LINK = "[click me](javascript:alert(3))"
MARKUP_MD_IMG = "![pixel](http://127.0.0.1:9/x.png)"
MARKUP_LABEL = "<u>underlined</u> **bold**"


def _question(qid: str, text: str, *, marks: int = 10, directive: str = "discuss",
              time_limit_minutes: int | None = None, paper: str = "GS2",
              model_answer: str | None = None) -> dict:
    data = {
        "id": qid,
        "paper": paper,
        "topic": TOPIC,
        "marks": marks,
        "directive": directive,
        "text": text,
        "model_answer": model_answer or (
            "India and Japan launched a Joint Working Group on Critical Minerals and an AI "
            "Dialogue at the 18th India–Japan Strategic Dialogue in New Delhi in January 2026. "
            "The JWG covers rare earth sourcing, processing and stockpiling, which reduces the "
            "risk of supply concentration. The way forward is to deepen supply-chain resilience."
        ),
        "source": "seed note: India–Japan strategic cooperation (browser test fixture)",
    }
    if time_limit_minutes is not None:
        data["time_limit_minutes"] = time_limit_minutes
    return data


def _rubric(hint_extra: str = "", label_extra: str = "") -> dict:
    """Three points: the JWG (the submit test covers it), the AI Dialogue (missed by
    the submit test: its hint shows) and FOIP.  ``hint_extra`` goes into the AI
    Dialogue hint, ``label_extra`` into the FOIP label (the markup test's payloads)."""
    return {
        "points": [
            {
                "id": "jwg",
                "label": COVERED_POINT_LABEL,
                "weight": 3,
                "hint": "Name the JWG on Critical Minerals and what it covers.",
                "evidence": ["JWG on Critical Minerals", "joint working group",
                             "rare earth sourcing", "stockpiling"],
            },
            {
                "id": "ai-dialogue",
                "label": "AI Dialogue",
                "weight": 2,
                "hint": MISSED_POINT_HINT + hint_extra,
                "evidence": ["AI Dialogue", "artificial intelligence dialogue",
                             "trustworthy AI"],
            },
            {
                "id": "foip",
                "label": "Free and Open Indo-Pacific" + label_extra,
                "weight": 1,
                "hint": "Link the cooperation to Japan's Free and Open Indo-Pacific vision.",
                "evidence": ["Free and Open Indo-Pacific", "FOIP", "Indo-Pacific"],
            },
        ]
    }


#: id -> (question, rubric). Each text carries a phrase no other question has (the
#: ``key``), used to pick it in the app: search for it, then choose the option with it.
FIXTURES: dict[str, tuple[dict, dict]] = {
    "zz-browser-submit": (
        _question("zz-browser-submit",
                  "Examine how the India–Japan Joint Working Group on Critical Minerals can "
                  "reduce India’s strategic vulnerabilities.", directive="examine"),
        _rubric(),
    ),
    "zz-browser-refresh": (
        _question("zz-browser-refresh",
                  "Tamarind check: discuss why India and Japan treat critical minerals as "
                  "an economic security issue."),
        _rubric(),
    ),
    "zz-browser-timeout": (
        _question("zz-browser-timeout",
                  "Saffron check: discuss the India–Japan AI Dialogue in one minute.",
                  time_limit_minutes=1),
        _rubric(),
    ),
    "zz-browser-crash": (
        _question("zz-browser-crash",
                  "Cardamom check: discuss how India–Japan cooperation on rare earths "
                  "builds trusted supply chains."),
        _rubric(),
    ),
    "zz-browser-empty": (
        _question("zz-browser-empty",
                  "Nutmeg check: discuss the Economic Security Dialogue between India and Japan."),
        _rubric(),
    ),
    "zz-browser-pending": (
        _question("zz-browser-pending",
                  "Clove check: discuss India–Japan cooperation on semiconductor supply chains."),
        _rubric(),
    ),
    "zz-browser-long": (
        _question("zz-browser-long",
                  "Fennel check: discuss India–Japan cooperation on critical minerals at length."),
        _rubric(),
    ),
    "zz-browser-markup": (
        _question("zz-browser-markup",
                  f"Juniper check {MARKUP_IMG} {MARKUP_LINK}: discuss India–Japan "
                  "cooperation on critical minerals."),
        _rubric(hint_extra=f" {MARKUP_SCRIPT} {MARKUP_MD_IMG}", label_extra=f" {MARKUP_LABEL}"),
    ),
}

#: the unique phrase of each fixture question (see ``FIXTURES``)
KEYS: dict[str, str] = {
    "zz-browser-submit": "Joint Working Group on Critical Minerals can reduce",
    "zz-browser-refresh": "Tamarind check",
    "zz-browser-timeout": "Saffron check",
    "zz-browser-crash": "Cardamom check",
    "zz-browser-markup": "Juniper check",
    "zz-browser-empty": "Nutmeg check",
    "zz-browser-pending": "Clove check",
    "zz-browser-long": "Fennel check",
}


def write_fixture_items(bank: Path) -> list[str]:
    (bank / "questions").mkdir(parents=True, exist_ok=True)
    (bank / "rubric").mkdir(parents=True, exist_ok=True)
    for qid, (question, rubric) in FIXTURES.items():
        (bank / "questions" / f"{qid}.yaml").write_text(
            yaml.safe_dump(question, sort_keys=False, allow_unicode=True), encoding="utf-8")
        (bank / "rubric" / f"{qid}.yaml").write_text(
            yaml.safe_dump(rubric, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return list(FIXTURES)
