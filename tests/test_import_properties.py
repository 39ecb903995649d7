"""Property tests (hypothesis) for the bank importer: it never raises, and its report is deterministic."""

from __future__ import annotations

import csv
import io

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scoring.importing import REQUIRED_CSV_COLUMNS, parse_bank_upload
from tests.scoring_support import bank

BUDGET = settings(max_examples=120, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
CONCEPTS = bank().concepts

cell = st.one_of(st.text(max_size=40), st.sampled_from(["GS2", "10", "15", "discuss", "[]", "{", "- a", "ij-x"]))
row = st.fixed_dictionaries({column: cell for column in REQUIRED_CSV_COLUMNS})


def _csv_bytes(rows: list[dict], delimiter: str = ",") -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=REQUIRED_CSV_COLUMNS, delimiter=delimiter)
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8", errors="surrogatepass")


def _check(report) -> None:
    for item_row in report.rows:
        assert item_row.status in ("ready", "refused")
        assert item_row.status == "ready" or item_row.reasons, "a refused row must say why"
    assert len(report.items) == sum(r.status == "ready" for r in report.rows)


@BUDGET
@given(st.binary(max_size=600), st.sampled_from(["bank.csv", "bank.yaml", "bank.yml", "bank.txt"]))
def test_any_bytes_give_a_report_never_an_exception(data, name):
    report = parse_bank_upload(name, data, concepts=CONCEPTS)
    _check(report)
    if not name.endswith((".csv", ".yaml", ".yml")):
        assert report.file_errors and not report.items


@BUDGET
@given(st.lists(row, max_size=5))
def test_csv_rows_of_random_cells_are_each_reported(rows):
    data = _csv_bytes(rows)
    report = parse_bank_upload("bank.csv", data, concepts=CONCEPTS, existing_ids=set(bank().items))
    _check(report)
    if rows and not report.file_errors:
        assert len(report.rows) == len(rows)
    again = parse_bank_upload("bank.csv", data, concepts=CONCEPTS, existing_ids=set(bank().items))
    assert again.rows == report.rows


@BUDGET
@given(st.lists(row, max_size=4), st.sampled_from([";", "\t"]))
def test_a_csv_saved_with_semicolons_or_tabs_reads_as_the_same_csv_with_commas(rows, delimiter):
    with_commas = parse_bank_upload("bank.csv", _csv_bytes(rows), concepts=CONCEPTS)
    other = parse_bank_upload("bank.csv", _csv_bytes(rows, delimiter), concepts=CONCEPTS)
    assert (other.file_errors, other.rows) == (with_commas.file_errors, with_commas.rows)
    assert [i.version for i in other.items] == [i.version for i in with_commas.items]


@BUDGET
@given(st.text(max_size=500))
def test_any_yaml_text_gives_a_report(text):
    report = parse_bank_upload("bank.yaml", text.encode("utf-8", errors="surrogatepass"), concepts=CONCEPTS)
    _check(report)
