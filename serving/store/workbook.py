"""The Excel workbook of inspection lists: formatted, one sheet per entity type, same bytes for
the same list (fixed zip dates and core properties); and `excel_safe`, which every spreadsheet
fundguard writes (this workbook, the month's CSV files, the app's exports) passes through."""

from __future__ import annotations

import io
import re
import zipfile

import numpy as np
import pandas as pd

FIXED_ZIP_DATE = (2000, 1, 1, 0, 0, 0)
SHEET_NAMES = {"provider": "providers 机构", "person": "persons 人员"}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # what Excel, LibreOffice and Sheets read as a formula


def excel_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` with every text cell that a spreadsheet would run as a formula (beginning with =, +,
    -, @, tab or CR) turned into plain text by a leading single quote: provider names, regions and
    notes come from the agency's export and a reviewer's typing, and `=HYPERLINK(...)` in a region
    must not become a live link (or worse) in a supervisor's Excel. Only text cells change:
    numbers, negative ones included, stay numbers. The frame passed in is left as it was."""
    out = frame
    for column in frame.columns:
        dtype = frame[column].dtype
        if not (
            pd.api.types.is_object_dtype(dtype)
            or pd.api.types.is_string_dtype(dtype)
            or isinstance(dtype, pd.CategoricalDtype)
        ):
            continue
        values = frame[column].astype(object).to_numpy()
        risky = np.fromiter((isinstance(v, str) and v.startswith(FORMULA_START) for v in values), bool, len(values))
        if risky.any():
            values = values.copy()
            values[risky] = ["'" + v for v in values[risky]]
            out = frame.copy() if out is frame else out
            out[column] = pd.Series(values, index=frame.index, dtype=object)
    return out


def export_bytes(table: pd.DataFrame, entity: str, fmt: str) -> bytes:
    """A list as the app exports it: CSV (UTF-8 with BOM, so Excel reads 中文) or a workbook,
    `excel_safe` either way. A plain function of plain arguments, so it can run in another process."""
    if fmt == "csv":
        return excel_safe(table).to_csv(index=False, lineterminator="\n").encode("utf-8-sig")
    return workbook_bytes({entity: table})


def workbook_bytes(lists: dict[str, pd.DataFrame]) -> bytes:
    """A formatted workbook, one sheet per entity type: header, filters, frozen panes, widths;
    text cells made `excel_safe` (no cell of it is a formula)."""
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for entity, table in lists.items():
            sheet = SHEET_NAMES.get(entity, entity)
            excel_safe(table).to_excel(writer, sheet_name=sheet, index=False)
            _format_sheet(writer.sheets[sheet], table)
    return _stable_zip(buffer.getvalue())


def _format_sheet(ws, table: pd.DataFrame) -> None:
    from openpyxl.styles import Alignment, Font, PatternFill

    ws.freeze_panes = "E2"
    ws.auto_filter.ref = ws.dimensions
    for cell in ws[1]:
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor="1F4E79")
    widths = {"reasons": 90, "entity_id": 14, "peer_group": 22}
    wrap = Alignment(wrap_text=True, vertical="top")
    for idx, col in enumerate(table.columns, start=1):
        letter = ws.cell(row=1, column=idx).column_letter
        ws.column_dimensions[letter].width = widths.get(col, max(10, min(24, len(col) + 2)))
        fmt = "0.000" if col.endswith("_score") else "#,##0.00" if col == "amount_at_risk" else None
        if fmt is None and col != "reasons":
            continue  # only formatted columns are walked cell by cell (a city's person list: 127k rows)
        for (cell,) in ws.iter_rows(min_row=2, max_row=ws.max_row, min_col=idx, max_col=idx):
            if fmt:
                cell.number_format = fmt
            if col == "reasons":
                cell.alignment = wrap


def _stable_zip(data: bytes) -> bytes:
    """Re-pack an xlsx with fixed entry dates, so the same list gives the same bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            info = zipfile.ZipInfo(item.filename, date_time=FIXED_ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            body = src.read(item.filename)
            if item.filename == "docProps/core.xml":  # openpyxl stamps the save time here
                body = re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*", rb"\g<1>2000-01-01T00:00:00Z", body)
            dst.writestr(info, body)
    return out.getvalue()
