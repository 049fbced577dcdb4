"""The generator: deterministic, in the contract's shape, realistic in its magnitudes."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pytest

from pipelines.cli import main
from synthetic.generate import generate
from testkit import TINY_SEED


def _digest(folder) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_same_seed_gives_byte_identical_output(tiny_dir, tmp_path):
    again = tmp_path / "again"
    generate(again, scale="tiny", seed=TINY_SEED)
    assert _digest(again) == _digest(tiny_dir)


def test_other_seed_gives_other_data(tiny_dir, tmp_path):
    other = tmp_path / "other"
    generate(other, scale="tiny", seed=TINY_SEED + 1)
    assert _digest(other)["claims.parquet"] != _digest(tiny_dir)["claims.parquet"]


def test_cli_writes_csv_with_the_same_content(tiny, tmp_path):
    out = tmp_path / "csv"
    with pytest.raises(SystemExit) as done:
        main(["generate", "--out", str(out), "--scale", "tiny", "--seed", str(TINY_SEED), "--format", "csv"])
    assert done.value.code == 0
    claims = pd.read_csv(out / "claims.csv")
    assert len(claims) == len(tiny["claims"])
    assert claims["settle_time"].iloc[0][10] == "T"  # ISO 8601
    assert np.allclose(claims["total_amount"], tiny["claims"]["total_amount"])


def test_tables_keep_the_contracts_arithmetic(tiny):
    claims, items = tiny["claims"], tiny["claim_items"]
    assert claims["claim_id"].is_unique
    parts = claims["fund_paid"] + claims["personal_account_paid"] + claims["self_paid"]
    assert (parts - claims["total_amount"]).abs().max() <= 0.01
    assert (items["quantity"] * items["unit_price"] - items["amount"]).abs().max() <= 0.01
    line_sum = items.groupby("claim_id")["amount"].sum().reindex(claims["claim_id"])
    assert (line_sum.to_numpy() - claims["total_amount"].to_numpy()).__abs__().max() <= 0.01
    joined = items.merge(claims[["claim_id", "admit_date", "discharge_date"]], on="claim_id")
    assert joined["service_date"].between(joined["admit_date"], joined["discharge_date"]).all()
    assert not items.duplicated(["claim_id", "line_no"]).any()
    outside = claims["setting"] != "inpatient"
    assert (claims.loc[outside, "admit_date"] == claims.loc[outside, "discharge_date"]).all()
    assert claims.loc[claims["setting"] == "pharmacy", ["doctor_id", "diagnosis"]].isna().all().all()


def test_magnitudes_are_believable(tiny):
    claims, providers = tiny["claims"], tiny["providers"]
    cost = claims.groupby("setting")["total_amount"].median()
    assert 60 <= cost["pharmacy"] <= 200
    assert 80 <= cost["outpatient"] <= 400
    assert 3_000 <= cost["inpatient"] <= 15_000
    stays = claims[claims["setting"] == "inpatient"]
    los = (stays["discharge_date"] - stays["admit_date"]).dt.days
    assert 6 <= los.mean() <= 11
    assert set(providers["provider_type"]) == {"hospital", "clinic", "pharmacy"}
    hospitals = providers[providers["provider_type"] == "hospital"]
    assert set(hospitals["level"].astype(int)) >= {1, 2, 3}
    assert providers.loc[providers["provider_type"] == "pharmacy", "level"].isna().all()


def test_service_prices_differ_by_hospital_level(tiny):
    items = tiny["claim_items"].merge(tiny["claims"][["claim_id", "provider_id"]], on="claim_id")
    items = items.merge(tiny["providers"][["provider_id", "level", "provider_type"]], on="provider_id")
    consult = items[(items["item_code"] == "S0002") & (items["provider_type"] == "hospital")]
    by_level = consult.groupby("level")["unit_price"].median()
    assert by_level[3] > by_level[2] > by_level[1]


def test_winter_is_busier_than_summer(tiny):
    month = tiny["claims"]["settle_time"].dt.month
    resp = tiny["claims"]["diagnosis"].str.startswith("J", na=False)
    assert resp[month == 1].sum() > resp[month == 6].sum() * 1.3


def test_failed_run_keeps_earlier_output(tiny_dir, tmp_path):
    out = tmp_path / "keep"
    generate(out, scale="tiny", seed=TINY_SEED, months=2)
    before = _digest(out)
    with pytest.raises(ValueError):
        generate(out, scale="tiny", seed=TINY_SEED, months=1)
    assert _digest(out) == before
    assert [p.name for p in tmp_path.iterdir()] == ["keep"]  # no temporary folders left behind
