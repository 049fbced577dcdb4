"""Planted frauds leave the signatures DOMAIN.md §2 gives them; labels look like real ones."""

from __future__ import annotations

import pandas as pd
import pytest

from synthetic.fraud import NEVER_LABELLED, PATTERNS
from synthetic.schemes import RESALE_DRUGS

REQUIRED = {2, 4, 5, 7, 8, 13, 14, 16, 20}


def planted(tiny, pattern: str, entity_type="provider") -> set[str]:
    """The entities the seed planted `pattern` at; never empty (a test looping over none proves nothing)."""
    t = tiny["truth"]
    found = set(t.loc[(t["pattern"] == pattern) & (t["entity_type"] == entity_type), "entity_id"])
    assert found, f"the tiny seed plants no {pattern} at any {entity_type}: the test would pass vacuously"
    return found


def per_provider(tiny, values: pd.Series, pattern: str, kinds: list[str] | None = None) -> tuple[float, float]:
    """(lowest value among planted providers, highest among honest ones of the eligible types)."""
    prov = tiny["providers"].set_index("provider_id")
    fraud_ids = set(tiny["truth"].loc[tiny["truth"]["entity_type"] == "provider", "entity_id"])
    looks = set(tiny["lookalikes"]["entity_id"])
    values = values.reindex(prov.index, fill_value=0)
    mine = planted(tiny, pattern)
    types = prov.loc[list(mine), "provider_type"].unique() if kinds is None else kinds
    honest = values[(~values.index.isin(fraud_ids | looks)) & prov["provider_type"].isin(types)]
    return values[list(mine)].min(), honest.max()


def test_at_least_ten_patterns_at_provider_and_person_level(tiny):
    t = tiny["truth"]
    nos = set(t["pattern_no"])
    assert len(nos) >= 10
    assert nos >= REQUIRED
    assert nos & {1, 21}
    assert {"provider", "person"} <= set(t["entity_type"])
    starts = t.groupby("entity_id")["period"].min()
    assert starts.nunique() >= 3  # frauds start in different months


def test_drug_swap_round_totals_at_month_end(tiny):
    c = tiny["claims"]
    ph = c[c["setting"] == "pharmacy"]
    round_share = (ph["total_amount"] % 50 == 0).groupby(ph["provider_id"]).mean()
    low, high = per_provider(tiny, round_share, "drug_swap", ["pharmacy"])
    assert low > high


def test_phantom_swipes_off_hours_regular_cards(tiny):
    c = tiny["claims"]
    hour = c["settle_time"].dt.hour
    odd = ((hour >= 19) | (hour == 12)).groupby(c["provider_id"]).mean()
    for pid in planted(tiny, "phantom_swipes"):
        peers = odd[
            tiny["providers"].set_index("provider_id")["provider_type"].reindex(odd.index)
            == tiny["providers"].set_index("provider_id").loc[pid, "provider_type"]
        ]
        assert odd[pid] > 2 * peers.median()
        mine = c[c["provider_id"] == pid]
        months = mine.groupby("person_id")["settle_time"].apply(lambda s: s.dt.to_period("M").nunique())
        assert (months >= 3).sum() >= 5  # the same cards swiped month after month


def test_identical_amounts_on_one_day(tiny):
    c = tiny["claims"]
    same = c.groupby(["provider_id", c["settle_time"].dt.date, "total_amount"]).size()
    top = same.groupby(level=0).max()
    low, high = per_provider(tiny, top, "identical_amounts", ["clinic", "hospital"])
    assert low >= 8 and low > high


def test_sex_mismatch_lines(tiny):
    lines = tiny["claim_items"].merge(tiny["claims"][["claim_id", "person_id", "provider_id"]], on="claim_id")
    lines = lines.merge(tiny["insured"][["person_id", "sex"]], on="person_id")
    lines = lines.merge(tiny["catalog"][["item_code", "sex_restriction"]], on="item_code")
    wrong = lines["sex_restriction"].notna() & (lines["sex_restriction"] != lines["sex"])
    rate = wrong.groupby(lines["provider_id"]).mean()
    low, _ = per_provider(tiny, rate, "sex_mismatch")
    honest = rate.drop(list(set(tiny["truth"]["entity_id"])), errors="ignore")
    assert low > 5 * honest.quantile(0.95)  # rare honest slips exist, but far fewer


def test_unbundling_bills_components_together(tiny):
    items = tiny["claim_items"].merge(tiny["catalog"][["item_code", "bundle_code"]], on="item_code")
    comp = items[items["bundle_code"].notna()]
    per_claim = comp.groupby(["claim_id", "bundle_code"]).size()
    split = per_claim[per_claim >= 2].reset_index()["claim_id"].unique()
    prov = tiny["claims"].set_index("claim_id").loc[split, "provider_id"]
    assert set(prov) == planted(tiny, "unbundling")


def test_ghost_stays_have_bed_days_without_care(tiny):
    c, items, cat = tiny["claims"], tiny["claim_items"], tiny["catalog"]
    stays = c[c["setting"] == "inpatient"]
    drug = items.merge(cat[["item_code", "item_type"]], on="item_code")
    has_drug = drug[drug["item_type"] == "drug"].groupby("claim_id").size()
    empty = ~stays["claim_id"].isin(has_drug.index)
    share = empty.groupby(stays["provider_id"]).mean()
    low, high = per_provider(tiny, share, "ghost_stay", ["hospital"])
    assert low > 0.1 and high < 0.02


def test_group_admissions_and_the_honest_outbreak(tiny):
    stays = tiny["claims"][tiny["claims"]["setting"] == "inpatient"]
    crowd = stays.groupby(["provider_id", "admit_date", "diagnosis"]).size()
    crowded = set(crowd[crowd >= 8].index.get_level_values(0))
    assert planted(tiny, "group_admission") <= crowded
    outbreak = tiny["lookalikes"].loc[tiny["lookalikes"]["kind"] == "outbreak_admissions", "entity_id"]
    assert set(outbreak) <= crowded  # an honest crowd that a naive rule would flag too


def test_split_admissions_readmit_same_diagnosis_within_15_days(tiny):
    stays = tiny["claims"][tiny["claims"]["setting"] == "inpatient"].sort_values("admit_date")
    prev = stays.groupby(["person_id", "provider_id", "diagnosis"])["discharge_date"].shift()
    quick = (stays["admit_date"] - prev).dt.days.between(0, 15)
    rate = quick.groupby(stays["provider_id"]).mean()
    low, high = per_provider(tiny, rate, "split_admission", ["hospital"])
    assert low > 0.05 and low > high


def test_volume_beyond_size(tiny):
    c, prov = tiny["claims"], tiny["providers"].set_index("provider_id")
    truth = tiny["truth"]
    for pid in planted(tiny, "volume_vs_size"):
        months = truth.loc[truth["entity_id"] == pid, "period"]
        active = c[c["settle_time"].dt.strftime("%Y-%m").isin(months)]
        per_staff = active.groupby("provider_id")["fund_paid"].sum() / prov["staff"]
        peers = prov.index[(prov["provider_type"] == prov.loc[pid, "provider_type"]) & (prov["ownership"] == "private")]
        assert per_staff[pid] > 2 * per_staff.reindex(peers).median()


def test_card_misuse_same_day_far_apart(tiny):
    c = tiny["claims"].merge(tiny["providers"][["provider_id", "region"]], on="provider_id")
    c = c[c["setting"] != "pharmacy"]
    day = c.groupby(["person_id", "admit_date"])["region"].nunique()
    far = set(day[day >= 2].index.get_level_values(0))
    misused = planted(tiny, "card_misuse", "person")
    assert len(misused & far) >= 0.8 * len(misused)


def test_drug_resale_many_pharmacies(tiny):
    ph = tiny["claims"][tiny["claims"]["setting"] == "pharmacy"]
    month = ph["settle_time"].dt.to_period("M")
    shops = ph.groupby(["person_id", month])["provider_id"].nunique().groupby(level=0).max()
    resale = list(planted(tiny, "drug_resale", "person"))
    assert (shops[resale] >= 3).all()
    lines = tiny["claim_items"].merge(ph[["claim_id", "person_id"]], on="claim_id")
    lines = lines[lines["item_code"].isin(RESALE_DRUGS)]
    boxes = lines.groupby("person_id")["quantity"].sum()
    assert boxes[resale].min() > boxes.drop(resale).quantile(0.99)  # far beyond any clinical need


def test_labels_are_scarce_biased_and_imperfect(tiny):
    labels, truth, claims = tiny["labels"], tiny["truth"], tiny["claims"]
    assert set(labels["outcome"]) == {"fraud", "clean"}
    prov = labels[labels["entity_type"] == "provider"]
    assert prov["entity_id"].nunique() < 0.6 * len(tiny["providers"])  # only the inspected
    spend = claims.groupby("provider_id")["fund_paid"].sum()
    assert spend[prov["entity_id"].unique()].mean() > 1.5 * spend.mean()  # big billers first
    never = truth.loc[truth["pattern_no"] == NEVER_LABELLED, "entity_id"]
    assert len(never) and not labels["entity_id"].isin(never).any()
    assert PATTERNS[NEVER_LABELLED][0] not in set(labels["pattern"].dropna())
    last = sorted(claims["settle_time"].dt.strftime("%Y-%m").unique())[-1]
    assert last not in set(labels["period"])  # outcomes of the latest month are not in yet


def test_not_every_inspection_finds_the_fraud(small_like_labels):
    labels, truth = small_like_labels
    key = ["entity_type", "entity_id", "period"]
    m = labels.merge(truth[key].drop_duplicates(), on=key, how="left", indicator=True)
    active = m["_merge"] == "both"
    assert (m.loc[~active, "outcome"] == "clean").all()  # nothing found where nothing happened
    assert (m.loc[active, "outcome"] == "clean").any()  # and some frauds slip through


@pytest.fixture(scope="module")
def small_like_labels(tmp_path_factory):
    """Labels over a longer tiny run, so that enough fraud-active inspections happen."""
    from synthetic.generate import generate

    out = tmp_path_factory.mktemp("longer") / "d"
    generate(out, scale="tiny", seed=11, months=10)
    return pd.read_csv(out / "labels.csv"), pd.read_csv(out / "truth.csv")
