"""Runs on anyone's data: every shape real exports come in goes validate → train → score through
the command line with exit 0, writes both lists, shows no traceback and writes nothing inside the
input folder. Shapes are combined so that each one is covered by some run (synthetic/profiles.py).
"""

from __future__ import annotations

import hashlib

import pandas as pd
import pytest

from pipelines.cli import main
from synthetic.generate import generate
from synthetic.profiles import PROFILES
from testkit import TINY_SEED

RUNS = {
    "us_like": "provider_labels_only,one_line_per_claim,no_beds_staff,no_doctor_id",
    "persons_only_labels": "person_labels_only,no_drg,mixed_formats,one_region",
    "no_labels": "no_labels,extra_columns,tiny_provider",
    "one_inspection_inpatient": "one_inspection,inpatient_only,shuffled_columns,all_claims_break_rule",
    "spans_outpatient": "span_labels,no_inpatient,short_history",
    "pharmacies": "pharmacies_only,provider_labels_only",
    "hospitals_long": "one_provider_type,long_history",
    "volume_fraud": "volume_fraud",
}


def test_every_profile_is_covered_by_a_run():
    covered = {name for combo in RUNS.values() for name in combo.split(",")}
    assert set(PROFILES) <= covered, set(PROFILES) - covered


def _snapshot(folder):
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _run(argv, capsys) -> tuple[int, str]:
    with pytest.raises(SystemExit) as done:
        main(argv)
    captured = capsys.readouterr()
    return done.value.code, captured.out + captured.err


@pytest.mark.slow
@pytest.mark.parametrize("shape", sorted(RUNS))
def test_shape_runs_end_to_end(shape, prefect_api, tmp_path, monkeypatch, capsys):
    data = tmp_path / "data"  # the folder name that once made fundguard write into its input
    generate(data, scale="tiny", seed=TINY_SEED, profile=RUNS[shape])
    before = _snapshot(data)
    monkeypatch.chdir(tmp_path)  # default settings: the state folder lands next to the data, not in it
    for name in ("FUNDGUARD_DATA_DIR", "FUNDGUARD_REPORTS_DIR", "FUNDGUARD_SCORES_DIR", "MLFLOW_TRACKING_URI"):
        monkeypatch.delenv(name, raising=False)
    labels = ["--labels", str(data / "labels.csv")]
    for argv in (
        ["validate", "--data", str(data), *labels],
        ["train", "--data", str(data), *labels],
        ["score", "--data", str(data)],
    ):
        code, out = _run(argv, capsys)
        assert code == 0, f"{argv[0]} on {shape}: exit {code}\n{out[-3000:]}"
        assert "Traceback" not in out, out[-3000:]
    scored = sorted((tmp_path / "fundguard-data" / "scores").iterdir())
    assert scored, "no scored month"
    for name in ("providers", "persons"):
        listed = pd.read_parquet(scored[-1] / f"{name}.parquet")
        assert len(listed) > 0 and listed["risk_score"].between(0, 1).all()
        assert listed["reasons"].notna().all()
        assert not listed["reasons"].str.contains(r"<NA>|\bNone\b|\bnan\b", regex=True).any()
    assert _snapshot(data) == before, "something was written inside the input folder"
