"""Loading a dataset folder: types, file choice, and every class of unreadable input."""

from __future__ import annotations

import json

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from data_contracts import ContractViolation, load_dataset, load_labels, validate_dataset


def _violation(path) -> ContractViolation:
    with pytest.raises(ContractViolation) as caught:
        load_dataset(path)
    return caught.value


def _only(violation: ContractViolation, table: str, column: str | None = None):
    found = [f for f in violation.findings if f.table == table and f.column == column]
    assert len(found) == 1, violation.findings
    return found[0]


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_loads_typed_tables(tables, write, fmt):
    loaded = load_dataset(write(tables, fmt))
    assert list(loaded) == ["providers", "insured", "catalog", "claims", "claim_items"]
    claims, providers, items = loaded["claims"], loaded["providers"], loaded["claim_items"]
    assert claims["admit_date"].dtype == "datetime64[ns]" and claims["settle_time"].dtype == "datetime64[ns]"
    assert claims["settle_time"].iloc[0] == pd.Timestamp("2024-03-01 10:15:00")
    assert claims["out_of_area"].dtype == bool and claims["out_of_area"].tolist() == [False, True, False, False]
    assert providers["level"].dtype == "Int64" and providers["level"].isna().tolist() == [False, False, True]
    assert providers["beds"].dtype == "Int64" and items["line_no"].dtype == "int64"  # beds may be unknown
    assert claims["total_amount"].dtype == "float64"
    assert pd.api.types.is_string_dtype(claims["claim_id"]) and claims["doctor_id"].isna().sum() == 1
    assert providers["region"].tolist() == ["320102", "320102", "320104"]  # codes stay text


def test_a_table_in_two_files_is_a_finding(tables, write):
    folder = write(tables, "csv")
    changed = dict(tables, providers=tables["providers"].assign(staff=[1, 2, 3]))
    changed["providers"].to_parquet(folder / "providers.parquet", index=False)
    finding = _only(_violation(folder), "providers")
    assert "one file per table" in finding.rule and "providers.csv" in finding.rule


def test_extra_columns_and_tables_are_allowed(tables, write):
    folder = write(dict(tables, claims=tables["claims"].assign(note="x")), "csv")
    (folder / "notes.csv").write_text("a,b\n1,2\n")
    loaded = load_dataset(folder)
    assert "note" not in loaded["claims"].columns and "notes" not in loaded


def test_missing_folder(tmp_path):
    finding = _only(_violation(tmp_path / "nowhere"), "dataset")
    assert "does not exist" in finding.rule


def test_path_that_is_a_file(tmp_path):
    (tmp_path / "file.csv").write_text("x\n")
    assert "is not a folder" in _only(_violation(tmp_path / "file.csv"), "dataset").rule


def test_missing_table(tables, write):
    folder = write(tables)
    (folder / "claims.csv").unlink()
    finding = _only(_violation(folder), "claims")
    assert finding.rule == "table file present (claims.csv or claims.parquet)"


def test_zero_byte_file(tables, write):
    folder = write(tables)
    (folder / "insured.csv").write_bytes(b"")
    assert _only(_violation(folder), "insured").rule == "file is empty (0 bytes)"


def test_header_only_csv(tables, write):
    folder = write(tables)
    (folder / "catalog.csv").write_text(",".join(tables["catalog"].columns) + "\n")
    assert _only(_violation(folder), "catalog").rule == "file has a header but no data rows"


def test_parquet_without_rows(tables, write):
    folder = write(dict(tables, claim_items=tables["claim_items"].iloc[:0]), "parquet")
    assert _only(_violation(folder), "claim_items").rule == "file has no rows"


def test_missing_required_column(tables, write):
    folder = write(dict(tables, providers=tables["providers"].drop(columns=["beds"])))
    finding = _only(_violation(folder), "providers", "beds")
    assert finding.rule == "required column present"


def test_letters_in_an_integer_column(tables, write):
    providers = tables["providers"].astype({"beds": object})
    providers.loc[1, "beds"] = "many"
    finding = _only(_violation(write(dict(tables, providers=providers))), "providers", "beds")
    assert finding.rule.startswith("type integer") and (finding.failed_rows, finding.total_rows) == (1, 3)
    assert finding.examples == [{"row": 2, "provider_id": "P002", "beds": "many"}]


def test_fraction_in_an_integer_key_column(tables, write):
    items = tables["claim_items"].astype({"line_no": object})
    items.loc[3, "line_no"] = "2.5"
    finding = _only(_violation(write(dict(tables, claim_items=items))), "claim_items", "line_no")
    assert finding.examples == [{"row": 4, "claim_id": "C002", "line_no": "2.5"}]


def test_unparseable_dates(tables, write):
    claims = tables["claims"].astype({"admit_date": object})
    claims.loc[0, "admit_date"], claims.loc[2, "admit_date"] = "2024-02-30", "yesterday"
    finding = _only(_violation(write(dict(tables, claims=claims))), "claims", "admit_date")
    assert finding.rule.startswith("type date") and finding.failed_rows == 2
    assert [(e["claim_id"], e["admit_date"]) for e in finding.examples] == [
        ("C001", "2024-02-30"),
        ("C003", "yesterday"),
    ]


def test_csv_that_is_not_utf8(tables, write):
    folder = write(tables)
    text = (folder / "catalog.csv").read_text().replace("gauze", "纱布")
    (folder / "catalog.csv").write_bytes(text.encode("gbk"))
    finding = _only(_violation(folder), "catalog", "item_name")
    assert finding.rule == "file is UTF-8 text" and (finding.failed_rows, finding.total_rows) == (1, 6)
    assert finding.examples[0]["row"] == 5 and finding.examples[0]["item_code"] == "M001"
    assert "\\x" in finding.examples[0]["item_name"]


@pytest.mark.parametrize("words", [["true", "True", "FALSE", "0"], ["1", "0", "1", "false"]])
def test_csv_booleans(tables, write, words):
    folder = write(dict(tables, claims=tables["claims"].assign(out_of_area=words)))
    assert load_dataset(folder)["claims"]["out_of_area"].tolist() == [w.lower() in ("true", "1") for w in words]


def test_unreadable_boolean(tables, write):
    folder = write(dict(tables, claims=tables["claims"].assign(out_of_area=["yes", "false", "true", "false"])))
    finding = _only(_violation(folder), "claims", "out_of_area")
    assert finding.examples == [{"row": 1, "claim_id": "C001", "out_of_area": "yes"}]


def test_malformed_csv(tables, write):
    folder = write(tables)
    with (folder / "insured.csv").open("a") as handle:
        handle.write("I004,F,1990-01-01,employee,320102,surplus,fields\n")
    assert _only(_violation(folder), "insured").rule.startswith("file is well-formed CSV")


def test_corrupt_parquet(tables, write):
    folder = write(tables, "parquet")
    (folder / "providers.parquet").write_bytes(b"PAR1 this is not parquet")
    assert _only(_violation(folder), "providers").rule.startswith("file is a readable Parquet file")


def test_every_loading_problem_is_reported_at_once(tables, write):
    folder = write(dict(tables, providers=tables["providers"].drop(columns=["staff"])))
    (folder / "claim_items.csv").unlink()
    assert {(f.table, f.column) for f in _violation(folder).findings} == {("providers", "staff"), ("claim_items", None)}


def test_bom_and_padding_are_tolerated(tables, write):
    folder = write(tables)
    text = (folder / "catalog.csv").read_text().replace("12.5,", " 12.5 ,")
    (folder / "catalog.csv").write_bytes(b"\xef\xbb\xbf" + text.encode())
    assert load_dataset(folder)["catalog"]["reference_price"].iloc[0] == 12.5


def test_labels_with_optional_columns_left_out(tmp_path, make_labels):
    path = tmp_path / "labels.csv"
    make_labels().drop(columns=["pattern", "amount_recovered"]).to_csv(path, index=False)
    labels = load_labels(path)
    assert labels["amount_recovered"].isna().all() and labels["amount_recovered"].dtype == "float64"
    assert labels["pattern"].isna().all()


def test_missing_labels_file(tmp_path):
    with pytest.raises(ContractViolation) as caught:
        load_labels(tmp_path / "labels.csv")
    assert caught.value.findings[0].table == "labels" and "does not exist" in caught.value.findings[0].rule


def test_parquet_types_are_checked_too(tables, write):
    folder = write(tables, "parquet")
    arrow = pa.table(
        {**{c: tables["insured"][c] for c in tables["insured"].columns}, "birth_date": pa.array([1.5, 2.5, 3.5])}
    )
    pq.write_table(arrow, folder / "insured.parquet")
    assert _only(_violation(folder), "insured", "birth_date").failed_rows == 3


def test_validate_dataset_reports_loading_problems(tables, write):
    folder = write(tables)
    (folder / "insured.csv").write_bytes(b"")
    report = validate_dataset(folder, folder / "no_labels.csv")
    assert not report.ok and report.checks_run == 0
    missing_labels = f"labels file {folder / 'no_labels.csv'} does not exist"
    assert {(f.table, f.rule) for f in report.findings} == {
        ("insured", "file is empty (0 bytes)"),
        ("labels", missing_labels),
    }
    assert json.loads(report.to_json())["findings"][0]["table"] in {"insured", "labels"}
    text = report.to_text()
    assert "could not be loaded (2 problem(s)), so no rules were checked" in text
    assert 'insured — rule "file is empty (0 bytes)"' in text
