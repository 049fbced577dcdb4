"""Case files as a reviewers' page reads them: timeline, SHAP waterfall, peers, rule-hit examples."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from features.dictionary import measures
from serving.scoring.cases import EXAMPLES, PERSON_PEERS, plain_names, timeline_months, timelines
from serving.scoring.period import score_period
from serving.scoring.ranking import ListOptions, model_rows

CASES = {"provider": 10, "person": 20}
DELAY = 1


def _score(trained_tiny, **kwargs):
    period = trained_tiny["periods"][-1]
    models = {e: (o.result.model, f"fundguard-{e} v1") for e, o in trained_tiny["outcomes"].items()}
    return score_period(
        trained_tiny["tables"],
        trained_tiny["labels"],
        trained_tiny["feature_sets"][period],
        models,
        {e: ListOptions() for e in models},
        "en",
        DELAY,
        {"data_fingerprint": "sha256:test"},
        CASES,
        **kwargs,
    )


@pytest.fixture(scope="module")
def scored(trained_tiny):
    return _score(trained_tiny)


@pytest.fixture(scope="module")
def cases(scored) -> dict[str, dict]:
    """The case files as written: through JSON (no NaN allowed) and back."""
    text = json.dumps(scored.cases, ensure_ascii=False, sort_keys=True, allow_nan=False, default=str)
    return json.loads(text)


def _of(cases, entity):
    return [(key.split("/", 1)[1], case) for key, case in sorted(cases.items()) if key.startswith(entity + "/")]


def test_every_listed_entity_has_a_case_with_the_new_keys(cases):
    new = {
        "timeline",
        "shap_base",
        "shap_other",
        "shap_output",
        "shap_explained",
        "peer_values",
        "peer_group",
        "peer_group_name",
        "measure_names",
    }
    old = {"contributions", "rule_hits", "claims", "reasons", "driver", "top_features", "entity_id", "rank"}
    for entity, n in CASES.items():
        mine = _of(cases, entity)
        assert len(mine) == n
        for entity_id, case in mine:
            assert new | old <= set(case), entity_id
            assert case["entity_id"] == entity_id


@pytest.mark.parametrize("entity", ["provider", "person"])
def test_timeline_is_the_entitys_monthly_claims_and_fund_paid(cases, trained_tiny, entity):
    period = trained_tiny["periods"][-1]
    claims = trained_tiny["tables"]["claims"]
    month = claims["settle_time"].dt.strftime("%Y-%m")
    months = [str(pd.Period(period, "M") - k) for k in range(12, -1, -1)]
    key = f"{entity}_id"
    earlier = 0
    for entity_id, case in _of(cases, entity):
        timeline = case["timeline"]
        assert [m["period"] for m in timeline] == months
        mine = claims[claims[key] == entity_id].groupby(month)
        n, paid = mine.size(), mine["fund_paid"].sum()
        for m in timeline:
            assert m["claims"] == int(n.get(m["period"], 0)), (entity_id, m)
            assert m["fund_paid"] == pytest.approx(float(paid.get(m["period"], 0.0)), abs=1e-6), (entity_id, m)
        assert timeline[-1]["claims"] > 0  # listed entities are active in the period
        earlier += sum(m["claims"] for m in timeline[:-1])
    assert earlier > 0  # the months before the period are filled too


def test_timelines_cover_the_lookback_and_zero_fill(trained_tiny):
    claims = trained_tiny["tables"]["claims"]
    period = trained_tiny["periods"][-1]
    busy = claims["provider_id"].value_counts().index[0]
    out = timelines(claims, "provider_id", [busy, "NO-SUCH-PROVIDER"], period, 2)
    assert timeline_months(period, 2) == [str(pd.Period(period, "M") - k) for k in (2, 1, 0)]
    assert [m["period"] for m in out[busy]] == timeline_months(period, 2)
    assert all(m == {"period": m["period"], "claims": 0, "fund_paid": 0.0} for m in out["NO-SUCH-PROVIDER"])
    in_period = claims[(claims["provider_id"] == busy) & (claims["settle_time"].dt.strftime("%Y-%m") == period)]
    assert out[busy][-1]["claims"] == len(in_period)


@pytest.mark.parametrize("entity", ["provider", "person"])
def test_shap_waterfall_adds_up_to_the_classifiers_raw_output(cases, trained_tiny, entity):
    period = trained_tiny["periods"][-1]
    model = trained_tiny["outcomes"][entity].result.model
    rows = model_rows(entity, trained_tiny["feature_sets"][period], trained_tiny["labels"], DELAY)
    raw = pd.Series(
        model.classifier_.booster_.predict(rows[model.features].to_numpy(dtype=float), raw_score=True), index=rows.index
    )
    others = []
    for entity_id, case in _of(cases, entity):
        assert case["shap_explained"] is True
        shown = sum(c["shap"] for c in case["contributions"])
        assert len(case["contributions"]) == min(15, len(model.features))
        assert case["shap_base"] + shown + case["shap_other"] == pytest.approx(case["shap_output"], abs=1e-5)
        assert case["shap_output"] == pytest.approx(raw[entity_id], abs=1e-6), entity_id
        others.append(case["shap_other"])
    assert any(abs(v) > 1e-6 for v in others)  # the features left out do carry weight


def test_person_peer_values_are_against_all_active_persons(cases, trained_tiny):
    person = trained_tiny["feature_sets"][trained_tiny["periods"][-1]].person.set_index("entity_id")
    names = [m.name for m in measures("person") if m.name in person.columns]
    medians = person[names].median()
    pct = person[names].rank(pct=True, method="average")
    zero_median = 0
    for entity_id, case in _of(cases, "person"):
        assert case["peer_group"] == PERSON_PEERS
        assert [p["measure"] for p in case["peer_values"]] == names
        for p in case["peer_values"]:
            m = p["measure"]
            assert p["value"] == pytest.approx(person.at[entity_id, m], abs=1e-6)
            assert p["peer_median"] == pytest.approx(medians[m], abs=1e-6), m
            assert p["percentile"] == pytest.approx(pct.at[entity_id, m], abs=1e-6), m
            if medians[m] == 0:
                assert p["ratio"] is None
                zero_median += 1
            else:
                assert p["ratio"] == pytest.approx(person.at[entity_id, m] / medians[m], abs=1e-6)
        assert set(case["measure_names"]) == (
            {c["feature"] for c in case["contributions"]} | {c["feature"] for c in case["top_features"]} | set(names)
        )
        assert case["measure_names"]["n_claims"] == "settlements in the month"
    assert zero_median > 0


def test_provider_peer_group_and_plain_names(cases):
    for _, case in _of(cases, "provider"):
        assert case["peer_group"] and case["peer_group_name"]
        assert {p["measure"] for p in case["peer_values"]} <= set(case["measure_names"])
        assert {c["feature"] for c in case["contributions"]} <= set(case["measure_names"])
        assert all(case["measure_names"][c["feature"]] != c["feature"] for c in case["contributions"])


def test_plain_names_in_chinese_and_for_unknown_columns():
    names = plain_names("provider", ["fund_paid", "fund_paid__peer_ratio", "months_active_12m", "made_up"], "zh")
    assert names == {
        "fund_paid": "当月统筹基金支付",
        "fund_paid__peer_ratio": "当月统筹基金支付(与同类机构中位数之比)",
        "months_active_12m": "近12个月有结算的月数",
        "made_up": "made_up",
    }


@pytest.mark.parametrize("entity", ["provider", "person"])
def test_rule_hit_examples_and_their_flagged_lines(cases, trained_tiny, entity):
    period = trained_tiny["periods"][-1]
    hits = trained_tiny["feature_sets"][period].hits
    claims = trained_tiny["tables"]["claims"].set_index("claim_id")
    items = trained_tiny["tables"]["claim_items"]
    in_period = claims.index[claims["settle_time"].dt.strftime("%Y-%m") == period]
    flagged_seen = unflagged_examples = 0
    for entity_id, case in _of(cases, entity):
        mine = hits[hits[f"{entity}_id"] == entity_id]
        assert [h["rule_id"] for h in case["rule_hits"]] == sorted(mine["rule_id"].unique())
        for hit in case["rule_hits"]:
            rule = mine[mine["rule_id"] == hit["rule_id"]]
            assert hit["n_claims"] == len(hit["claims"]) == rule["claim_id"].nunique()
            want = (
                claims.loc[sorted(set(rule["claim_id"]) & set(in_period))]
                .reset_index()
                .sort_values(["fund_paid", "claim_id"], ascending=[False, True])
                .head(EXAMPLES)
            )
            assert [e["claim_id"] for e in hit["examples"]] == want["claim_id"].tolist()
            for ex in hit["examples"]:
                assert ex[f"{entity}_id"] == entity_id
                assert ex["fund_paid"] == pytest.approx(claims.at[ex["claim_id"], "fund_paid"])
                lines = items[items["claim_id"] == ex["claim_id"]]
                assert sorted(line["line_no"] for line in ex["lines"]) == sorted(lines["line_no"])
                named = set(rule.loc[(rule["claim_id"] == ex["claim_id"]) & rule["line_no"].notna(), "line_no"])
                flagged = {line["line_no"] for line in ex["lines"] if line["flagged"]}
                assert flagged == named, (entity_id, hit["rule_id"], ex["claim_id"])
                flagged_seen += len(flagged)
                unflagged_examples += not flagged
        for claim in case["claims"]:  # the driving claims keep their lines
            assert claim["lines"], claim["claim_id"]
    assert flagged_seen > 0 and unflagged_examples > 0  # line-level and claim-level rules both shown


def test_same_inputs_give_identical_case_files_and_lookback_shortens_the_timeline(scored, trained_tiny):
    again = _score(trained_tiny, lookback_months=3)

    def dump(cases, drop=()):
        return json.dumps(
            {k: {f: v for f, v in c.items() if f not in drop} for k, c in cases.items()},
            ensure_ascii=False,
            sort_keys=True,
            allow_nan=False,
            default=str,
        )

    assert dump(again.cases, ["timeline"]) == dump(scored.cases, ["timeline"])
    for key, case in scored.cases.items():
        assert again.cases[key]["timeline"] == case["timeline"][-4:]
