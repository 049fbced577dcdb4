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
    "prior_fraud_findings",
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
            "prior_fraud_findings": rng.poisson(0.2, n).astype(float),
        }
    ).set_index("entity_id", drop=False)
    logit = (
        0.8 * X["identical_amount_max"]
        + 2 * np.log(X["fund_per_staff__peer_ratio"])
        + 1.5 * X["prior_fraud_findings"]
        - 3
        + rng.normal(0, 0.5, n)
    )
    y = (logit > 0).to_numpy(dtype=int)
    medians = pd.DataFrame(
        {
            "identical_amount_max": 2.0,
            "drug_share": 0.45,
            "fund_paid": 160_000.0,
            "fund_per_staff": 14_000.0,
            "night_share": 0.02,
        },
        index=X.index,
    )
    return X, y, medians


def fit(X, y, blend=Blend()) -> RiskModel:
    model = RiskModel(
        FEATURES,
        ["night_share__peer_pct", "drug_share"],
        OUTLIER,
        lgbm_params={"n_estimators": 40, "n_jobs": 1},
        iforest_params={"n_estimators": 50},
    )
    return model.fit(X, y, np.ones(len(y), dtype=bool)).set_params(blend=blend)


@pytest.fixture(scope="module")
def trained():
    X, y, medians = provider_rows()
    model = fit(X, y)
    return X, model, medians, shap_values(model, X)


def expected_top(row: pd.Series, top: int = 3) -> list[str]:
    order = np.argsort(-row.to_numpy(), kind="stable")
    return [row.index[j] for j in order[:top] if row.iloc[j] > 0]


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
    out = reasons("provider", X, sv, model, peer_medians=medians)
    assert list(out.columns) == ["reasons", "reason_1", "reason_2", "reason_3", "driver", "top_features"]
    assert out.index.equals(X.index) and (out["driver"] == "model").all()  # blend is all classifier
    for entity_id, items in out["top_features"].items():
        assert [d["feature"] for d in items] == expected_top(sv.loc[entity_id])
        assert [d["shap"] for d in items] == pytest.approx(list(sv.loc[entity_id, [d["feature"] for d in items]]))
        assert out.loc[entity_id, "reasons"] == "; ".join(d["sentence"] for d in items)
        assert [out.loc[entity_id, f"reason_{k}"] for k in (1, 2, 3)][: len(items)] == [d["sentence"] for d in items]


def test_values_and_peer_medians_shown_match_the_inputs(trained):
    X, model, medians, sv = trained
    out = reasons("provider", X, sv, model, peer_medians=medians)
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
    # the riskiest row, spelled out
    worst = X.index[0]
    rows = X.copy()
    rows.loc[worst, ["identical_amount_max", "fund_per_staff__peer_ratio"]] = [37.0, 6.1]
    one = reasons("provider", rows.loc[[worst]], shap_values(model, rows.loc[[worst]]), model, peer_medians=medians)
    text = one.loc[worst, "reasons"]
    assert "most claims with the identical amount on one day: 37 (peer median 2)" in text
    assert "fund paid per licensed doctor or pharmacist: 6.1× the median of 二级 hospitals in 330102" in text


def test_chinese_reasons(trained):
    X, model, medians, sv = trained
    out = reasons("provider", X, sv, model, peer_medians=medians, lang="zh")
    texts = [s for s in out["reason_1"] if s]
    assert texts and all(CJK.search(s) for s in texts)
    joined = " ".join(out["reasons"])
    assert "同日同金额结算最多笔数" in joined and "(同类机构中位数 2)" in joined
    assert "330102区县二级医院中位数的" in joined and "倍" in joined
    en = reasons("provider", X, sv, model, peer_medians=medians)

    def named(frame):
        return [[d["feature"] for d in r] for r in frame["top_features"]]

    assert named(out) == named(en)


def test_anomaly_driven_rows_say_what_is_unusual():
    X, y, medians = provider_rows(seed=1)
    model = fit(X, y, Blend((0.5, 0.25, 0.25)))
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
    for entity_id in X.index[expect == "anomaly"]:
        items = out.loc[entity_id, "top_features"]
        odd = [d for d in items if d["kind"] == "unusual"]
        assert [d["feature"] for d in odd] == expected_top(excess.loc[entity_id])
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
    assert (out["driver"] == "anomaly").all()
    flagged = out[out["reason_1"] != ""]
    assert len(flagged) > len(X) / 2 and flagged["reason_1"].str.startswith("unusual: ").all()
    # persons: the typical value is the training median the outlier score compares with
    d = next(d for r in flagged["top_features"] for d in r if d["feature"] == "fund_paid")
    assert d["peer_median"] == pytest.approx(X["fund_paid"].median())
    assert "median of insured persons" in d["sentence"]
    assert drivers(model.score(X), model, explained=False).eq("anomaly").all()


def test_contributions_table_is_sorted_by_size(trained):
    X, _, _, sv = trained
    table = contributions_table(sv.iloc[:5], X, top=4)
    assert list(table.columns) == ["entity_id", "feature", "value", "shap"] and len(table) == 20
    for entity_id, part in table.groupby("entity_id", sort=False):
        assert list(part["shap"].abs()) == sorted(part["shap"].abs(), reverse=True)
        assert part["shap"].abs().iloc[0] == sv.loc[entity_id].abs().max()
        for _, r in part.iterrows():
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
        == "share of the amount spent on drugs: percentile 97 among 二级 hospitals in 330102"
    )
    assert sentence(
        "provider", "fund_per_staff__peer_ratio", 6.1, group=GROUP, base_value=85_400.0, median=14_000.0
    ) == (
        "fund paid per licensed doctor or pharmacist: 6.1× the median of 二级 hospitals in 330102 "
        "(85,400 yuan vs median 14,000 yuan)"
    )
    # a ratio to a zero median says nothing: the value and the median instead
    assert (
        sentence(
            "provider", "rule_hits_total__peer_ratio", 4001.0, group="clinic-L1", base_value=12.0, median=0.0, lang="zh"
        )
        == "违反任一审核规则的结算笔数: 12 (一级诊所中位数 0)"
    )
    assert sentence("provider", "prior_inspections", 3.0, lang="zh") == "以往检查次数: 3"
    assert sentence("person", "prior_fraud_findings", 1.0) == "frauds found by earlier inspections: 1"


def test_a_measure_or_rule_is_named_once_among_the_reasons():
    from serving.scoring.explain import _top

    cols = ["rule_R05_DUP_claims", "rule_R05_DUP_rate", "fund_paid__peer_ratio", "fund_paid", "n_claims"]
    values = np.array([[5.0, 4.0, 3.0, 2.5, 1.0]])
    assert _top(values, 3, cols).tolist() == [[0, 2, 4]]
