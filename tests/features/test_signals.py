"""Each planted pattern moves the feature that DOMAIN.md says should reveal it."""

from __future__ import annotations

import pytest

from features.build import build_feature_set

PERIOD = "2025-06"  # the tiny region's last month: every planted scheme has started
PROVIDER_SIGNAL = {
    "drug_swap": "round_amount_share",
    "phantom_swipes": "regular_cadence_share",
    "identical_amounts": "identical_amount_max",
    "sex_mismatch": "rule_R01_SEX_RESTRICTED_ITEM_rate",
    "unbundling": "rule_R02_BUNDLE_COMPONENTS_rate",
    "duplicate_billing": "rule_R05_DUPLICATE_LINE_rate",
    "over_price": "rule_R03_PRICE_ABOVE_REFERENCE_rate",
    "over_testing": "rule_R05_DUPLICATE_LINE_rate",
    "ghost_stay": "stay_no_drug_share",
    "split_admission": "readmit15_rate",
    "volume_vs_size": "fund_per_staff",
    "group_admission": "admission_cluster_max",
}
PERSON_SIGNAL = {
    "card_misuse": "multi_region_days",
    "drug_resale": "max_item_pharmacies",
    "phantom_swipes": "regular_cadence",
}


@pytest.fixture(scope="module")
def fs(tiny_tables):
    return build_feature_set(tiny_tables, PERIOD)


@pytest.fixture(scope="module")
def feature_sets(tiny_tables):
    cache = {}

    def at(period: str):
        if period not in cache:
            cache[period] = build_feature_set(tiny_tables, period)
        return cache[period]

    return at


@pytest.fixture(scope="module")
def truth(tiny):
    t = tiny["truth"]
    return t[t["period"] == PERIOD]


@pytest.mark.parametrize("pattern", sorted(PROVIDER_SIGNAL))
def test_planted_provider_stands_out_from_its_peers(feature_sets, tiny, pattern):
    t = tiny["truth"]
    rows = t[(t["entity_type"] == "provider") & (t["pattern"] == pattern)]
    period = rows["period"].max()  # the latest month the scheme ran
    planted = rows.loc[rows["period"] == period, "entity_id"]
    assert len(planted) > 0, f"nothing planted for {pattern} in {period}: the test would pass vacuously"
    table = feature_sets(period).provider.set_index("entity_id")
    feature = PROVIDER_SIGNAL[pattern]
    for pid in planted:
        assert table.loc[pid, feature + "__peer_ratio"] >= 1.5, (pattern, pid)
        assert table.loc[pid, feature + "__peer_pct"] >= 0.75, (pattern, pid)


@pytest.mark.parametrize("pattern", sorted(PERSON_SIGNAL))
def test_planted_persons_stand_out(fs, truth, pattern):
    planted = truth.loc[(truth["entity_type"] == "person") & (truth["pattern"] == pattern), "entity_id"]
    table = fs.person.set_index("entity_id")[PERSON_SIGNAL[pattern]]
    mine = table.reindex(planted).dropna()
    assert len(mine) >= 3
    others = table.drop(planted, errors="ignore")
    assert mine.median() > others.quantile(0.95)


def test_honest_lookalikes_are_not_flagged_by_rules_alone(fs, tiny):
    """24-hour pharmacies break the night rule a lot, yet are honest: rules are evidence, not verdicts."""
    night = fs.provider.set_index("entity_id")["rule_R10_NIGHT_SETTLEMENT_rate"]
    all_night = tiny["lookalikes"].loc[tiny["lookalikes"]["kind"] == "24h_pharmacy", "entity_id"]
    pharmacies = night[night.index.str.startswith("Y")]
    assert (night.reindex(all_night).dropna() > pharmacies.median()).all()
