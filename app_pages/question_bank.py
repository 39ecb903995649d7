"""Question bank: browse and search, add or edit a question with its rubric, delete, import."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

import pandas as pd
import streamlit as st
from pydantic import ValidationError

from app_pages.context import current_bank, current_scorer, page_style, require_mentor
from app_pages.markup import STATUS_ICON, escape_markdown, format_marks, shortened, text_html
from app_pages.tables import narrow_css, wide_or_compact, wide_width
from scoring.bank import (
    BankError, BankWriteError, bank_root, build_item, delete_item, parse_question, question_with_text,
    rubric_errors, save_item, validation_errors,
)
from scoring.importing import MAX_IMPORT_BYTES, parse_bank_upload
from scoring.models import BANK_RULES, DIRECTIVES, Item, Paper, RubricPoint, directive_named
from scoring.suggest import suggest_points
from storage.bank_files import add_items

BROWSE, FORM, IMPORT = "Browse", "Add or edit", "Import"
PAPERS = list(Paper.__args__)
POINT_COLUMNS = ["id", "label", "weight", "hint", "evidence", "concepts"]
FORM_DEFAULTS = {
    "bank_form_id": "", "bank_form_paper": "GS2", "bank_form_topic": "", "bank_form_marks": 15,
    "bank_form_word_limit": 0, "bank_form_time_limit": 0, "bank_form_directive": "discuss",
    "bank_form_text": "", "bank_form_model_answer": "", "bank_form_source": "", "bank_form_tags": "",
}

#: The Browse table: a readable title for every column, and the question widest.  Pixel widths add up
#: to 810, inside the 818 px the grid has at a 1280 px screen with the sidebar open, so no column
#: hides behind a sideways scroll there; a wider screen stretches them alike.
BANK_COLUMNS = {
    "id": st.column_config.TextColumn("Id", width=150),
    "paper": st.column_config.TextColumn("Paper", width=55),
    "topic": st.column_config.TextColumn("Topic", width=130),
    "marks": st.column_config.NumberColumn("Marks", width=60),
    "directive": st.column_config.TextColumn("Directive", width=80),
    "points": st.column_config.NumberColumn("Points", help="rubric points", width=60),
    "question": st.column_config.TextColumn("Question", width=275),
}
#: The same table on a phone (when the wide one does not fit): the question's words first, and its
#: marks; 315 px, inside the 326 px the grid has on a 360 px phone.
COMPACT_BANK_COLUMNS = {
    "question": st.column_config.TextColumn("Question", width=255),
    "marks": st.column_config.NumberColumn("Marks", width=60),
}

#: The picked question's rubric points, wide: every field, titled.  It sits in the bordered
#: ``bank_detail`` box, narrower than the page by the box's padding: 780 px, inside its 786 px grid.
POINT_TABLE_COLUMNS = {
    "id": st.column_config.TextColumn("Id", width=100),
    "label": st.column_config.TextColumn("Label", width=200),
    "weight": st.column_config.NumberColumn("Weight", width=60),
    "hint": st.column_config.TextColumn("Hint", width=160),
    "evidence": st.column_config.TextColumn("Evidence", width=170),
    "concepts": st.column_config.TextColumn("Concepts", width=90),
}
#: On a phone: what the point is (its label, as the feedback names it) and what it is worth; 290 px,
#: inside the 294 px grid the box leaves on a 360 px phone.
COMPACT_POINT_COLUMNS = {
    "label": st.column_config.TextColumn("Label", width=230),
    "weight": st.column_config.NumberColumn("Weight", width=60),
}

#: Each wide table's width in px (its columns and the grid's 1 px border either side): a narrower
#: container shows the compact version instead (a CSS container query, ``narrow_css``).  Measured in
#: Chromium with the sidebar open at a 1280 px screen, ``bank_table`` has 820 px and the points table,
#: inside the bordered ``bank_detail`` box, 788; on a 360 px phone they have 328 and 296, so the
#: compact columns add up to at most 326 and 294.
WIDE_TABLE_WIDTHS = {"bank_table": wide_width(BANK_COLUMNS), "bank_detail_points": wide_width(POINT_TABLE_COLUMNS)}

POINT_FIELD_DEFAULTS = {
    "bank_point_id": "", "bank_point_label": "", "bank_point_weight": 1.0, "bank_point_hint": "",
    "bank_point_evidence": "", "bank_point_concepts": "",
}
#: The "Add a point" fields by the names their labels show, for the messages about them.
POINT_FIELD_NAMES = {"id": "Point id", "label": "Label", "weight": "Weight", "hint": "Hint",
                     "evidence": "Evidence phrases", "concepts": "Concept ids"}
#: The form's fields by the names their labels show: a fault in ``model_answer`` is a fault in "Model answer".
FORM_FIELD_NAMES = {"id": "Id", "paper": "Paper", "topic": "Topic", "marks": "Marks", "word_limit": "Word limit",
                    "time_limit_minutes": "Minutes", "directive": "Directive", "text": "Question text",
                    "model_answer": "Model answer", "source": "Source", "tags": "Tags", "points": "Rubric points",
                    "policy": "Rubric policy", "bands": "Rubric bands", "(file)": "The question"}


def problem_list(problems: list[tuple[str, str]]) -> str:
    """Markdown bullets, one a problem ("**Marks**: must be more than 0"), that wrap on any screen (a table's
    cells cut long messages short); what a mentor typed shows literally."""
    return "\n".join(f"- **{escape_markdown(name)}**: {escape_markdown(' '.join(message.split()))}"
                     if name else f"- {escape_markdown(' '.join(message.split()))}" for name, message in problems)


require_mentor()  # multi-user mode: mentors only, even by URL

state = st.session_state
state.setdefault("bank_section", BROWSE)
state.setdefault("bank_form_mode", "new")  # "new" or "edit"
state.setdefault("bank_form_original_id", None)
state.setdefault("bank_form_points_rows", [])
state.setdefault("bank_form_points_version", 0)
state.setdefault("bank_form_rubric_extra", {})
state.setdefault("bank_form_directive_chosen", False)  # False: the directive follows the question's words
state.setdefault("bank_form_saved_id", None)
state.setdefault("bank_form_baseline", None)  # the form as loaded or last saved (None: empty); see unsaved_changes
state.setdefault("bank_form_pending", None)  # what "Edit this question" or "Start a new question" waits to load
state.setdefault("bank_notice", None)
if state.pop("bank_just_deleted", False):  # before the confirm box is drawn: it cannot be reset after
    state["bank_delete_confirm"] = False
for form_key, form_default in {**FORM_DEFAULTS, **POINT_FIELD_DEFAULTS}.items():
    state.setdefault(form_key, form_default)

page_style()
st.html(narrow_css(WIDE_TABLE_WIDTHS))
root = bank_root()
bank = current_bank()
st.title("Question bank", anchor=False)

if bank.errors:
    with st.expander(f"⚠️ {len(bank.errors)} problem(s) in the bank files: those questions are not loaded",
                     expanded=True, key="bank_errors_panel"):
        st.markdown(problem_list([(" › ".join(filter(None, (e.file, e.field))), e.message) for e in bank.errors]))

if state["bank_notice"]:
    st.success(state["bank_notice"])
    state["bank_notice"] = None

def keep_grid_edits() -> None:
    """Leaving the form: fold the grid's pending edits into the rows, so coming back shows them.  A question
    waiting for "Discard them" is not loaded after all: the mentor went elsewhere."""
    replace_rows(editor_rows())
    state["bank_form_pending"] = None


st.radio("Section", [BROWSE, FORM, IMPORT], key="bank_section", horizontal=True, label_visibility="collapsed",
         on_change=keep_grid_edits)


# ------------------------------------------------------------------ form state


def points_rows(item: Item) -> list[dict]:
    return [
        {"id": p.id, "label": p.label, "weight": p.weight, "hint": p.hint,
         "evidence": "; ".join(p.evidence), "concepts": ", ".join(p.concepts)}
        for p in item.rubric.points
    ]


def load_form(item: Item | None) -> None:
    """Fill the form from ``item`` (edit) or empty it (new)."""
    for key, value in {**FORM_DEFAULTS, **POINT_FIELD_DEFAULTS}.items():
        state[key] = value
    state["bank_form_points_rows"] = []
    state["bank_form_rubric_extra"] = {}
    state["bank_form_mode"] = "new"
    state["bank_form_original_id"] = None
    state["bank_form_saved_id"] = None
    state["bank_form_directive_chosen"] = item is not None  # a saved question's directive was chosen
    if item is not None:
        q = item.question
        state.update({
            "bank_form_id": q.id, "bank_form_paper": q.paper, "bank_form_topic": q.topic,
            "bank_form_marks": q.marks, "bank_form_word_limit": q.word_limit,
            "bank_form_time_limit": q.time_limit_minutes, "bank_form_directive": q.directive,
            "bank_form_text": q.text, "bank_form_model_answer": q.model_answer, "bank_form_source": q.source,
            "bank_form_tags": ", ".join(q.tags),
        })
        state["bank_form_points_rows"] = points_rows(item)
        if item.rubric.policy != "weighted":
            state["bank_form_rubric_extra"] = {
                "policy": item.rubric.policy, "bands": [b.model_dump() for b in item.rubric.bands]}
        state["bank_form_mode"] = "edit"
        state["bank_form_original_id"] = q.id
    state["bank_form_points_version"] += 1
    state["bank_section"] = FORM
    state["bank_form_pending"] = None
    state["bank_form_baseline"] = form_snapshot(state, editor_rows())


def form_question_data(values: Mapping[str, Any] = state) -> dict:
    """The question's fields as the form holds them (``values``: the session's, or another form's)."""
    data = {
        "id": values["bank_form_id"].strip(),
        "paper": values["bank_form_paper"],
        "topic": values["bank_form_topic"],
        "marks": int(values["bank_form_marks"]),
        "directive": values["bank_form_directive"],
        "text": values["bank_form_text"],
        "model_answer": values["bank_form_model_answer"],
        "source": values["bank_form_source"],
        "tags": [t.strip() for t in values["bank_form_tags"].split(",") if t.strip()],
    }
    if values["bank_form_word_limit"]:
        data["word_limit"] = int(values["bank_form_word_limit"])
    if values["bank_form_time_limit"]:
        data["time_limit_minutes"] = int(values["bank_form_time_limit"])
    return data


# ------------------------------------------------------------------ unsaved changes
#
# The form holds one question.  "Edit this question" and "Start a new question" fill it with another, so
# when the form holds changes not yet saved they ask first ("Discard them" / "Keep editing"): no click
# loses what the mentor typed.


def form_snapshot(values: Mapping[str, Any], rows: list[dict]) -> dict:
    """What the form holds, as it would be saved, and the "Add a point" fields: two snapshots differ only when
    the mentor changed something (a weight of 2 or "2.0", a stray space, are the same)."""
    question = form_question_data(values)
    chosen = bool(values.get("bank_form_directive_chosen"))
    if not chosen:
        del question["directive"]  # it follows the question's words
    new_point = {key: str(values[key]).strip() for key in POINT_FIELD_DEFAULTS if key != "bank_point_weight"}
    return {
        "question": question,
        "directive_chosen": chosen,
        "points": [point_data({c: _cell(r.get(c)) for c in POINT_COLUMNS}) for r in rows],
        "new_point": {**new_point, "weight": float(values["bank_point_weight"])},
    }


EMPTY_FORM = {**FORM_DEFAULTS, **POINT_FIELD_DEFAULTS, "bank_form_directive_chosen": False}


def unsaved_changes() -> bool:
    """Whether the form holds anything not saved: a new question begun, or a change to the one loaded."""
    baseline = state["bank_form_baseline"] or form_snapshot(EMPTY_FORM, [])
    return form_snapshot(state, editor_rows()) != baseline


def unsaved_name() -> str:
    """The question whose changes are not saved, as the mentor knows it."""
    if state["bank_form_mode"] == "edit":
        return str(state["bank_form_original_id"])
    typed = state["bank_form_id"].strip()
    return f"a new question ({typed})" if typed else "a new question"


def open_in_form(question_id: str | None) -> None:
    """ "Edit this question" (``question_id``) or "Start a new question" (None): fill the form, but first ask
    ("Discard them" / "Keep editing") when that would drop unsaved changes."""
    if unsaved_changes():
        if (question_id is not None and state["bank_form_mode"] == "edit"
                and state["bank_form_original_id"] == question_id):
            state["bank_section"] = FORM  # the question being edited: back to it, changes and all
            state["bank_form_pending"] = None
        else:
            state["bank_form_pending"] = {"load": question_id}
        return
    load_form(bank.items.get(question_id) if question_id else None)


def discard_and_load() -> None:
    """ "Discard them": the question waiting is loaded (if it is still in the bank)."""
    pending = state["bank_form_pending"] or {}
    question_id = pending.get("load")
    if question_id is not None and question_id not in bank.items:
        state["bank_form_pending"] = None
        state["bank_notice"] = f"{question_id} is no longer in the bank; your changes are still in the form."
        return
    load_form(bank.items[question_id] if question_id else None)


def keep_editing() -> None:
    state["bank_form_pending"] = None
    state["bank_section"] = FORM


def ask_before_discarding(where: str) -> None:
    """The question "Edit this question" or "Start a new question" is waiting to load, while the form has
    unsaved changes: discard them, or keep editing.  ``where``: "browse" or "form", for the keys."""
    pending = state["bank_form_pending"]
    if pending is None:
        return
    if not unsaved_changes():  # saved (or undone) meanwhile: nothing to lose, nothing to ask
        state["bank_form_pending"] = None
        return
    question_id = pending.get("load")
    instead = f"edit {question_id}" if question_id else "start a new question"
    with st.container(border=True, key=f"bank_unsaved_{where}"):
        st.warning(f"You have unsaved changes to {escape_markdown(unsaved_name())}. Discard them to "
                   f"{escape_markdown(instead)}, or keep editing?", icon=":material/warning:")
        with st.container(horizontal=True):  # side by side, on a phone too
            st.button("Keep editing", key=f"bank_unsaved_{where}_keep", type="primary", on_click=keep_editing)
            st.button("Discard them", key=f"bank_unsaved_{where}_discard", on_click=discard_and_load)


def _cell(value) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    return str(value).strip()


def evidence_phrases(cell: str) -> list[str]:
    """The evidence cell of the points table: phrases separated by ';' or new lines."""
    return [p.strip() for p in cell.replace("\n", ";").split(";") if p.strip()]


def point_data(cells: dict[str, str]) -> dict:
    """One rubric point's fields from its cells (text, as the table and the "Add a point" fields hold them)."""
    point: dict = {"id": cells["id"], "label": cells["label"], "hint": cells["hint"]}
    if cells["weight"]:
        try:
            point["weight"] = float(cells["weight"])
        except ValueError:
            point["weight"] = cells["weight"]
    point["evidence"] = evidence_phrases(cells["evidence"])
    point["concepts"] = [c.strip() for c in cells["concepts"].split(",") if c.strip()]
    return point


def rubric_data(frame: pd.DataFrame) -> dict:
    """Rubric points from the editor's rows (blank rows are skipped)."""
    points = []
    for row in frame.to_dict("records"):
        cells = {c: _cell(row.get(c)) for c in POINT_COLUMNS}
        if any(cells.values()):
            points.append(point_data(cells))
    return {**state["bank_form_rubric_extra"], "points": points}


def form_started() -> bool:
    """Whether the mentor has entered anything yet: a new, untouched form lists no problems."""
    if state["bank_form_mode"] == "edit" or state["bank_form_directive_chosen"]:
        return True
    return bool(editor_rows()) or any(state.get(key) != value for key, value in FORM_DEFAULTS.items()
                                      if key != "bank_form_directive")  # that one follows the text


def form_field_name(field: str) -> str:
    """A fault's field as the form names it: ``model_answer`` is "Model answer", ``point 2 › weight`` is
    "Rubric point 2 › weight" (the points table's column), ``tag 3`` is "Tags"."""
    first, _, rest = field.partition(" › ")
    if first.startswith("point ") and first[6:].isdigit():
        return f"Rubric {first}" + (f" › {rest}" if rest else "")
    if first.startswith("tag ") and first[4:].isdigit():
        first = "tags"
    name = FORM_FIELD_NAMES.get(first, first)
    return f"{name} › {rest}" if rest else name


def validate(question_data: dict, rubric: dict) -> tuple[Item | None, list[tuple[str, str]]]:
    """The item if the form is valid, and every fault at once as (the field's label, the problem)."""
    question, errors = parse_question("question", question_data)
    item = None
    if question is not None:
        item, errors = build_item(question, rubric, "rubric", bank.concepts)
    else:  # name the rubric's faults as well, so one look shows everything to fix
        errors = [*errors, *rubric_errors("rubric", rubric, bank.concepts)]
    question_id, text = question_data["id"], question_data["text"]
    if state["bank_form_mode"] == "new" and question_id in bank.items:
        errors = [*errors, BankError("question", "id", f"{question_id!r} is already in the bank; "
                                                       "open it from Browse and choose Edit")]
        item = None
    twin = question_with_text(text, bank.items, other_than=question_id) if text.strip() else None
    if twin is not None:
        errors = [*errors, BankError("question", "text", f"the same question is already in the bank as {twin!r}; "
                                                         "open it from Browse and choose Edit")]
        item = None
    return item, [(form_field_name(e.field), e.message) for e in errors]


# ------------------------------------------------------------------ browse


def forget_pending() -> None:
    """Another question picked: the one waiting for "Discard them" is not loaded after all."""
    state["bank_form_pending"] = None


def show_browse() -> None:
    items = sorted(bank.items.values(), key=lambda i: (i.question.paper, i.question.topic, i.id))
    if not items:
        st.info("The bank is empty. Add a question or import a file.")
        return
    cols = st.columns([3, 2])
    search = cols[0].text_input("Search", key="bank_search", placeholder="words in the question, topic or tags")
    papers = cols[1].multiselect("Paper", PAPERS, key="bank_filter_paper")
    words = search.lower().split()
    shown = [
        i for i in items
        if (not papers or i.question.paper in papers)
        and all(w in f"{i.question.text} {i.question.topic} {i.id} {' '.join(i.question.tags)}".lower() for w in words)
    ]
    table = pd.DataFrame([{"id": i.id, "paper": i.question.paper, "topic": i.question.topic, "marks": i.question.marks,
                           "directive": i.question.directive, "points": len(i.rubric.points),
                           "question": i.question.text} for i in shown], columns=list(BANK_COLUMNS))
    wide_or_compact("bank_table", table, BANK_COLUMNS, table, COMPACT_BANK_COLUMNS)
    ids = [i.id for i in shown]
    if state.get("bank_pick") not in ids:
        state["bank_pick"] = None
    # the question's words first (a phone shows only the start of an option; the compact table has no ids)
    words = {i.id: shortened(" ".join(i.question.text.split()), 90) for i in shown}
    st.selectbox("Open a question", ids, key="bank_pick", placeholder=f"{len(ids)} question(s)",
                 format_func=lambda qid: f"{words[qid]} — {qid}", on_change=forget_pending)
    item = bank.items.get(state.get("bank_pick") or "")
    if item is None:
        return
    q = item.question
    with st.container(border=True, key="bank_detail"):
        st.caption(f"{escape_markdown(q.id)} · {q.paper} · {escape_markdown(q.topic)} · {q.marks} marks · "
                   f"{q.word_limit} words · {q.time_limit_minutes} min · {escape_markdown(q.directive)}")
        st.html(text_html(q.text, css_class="mains-question"))
        with st.expander("Model answer", key="bank_detail_model_answer"):
            st.html(text_html(q.model_answer))
        points = pd.DataFrame(points_rows(item), columns=POINT_COLUMNS)
        wide_or_compact("bank_detail_points", points, POINT_TABLE_COLUMNS, points, COMPACT_POINT_COLUMNS)
        if q.source:
            st.caption(f"Source: {escape_markdown(q.source)}")
    left, right = st.columns(2)
    left.button("Edit this question", key="bank_edit", on_click=open_in_form, args=(item.id,))
    with right:
        confirm = st.checkbox("Yes, delete this question and its rubric", key="bank_delete_confirm")
        if st.button("Delete", key="bank_delete", disabled=not confirm):
            delete_item(root, item.id)
            state["bank_just_deleted"] = True  # the next run unticks the confirm box
            state["bank_notice"] = f"Deleted {item.id}. Past attempts at it stay in history."
            st.rerun()
    ask_before_discarding("browse")


# ------------------------------------------------------------------ add / edit


def editor_rows() -> list[dict]:
    """The points table as the mentor sees it now: the stored rows plus the editor's pending edits
    (applied as Streamlit does: edits, then deletions, then added rows)."""
    rows = [dict(r) for r in state["bank_form_points_rows"]]
    delta = state.get(f"bank_form_points_{state['bank_form_points_version']}") or {}
    for index, changes in (delta.get("edited_rows") or {}).items():
        if 0 <= int(index) < len(rows):
            rows[int(index)].update(changes)
    deleted = {int(i) for i in delta.get("deleted_rows") or []}
    rows = [r for i, r in enumerate(rows) if i not in deleted]
    rows += [dict(r) for r in delta.get("added_rows") or []]
    return [{c: r.get(c) for c in POINT_COLUMNS} for r in rows if any(_cell(v) for v in r.values())]


def replace_rows(rows: list[dict]) -> None:
    state["bank_form_points_rows"] = rows
    state["bank_form_points_version"] += 1  # a fresh editor shows the new rows


def point_problems(row: dict, rows: list[dict]) -> list[str]:
    """What stops ``row`` joining the points ``rows``, all at once: the rules of the bank, unknown concepts,
    a taken id."""
    problems = []
    point = point_data({c: _cell(v) for c, v in row.items()})
    try:
        RubricPoint.model_validate(point, context=BANK_RULES)
    except ValidationError as exc:
        for error in validation_errors("point", exc):
            name = POINT_FIELD_NAMES.get(error.field.split(" ")[0])
            problems.append(f"{name}: {error.message}" if name else error.message)
    problems += [f"Concept ids: unknown concept {ref!r}" for ref in point["concepts"] if ref not in bank.concepts]
    if row["id"] and row["id"] in {_cell(r.get("id")) for r in rows}:
        problems.append(f"Point id: the rubric already has a point {row['id']!r}; give this one its own id")
    return problems


def add_point() -> None:
    """The "Add a point" fields: a keyboard-friendly way to add a row to the table, checked before it joins."""
    row = {
        "id": state["bank_point_id"].strip(), "label": state["bank_point_label"].strip(),
        "weight": float(state["bank_point_weight"]), "hint": state["bank_point_hint"].strip(),
        "evidence": state["bank_point_evidence"].strip(), "concepts": state["bank_point_concepts"].strip(),
    }
    if not any(row[c] for c in ("id", "label", "hint", "evidence", "concepts")):
        state["bank_point_problems"] = ["Nothing to add yet: fill in the point id, label, hint and evidence "
                                        "phrases (or concept ids)."]
        return
    rows = editor_rows()
    problems = point_problems(row, rows)
    if problems:
        state["bank_point_problems"] = ["This point was not added:", *problems]
        return
    replace_rows([*rows, row])
    for key, value in POINT_FIELD_DEFAULTS.items():
        state[key] = value


def directive_chosen() -> None:
    """The mentor picked a directive: it no longer follows the question's words."""
    state["bank_form_directive_chosen"] = True


def evidence_of(row: dict) -> set[str]:
    return {phrase.lower() for phrase in evidence_phrases(str(row.get("evidence") or ""))}


def apply_suggestions() -> None:
    """Suggested points join the table, except those a point already there covers: the same id or evidence, or a
    model-answer sentence that has a point's evidence ("Kaladan" by hand: no "kaladan multimodal project")."""
    rows = editor_rows()
    taken = {r.get("id") for r in rows}
    known = set().union(*(evidence_of(r) for r in rows)) if rows else set()
    model_answer = state["bank_form_model_answer"] or ""
    suggested = suggest_points(model_answer, question=state["bank_form_text"] or "", known_evidence=known)
    if model_answer.strip() and not suggested and rows:
        state["bank_notice"] = "Nothing new to suggest: each sentence of the model answer makes a point already here."
        return
    for point in suggested:
        if point.id in taken or {e.lower() for e in point.evidence} & known:
            continue
        rows.append({"id": point.id, "label": point.label, "weight": point.weight, "hint": point.hint,
                     "evidence": "; ".join(point.evidence), "concepts": ", ".join(point.concepts)})
    replace_rows(rows)
    if not suggested:
        state["bank_notice"] = "No points could be suggested: write the model answer first."


def save(item: Item) -> None:
    editing = state["bank_form_mode"] == "edit"
    try:
        save_item(root, item, overwrite=editing)
    except BankWriteError as exc:
        st.error(str(exc))
        return
    state["bank_form_mode"] = "edit"
    state["bank_form_original_id"] = item.id
    state["bank_form_saved_id"] = item.id
    state["bank_form_baseline"] = form_snapshot(state, editor_rows())  # saved: nothing unsaved now
    state["bank_notice"] = f"Saved {item.id}. It can be practised now."
    st.rerun()


def practise_now(question_id: str) -> None:
    state["practice_question_id"] = question_id
    state["practice_attempt_id"] = None
    state["practice_pick"] = question_id


def show_form() -> None:
    editing = state["bank_form_mode"] == "edit"
    top = st.columns([4, 1], vertical_alignment="bottom")
    top[0].subheader(f"Editing {state['bank_form_original_id']}" if editing else "New question")
    top[1].button("Start a new question", key="bank_form_new", on_click=open_in_form, args=(None,))
    ask_before_discarding("form")
    if state["bank_form_saved_id"] and state["bank_form_saved_id"] in bank.items:
        if st.button("Practise it now", key="bank_form_practise", on_click=practise_now,
                     args=(state["bank_form_saved_id"],)):
            st.switch_page("app_pages/practice.py")

    cols = st.columns(3)
    cols[0].text_input("Id", key="bank_form_id", disabled=editing,
                       help="Lower-case letters, digits, '-' or '_'; it names the files.")
    cols[1].selectbox("Paper", PAPERS, key="bank_form_paper")
    cols[2].text_input("Topic", key="bank_form_topic")
    # No bounds on the numbers: a browser keeps a value out of bounds to itself (a red "!" on the box) and
    # the problem list could not say what is wrong; the question's own rules name it ("Marks: must be more than 0").
    cols = st.columns(4)
    cols[0].number_input("Marks", step=1, key="bank_form_marks")
    cols[1].number_input("Word limit (0 = from the marks)", step=10, key="bank_form_word_limit")
    cols[2].number_input("Minutes (0 = from the marks)", step=1, key="bank_form_time_limit")
    named = directive_named(state["bank_form_text"] or "")
    following = not state["bank_form_directive_chosen"] and named is not None
    if following:  # before the select box is drawn: it shows the directive the question's words give
        state["bank_form_directive"] = named
    cols[3].selectbox("Directive", list(DIRECTIVES), key="bank_form_directive", on_change=directive_chosen)
    st.caption(escape_markdown(DIRECTIVES.get(state["bank_form_directive"], ""))
               + (" (taken from the question text)" if following else ""))
    st.text_area("Question text", key="bank_form_text", height=100)
    st.text_area("Model answer", key="bank_form_model_answer", height=220)
    cols = st.columns(2)
    cols[0].text_input("Source", key="bank_form_source", help="Where the facts come from.")
    cols[1].text_input("Tags (comma-separated)", key="bank_form_tags")

    st.markdown("**Rubric points**: evidence phrases separated by `;`, concept ids by `,`.")
    st.button("Suggest points from the model answer", key="bank_form_suggest", on_click=apply_suggestions)
    source = pd.DataFrame(state["bank_form_points_rows"], columns=POINT_COLUMNS).astype(
        {"id": object, "label": object, "weight": "float", "hint": object, "evidence": object, "concepts": object})
    edited = st.data_editor(
        source,
        num_rows="dynamic",
        hide_index=True,
        key=f"bank_form_points_{state['bank_form_points_version']}",
        column_config={
            # pixel widths that add up to less than the form's 820 px at a 1280 px screen, so all six show
            "id": st.column_config.TextColumn("id", help="Lower-case, e.g. jwg", width=90),
            "label": st.column_config.TextColumn("label", width=160),
            # unbounded: the grid would clamp 150 to 100 without a word; the problem list names it instead
            "weight": st.column_config.NumberColumn("weight", step=0.5, default=1.0, width=70),
            "hint": st.column_config.TextColumn("hint", width=160),
            "evidence": st.column_config.TextColumn("evidence", help="Phrases separated by ;", width=200),
            "concepts": st.column_config.TextColumn("concepts", help="Concept ids separated by ,", width=90),
        },
    )
    with st.expander("Add a point", key="bank_point_panel"):
        cols = st.columns([1, 2, 1])
        cols[0].text_input("Point id", key="bank_point_id", placeholder="e.g. jwg")
        cols[1].text_input("Label", key="bank_point_label")
        cols[2].number_input("Weight", step=0.5, key="bank_point_weight")  # unbounded, as above: refused by name
        st.text_input("Hint (one sentence: what was missing)", key="bank_point_hint")
        cols = st.columns([3, 1])
        cols[0].text_input("Evidence phrases (separated by ;)", key="bank_point_evidence")
        cols[1].text_input("Concept ids (separated by ,)", key="bank_point_concepts")
        st.button("Add this point", key="bank_point_add", on_click=add_point)
        point_problems_shown = state.pop("bank_point_problems", None)
        if point_problems_shown:
            head, *rest = point_problems_shown
            st.error("\n".join([escape_markdown(head), *(f"- {escape_markdown(p)}" for p in rest)]))
    if bank.concepts:
        st.caption("Known concepts: " + escape_markdown(", ".join(sorted(bank.concepts))))

    item, problems = validate(form_question_data(), rubric_data(edited))
    with st.container(key="bank_form_validation"):
        if not form_started():
            st.info("Fill in the question and its rubric: anything missing is listed here as you go.")
        elif not problems:
            st.success("The question and its rubric are valid.")
        else:
            st.error(f"{len(problems)} problem(s) to fix before saving:\n\n" + problem_list(problems))

    st.subheader("Preview", anchor=False)
    st.text_area("Sample answer", key="bank_form_sample", height=150,
                 placeholder="Paste an answer to see how the rubric marks it.")
    if st.button("Score the sample answer", key="bank_form_preview", disabled=item is None):
        feedback = current_scorer().score(item, state.get("bank_form_sample") or "")
        state["bank_form_preview_result"] = (item.version, state.get("bank_form_sample"), feedback)
    preview = state.get("bank_form_preview_result")
    if preview and item is not None and preview[0] == item.version and preview[1] == state.get("bank_form_sample"):
        feedback = preview[2]
        with st.container(border=True, key="bank_form_preview_box"):
            st.metric("Sample marks", format_marks(feedback.marks, feedback.max_marks))
            for point in feedback.points:
                st.markdown(f"{STATUS_ICON[point.status]} {escape_markdown(point.label)}")
            for flag in feedback.flags:
                st.caption(escape_markdown(flag.message))

    if st.button("Save question", key="bank_form_save", type="primary", disabled=item is None) and item is not None:
        save(item)


# ------------------------------------------------------------------ import


#: The import's table of rows: what each row is and whether it can be added; why a row is refused is
#: listed below it in full (a cell cut the reasons short).
IMPORT_COLUMNS = {
    "row": st.column_config.NumberColumn("Row", width=60),
    "id": st.column_config.TextColumn("Id", width=200),
    "status": st.column_config.TextColumn("Status", width=80),
}


def import_report(rows: list[dict]) -> None:
    """Each row's status in a table, then every refused row's reasons, whole, in a list."""
    st.dataframe(pd.DataFrame(rows, columns=list(IMPORT_COLUMNS)), hide_index=True, key="bank_import_report",
                 column_config=IMPORT_COLUMNS)
    refused = [r for r in rows if r["status"] == "refused"]
    if refused:
        with st.container(key="bank_import_reasons"):
            st.markdown("**Why rows were refused**")
            st.markdown("\n".join(
                f"- **Row {r['row']}**" + (f" ({escape_markdown(r['id'])})" if r["id"] else "") + ":\n"
                + "\n".join(f"    - {escape_markdown(' '.join(why.split()))}" for why in r["why"])
                for r in refused))


def show_import() -> None:
    with st.expander("File formats", key="bank_import_help"):
        st.markdown(
            "**CSV**: one row per question with the columns `id, paper, topic, marks, directive, text, "
            "model_answer, points` (optional `source, tags, word_limit, time_limit_minutes`), separated by "
            "commas (semicolons or tabs, as Excel saves them in some countries, work too). "
            "`points` holds the rubric points as JSON or YAML, e.g. "
            "`[{\"id\": \"jwg\", \"label\": \"Joint Working Group\", \"weight\": 2, "
            "\"hint\": \"Name the Joint Working Group.\", \"evidence\": [\"JWG\"]}]`. "
            "Every point needs a hint: what an aspirant reads when the point is missed.\n\n"
            "**YAML**: `questions:` a list of question fields, each with `rubric: {points: [...]}`.\n\n"
            f"UTF-8 text, at most {MAX_IMPORT_BYTES // (1024 * 1024)} MB. Every row is checked before anything "
            "is written: if any row is refused, nothing is imported unless you choose to add only the valid rows."
        )
    upload = st.file_uploader("Bank file (CSV or YAML)", type=["csv", "yaml", "yml"], key="bank_import_file",
                              max_upload_size=MAX_IMPORT_BYTES // 2**20 + 1)  # over the limit: refused with a message
    if upload is None:
        return
    data = upload.getvalue()
    upload_key = hashlib.sha256(upload.name.encode() + b"\0" + data).hexdigest()
    done = state.get("bank_import_done")
    if done and done[0] == upload_key:
        st.success(f"Imported {len(done[1])} question(s). They can be practised now.")
        import_report(done[2])
        return
    report = parse_bank_upload(upload.name, data, concepts=bank.concepts, existing_ids=bank.items.keys(),
                               existing_texts={qid: item.question.text for qid, item in bank.items.items()})
    if report.file_errors:
        st.error("Nothing was imported. " + " ".join(escape_markdown(e) for e in report.file_errors))
        return
    rows = [{"row": r.row, "id": r.id, "status": r.status, "why": list(r.reasons)} for r in report.rows]
    refused = len(report.refused)
    if refused and report.items:
        st.warning(f"{refused} of {len(report.rows)} row(s) refused, so nothing has been imported yet. "
                   "Fix them and upload again, or import only the valid rows.")
    elif refused:
        st.warning(f"{refused} of {len(report.rows)} row(s) refused, so nothing can be imported. "
                   "Fix what the list below the table names, then upload the file again.")
    else:
        st.info(f"All {len(report.rows)} row(s) are valid and ready to import.")
    import_report(rows)
    only_valid = False
    if refused and report.items:
        only_valid = st.checkbox("Import only the valid rows", key="bank_import_partial")
    if st.button("Import", key="bank_import_go", type="primary", disabled=not (report.ok or only_valid)):
        try:
            added = add_items(root, report.items)
        except BankWriteError as exc:
            st.error(f"Nothing was imported: {exc}")
            return
        added_set = set(added)
        final = [{**r, "status": "added" if r["id"] in added_set and r["status"] == "ready" else r["status"]}
                 for r in rows]
        state["bank_import_done"] = (upload_key, added, final)
        st.rerun()


section = state["bank_section"]
if section == BROWSE:
    show_browse()
elif section == FORM:
    show_form()
else:
    show_import()
