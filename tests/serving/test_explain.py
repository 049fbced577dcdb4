"""Explanations: SHAP adds up to the classifier, reasons agree with SHAP, words and numbers are right."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from features.schema import base_name
from models.explain import _by_tree, _tree_splits, shap_values
from models.risk import Blend, RiskModel
from models.supervised import is_trained
from serving.scoring.explain import contributions_table, drivers, reasons
from serving.scoring.sentences import format_value, sentence

FEATURES = [
    "identical_amount_max",
    "drug_share",
    "fund_paid",
    "fund_per_staff__peer_ratio",
    "night_share__peer_pct",
    "rule_R01_SEX_RESTRICTED_ITEM_claims",
]
OUTLIER = ["identical_amount_max", "fund_per_staff__peer_ratio", "fund_paid"]
GROUP = "hospital-L2@330102"
CJK = re.compile(r"[\u4e00-\u9fff]")


def provider_rows(n: int = 1200, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "entity_id": [f"H{i:04d}" for i in range(n)],
            "peer_group": np.where(np.arange(n) % 2 == 0, GROUP, "clinic-L1"),
            "identical_amount_max": rng.poisson(2, n).astype(float),
            "drug_share": rng.uniform(0.2, 0.7, n),
            "fund_paid": rng.lognormal(12, 0.5, n),
            "fund_per_staff__peer_ratio": rng.lognormal(0, 0.4, n),
            "night_share__peer_pct": rng.uniform(0, 1, n),
            "rule_R01_SEX_RESTRICTED_ITEM_claims": rng.poisson(0.2, n).astype(float),
        }
    ).set_index("entity_id", drop=False)
    logit = (
        0.8 * X["identical_amount_max"]
        + 2 * np.log(X["fund_per_staff__peer_ratio"])
        + 1.5 * X["rule_R01_SEX_RESTRICTED_ITEM_claims"]
        - 3
        + rng.normal(0, 0.5, n)
    )
    y = (logit > 0).to_numpy(dtype=int)
    X["rule_evidence"] = 4.0 * np.log1p(X["rule_R01_SEX_RESTRICTED_ITEM_claims"])
    X["rule_severity_max"] = np.where(X["rule_R01_SEX_RESTRICTED_ITEM_claims"] > 0, 3.0, 0.0)
    medians = pd.DataFrame(
        {
            "identical_amount_max": 2.0,
            "drug_share": 0.45,
            "fund_paid": 160_000.0,
            "fund_per_staff": 14_000.0,
            "night_share": 0.02,
            "rule_R01_SEX_RESTRICTED_ITEM_claims": 0.0,
        },
        index=X.index,
    )
    return X, y, medians


MODEL_ONLY = Blend((1.0, 0.0, 0.0, 0.0, 0.0, 0.0), "linear")
SEVERITIES = {"rule_R01_SEX_RESTRICTED_ITEM": 3}


def fit(X, y, blend=MODEL_ONLY) -> RiskModel:
    model = RiskModel(
        FEATURES,
        ["fund_paid", "identical_amount_max"],
        ["night_share__peer_pct", "drug_share"],
        OUTLIER,
        lgbm_params={"n_estimators": 40, "n_jobs": 1},
        iforest_params={"n_estimators": 50},
    )
    return model.fit(X, y, np.ones(len(y))).set_params(blend=blend)


@pytest.fixture(scope="module")
def trained():
    X, y, medians = provider_rows()
    model = fit(X, y)
    return X, model, medians, shap_values(model, X)


def departs(X, medians, entity_id, feature) -> bool:
    """The reasons' rule: at least 20% above the peer median where one is known."""
    base = base_name(feature)
    if base not in X.columns:  # only the peer-relative column is known: 1.2× or the 80th percentile
        return X.loc[entity_id, feature] >= (1.2 if feature.endswith("__peer_ratio") else 0.8)
    value = X.loc[entity_id, base]
    if base not in medians.columns:
        return True
    median = medians.loc[entity_id, base]
    return value >= 1.2 * median if median > 0 else value > median


def expected_top(row: pd.Series, keep=lambda f: True, top: int = 3) -> list[str]:
    order = np.argsort(-row.to_numpy(), kind="stable")
    return [row.index[j] for j in order if row.iloc[j] > 0 and keep(row.index[j])][:top]


def test_shap_rows_add_up_to_the_raw_log_odds(trained):
    X, model, _, sv = trained
    assert list(sv.columns) == FEATURES and sv.index.equals(X.index)
    assert sv.attrs["explained"] is True
    raw = model.classifier_.predict(X[FEATURES], raw_score=True)
    np.testing.assert_allclose(sv.sum(axis=1) + sv.attrs["base_value"], raw, atol=1e-6)
    proba = 1 / (1 + np.exp(-(sv.sum(axis=1) + sv.attrs["base_value"])))
    np.testing.assert_allclose(proba, model.score(X)["model_probability"], atol=1e-6)


def test_large_frames_go_tree_by_tree_with_the_same_numbers(trained):
    X, model, _, _ = trained
    rows = X.sample(6000, replace=True, random_state=0).reset_index(drop=True)
    rows.loc[::7, "fund_paid"] = np.nan
    rows.loc[::11, "identical_amount_max"] = 0.0
    rows.loc[::13, "drug_share"] += 1e-9  # near-identical rows stay exact
    booster = model.classifier_.booster_
    assert _by_tree(booster, rows[FEATURES].to_numpy(dtype=float), _tree_splits(booster)) is not None
    sv = shap_values(model, rows)
    native = booster.predict(rows[FEATURES], pred_contrib=True)
    np.testing.assert_allclose(sv.to_numpy(), native[:, :-1], rtol=0, atol=1e-10)
    assert sv.index.equals(rows.index) and sv.attrs["base_value"] == pytest.approx(native[0, -1])


def test_reasons_name_the_top_positive_shap_features_in_order(trained):
    X, model, medians, sv = trained
    out = reasons("provider", X, sv, model, peer_medians=medians, severities=SEVERITIES)
    assert list(out.columns) == ["reasons", "reason_1", "reason_2", "reason_3", "driver", "top_features"]
    assert out.index.equals(X.index) and (out["driver"] == "model").all()  # blend is all classifier
    severe = X["rule_severity_max"] >= 3
    for entity_id, items in out["top_features"].items():
        if severe[entity_id]:  # the severity-3 rule comes first: the evidence a reviewer checks first
            assert items[0]["feature"] == "rule_R01_SEX_RESTRICTED_ITEM_claims"
            continue
        expected = expected_top(sv.loc[entity_id], lambda f, e=entity_id: departs(X, medians, e, f))
        assert [d["feature"] for d in items] == expected
        assert [d["shap"] for d in items] == pytest.approx(list(sv.loc[entity_id, [d["feature"] for d in items]]))
        assert out.loc[entity_id, "reasons"] == (
            "; ".join(d["sentence"] for d in items) or "nothing stands out from its peers"
        )
        assert [out.loc[entity_id, f"reason_{k}"] for k in (1, 2, 3)][: len(items)] == [d["sentence"] for d in items]


def test_values_and_peer_medians_shown_match_the_inputs(trained):
    X, model, medians, sv = trained
    out = reasons("provider", X, sv, model, peer_medians=medians, severities=SEVERITIES)
    seen = set()
    for entity_id, items in out["top_features"].items():
        for d in items:
            seen.add(d["feature"])
            assert d["value"] == pytest.approx(X.loc[entity_id, d["feature"]])
            base = base_name(d["feature"])
            if base in medians.columns:
                assert d["peer_median"] == medians.loc[entity_id, base]
            else:
                assert d["peer_median"] is None
    assert {"identical_amount_max", "fund_per_staff__peer_ratio"} <= seen
    named = [d for items in out["top_features"] for d in items]
    assert named and all(
        departs(X, medians, e, d["feature"])
        for e, items in out["top_features"].items()
        for d in items
        if d["kind"] == "model"
    )
    # the riskiest row, spelled out
    worst = X.index[0]
    rows = X.copy()
    rows.loc[worst, ["identical_amount_max", "fund_per_staff__peer_ratio"]] = [37.0, 6.1]
    one = reasons("provider", rows.loc[[worst]], shap_values(model, rows.loc[[worst]]), model, peer_medians=medians)
    text = one.loc[worst, "reasons"]
    assert "most claims with the identical amount on one day: 37 (peer median 2)" in text
    assert "fund paid per licensed doctor or pharmacist: 6.1× the median of secondary hospitals in 330102" in text


def test_chinese_reasons(trained):
    X, model, medians, sv = trained
    out = reasons("provider", X, sv, model, peer_medians=medians, lang="zh", severities=SEVERITIES)
    texts = [s for s in out["reason_1"] if s]
    assert texts and all(CJK.search(s) for s in texts)
    joined = " ".join(out["reasons"])
    assert "同日同金额结算最多笔数" in joined and "(同类机构中位数 2)" in joined
    assert "330102区县二级医院中位数的" in joined and "倍" in joined
    en = reasons("provider", X, sv, model, peer_medians=medians, severities=SEVERITIES)

    def named(frame):
        return [[d["feature"] for d in r] for r in frame["top_features"]]

    assert named(out) == named(en)


def test_anomaly_driven_rows_say_what_is_unusual():
    X, y, medians = provider_rows(seed=1)
    model = fit(X, y, Blend((0.5, 0.0, 0.25, 0.25, 0.0, 0.0), "linear"))
    scores = model.score(X)
    out = reasons("provider", X, shap_values(model, X), model, peer_medians=medians, scores=scores)
    w = np.array([0.5, 0.25, 0.25])
    expect = np.where(
        scores["anomaly_score"] * w[1] + scores["outlier_score"] * w[2] > scores["model_score"] * w[0],
        "anomaly",
        "model",
    )
    assert (out["driver"].to_numpy() == expect).all() and (expect == "anomaly").any() and (expect == "model").any()
    excess = pd.DataFrame(model.outlier_.excess(X[OUTLIER]), index=X.index, columns=OUTLIER)
    for entity_id in X.index[(expect == "anomaly") & (X["rule_severity_max"] < 3).to_numpy()]:
        items = out.loc[entity_id, "top_features"]
        odd = [d for d in items if d["kind"] == "unusual"]
        assert [d["feature"] for d in odd] == expected_top(
            excess.loc[entity_id], lambda f, e=entity_id: departs(X, medians, e, f)
        )
        assert all(d["sentence"].startswith("unusual: ") for d in odd)
        assert out.loc[entity_id, "reason_1"].startswith("unusual: ") or not odd
    zh = reasons("provider", X, shap_values(model, X), model, peer_medians=medians, scores=scores, lang="zh")
    assert zh.loc[out["driver"] == "anomaly", "reason_1"].str.startswith("异常: ").any()


def test_untrained_classifier_gives_outlier_reasons():
    X, _, _ = provider_rows(n=300, seed=2)
    model = fit(X, np.zeros(len(X), dtype=int))
    assert not is_trained(model.classifier_)
    sv = shap_values(model, X)
    assert sv.attrs["explained"] is False and (sv.to_numpy() == 0).all() and sv.index.equals(X.index)
    out = reasons("person", X, sv, model)
    assert set(out["driver"]) <= {"anomaly", "rules"} and (out["driver"] == "anomaly").any()
    flagged = out[(out["top_features"].map(len) > 0) & (X["rule_severity_max"] < 3)]
    assert len(flagged) > len(X) / 4 and flagged["reason_1"].str.startswith("unusual: ").all()
    # persons: the typical value is the training median the outlier score compares with
    d = next(d for r in flagged["top_features"] for d in r if d["feature"] == "fund_paid")
    assert d["peer_median"] == pytest.approx(X["fund_paid"].median())
    assert "median of insured persons" in d["sentence"]
    assert not drivers(model.score(X), model, explained=False).eq("model").any()


def test_contributions_table_is_sorted_by_size(trained):
    X, _, _, sv = trained
    table = contributions_table(sv.iloc[:5], X, top=4)
    assert list(table.columns) == ["entity_id", "feature", "value", "shap"] and len(table) == 20
    for entity_id, part in table.groupby("entity_id", sort=False):
        assert list(part["shap"].abs()) == sorted(part["shap"].abs(), reverse=True)
        assert part["shap"].abs().iloc[0] == sv.loc[entity_id].abs().max()
        for _, r in part.iterrows():  # every feature here is a measure of its own: nothing to sum
            assert r["value"] == X.loc[entity_id, r["feature"]] and r["shap"] == sv.loc[entity_id, r["feature"]]
    assert list(table["entity_id"].unique()) == list(X.index[:5])
    assert len(contributions_table(sv, X)) == len(X) * len(FEATURES)


def test_numbers_are_formatted_by_unit():
    assert format_value(37.0, "claims") == "37" and format_value(2.5, "days") == "2.5"
    assert format_value(0.234, "share") == "23%" and format_value(0.031, "share") == "3.1%"
    assert format_value(1234567.4, "yuan") == "1,234,567 yuan" and format_value(85.5, "yuan", "zh") == "85.5元"
    assert format_value(1.0, "flag", "zh") == "1" and format_value(float("nan"), "share") == "n/a"
    assert (
        sentence("provider", "drug_share__peer_pct", 0.97, group=GROUP)
        == "share of the amount spent on drugs: percentile 97 among secondary hospitals in 330102"
    )
    assert sentence(
        "provider", "fund_per_staff__peer_ratio", 6.1, group=GROUP, base_value=85_400.0, median=14_000.0
    ) == (
        "fund paid per licensed doctor or pharmacist: 6.1× the median of secondary hospitals in 330102 "
        "(85,400 yuan vs median 14,000 yuan)"
    )
    # a ratio to a zero median says nothing: the value and the median instead
    assert (
        sentence(
            "provider", "rule_hits_total__peer_ratio", 4001.0, group="clinic-L1", base_value=12.0, median=0.0, lang="zh"
        )
        == "违反任一审核规则的结算笔数: 12 (诊所中位数 0)"
    )
    assert sentence("provider", "months_active_12m", 3.0, lang="zh") == "近12个月有结算的月数: 3"
    assert sentence("person", "n_claims_12m", 1.0) == "settlements over the last 12 months: 1"


def test_a_measure_or_rule_is_named_once_among_the_reasons():
    from serving.scoring.explain import _top

    cols = ["rule_R05_DUP_claims", "rule_R05_DUP_rate", "fund_paid__peer_ratio", "fund_paid", "n_claims"]
    values = np.array([[5.0, 4.0, 3.0, 2.5, 1.0]])
    assert _top(values, 3, cols)[0].tolist() == [[0, 2, 4]]
