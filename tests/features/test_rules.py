"""Audit rules: each rule fires on a hand-made case and stays quiet on its near miss."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from features.audit_checks import CHECKS
from features.audit_rules import HIT_COLUMNS, Rule, evaluate_rules, load_rules, rule_counts, rules_doc, rules_version

START, END = "2026-01-01", "2026-02-01"
RULES = {rule.id: rule for rule in load_rules()}

CATALOG = pd.DataFrame(
    {
        "item_code": ["REG", "GYN", "PSA", "PKG", "C1", "C2", "PKG2", "D1", "DRUG", "INJ", "BED"],
        "item_name": ["reg", "gyn", "psa", "panel", "c1", "c2", "panel2", "d1", "drug", "inj", "bed"],
        "item_type": ["service"] * 8 + ["drug", "drug", "service"],
        "coverage_class": ["A"] * 11,
        "sex_restriction": [None, "F", "M", None, None, None, None, None, None, None, None],
        "reference_price": [6.0, 30.0, 90.0, 60.0, 20.0, 20.0, 600.0, 300.0, 50.0, 24.0, 60.0],
        "max_daily_quantity": [1, 1, 1, 1, 1, 1, 1, 1, None, 4, 1],
        "bundle_code": [None, None, None, None, "PKG", "PKG", None, "PKG2", None, None, None],
    }
).astype({"item_code": "str", "sex_restriction": "str", "bundle_code": "str", "max_daily_quantity": float})
INSURED = pd.DataFrame(
    {
        "person_id": [f"P{k}" for k in range(1, 9)],
        "sex": list("FMFMFMFM"),
        "birth_date": pd.to_datetime(["1980-01-01"] * 8),
        "scheme": ["employee"] * 8,
        "region": ["A"] * 8,
    }
).astype({"person_id": "str", "sex": "str"})
PROVIDERS = pd.DataFrame(
    {
        "provider_id": ["H1", "H2", "K1", "K2", "PH1"],
        "provider_type": ["hospital", "hospital", "clinic", "clinic", "pharmacy"],
        "region": ["A", "B", "A", "A", "B"],
    }
).astype({"provider_id": "str", "region": "str"})


def claim(
    cid: str,
    person: str = "P1",
    provider: str = "H1",
    setting: str = "outpatient",
    day: str = "2026-01-10",
    discharge: str | None = None,
    settle: str | None = None,
    dx: str | None = "J06.9",
    total: float = 100.0,
    fund: float = 60.0,
) -> dict:
    """One claim row; settled at 10:00 on its discharge day unless `settle` says otherwise."""
    discharge = discharge or day
    return {
        "claim_id": cid,
        "person_id": person,
        "provider_id": provider,
        "doctor_id": None,
        "setting": setting,
        "admit_date": day,
        "discharge_date": discharge,
        "settle_time": settle or f"{discharge} 10:00",
        "diagnosis": dx,
        "drg": None,
        "total_amount": total,
        "fund_paid": fund,
        "personal_account_paid": 0.0,
        "self_paid": total - fund,
        "out_of_area": False,
    }


def line(cid: str, no: int, item: str, qty: float = 1.0, price: float = 10.0, day: str = "2026-01-10") -> dict:
    return {
        "claim_id": cid,
        "line_no": no,
        "item_code": item,
        "quantity": qty,
        "unit_price": price,
        "amount": round(qty * price, 2),
        "service_date": day,
    }


def frames(claims: list[dict], lines: list[dict]) -> tuple[pd.DataFrame, pd.DataFrame]:
    c = pd.DataFrame(claims).astype(
        {"claim_id": "str", "person_id": "str", "provider_id": "str", "setting": "str", "diagnosis": "str"}
    )
    c = c.assign(
        admit_date=pd.to_datetime(c["admit_date"]),
        discharge_date=pd.to_datetime(c["discharge_date"]),
        settle_time=pd.to_datetime(c["settle_time"]),
    )
    columns = ["claim_id", "line_no", "item_code", "quantity", "unit_price", "amount", "service_date"]
    i = pd.DataFrame(lines, columns=columns).astype(
        {
            "claim_id": "str",
            "item_code": "str",
            "line_no": "int64",
            "quantity": float,
            "unit_price": float,
            "amount": float,
        }
    )
    return c, i.assign(service_date=pd.to_datetime(i["service_date"]))


def run(
    rule_ids: str | list[str], claims: list[dict], lines: list[dict] = (), start: str = START, end: str = END
) -> pd.DataFrame:
    ids = [rule_ids] if isinstance(rule_ids, str) else rule_ids
    c, i = frames(claims, list(lines))
    return evaluate_rules(c, i, CATALOG, INSURED, PROVIDERS, [RULES[k] for k in ids], start=start, end=end)


def hit_claims(hits: pd.DataFrame) -> list[str]:
    return sorted(hits["claim_id"].unique())


def hit_lines(hits: pd.DataFrame) -> list[tuple[str, int]]:
    return sorted(zip(hits["claim_id"], hits["line_no"].astype(int)))


# ---------------------------------------------------------------- one test per rule


def test_sex_restricted_item_hits_the_other_sex_only():
    claims = [claim("W", person="P1"), claim("M", person="P2"), claim("W2", person="P3"), claim("U", person="P99")]
    lines = [
        line("W", 1, "REG"),
        line("W", 2, "GYN"),  # female item on a woman: fine
        line("M", 1, "REG"),
        line("M", 2, "GYN"),  # female item on a man: hit
        line("W2", 1, "PSA"),  # male item on a woman: hit
        line("U", 1, "GYN"),
    ]  # unknown person: no verdict
    hits = run("R01_SEX_RESTRICTED_ITEM", claims, lines)
    assert hit_lines(hits) == [("M", 2), ("W2", 1)]
    assert hits.set_index("claim_id").loc["M", "amount"] == 10.0


def test_bundle_components_same_package_only():
    claims = [claim(k) for k in ("PARTS", "WITHPKG", "OTHER", "TWICE", "ALONE")]
    lines = [
        line("PARTS", 1, "C1"),
        line("PARTS", 2, "C2"),
        line("PARTS", 3, "REG"),
        line("WITHPKG", 1, "PKG"),
        line("WITHPKG", 2, "C1"),
        line("OTHER", 1, "C1"),
        line("OTHER", 2, "D1"),  # components of different bundles
        line("TWICE", 1, "C1"),
        line("TWICE", 2, "C1", day="2026-01-11"),  # one component twice
        line("ALONE", 1, "PKG"),
    ]
    hits = run("R02_BUNDLE_COMPONENTS", claims, lines)
    assert hit_lines(hits) == [("PARTS", 1), ("PARTS", 2), ("WITHPKG", 1), ("WITHPKG", 2)]


def test_price_above_reference_factor():
    factor = RULES["R03_PRICE_ABOVE_REFERENCE"].params["factor"]
    assert factor == pytest.approx(1.2)
    claims = [claim("A")]
    lines = [
        line("A", 1, "DRUG", price=50.0 * 1.21),
        line("A", 2, "DRUG", price=50.0 * 1.19),
        line("A", 3, "DRUG", price=50.0 * 1.2),
        line("A", 4, "XUNKNOWN", price=1e6),
    ]
    assert hit_lines(run("R03_PRICE_ABOVE_REFERENCE", claims, lines)) == [("A", 1)]


def test_quantity_above_daily_max_sums_per_claim_and_day():
    claims = [claim(k) for k in ("OVER", "AT", "DAYS", "NOMAX")] + [claim("OTHER")]
    lines = [
        line("OVER", 1, "INJ", qty=3),
        line("OVER", 2, "INJ", qty=2),  # 5 > 4: both lines
        line("AT", 1, "INJ", qty=2),
        line("AT", 2, "INJ", qty=2),  # 4 = 4: fine
        line("DAYS", 1, "INJ", qty=3),
        line("DAYS", 2, "INJ", qty=3, day="2026-01-11"),
        line("NOMAX", 1, "DRUG", qty=500),  # no limit set
        line("OTHER", 1, "INJ", qty=3),
    ]  # another claim
    hits = run("R04_QUANTITY_ABOVE_DAILY_MAX", claims, lines)
    assert hit_lines(hits) == [("OVER", 1), ("OVER", 2)]


def test_duplicate_line_flags_the_repeats():
    claims = [claim(k) for k in ("DUP", "DAYS", "DIFF")]
    lines = [
        line("DUP", 3, "REG"),
        line("DUP", 1, "REG"),
        line("DUP", 2, "REG"),
        line("DUP", 4, "BED"),
        line("DAYS", 1, "REG"),
        line("DAYS", 2, "REG", day="2026-01-11"),
        line("DIFF", 1, "REG"),
        line("DIFF", 2, "BED"),
    ]
    assert hit_lines(run("R05_DUPLICATE_LINE", claims, lines)) == [("DUP", 2), ("DUP", 3)]


def test_outpatient_prescription_over_300_counts_drug_lines_of_outpatient_claims():
    claims = [
        claim("BIG"),
        claim("MIXED"),
        claim("EXACT"),
        claim("IP", setting="inpatient"),
        claim("PH", provider="PH1", setting="pharmacy"),
    ]
    lines = [
        line("BIG", 1, "DRUG", qty=4, price=50.0),
        line("BIG", 2, "INJ", qty=3, price=50.0),  # 350
        line("MIXED", 1, "DRUG", qty=5, price=50.0),
        line("MIXED", 2, "REG", qty=1, price=100.0),
        line("EXACT", 1, "DRUG", qty=6, price=50.0),  # 300.00
        line("IP", 1, "DRUG", qty=10, price=50.0),
        line("PH", 1, "DRUG", qty=10, price=50.0),
    ]
    hits = run("R06_OUTPATIENT_RX_OVER_300", claims, lines)
    assert hit_claims(hits) == ["BIG"]
    assert hits["line_no"].isna().all() and hits["amount"].tolist() == [60.0]


def test_readmission_same_diagnosis_within_15_days_uses_history():
    max_days = RULES["R07_READMISSION_SAME_DX_15D"].params["max_days"]
    assert max_days == 15

    def stay(cid, person, admit, discharge, dx="I63.9"):
        return claim(cid, person=person, setting="inpatient", day=admit, discharge=discharge, dx=dx)

    claims = [
        stay("H1", "P1", "2025-12-01", "2025-12-20"),
        stay("R1", "P1", "2026-01-03", "2026-01-08"),  # 14 d
        stay("H2", "P2", "2025-12-01", "2025-12-20"),
        stay("R2", "P2", "2026-01-05", "2026-01-09"),  # 16 d
        stay("H3", "P3", "2025-12-01", "2025-12-25"),
        stay("R3", "P3", "2026-01-02", "2026-01-09", dx="J18.9"),  # other diagnosis
        stay("A4", "P4", "2026-01-02", "2026-01-06"),
        stay("B4", "P4", "2026-01-11", "2026-01-15"),
        stay("O5", "P5", "2025-11-01", "2025-11-10"),
        stay("Q5", "P5", "2025-11-15", "2025-11-20"),
        claim("OP", person="P6", day="2026-01-02"),
        stay("R6", "P6", "2026-01-05", "2026-01-09"),
    ]
    hits = run("R07_READMISSION_SAME_DX_15D", claims)
    # R1 follows a stay settled before the period (history); Q5 itself lies before the period
    assert hit_claims(hits) == ["B4", "R1"]


def test_large_bill_over_30k():
    claims = [
        claim("BIG", total=30000.01, fund=25000.0),
        claim("EDGE", total=30000.0),
        claim("OLD", total=90000.0, day="2025-12-30"),
    ]
    hits = run("R08_LARGE_BILL_30K", claims)
    assert hit_claims(hits) == ["BIG"] and hits["amount"].tolist() == [25000.0]


def test_multi_region_same_day():
    claims = [
        claim("A1", person="P1", provider="H1"),
        claim("A2", person="P1", provider="H2"),
        claim("B1", person="P2", provider="H1"),
        claim("B2", person="P2", provider="K1"),  # both region A
        claim("C1", person="P3", provider="H1"),
        claim("C2", person="P3", provider="H2", day="2026-01-11"),  # next day
        claim("D1", person="P4", provider="H1"),
        claim("D2", person="P4", provider="PH1", setting="pharmacy"),
    ]  # pharmacy
    assert hit_claims(run("R09_MULTI_REGION_SAME_DAY", claims)) == ["A1", "A2"]


def test_multi_region_same_day_counts_history_of_the_start_day():
    claims = [
        claim("EARLY", person="P1", provider="H2", settle="2026-01-10 09:00"),
        claim("LATE", person="P1", provider="H1", settle="2026-01-10 14:00"),
    ]
    hits = run("R09_MULTI_REGION_SAME_DAY", claims, start="2026-01-10 12:00")
    assert hit_claims(hits) == ["LATE"]


def test_night_settlement_window():
    claims = [
        claim("LATE", settle="2026-01-10 23:30"),
        claim("EARLY", settle="2026-01-10 05:59"),
        claim("SIX", settle="2026-01-10 06:00"),
        claim("EVENING", settle="2026-01-10 21:59"),
    ]
    assert hit_claims(run("R10_NIGHT_SETTLEMENT", claims)) == ["EARLY", "LATE"]


def test_identical_amount_burst():
    params = RULES["R11_IDENTICAL_AMOUNT_BURST"].params
    n = params["min_claims"]
    burst = [claim(f"K1-{k}", provider="K1", total=75.8) for k in range(n)]
    fewer = [claim(f"K2-{k}", provider="K2", total=75.8) for k in range(n - 1)]
    spread = [claim(f"H2-{k}", provider="H2", total=75.8, day=f"2026-01-{10 + k % 2}") for k in range(n)]
    pharmacy = [claim(f"PH-{k}", provider="PH1", setting="pharmacy", total=30.0) for k in range(n + 2)]
    diluted = [
        claim(f"H1-{k}", provider="H1", total=75.8 if k < n else 100.0 + k)
        for k in range(int(n / params["min_share"]) + 1)
    ]
    hits = run("R11_IDENTICAL_AMOUNT_BURST", burst + fewer + spread + pharmacy + diluted)
    assert hit_claims(hits) == sorted(c["claim_id"] for c in burst)


def test_inpatient_without_drugs():
    claims = [
        claim("GHOST", setting="inpatient", day="2026-01-03", discharge="2026-01-09"),
        claim("REAL", setting="inpatient", day="2026-01-03", discharge="2026-01-09"),
        claim("OP"),
    ]
    lines = [
        line("GHOST", 1, "BED", qty=6, day="2026-01-03"),
        line("REAL", 1, "BED", day="2026-01-03"),
        line("REAL", 2, "INJ", day="2026-01-04"),
        line("OP", 1, "REG"),
    ]
    assert hit_claims(run("R12_INPATIENT_WITHOUT_DRUGS", claims, lines)) == ["GHOST"]


def test_care_during_own_inpatient_stay():
    claims = [
        claim("STAY", person="P1", setting="inpatient", day="2026-01-05", discharge="2026-01-15"),
        claim("IN", person="P1", provider="K1", day="2026-01-10"),
        claim("BUY", person="P1", provider="PH1", setting="pharmacy", day="2026-01-12"),
        claim("ADMITDAY", person="P1", provider="K1", day="2026-01-05"),
        claim("LEAVEDAY", person="P1", provider="K1", day="2026-01-15"),
        claim("AFTER", person="P1", provider="K1", day="2026-01-20"),
        claim("OTHER", person="P2", provider="K1", day="2026-01-10"),
        # an interim settlement before the period still marks the stay
        claim(
            "OLD", person="P3", setting="inpatient", day="2025-12-28", discharge="2026-01-08", settle="2025-12-31 10:00"
        ),
        claim("IN3", person="P3", provider="K1", day="2026-01-03"),
    ]
    assert hit_claims(run("R13_CARE_DURING_OWN_STAY", claims)) == ["BUY", "IN", "IN3"]


# ---------------------------------------------------------------- the engine


def test_hits_frame_shape_and_history_claims_never_hit():
    claims = [
        claim("NOW", person="P2", total=40000.0, fund=30000.0),
        claim("OLD", person="P2", total=40000.0, day="2025-12-31"),
        claim("NEXT", person="P2", total=40000.0, day="2026-02-01"),
    ]
    lines = [line("NOW", 1, "GYN"), line("OLD", 1, "GYN", day="2025-12-31"), line("NEXT", 1, "GYN", day="2026-02-01")]
    c, i = frames(claims, lines)
    before = (c.copy(), i.copy())
    hits = evaluate_rules(c, i, CATALOG, INSURED, PROVIDERS, load_rules(), start=START, end=END)
    pd.testing.assert_frame_equal(c, before[0])
    pd.testing.assert_frame_equal(i, before[1])
    assert tuple(hits.columns) == HIT_COLUMNS
    assert str(hits["line_no"].dtype) == "Int64"
    assert set(hits["claim_id"]) == {"NOW"}
    assert set(hits["rule_id"]) == {"R01_SEX_RESTRICTED_ITEM", "R08_LARGE_BILL_30K"}
    big = hits[hits["rule_id"] == "R08_LARGE_BILL_30K"].iloc[0]
    assert pd.isna(big["line_no"]) and big["amount"] == 30000.0 and big["provider_id"] == "H1"
    assert big["settle_time"] == pd.Timestamp("2026-01-10 10:00")


def test_object_and_categorical_keys_give_the_same_hits():
    claims = [
        claim("A1", person="P1", provider="H1"),
        claim("A2", person="P1", provider="H2"),
        claim("M", person="P2", settle="2026-01-10 23:00"),
    ]
    lines = [line("M", 1, "GYN"), line("M", 2, "GYN")]
    c, i = frames(claims, lines)
    rules = load_rules()
    expected = evaluate_rules(c, i, CATALOG, INSURED, PROVIDERS, rules, start=START, end=END)
    keys = ["claim_id", "person_id", "provider_id", "setting"]
    for convert in ("object", "category"):
        hits = evaluate_rules(
            c.astype({k: convert for k in keys}),
            i.astype({"claim_id": convert, "item_code": convert}),
            CATALOG,
            INSURED,
            PROVIDERS,
            rules,
            start=START,
            end=END,
        )
        pd.testing.assert_frame_equal(hits, expected)
    assert set(expected["rule_id"]) == {
        "R01_SEX_RESTRICTED_ITEM",
        "R04_QUANTITY_ABOVE_DAILY_MAX",
        "R05_DUPLICATE_LINE",
        "R09_MULTI_REGION_SAME_DAY",
        "R10_NIGHT_SETTLEMENT",
    }


def test_no_claims_in_period_gives_empty_hits():
    hits = run(list(RULES), [claim("OLD", day="2025-11-01")], [line("OLD", 1, "GYN", day="2025-11-01")])
    assert hits.empty and tuple(hits.columns) == HIT_COLUMNS
    assert str(hits["line_no"].dtype) == "Int64"


# ---------------------------------------------------------------- rule_counts


def test_rule_counts_counts_rates_and_zeros():
    claims = [
        claim("A", provider="H1", person="P1", total=40000.0, settle="2026-01-10 23:00"),  # R08 + R10
        claim("B", provider="H1", person="P1", settle="2026-01-11 23:00"),  # R10
        claim("C", provider="H1", person="P3"),
        claim("D", provider="H1", person="P3"),
        claim("E", provider="K1", person="P5"),
    ]  # no hits
    lines = [line("A", 1, "REG"), line("A", 2, "REG")]  # R05 on A
    rules = [RULES[k] for k in ("R05_DUPLICATE_LINE", "R08_LARGE_BILL_30K", "R10_NIGHT_SETTLEMENT")]
    c, i = frames(claims, lines)
    hits = evaluate_rules(c, i, CATALOG, INSURED, PROVIDERS, rules, start=START, end=END)
    prov = rule_counts(hits, "provider", c, rules)
    assert prov.index.name == "provider_id" and list(prov.index) == ["H1", "K1"]
    assert prov.loc["H1", "rule_R10_NIGHT_SETTLEMENT_claims"] == 2
    assert prov.loc["H1", "rule_R10_NIGHT_SETTLEMENT_rate"] == pytest.approx(50.0)
    assert prov.loc["H1", "rule_R08_LARGE_BILL_30K_claims"] == 1
    assert prov.loc["H1", "rule_R05_DUPLICATE_LINE_rate"] == pytest.approx(25.0)
    assert prov.loc["H1", "rule_hits_total"] == 2 and prov.loc["H1", "rule_hit_rate"] == pytest.approx(50.0)
    assert (prov.loc["K1"] == 0).all()
    assert len(prov.columns) == 2 * len(rules) + 4
    # severity-weighted evidence: R05 (2) on one claim, R08 (1) on one, R10 (1) on two
    assert prov.loc["H1", "rule_evidence"] == pytest.approx(np.log(2) + 0.25 * np.log(2) + 0.25 * np.log(3))
    assert prov.loc["H1", "rule_severity_max"] == 2 and prov.loc["K1", "rule_evidence"] == 0
    person = rule_counts(hits, "person", c, rules)
    assert list(person.index) == ["P1", "P3", "P5"]
    assert person.loc["P1", "rule_hits_total"] == 2 and person.loc["P1", "rule_hit_rate"] == 100.0
    assert (person.loc[["P3", "P5"]] == 0).all().all()
    with pytest.raises(ValueError):
        rule_counts(hits, "doctor", c, rules)


def test_rule_counts_on_no_hits_keeps_every_rule_column():
    c, _ = frames([claim("A")], [])
    empty = pd.DataFrame({name: pd.Series([], dtype="str") for name in HIT_COLUMNS})
    counts = rule_counts(empty, "provider", c)
    assert list(counts.index) == ["H1"] and (counts == 0).all().all()
    assert counts.shape[1] == 2 * len(RULES) + 4


# ---------------------------------------------------------------- the rule table


def test_shipped_rules_cover_the_required_checks():
    checks = {rule.check for rule in RULES.values()}
    assert {
        "sex_restricted_item",
        "bundle_components",
        "price_above_reference",
        "quantity_above_daily_max",
        "duplicate_line",
        "outpatient_prescription_over",
        "readmission_same_diagnosis",
        "large_bill",
        "multi_region_same_day",
        "night_settlement",
        "identical_amount_burst",
        "inpatient_without_drugs",
    } <= checks
    assert all(isinstance(rule, Rule) and rule.patterns and 1 <= rule.severity <= 3 for rule in RULES.values())
    assert checks <= set(CHECKS)
    doc = rules_doc()
    assert [d["id"] for d in doc] == list(RULES) and all(d["name_zh"] and d["patterns"] for d in doc)
    assert rules_version().startswith("1-")


def _write(tmp_path: Path, rules: list[dict]) -> Path:
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump({"version": 1, "rules": rules}, allow_unicode=True), encoding="utf-8")
    return path


def _entry(**changes) -> dict:
    entry = {
        "id": "X1",
        "name_en": "x",
        "name_zh": "x",
        "check": "large_bill",
        "params": {"threshold": 1.0},
        "severity": 1,
        "level": "claim",
        "patterns": ["#18"],
        "source": "test",
    }
    return {**entry, **changes}


def test_load_rules_rejects_bad_tables(tmp_path):
    assert load_rules(_write(tmp_path, [_entry()]))[0].params == {"threshold": 1.0}
    with pytest.raises(ValueError, match="unknown check"):
        load_rules(_write(tmp_path, [_entry(check="no_such_check")]))
    with pytest.raises(ValueError, match="duplicate rule id"):
        load_rules(_write(tmp_path, [_entry(), _entry()]))
    with pytest.raises(ValueError, match="params"):
        load_rules(_write(tmp_path, [_entry(params={"treshold": 1.0})]))
    with pytest.raises(ValueError, match="severity"):
        load_rules(_write(tmp_path, [_entry(severity=5)]))
    with pytest.raises(ValueError, match="lacks"):
        load_rules(_write(tmp_path, [{"id": "X2", "check": "large_bill"}]))
