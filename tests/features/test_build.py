"""Feature tables: as of a cut-off, one row per active entity, peer-relative, shard-invariant."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from features.build import build_feature_set, feature_columns
from features.dictionary import feature_dictionary
from features.peers import peer_groups, peer_relative

PERIOD = "2025-04"


@pytest.fixture(scope="module")
def fs(tiny_tables):
    return build_feature_set(tiny_tables, PERIOD)


def _later_claims(tables: dict, shift_days: int, prefix: str) -> dict:
    """The same tables plus copies of every claim settled `shift_days` later (new ids)."""
    claims, items = tables["claims"], tables["claim_items"]
    late = claims.assign(
        claim_id=prefix + claims["claim_id"],
        settle_time=claims["settle_time"] + pd.Timedelta(days=shift_days),
        admit_date=claims["admit_date"] + pd.Timedelta(days=shift_days),
        discharge_date=claims["discharge_date"] + pd.Timedelta(days=shift_days),
        total_amount=claims["total_amount"] * 3,
        fund_paid=claims["fund_paid"] * 3,
    )
    cutoff = pd.Timestamp(PERIOD) + pd.DateOffset(months=1)
    late = late[late["settle_time"] >= cutoff]
    late_items = items[items["claim_id"].isin(late["claim_id"].str[len(prefix) :])]
    late_items = late_items.assign(
        claim_id=prefix + late_items["claim_id"],
        service_date=late_items["service_date"] + pd.Timedelta(days=shift_days),
    )
    return {
        **tables,
        "claims": pd.concat([claims, late], ignore_index=True),
        "claim_items": pd.concat([items, late_items], ignore_index=True),
    }


def test_nothing_after_the_cutoff_changes_a_value(tiny_tables, fs):
    more = _later_claims(tiny_tables, shift_days=45, prefix="LATE")
    assert len(more["claims"]) > len(tiny_tables["claims"])
    again = build_feature_set(more, PERIOD)
    pd.testing.assert_frame_equal(again.provider, fs.provider)
    pd.testing.assert_frame_equal(again.person, fs.person)
    pd.testing.assert_frame_equal(again.hits.reset_index(drop=True), fs.hits.reset_index(drop=True))


def test_a_claim_settled_at_the_cutoff_is_not_in_the_period(tiny_tables, fs):
    claims = tiny_tables["claims"]
    edge = claims.iloc[[0]].assign(claim_id="EDGE1", settle_time=pd.Timestamp("2025-05-01 00:00:00"))
    more = {**tiny_tables, "claims": pd.concat([claims, edge], ignore_index=True)}
    again = build_feature_set(more, PERIOD)
    pd.testing.assert_frame_equal(again.provider, fs.provider)


def test_one_row_per_entity_active_in_the_period(tiny_tables, fs):
    claims = tiny_tables["claims"]
    in_period = claims[claims["settle_time"].dt.strftime("%Y-%m") == PERIOD]
    assert set(fs.provider["entity_id"]) == set(in_period["provider_id"])
    assert set(fs.person["entity_id"]) == set(in_period["person_id"])
    assert fs.provider["entity_id"].is_unique and fs.person["entity_id"].is_unique
    assert (fs.provider["period"] == PERIOD).all()


def test_values_are_finite(fs):
    for table in (fs.provider, fs.person):
        values = table[feature_columns(table)].to_numpy(dtype=float)
        assert np.isfinite(values).all()


def test_same_output_sharded_and_unsharded(tiny_tables, fs):
    sharded = build_feature_set(tiny_tables, PERIOD, n_shards=3)
    pd.testing.assert_frame_equal(sharded.provider, fs.provider)
    pd.testing.assert_frame_equal(sharded.person, fs.person)


def test_peer_groups_narrow_to_region_only_when_big_enough():
    providers = pd.DataFrame(
        {
            "provider_type": ["clinic"] * 6 + ["hospital", "pharmacy"],
            "level": [1, 1, 1, 1, 1, 1, 2, None],
            "region": ["A"] * 5 + ["B", "A", "A"],
        },
        index=pd.Index([f"p{i}" for i in range(8)], name="provider_id"),
    )
    groups = peer_groups(providers, providers.index, min_size=5)
    assert list(groups) == ["clinic-L1@A"] * 5 + ["clinic-L1", "hospital-L2", "pharmacy"]


def test_peer_ratio_and_percentile():
    table = pd.DataFrame({"x": [1.0, 2.0, 3.0, 10.0, 20.0]}, index=list("abcde"))
    groups = pd.Series(["g", "g", "g", "h", "h"], index=table.index)
    rel = peer_relative(table, groups)
    floor = table["x"].abs().mean() * 0.01 + 1e-9
    assert rel.loc["c", "x__peer_ratio"] == pytest.approx((3 + floor) / (2 + floor))
    assert rel.loc["d", "x__peer_ratio"] == pytest.approx((10 + floor) / (15 + floor))
    assert list(rel["x__peer_pct"]) == pytest.approx([1 / 3, 2 / 3, 1.0, 0.5, 1.0])


def test_zero_peer_median_gives_a_finite_ratio():
    table = pd.DataFrame({"x": [0.0, 0.0, 0.0, 5.0]})
    rel = peer_relative(table, pd.Series(["g"] * 4))
    assert np.isfinite(rel["x__peer_ratio"]).all() and rel["x__peer_ratio"].iloc[3] > 100


def test_every_feature_is_in_the_dictionary(fs):
    dictionary = feature_dictionary()
    for entity, table in (("provider", fs.provider), ("person", fs.person)):
        names = set(dictionary.loc[dictionary["entity"] == entity, "name"])
        assert set(feature_columns(table)) == names
    assert (dictionary["en"].str.len() > 5).all() and (dictionary["zh"].str.len() > 1).all()


def test_city_wide_peers_include_providers_that_have_a_regional_group():
    table = pd.DataFrame({"x": [1.0, 1.0, 1.0, 1.0, 1.0, 9.0]}, index=list("abcdef"))
    groups = pd.Series(["clinic-L1@A"] * 5 + ["clinic-L1"], index=table.index)
    rel = peer_relative(table, groups)
    # f has no regional group of its own: compared with all six clinics (median 1), not with itself
    assert rel.loc["f", "x__peer_ratio"] > 5
    assert rel.loc["f", "x__peer_pct"] == pytest.approx(1.0)
