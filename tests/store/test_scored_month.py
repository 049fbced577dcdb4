"""The month switch: each run writes a version folder and replaces the month's link in one
atomic step, so a run killed at any moment leaves the previous month readable; leftovers go at
the next write; re-runs give identical files; the reader takes plain folders and links alike."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from serving.store.scored_month import VERSIONS, ScoreStore, clean_leftovers, write_period

ROOT = Path(__file__).resolve().parents[2]


def month(period: str, risk: float = 0.9) -> dict:
    providers = pd.DataFrame(
        {"entity_id": ["H1", "H2"], "rank": [1, 2], "risk_score": [risk, 0.1], "region": ["north", "south"]}
    )
    persons = pd.DataFrame({"entity_id": ["P1"], "rank": [1], "risk_score": [0.5], "region": ["north"]})
    return {
        "lists": {"provider": providers, "person": persons},
        "cases": {"provider/H1": {"reasons": ["many claims"]}},
        "report_html": "<html>report</html>",
        "manifest": {"period": period, "lookback_months": 2},
    }


def digests(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_a_month_is_a_link_to_a_version_and_reruns_are_identical(tmp_path):
    target = tmp_path / "scores" / "2026-01"
    write_period(target, **month("2026-01"))
    assert target.is_symlink() and target.resolve().parent.name == VERSIONS
    assert not os.path.isabs(os.readlink(target))  # relative: the scores folder can move
    first, first_version = digests(target), target.resolve()
    write_period(target, **month("2026-01"))
    assert digests(target) == first and target.resolve() != first_version
    assert first_version.is_dir()  # kept for readers still on it, until the next write
    write_period(target, **month("2026-01"))
    assert not first_version.exists()
    assert sorted(p.name for p in (tmp_path / "scores").iterdir()) == [VERSIONS, "2026-01"]
    assert len(list((tmp_path / "scores" / VERSIONS).iterdir())) == 2  # the current one and the one before


def test_a_failed_write_leaves_the_month_as_it_was(tmp_path):
    target = tmp_path / "2026-01"
    write_period(target, **month("2026-01"))
    before, version = digests(target), target.resolve()
    bad = month("2026-01")
    bad["lists"]["provider"] = bad["lists"]["provider"].assign(region=[object(), object()])  # parquet refuses
    with pytest.raises((TypeError, ValueError, OSError)):  # pyarrow's errors are among these
        write_period(target, **bad)
    assert target.resolve() == version and digests(target) == before
    assert [p.name for p in (tmp_path / VERSIONS).iterdir()] == [version.name]  # no unfinished folder left


KILLED_WRITER = textwrap.dedent("""
    import os, sys, time
    sys.path.insert(0, {tests!r})
    from test_scored_month import month
    import serving.store.scored_month as sm
    real = os.replace
    def paused(src, dst):
        print("switching", flush=True)
        time.sleep(120)
        real(src, dst)
    sm.os.replace = paused
    sm.write_period(sm.Path({target!r}), **month("2026-01", risk=0.5))
""")


def test_a_run_killed_just_before_the_switch_leaves_the_old_month_and_the_next_write_cleans_up(tmp_path):
    target = tmp_path / "2026-01"
    write_period(target, **month("2026-01"))
    before, version = digests(target), target.resolve()
    code = KILLED_WRITER.format(tests=str(Path(__file__).parent), target=str(target))
    child = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "switching"
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait(30)
    assert digests(target) == before and target.resolve() == version  # the month is still there, whole
    store = ScoreStore(tmp_path)
    assert store.periods() == ["2026-01"] and store.table("2026-01", "provider")["risk_score"].iloc[0] == 0.9
    leftovers = [p.name for p in tmp_path.iterdir() if ".link-" in p.name]
    assert leftovers and len(list((tmp_path / VERSIONS).iterdir())) == 2  # an orphan version and a temp link
    write_period(target, **month("2026-01", risk=0.7))
    assert sorted(p.name for p in tmp_path.iterdir()) == [VERSIONS, "2026-01"]
    assert {p.name for p in (tmp_path / VERSIONS).iterdir()} == {version.name, target.resolve().name}
    assert store.table("2026-01", "provider")["risk_score"].iloc[0] == 0.7  # the reader follows the new link


def test_an_unfinished_version_of_a_running_writer_is_left_alone(tmp_path):
    target = tmp_path / "2026-01"
    write_period(target, **month("2026-01"))
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        busy = tmp_path / VERSIONS / f"2026-01.{'a' * 12}.partial-{sleeper.pid}"
        dead = tmp_path / VERSIONS / f"2026-01.{'b' * 12}.partial-999999999"
        busy.mkdir(), dead.mkdir()
        (tmp_path / ".2026-01.tmp-0123abcd").mkdir()  # the two-rename writer's leftovers
        (tmp_path / ".2026-01.old-0123abcd").mkdir()
        removed = {p.name for p in clean_leftovers(target)}
        assert removed == {dead.name, ".2026-01.tmp-0123abcd", ".2026-01.old-0123abcd"}
        assert busy.is_dir() and target.resolve().is_dir()
    finally:
        sleeper.kill()
        sleeper.wait()


def test_a_plain_month_folder_from_before_is_read_and_then_replaced_by_a_link(tmp_path):
    plain = tmp_path / "2025-12"
    for name, frame in month("2025-12")["lists"].items():
        plain.mkdir(exist_ok=True)
        frame.to_parquet(plain / f"{name}s.parquet", index=False)
    (plain / "manifest.json").write_text('{"period": "2025-12", "lookback_months": 2}')
    write_period(tmp_path / "2026-01", **month("2026-01", risk=0.8))
    store = ScoreStore(tmp_path)
    assert store.periods() == ["2026-01", "2025-12"]
    assert store.table("2025-12", "provider")["risk_score"].iloc[0] == 0.9
    assert store.risk_history("provider", "H1", "2026-01")["risk_score"].tolist() == [0.9, 0.8]
    write_period(plain, **month("2025-12", risk=0.6))
    assert plain.is_symlink() and store.table("2025-12", "provider")["risk_score"].iloc[0] == 0.6
    assert store.periods() == ["2026-01", "2025-12"]
