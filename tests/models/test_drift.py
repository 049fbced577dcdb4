"""Drift: the training profile, PSI against it, bands, and the retraining decision."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from models.drift import ACT_FROM, STABLE_BELOW, band, profile, psi, psi_value, retrain_due


def frame(seed: int, n: int = 5000, shift: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "amount": rng.lognormal(6.0 + shift, 1.0, n),
            "visits": rng.poisson(3 + 3 * shift, n).astype("int64"),
            "zeros": np.where(rng.random(n) < 0.8, 0.0, rng.exponential(2.0, n)),
            "flag": rng.random(n) < 0.1,
            "region": rng.choice(["a", "b"], n),
        }
    )


def test_same_distribution_is_stable_and_near_zero():
    table = psi(profile(frame(1)), frame(2))
    assert set(table["feature"]) == {"amount", "visits", "zeros", "flag"}  # text columns are skipped
    assert (table["psi"] < 0.02).all()
    assert (table["band"] == "stable").all()
    assert retrain_due(table)[0] is False


def test_identical_data_gives_zero():
    X = frame(3)
    assert psi(profile(X), X)["psi"].abs().max() == pytest.approx(0.0, abs=1e-9)


def test_shifted_mean_is_act_and_sorted_first():
    table = psi(profile(frame(1)), frame(2, shift=1.0))
    bands = table.set_index("feature")["band"]
    assert bands["amount"] == "act" and bands["visits"] == "act"
    assert bands["zeros"] == "stable" and bands["flag"] == "stable"
    assert table["psi"].is_monotonic_decreasing
    due, reason = retrain_due(table)
    assert due and "2 of 4 features" in reason


def test_bands_follow_the_thresholds():
    assert band(0.0) == "stable" and band(STABLE_BELOW - 1e-9) == "stable"
    assert band(STABLE_BELOW) == "watch" and band(ACT_FROM - 1e-9) == "watch"
    assert band(ACT_FROM) == "act" and band(float("nan")) == "act"


def test_empty_bins_give_no_infinity():
    assert np.isfinite(psi_value(np.array([1.0, 0.0]), np.array([0.0, 1.0])))


def test_constant_columns_and_nans():
    ref = pd.DataFrame(
        {
            "const": np.full(1000, 5.0),
            "holes": np.r_[np.arange(900.0), np.full(100, np.nan)],
            "empty": np.full(1000, np.nan),
        }
    )
    prof = profile(ref)
    assert prof["columns"]["const"]["edges"] == [5.0]
    assert prof["columns"]["holes"]["missing"] == pytest.approx(0.1)
    assert prof["columns"]["empty"] == {"edges": [], "shares": [0.0], "missing": 1.0}
    same = psi(prof, ref).set_index("feature")
    assert (same["band"] == "stable").all() and np.isfinite(same["psi"]).all()
    moved = pd.DataFrame(
        {
            "const": np.full(1000, 4.0),
            "holes": np.r_[np.arange(500.0), np.full(500, np.nan)],
            "empty": np.arange(1000.0),
        }
    )
    bands = psi(prof, moved).set_index("feature")["band"]
    assert bands.to_dict() == {"const": "act", "holes": "act", "empty": "act"}
    above = psi(prof, ref.assign(const=6.0)).set_index("feature")
    assert above.loc["const", "band"] == "act"


def test_infinities_count_as_missing():
    X = pd.DataFrame({"x": np.arange(100.0)})
    table = psi(profile(X), X.assign(x=np.where(X["x"] < 50, np.inf, X["x"])))
    assert table.loc[0, "missing_now"] == pytest.approx(0.5) and table.loc[0, "band"] == "act"


def test_profile_round_trips_through_json():
    prof = profile(frame(1))
    text = json.dumps(prof, allow_nan=False)
    back = json.loads(text)
    assert back == prof
    assert psi(back, frame(2)).equals(psi(prof, frame(2)))
    for col in prof["columns"].values():
        assert col["edges"] == sorted(set(col["edges"]))
        assert len(col["shares"]) == len(col["edges"]) + 2
        assert sum(col["shares"]) + col["missing"] == pytest.approx(1.0, abs=1e-5)
    assert len(prof["columns"]["zeros"]["edges"]) < len(prof["columns"]["amount"]["edges"])


def test_missing_columns_are_act_with_a_note():
    table = psi(profile(frame(1)), frame(2).drop(columns=["visits"]))
    row = table.iloc[0]
    assert row["feature"] == "visits" and row["band"] == "act" and "missing" in row["note"]
    assert np.isnan(row["psi"])


def test_inputs_are_not_mutated():
    X, Y = frame(1), frame(2, shift=1.0)
    X0, Y0 = X.copy(), Y.copy()
    table = psi(profile(X), Y)
    table0 = table.copy()
    retrain_due(table)
    pd.testing.assert_frame_equal(X, X0)
    pd.testing.assert_frame_equal(Y, Y0)
    pd.testing.assert_frame_equal(table, table0)


def table_of(bands: dict[str, str]) -> pd.DataFrame:
    values = {"stable": 0.01, "watch": 0.2, "act": 0.5}
    return pd.DataFrame(
        {"feature": list(bands), "psi": [values[b] for b in bands.values()], "band": list(bands.values())}
    )


def test_retrain_due_on_share_of_act_features():
    nine_stable = {f"f{i}": "stable" for i in range(9)}
    due, reason = retrain_due(table_of({**nine_stable, "x": "act"}))
    assert due and "1 of 10 features (10%)" in reason and "x" in reason
    due, reason = retrain_due(table_of({**nine_stable, "x": "act"}), share_act=0.2)
    assert not due and "below 20%" in reason
    assert retrain_due(table_of({**nine_stable, "x": "watch"}))[0] is False


def test_retrain_due_when_the_score_drifts():
    bands = {**{f"f{i}": "stable" for i in range(20)}, "risk_score": "act"}
    due, reason = retrain_due(table_of(bands))
    assert due and "risk_score itself drifted" in reason and "0 of 20 features" in reason
    assert retrain_due(table_of({**bands, "risk_score": "watch"}))[0] is False


def test_retrain_due_on_an_empty_table():
    due, reason = retrain_due(psi(profile(pd.DataFrame()), pd.DataFrame()))
    assert due is False and "nothing to compare" in reason
