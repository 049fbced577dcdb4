"""The feature-table contract: real feature tables pass; each planted break is reported with the
table, column and rule, and the entity_id of the offending row among the examples.

GX costs about a second per validation whatever the size, so the breaks of each entity are
planted together (each on rows and columns of its own) and validated once.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from data_contracts.errors import Finding
from data_contracts.features import (
    FINITE,
    NOT_EXTRA,
    NOT_NAN,
    NUMERIC,
    PRESENT,
    UNIQUE,
    YYYY_MM,
    range_rule,
    validate_feature_table,
)
from features.build import build_feature_set
from features.dictionary import feature_units

# per entity: column -> what to plant; the provider breaks are checked against the period
# passed in, the person breaks against the table's most common period
PLANTS = {
    "provider": {
        "nan": "fund_paid",
        "inf": "fund_growth",
        "share": "drug_share",
        "count": "n_claims",
        "missing": "rule_hit_rate",
        "ratio": "drug_share__peer_ratio",
        "signed_ratio": "fund_growth__peer_ratio",
        "text": "lines_per_claim",
    },
    "person": {
        "nan": "fund_paid",
        "inf": "drug_units_per_day",
        "share": "off_hours_share",
        "count": "n_claims",
        "missing": "age",
        "flag": "female",
        "text": "inpatient_days",
    },
}


@pytest.fixture(scope="module")
def feature_set(tiny_tables):
    period = tiny_tables["claims"]["settle_time"].max().strftime("%Y-%m")
    return build_feature_set(tiny_tables, period)


def _finding(findings: list[Finding], column: str, rule: str) -> Finding:
    hits = [f for f in findings if f.column == column and f.rule.startswith(rule)]
    assert len(hits) == 1, f"expected one finding on {column} / {rule!r}, got: {[(f.column, f.rule) for f in findings]}"
    return hits[0]


def _ids(finding: Finding) -> list[object]:
    return [example["entity_id"] for example in finding.examples]


@pytest.mark.parametrize("entity", ["provider", "person"])
def test_real_feature_tables_pass(feature_set, entity):
    table = feature_set.table(entity)
    report = validate_feature_table(table, entity, feature_units(entity), period=feature_set.period)
    assert report.ok, report.to_text()
    assert report.rows == {f"features.{entity}": len(table)} and len(table) > 0
    assert report.checks_run >= 10
    assert "OK" in report.to_text()


@pytest.mark.parametrize("entity", ["provider", "person"])
def test_planted_breaks_are_named(feature_set, entity):
    table = feature_set.table(entity).copy()
    plant = PLANTS[entity]
    ids = table["entity_id"].tolist()
    table.loc[0, plant["nan"]] = np.nan
    table.loc[1, plant["inf"]] = np.inf
    table.loc[2, plant["share"]] = 1.5
    table.loc[3, plant["count"]] = -1.0
    table.loc[4, "entity_id"] = ids[5]
    table.loc[6, "period"] = "2019-07"
    table.loc[7, "period"] = "2025-13"
    if "flag" in plant:
        table.loc[8, plant["flag"]] = 0.5
    if "ratio" in plant:
        table.loc[8, plant["ratio"]] = -0.5
        table.loc[9, plant["signed_ratio"]] = -5.0  # the peer ratio of a log ratio may be negative
    table[plant["text"]] = table[plant["text"]].astype(str)
    table = pd.concat([table.drop(columns=[plant["missing"]]), pd.Series(1.0, table.index, name="surprise")], axis=1)
    period = feature_set.period if entity == "provider" else None
    report = validate_feature_table(table, entity, feature_units(entity), period=period)
    findings = report.findings
    name = f"features.{entity}"
    assert not report.ok and {f.table for f in findings} == {name}

    assert ids[0] in _ids(_finding(findings, plant["nan"], NOT_NAN))
    assert ids[1] in _ids(_finding(findings, plant["inf"], FINITE))
    share = _finding(findings, plant["share"], "in [0, 1] (share)")
    assert ids[2] in _ids(share) and share.failed_rows == 1 and share.examples[0][plant["share"]] == 1.5
    assert ids[3] in _ids(_finding(findings, plant["count"], "≥ 0 (claims)"))
    unique = _finding(findings, "entity_id", UNIQUE)
    assert unique.failed_rows == 2 and _ids(unique) == [ids[5], ids[5]]
    assert [e["row"] for e in unique.examples] == [5, 6]
    assert _ids(_finding(findings, "period", YYYY_MM)) == [ids[7]]
    assert _ids(_finding(findings, "period", "one period for the whole table")) == [ids[6], ids[7]]
    text = _finding(findings, plant["text"], NUMERIC)
    assert text.failed_rows == len(table) and ids[0] in _ids(text)
    assert _finding(findings, plant["missing"], PRESENT).failed_rows == 0
    _finding(findings, "surprise", NOT_EXTRA)
    if "flag" in plant:
        assert _ids(_finding(findings, plant["flag"], "0 or 1 (flag)")) == [ids[8]]
    if "ratio" in plant:
        assert _ids(_finding(findings, plant["ratio"], "≥ 0 (ratio)")) == [ids[8]]
        assert not [f for f in findings if f.column == plant["signed_ratio"]]
        assert not [f for f in findings if f.column == plant["inf"] and f.rule != FINITE]  # log ratios are open

    text_report = report.to_text()
    assert f'{name}.{plant["share"]} — rule "in [0, 1] (share)": 1 of {len(table):,} rows breaks it' in text_report
    assert f"entity_id={ids[2]}" in text_report
    assert report.to_dict()["findings"][0]["table"] == name


def test_an_empty_table_and_an_unknown_entity():
    empty = pd.DataFrame(columns=["entity_id", "period", *feature_units("person")]).astype(
        {c: "float64" for c in feature_units("person")}
    )
    report = validate_feature_table(empty, "person", feature_units("person"))
    assert [(f.column, f.rule) for f in report.findings] == [(None, "at least one row")]
    with pytest.raises(ValueError, match="entity must be one of"):
        validate_feature_table(empty, "doctor", {})


def test_every_unit_of_the_dictionary_has_a_range():
    for entity in ("provider", "person"):
        units = feature_units(entity)
        assert len(units) > 40
        for column in units:
            range_rule(column, units)  # raises for a unit the contract does not know
