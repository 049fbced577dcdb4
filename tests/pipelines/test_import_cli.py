"""`fundguard import` as a data engineer runs it: the national platform's export in, the contract's
tables out (then `validate` passes); an unmappable code gets the contract report, exit 2, and
nothing is written."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from pipelines.cli import main

_spec = importlib.util.spec_from_file_location(
    "importing_tests", Path(__file__).resolve().parent.parent / "data_contracts" / "test_importing.py"
)
_importing_tests = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_importing_tests)


def _run(argv, capsys) -> tuple[int, str]:
    with pytest.raises(SystemExit) as done:
        main(argv)
    captured = capsys.readouterr()
    return done.value.code, captured.out + captured.err


def test_import_then_validate(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("FUNDGUARD_DATA_DIR", str(tmp_path / "state"))
    export = _importing_tests._write_export(tmp_path / "export")
    code, out = _run(["import", "--from", str(export), "--out", str(tmp_path / "dataset")], capsys)
    assert code == 0, out
    assert "imported" in out and "claims" in out
    code, out = _run(["validate", "--data", str(tmp_path / "dataset")], capsys)
    assert code == 0, out


def test_an_unmappable_code_is_a_contract_report(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("FUNDGUARD_DATA_DIR", str(tmp_path / "state"))
    export = _importing_tests._write_export(tmp_path / "export", med_type_of_second_claim="99")
    code, out = _run(["import", "--from", str(export), "--out", str(tmp_path / "dataset")], capsys)
    assert code == 2, out
    assert "setting" in out and "99" in out and "Traceback" not in out
    assert not (tmp_path / "dataset").exists()
