"""Every contract rule, checked through GX: the sample passes, and each planted break is reported
with its table, column, rule and the key of the offending row.

GX takes a second or two per validation whatever the size, so the breaks are planted together
in one dataset (each on rows of its own, so they do not mask one another) and validated once.
"""

from __future__ import annotations

import datetime
import json
import os

import pandas as pd
import pytest

from data_contracts import ContractViolation, validate_dataset, validate_tables

TODAY = datetime.date(2024, 6, 30)


def _add(frame: pd.DataFrame, *rows: dict) -> pd.DataFrame:
    """Append rows that copy the first row except for the given values."""
    base = frame.iloc[0].to_dict()
    return pd.concat([frame, pd.DataFrame([{**base, **row} for row in rows])], ignore_index=True)


def _broken_masters(tables: dict[str, pd.DataFrame]) -> None:
    tables["providers"] = _add(
        tables["providers"],
        {"provider_id": "P001"},
        {"provider_id": "P005", "level": 4},
        {"provider_id": "P006", "provider_type": "clinic", "level": 2, "beds": 0},
        {"provider_id": "P007", "provider_type": "pharmacy", "level": 1, "beds": 5},
        {"provider_id": "P008", "level": None},
        {"provider_id": "P009", "provider_type": "lab", "level": None},
        {"provider_id": "P010", "ownership": "state"},
        {"provider_id": "P011", "staff": -1},
        {"provider_id": "P012", "beds": -3},
        {"provider_id": "P013", "region": None},
        {"provider_id": "P014", "staff": None},
    )
    tables["insured"] = _add(
        tables["insured"],
        {"person_id": "I004", "sex": "X"},
        {"person_id": "I005", "birth_date": pd.Timestamp("2030-01-01")},
        {"person_id": "I006", "scheme": "gold"},
        {"person_id": "I003"},
    )
    tables["catalog"] = _add(
        tables["catalog"],
        {"item_code": "X001", "item_type": "device"},
        {"item_code": "X002", "coverage_class": "D"},
        {"item_code": "X003", "sex_restriction": "U"},
        {"item_code": "X004", "reference_price": 0.0},
        {"item_code": "X005", "max_daily_quantity": 0.0},
        {"item_code": "X006", "bundle_code": "NOPE"},
        {"item_code": "D001"},
    )


def _broken_claims(tables: dict[str, pd.DataFrame]) -> None:
    """Claims C1xx break one claim rule each; lines of C200 break one line rule each.

    Added rows copy the first claim (an outpatient visit on 2024-03-01) and its first line
    (30 yuan on that day) except where stated.
    """
    zero = {"total_amount": 0.0, "fund_paid": 0.0, "personal_account_paid": 0.0, "self_paid": 0.0}
    day = pd.Timestamp("2024-04-01")
    tables["claims"] = _add(
        tables["claims"],
        {"claim_id": "C101", "setting": "home", **zero},
        {
            "claim_id": "C102",
            "setting": "inpatient",
            "admit_date": day,
            "discharge_date": day - pd.Timedelta(days=2),
            **zero,
        },
        {"claim_id": "C103", "discharge_date": pd.Timestamp("2024-03-02"), **zero},
        {"claim_id": "C104", "setting": "pharmacy", "diagnosis": None, **zero},
        {"claim_id": "C105", "setting": "pharmacy", "doctor_id": None, **zero},
        {"claim_id": "C106", "total_amount": 30.0, "fund_paid": 10.0, "personal_account_paid": 10.0, "self_paid": 5.0},
        {"claim_id": "C107", "total_amount": 100.0, "fund_paid": 100.0, "personal_account_paid": 0.0, "self_paid": 0.0},
        {"claim_id": "C108", "person_id": "I999", **zero},
        {"claim_id": "C109", "provider_id": "P999", **zero},
        {"claim_id": "C110", "total_amount": 30.0, "fund_paid": -5.0, "personal_account_paid": 25.0, "self_paid": 10.0},
        {"claim_id": "C111", "settle_time": None, **zero},
        {
            "claim_id": "C200",
            "admit_date": day,
            "discharge_date": day,
            "total_amount": 199.0,
            "fund_paid": 199.0,
            "personal_account_paid": 0.0,
            "self_paid": 0.0,
        },
    )
    line = {
        "claim_id": "C200",
        "service_date": day,
        "item_code": "S001",
        "quantity": 1.0,
        "unit_price": 30.0,
        "amount": 30.0,
    }
    tables["claim_items"] = _add(
        tables["claim_items"],
        {"claim_id": "C106", "line_no": 1},
        {"claim_id": "C107", "line_no": 1},
        {"claim_id": "C110", "line_no": 1},
        {**line, "line_no": 0},
        {**line, "line_no": 2, "quantity": 0.0, "amount": 0.0},
        {**line, "line_no": 3, "unit_price": -1.0, "amount": -1.0},
        {**line, "line_no": 4, "amount": 50.0},
        {**line, "line_no": 5},
        {**line, "line_no": 5},
        {**line, "line_no": 6, "item_code": "ZZZ"},
        {**line, "line_no": 7, "service_date": pd.Timestamp("2024-04-03")},
        {**line, "claim_id": "C999", "line_no": 1},
    )
    # C200's lines: 30 (line 0) + 0 + -1 + 50 + 30 + 30 + 30 + 30 = 199


def _broken_labels(labels: pd.DataFrame) -> pd.DataFrame:
    return _add(
        labels,
        {"entity_type": "clinic", "entity_id": "P002"},
        {"entity_id": "P002", "period": "2024-13"},
        {"entity_id": "P003", "outcome": "maybe"},
        {"entity_id": "P002", "amount_recovered": -5.0},
        {"entity_type": "person", "entity_id": "P001"},
        {"entity_id": "P003", "period": None},
    )


@pytest.fixture(scope="module")
def broken(tmp_path_factory, make_tables, make_labels, write_tables):
    tables = make_tables()
    _broken_masters(tables)
    _broken_claims(tables)
    folder = write_tables(tables, tmp_path_factory.mktemp("broken"), "csv")
    _broken_labels(make_labels()).to_csv(folder / "labels.csv", index=False)
    return validate_dataset(folder, folder / "labels.csv", today=TODAY)


EXPECTED = [  # table, column, words of the rule, key of a row that must be among the examples
    ("providers", "provider_id", "unique", {"provider_id": "P001"}),
    ("providers", "level", "1, 2 or 3 for hospitals", {"provider_id": "P005"}),
    ("providers", "level", "1 for clinics", {"provider_id": "P006"}),
    ("providers", "level", "null for pharmacies", {"provider_id": "P007"}),
    ("providers", "beds", "0 for pharmacies", {"provider_id": "P007"}),
    ("providers", "provider_type", "one of hospital, clinic, pharmacy", {"provider_id": "P009"}),
    ("providers", "ownership", "one of public, private", {"provider_id": "P010"}),
    ("providers", "staff", "≥ 0", {"provider_id": "P011"}),
    ("providers", "beds", "≥ 0", {"provider_id": "P012"}),
    ("providers", "region", "not null", {"provider_id": "P013"}),
    ("insured", "sex", "one of F, M", {"person_id": "I004"}),
    ("insured", "birth_date", "not in the future (after 2024-06-30)", {"person_id": "I005"}),
    ("insured", "scheme", "one of employee, resident", {"person_id": "I006"}),
    ("insured", "person_id", "unique", {"person_id": "I003"}),
    ("catalog", "item_type", "one of drug, service, material", {"item_code": "X001"}),
    ("catalog", "coverage_class", "one of A, B, C", {"item_code": "X002"}),
    ("catalog", "sex_restriction", "F, M or empty", {"item_code": "X003"}),
    ("catalog", "reference_price", "> 0", {"item_code": "X004"}),
    ("catalog", "max_daily_quantity", "> 0 where set", {"item_code": "X005"}),
    ("catalog", "bundle_code", "an item_code in catalog where set", {"item_code": "X006", "bundle_code": "NOPE"}),
    ("catalog", "item_code", "unique", {"item_code": "D001"}),
    ("claims", "setting", "one of outpatient, inpatient, pharmacy", {"claim_id": "C101"}),
    ("claims", "discharge_date", "≥ admit_date", {"claim_id": "C102"}),
    ("claims", "discharge_date", "= admit_date outside inpatient care", {"claim_id": "C103"}),
    ("claims", "doctor_id", "null for pharmacy purchases", {"claim_id": "C104"}),
    ("claims", "diagnosis", "null for pharmacy purchases", {"claim_id": "C105"}),
    (
        "claims",
        "total_amount",
        "total = fund_paid + personal_account_paid + self_paid (±0.01)",
        {"claim_id": "C106", "total_amount": 30.0, "self_paid": 5.0},
    ),
    (
        "claims",
        "total_amount",
        "total = sum of the claim's claim_items amounts (±0.01)",
        {"claim_id": "C107", "total_amount": 100.0, "line_sum": 30.0},
    ),
    ("claims", "person_id", "a person_id in insured", {"claim_id": "C108", "person_id": "I999"}),
    ("claims", "provider_id", "a provider_id in providers", {"claim_id": "C109", "provider_id": "P999"}),
    ("claims", "fund_paid", "≥ 0", {"claim_id": "C110"}),
    ("claims", "settle_time", "not null", {"claim_id": "C111"}),
    ("claim_items", "line_no", "≥ 1", {"claim_id": "C200", "line_no": 0}),
    ("claim_items", "quantity", "> 0", {"claim_id": "C200", "line_no": 2}),
    ("claim_items", "unit_price", "≥ 0", {"claim_id": "C200", "line_no": 3}),
    ("claim_items", "amount", "amount = quantity × unit_price (±0.01)", {"claim_id": "C200", "line_no": 4}),
    ("claim_items", "line_no", "unique within a claim", {"claim_id": "C200", "line_no": 5}),
    ("claim_items", "item_code", "an item_code in catalog", {"claim_id": "C200", "line_no": 6}),
    (
        "claim_items",
        "service_date",
        "within the claim's admit_date..discharge_date",
        {"claim_id": "C200", "line_no": 7, "service_date": "2024-04-03", "claim_admit_date": "2024-04-01"},
    ),
    ("claim_items", "claim_id", "a claim_id in claims", {"claim_id": "C999", "line_no": 1}),
    ("labels", "entity_type", "one of provider, person", {"entity_type": "clinic", "entity_id": "P002"}),
    ("labels", "period", "YYYY-MM", {"entity_id": "P002", "period": "2024-13"}),
    ("labels", "outcome", "one of fraud, clean", {"entity_id": "P003", "outcome": "maybe"}),
    ("labels", "amount_recovered", "≥ 0 and finite", {"entity_id": "P002", "amount_recovered": -5.0}),
    (
        "labels",
        "entity_id",
        "a provider_id in providers (entity_type provider) or person_id in insured (person)",
        {"entity_type": "person", "entity_id": "P001"},
    ),
    ("labels", "period", "not null", {"entity_id": "P003", "period": None}),
]


@pytest.mark.parametrize(("table", "column", "rule", "key"), EXPECTED, ids=[f"{t}.{c}:{r}" for t, c, r, _ in EXPECTED])
def test_each_broken_rule_is_reported(broken, table, column, rule, key):
    matches = [f for f in broken.findings if (f.table, f.column, f.rule) == (table, column, rule)]
    assert len(matches) == 1, [(f.table, f.column, f.rule) for f in broken.findings]
    finding = matches[0]
    planted = 2 if rule.startswith("unique") else 1  # a duplicate shows on both of its rows
    assert finding.failed_rows == planted and len(finding.examples) == planted
    assert finding.total_rows > planted
    assert any(key.items() <= example.items() for example in finding.examples), finding.examples


def test_nothing_else_is_reported(broken):
    expected = {(t, c, r) for t, c, r, _ in EXPECTED}
    assert {(f.table, f.column, f.rule) for f in broken.findings} == expected


def test_sample_dataset_is_clean_as_csv_and_parquet(tables, write, make_labels):
    for fmt in ("csv", "parquet"):
        folder = write(tables, fmt)
        make_labels().to_csv(folder / "labels.csv", index=False)
        report = validate_dataset(folder, folder / "labels.csv", today=TODAY)
        assert report.ok, report.to_text()
        assert report.checks_run >= 80 and report.rows["claim_items"] == 7 and report.rows["labels"] == 2


def test_validation_writes_nothing(tables, write, tmp_path, monkeypatch):
    folder = write(tables, "parquet")
    monkeypatch.chdir(tmp_path)
    before = sorted(str(p) for p in tmp_path.rglob("*"))
    validate_dataset(folder, today=TODAY)
    assert sorted(str(p) for p in tmp_path.rglob("*")) == before
    assert not os.path.exists("gx") and not os.path.exists("great_expectations")


def test_report_forms(broken):
    data = json.loads(broken.to_json())
    assert data["ok"] is False and len(data["findings"]) == len(EXPECTED)
    assert set(data["findings"][0]) == {"table", "column", "rule", "failed_rows", "total_rows", "examples"}
    text = broken.to_text()
    assert text.startswith(f"Contract check of {broken.dataset} (labels: ")
    assert (
        'claims.total_amount — rule "total = fund_paid + personal_account_paid + self_paid (±0.01)": '
        "1 of 16 rows breaks it, e.g."
    ) in text
    assert "row 10: claim_id=C106 total_amount=30 fund_paid=10 personal_account_paid=10 self_paid=5" in text
    with pytest.raises(ContractViolation) as caught:
        broken.raise_for_violations()
    assert len(caught.value.findings) == len(EXPECTED)


def test_in_memory_tables_and_tolerance(make_tables):
    tables = make_tables()
    tables["claims"].loc[0, "fund_paid"] += 0.009  # within ±0.01 of the total: fine
    tables["claim_items"].loc[0, "amount"] += 0.02  # breaks amount = quantity × unit_price and the claim sum
    report = validate_tables(tables, today=TODAY)
    assert {(f.table, f.column) for f in report.findings} == {("claim_items", "amount"), ("claims", "total_amount")}
    assert report.findings[0].examples[0]["claim_id"] == "C001"
