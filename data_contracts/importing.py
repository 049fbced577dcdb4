"""Import an agency's export into the claims contract (what `fundguard import` runs).

Agencies export settlements, fee details, insured persons and the catalogue under their own
column names, codes, date formats and encodings (GB18030/GBK is common, so is UTF-8 with a
BOM, and Excel workbooks). The loaders accept only the contract's own shape, so every
agency-specific guess lives in one reviewed file instead of in code: a mapping, a YAML file a
data engineer reads and edits (see mappings/nhsa.yaml for the national platform's records).
It says, per contract table, which files hold it, which source column feeds each contract
column, how codes translate, which date formats to expect, and what to assume where the export
is silent. import_export() applies it and writes the dataset folder the pipeline reads.

Every value the mapping cannot place -- a code it does not list, a date in none of its formats,
a column the export lacks -- is reported the way the loaders report broken rules: a
ContractViolation whose findings name table, column, rule, count and example rows. Then nothing
is written: the tables go into a hidden sibling folder that is renamed to `out` only once all
of them are complete. Everything is read as text first, so ids keep their leading zeros; only
the contract's typed columns are converted.
"""

from __future__ import annotations

import codecs
import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from data_contracts import tables as t
from data_contracts.atomic import written_aside
from data_contracts.coerce import BOOL, DATE, INT, NULLABLE_INT, NUMBER, STRING, TIMESTAMP, TYPE_RULES, coerce
from data_contracts.errors import MAX_EXAMPLES, ContractViolation, Finding, json_value

MAPPINGS_DIR = Path(__file__).parent / "mappings"
NHSA_MAPPING = MAPPINGS_DIR / "nhsa.yaml"  # the national platform's settlement and fee-detail records

EXPORT = "export"  # findings about the export folder itself, not one table
AUTO = "auto"
AUTO_ENCODINGS = ("utf-8-sig", "gb18030")  # what `encoding: auto` tries, in order
IMPORTABLE = (*t.DATASET_TABLES, t.LABELS)
TABLE_KEYS = frozenset({"files", "sheet", "encoding", "columns", "values", "formats", "defaults", "derive", "keep"})
DERIVE_KINDS = ("same_as", "differs", "number_within")
CSV_SUFFIXES, EXCEL_SUFFIXES = (".csv", ".txt"), (".xlsx", ".xlsm")
_FILE, _ROW = "__file", "__row"  # where each raw row came from, for the examples of a finding
_NULL_TAG = "tag:yaml.org,2002:null"
_EARLIEST, _LATEST = pd.Timestamp.min.ceil("D"), pd.Timestamp.max.floor("D")
_NULL_DTYPES = {
    STRING: "str",
    INT: "Int64",
    NULLABLE_INT: "Int64",
    NUMBER: "float64",
    DATE: "datetime64[ns]",
    TIMESTAMP: "datetime64[ns]",
    BOOL: "boolean",
}


@dataclass(frozen=True)
class ImportResult:
    """What import_export() wrote.

    `rows` counts the rows written per table, `sources` names the files (relative to the export
    folder) each table was read from, `dropped` the rows the mapping's `keep` rules left out.
    `labels` is the labels CSV when the mapping has a labels table.
    """

    out: Path
    rows: dict[str, int]
    sources: dict[str, list[str]]
    dropped: dict[str, int] = field(default_factory=dict)
    labels: Path | None = None


def import_export(
    source: str | Path, mapping: str | Path | Mapping[str, Any], out: str | Path, *, overwrite: bool = False
) -> ImportResult:
    """Turn the agency export in folder `source` into the contract dataset folder `out`.

    `mapping` is a mapping YAML file (or the same structure as a dict). Writes NAME.parquet for
    the five dataset tables, plus labels.csv when the mapping has labels. Raises
    ContractViolation, writing nothing, with every value or column the mapping could not place;
    ValueError for a malformed mapping, or for an `out` inside `source` (or `source` inside
    `out`); FileExistsError when `out` exists and `overwrite` is False (with it, `out` is
    replaced whole once the new dataset is complete). The export folder is only read.
    """
    source, out = Path(source), Path(out)
    spec = load_mapping(mapping)
    _check_folders(source, out, overwrite)
    frames, sources, dropped = _import_tables(source, spec)
    _write_dataset(frames, out)
    labels = out / "labels.csv" if t.LABELS in frames else None
    rows = {name: len(frame) for name, frame in frames.items()}
    return ImportResult(out, rows, sources, dropped, labels)


# ---- the mapping --------------------------------------------------------------------------


class _TextLoader(yaml.SafeLoader):
    """Reads every plain scalar as text, so that codes like 01 or 08 stay what they say.

    Only ~, null and empty values stay null; numbers, booleans and dates are converted later by
    the contract column they end up in.
    """


_TextLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag == _NULL_TAG]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_mapping(mapping: str | Path | Mapping[str, Any]) -> dict[str, Any]:
    """The mapping as a dict, read from YAML (every scalar as text) unless it is one already.

    Raises ValueError naming the part of the mapping that is malformed.
    """
    if isinstance(mapping, Mapping):
        spec, where = dict(mapping), "mapping"
    else:
        path = Path(mapping)
        where = f"mapping {path}"
        try:
            spec = yaml.load(path.read_text(encoding="utf-8-sig"), Loader=_TextLoader)  # a SafeLoader
        except OSError as err:
            raise ValueError(f"{where} cannot be read: {err}") from None
        except yaml.YAMLError as err:
            raise ValueError(f"{where} is not valid YAML: {err}") from None
    _check_mapping(spec, where)
    return spec


def _require(condition: bool, where: str, what: str) -> None:
    if not condition:
        raise ValueError(f"{where}: {what}")


def _check_mapping(spec: Any, where: str) -> None:
    _require(isinstance(spec, Mapping), where, "must be a mapping with a 'tables' section")
    unknown = sorted(set(spec) - {"encoding", "tables"})
    _require(not unknown, where, f"unknown key(s) {unknown}; expected 'encoding' and 'tables'")
    _check_encoding(spec.get("encoding", AUTO), f"{where}: encoding")
    tables = spec.get("tables")
    _require(isinstance(tables, Mapping), where, "'tables' must map table names to their sources")
    missing = [name for name in t.DATASET_TABLES if name not in tables]
    _require(not missing, where, f"tables {missing} are not mapped; a dataset needs all of {list(t.DATASET_TABLES)}")
    unknown = sorted(set(tables) - set(IMPORTABLE))
    _require(not unknown, where, f"unknown table(s) {unknown}; expected some of {list(IMPORTABLE)}")
    for table, table_spec in tables.items():
        _check_table(table_spec, f"{where}: tables.{table}")


def _check_encoding(encoding: Any, where: str) -> None:
    if encoding == AUTO:
        return
    try:
        codecs.lookup(str(encoding))
    except LookupError:
        raise ValueError(
            f"{where}: unknown encoding {encoding!r}; use auto, utf-8, utf-8-sig, gb18030 or gbk"
        ) from None


def _check_table(spec: Any, where: str) -> None:
    _require(isinstance(spec, Mapping), where, "must be a mapping (files, columns, ...)")
    unknown = sorted(set(spec) - TABLE_KEYS)
    _require(not unknown, where, f"unknown key(s) {unknown}; expected some of {sorted(TABLE_KEYS)}")
    patterns = _as_list(spec.get("files"))
    _require(bool(patterns) and all(isinstance(p, str) for p in patterns), where, "'files' must list file globs")
    _require(
        all(not Path(p).is_absolute() and ".." not in Path(p).parts for p in patterns),
        f"{where}.files",
        "globs are relative to the export folder and stay inside it",
    )
    _check_encoding(spec.get("encoding", AUTO), f"{where}.encoding")
    for key in ("columns", "values", "formats", "defaults", "derive"):
        _require(isinstance(spec.get(key, {}), Mapping), f"{where}.{key}", "must map contract columns to settings")
    for name, alternatives in spec.get("columns", {}).items():
        _require(bool(_as_list(alternatives)), f"{where}.columns.{name}", "name a source column or a list of them")
    for name, codes in spec.get("values", {}).items():
        _require(isinstance(codes, Mapping), f"{where}.values.{name}", "must map source codes to contract values")
    for name, how in spec.get("derive", {}).items():
        _check_derive(how, f"{where}.derive.{name}")
    for number, rule in enumerate(_as_list(spec.get("keep")), start=1):
        _require(
            isinstance(rule, Mapping) and {"column", "values"} <= set(rule),
            f"{where}.keep[{number}]",
            "each rule needs 'column' (a source column or list) and 'values'",
        )


def _check_derive(how: Any, where: str) -> None:
    _require(
        isinstance(how, Mapping) and len(set(how) & set(DERIVE_KINDS)) == 1,
        where,
        f"must be one of {list(DERIVE_KINDS)}, e.g. {{same_as: admit_date}}",
    )
    if "differs" in how:
        _require(len(_as_list(how["differs"])) == 2, where, "differs needs two source columns")
        _require(how.get("prefix") is None or str(how["prefix"]).isdigit(), where, "prefix is a number of characters")


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _code(value: Any) -> str:
    """A code as the export would write it (mapping keys may come from YAML or a dict)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).strip()


def _value_text(value: Any) -> str | None:
    """A contract value from the mapping as text, for the typed conversion; None stays empty."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return _code(value)


# ---- folders and files --------------------------------------------------------------------


def _check_folders(source: Path, out: Path, overwrite: bool) -> None:
    if not source.is_dir():
        what = "is not a folder" if source.exists() else "does not exist"
        raise ContractViolation([Finding(EXPORT, None, f"export folder {source} {what}", 0, 0)])
    src, dst = source.resolve(), out.resolve()
    if dst == src or dst.is_relative_to(src):
        raise ValueError(
            f"out {out} is inside the export folder {source}; write the dataset elsewhere "
            "(the export is only read, never written to)"
        )
    if src.is_relative_to(dst):
        raise ValueError(f"the export folder {source} is inside out {out}; replacing out would delete the export")
    if out.exists() and not (overwrite and out.is_dir()):
        raise FileExistsError(f"out {out} already exists; choose a new folder or pass overwrite=True to replace it")


def _matching_files(source: Path, table: str, patterns: list[str]) -> list[Path]:
    found: list[Path] = []
    for pattern in patterns:
        for path in sorted(source.glob(pattern)):
            if path.is_file() and not path.name.startswith("~$") and path not in found:  # ~$: Excel lock files
                found.append(path)
    if not found:
        raise ContractViolation(
            [Finding(table, None, f"source files present: nothing in {source} matches files {patterns}", 0, 0)]
        )
    return found


def _read_files(source: Path, files: list[Path], table: str, spec: Mapping, encoding: str) -> pd.DataFrame:
    """All files of one table as text, one after the other, with each row's file and row number."""
    frames, findings = [], []
    for path in files:
        try:
            frame = _read_file(path, table, spec, encoding)
        except ContractViolation as violation:
            findings.extend(violation.findings)
            continue
        frame[_FILE] = path.relative_to(source).as_posix()
        frame[_ROW] = np.arange(1, len(frame) + 1)
        frames.append(frame)
    if findings:
        raise ContractViolation(findings)
    return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]


def _read_file(path: Path, table: str, spec: Mapping, encoding: str) -> pd.DataFrame:
    suffix = path.suffix.lower()
    if suffix in CSV_SUFFIXES:
        frame = _read_csv(path, table, str(spec.get("encoding", encoding)))
    elif suffix in EXCEL_SUFFIXES:
        frame = _read_excel(path, table, spec.get("sheet", "0"))
    else:
        raise _file_problem(
            table,
            path,
            f"is CSV ({', '.join(CSV_SUFFIXES)}) or Excel ({', '.join(EXCEL_SUFFIXES)}); save .xls workbooks as .xlsx",
        )
    return _cleaned(frame)


def _file_problem(table: str, path: Path, rule: str) -> ContractViolation:
    return ContractViolation([Finding(table, None, f"file {path.name} {rule}", 0, 0)])


def _read_csv(path: Path, table: str, encoding: str) -> pd.DataFrame:
    candidates = AUTO_ENCODINGS if encoding == AUTO else (encoding,)
    for candidate in candidates:
        try:
            return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], encoding=candidate)
        except UnicodeDecodeError:
            continue
        except pd.errors.EmptyDataError:
            raise _file_problem(table, path, "is not empty") from None
        except (pd.errors.ParserError, ValueError) as err:
            raise _file_problem(table, path, f"is well-formed CSV ({_first_line(err)})") from None
    raise _file_problem(table, path, f"is text in {' or '.join(candidates)} (set `encoding` in the mapping)")


def _read_excel(path: Path, table: str, sheet: Any) -> pd.DataFrame:
    sheet = int(sheet) if isinstance(sheet, str) and sheet.isdigit() else sheet
    try:
        frame = pd.read_excel(path, sheet_name=sheet, dtype=object, engine="openpyxl")
    except Exception as err:  # openpyxl raises many kinds; all mean "cannot read this workbook"
        raise _file_problem(
            table, path, f"is a readable .xlsx workbook with sheet {sheet!r} ({_first_line(err)})"
        ) from None
    return frame.map(_cell_text).astype("str")


def _cell_text(value: Any) -> str | None:
    """An Excel cell as the text an export would hold (whole numbers without '.0', ISO dates)."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NaT:
        return None
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time() else value.isoformat(sep=" ")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return _code(value)


def _cleaned(frame: pd.DataFrame) -> pd.DataFrame:
    """Headers and cells trimmed; `="007"` (Excel's keep-the-zeros guard) unwrapped; blanks empty."""
    frame = frame.rename(columns=lambda name: str(name).strip().lstrip("\ufeff").strip())
    for name in frame.columns:
        text = frame[name].astype("str").str.strip()
        guarded = text.str.startswith('="') & text.str.endswith('"')
        if guarded.any():
            text = text.mask(guarded, text.str[2:-1])
        frame[name] = text.mask(text == "")
    return frame


def _first_line(err: Exception) -> str:
    lines = str(err).strip().splitlines()
    return lines[0][:200] if lines else type(err).__name__


def _present(raw: pd.DataFrame, alternatives: Sequence[Any]) -> str | None:
    """The first of `alternatives` that is a column of `raw` (case and spacing ignored)."""
    lookup = {str(name).casefold(): name for name in raw.columns if name not in (_FILE, _ROW)}
    for alternative in alternatives:
        name = lookup.get(str(alternative).strip().casefold())
        if name is not None:
            return name
    return None


def _kept_rows(raw: pd.DataFrame, rules: list[Mapping]) -> pd.DataFrame:
    """The rows every `keep` rule allows; a rule whose column the export lacks is skipped."""
    for rule in rules:
        column = _present(raw, _as_list(rule["column"]))
        if column is not None:
            raw = raw[raw[column].isin({_code(value) for value in _as_list(rule["values"])})]
    return raw.reset_index(drop=True)


# ---- building one table -------------------------------------------------------------------


def _import_tables(source: Path, spec: Mapping) -> tuple[dict[str, pd.DataFrame], dict[str, list[str]], dict[str, int]]:
    frames, sources, dropped, findings = {}, {}, {}, []
    encoding = str(spec.get("encoding", AUTO))
    for table in [name for name in IMPORTABLE if name in spec["tables"]]:
        table_spec = spec["tables"][table]
        try:
            files = _matching_files(source, table, _as_list(table_spec["files"]))
            raw = _read_files(source, files, table, table_spec, encoding)
            kept = _kept_rows(raw, _as_list(table_spec.get("keep")))
            frames[table] = _TableBuilder(table, kept, table_spec).build()
        except ContractViolation as violation:
            findings.extend(violation.findings)
            continue
        sources[table] = [path.relative_to(source).as_posix() for path in files]
        dropped[table] = len(raw) - len(kept)
    if findings:
        raise ContractViolation(findings)
    return frames, sources, dropped


class _TableBuilder:
    """Builds one contract table from its raw text rows, collecting findings on the way.

    Order: source columns (renamed, codes mapped, converted to the column's kind), then `derive`
    in the order written (each fills only cells still empty), then `defaults` (likewise).
    """

    def __init__(self, table: str, raw: pd.DataFrame, spec: Mapping):
        self.table, self.raw, self.spec = table, raw, spec
        self.findings: list[Finding] = []
        self.wanted = {name: _as_list(alts) for name, alts in spec.get("columns", {}).items()}
        chosen = {name: _present(raw, alts) for name, alts in self.wanted.items()}
        self.sources = {name: column for name, column in chosen.items() if column is not None}
        self.text = pd.DataFrame({name: raw[column] for name, column in self.sources.items()}, index=raw.index)
        self.columns: dict[str, pd.Series] = {}

    def build(self) -> pd.DataFrame:
        for name in self.sources:
            self.columns[name] = self._converted(name)
        for name, how in self.spec.get("derive", {}).items():
            self._fill(name, self._derived(name, how))
        for name, value in self.spec.get("defaults", {}).items():
            if value is not None:
                self._fill(name, self._constant(name, value))
        frame = self._assembled()
        if self.findings:
            raise ContractViolation(self.findings)
        return frame

    def _kind(self, name: str) -> str:
        column = t.SCHEMAS[self.table].get(name)
        return STRING if column is None else column.kind

    def _converted(self, name: str) -> pd.Series:
        text = self.text[name]
        codes = self.spec.get("values", {}).get(name)
        if codes is not None:
            text = self._mapped(name, text, codes)
        formats = [str(f) for f in _as_list(self.spec.get("formats", {}).get(name))]
        kind = self._kind(name)
        values, bad = _typed(text, kind, formats)
        if bad.any():
            self.findings.append(self._finding(name, _type_rule(kind, formats, self.sources[name]), bad))
        return values

    def _mapped(self, name: str, text: pd.Series, codes: Mapping) -> pd.Series:
        lookup = {_code(code): _value_text(value) for code, value in codes.items()}
        known = (text.isna() | text.isin(list(lookup))).to_numpy()
        if not known.all():
            rule = f"code listed under values.{name} in the mapping (source column {self.sources[name]})"
            self.findings.append(self._finding(name, rule, ~known))
        return text.map(lookup).astype("str")

    def _derived(self, name: str, how: Mapping) -> pd.Series:
        kind = next(kind for kind in DERIVE_KINDS if kind in how)
        if kind == "same_as":
            return self.columns.get(str(how[kind]), self._nulls(self._kind(name)))
        if kind == "number_within":
            groups = self.columns.get(str(how[kind]))
            if groups is None:
                return self._nulls(INT)
            return (groups.groupby(groups, dropna=False, sort=False).cumcount() + 1).astype("Int64")
        return self._differs(how)

    def _differs(self, how: Mapping) -> pd.Series:
        """True where two source columns differ (in their first `prefix` characters), e.g. 异地就医."""
        first, second = (_present(self.raw, _as_list(alts)) for alts in _as_list(how["differs"]))
        if first is None or second is None:
            return self._nulls(BOOL)
        width = None if how.get("prefix") is None else int(how["prefix"])
        left, right = self.raw[first].str[:width], self.raw[second].str[:width]
        return (left != right).astype("boolean").where(left.notna() & right.notna())

    def _constant(self, name: str, value: Any) -> pd.Series:
        kind = self._kind(name)
        one, bad = _typed(pd.Series([_value_text(value)], dtype="str"), kind, [])
        if bad.any():
            raise ValueError(f"mapping: tables.{self.table}.defaults.{name}: {value!r} is not a {TYPE_RULES[kind]}")
        return pd.Series(one.iloc[0], index=self.raw.index, dtype=one.dtype)

    def _nulls(self, kind: str) -> pd.Series:
        return pd.Series(pd.NA if kind != STRING else None, index=self.raw.index, dtype=_NULL_DTYPES[kind])

    def _fill(self, name: str, values: pd.Series) -> None:
        current = self.columns.get(name)
        self.columns[name] = values if current is None else current.where(current.notna(), values)

    def _assembled(self) -> pd.DataFrame:
        frame: dict[str, pd.Series] = {}
        for name, column in t.SCHEMAS[self.table].items():
            if name in self.columns:
                frame[name] = _finished(self.columns[name], column.kind)
            elif column.nullable and not column.optional:
                frame[name] = _finished(self._nulls(column.kind), column.kind)
            elif not column.optional:
                self.findings.append(self._missing(name))
        for name in [name for name in self.columns if name not in t.SCHEMAS[self.table]]:
            frame[name] = _finished(self.columns[name], STRING)  # extra columns the mapping names
        return pd.DataFrame(frame, index=self.raw.index).reset_index(drop=True)

    def _missing(self, name: str) -> Finding:
        if name in self.wanted:
            rule = (
                f"source column present: the mapping's columns.{name} lists {self.wanted[name]}, "
                "and the export has none of them"
            )
        else:
            rule = f"mapped: the mapping gives no columns, derive or defaults entry for {name}"
        return Finding(self.table, name, rule, 0, len(self.raw))

    def _finding(self, name: str, rule: str, bad: np.ndarray) -> Finding:
        shown = [key for key in t.KEYS[self.table] if key in self.text.columns and key != name] + [name]
        values = self.text[name].to_numpy()[bad]
        first_of_each = pd.Series(values).drop_duplicates().index[:MAX_EXAMPLES]  # distinct values first
        positions = np.flatnonzero(bad)[first_of_each]
        examples = [
            {
                "file": self.raw[_FILE].iat[row],
                "row": int(self.raw[_ROW].iat[row]),
                **{column: json_value(self.text[column].iat[row]) for column in shown},
            }
            for row in positions
        ]
        return Finding(self.table, name, rule, int(bad.sum()), len(self.raw), examples)


# ---- converting text to the contract's kinds ----------------------------------------------


def _type_rule(kind: str, formats: list[str], source: str) -> str:
    rule = TYPE_RULES[kind]
    if formats:
        rule = f"{rule.split(':')[0]}: one of the mapping's formats {formats} or ISO 8601"
    return f"{rule} (source column {source})"


def _typed(text: pd.Series, kind: str, formats: list[str]) -> tuple[pd.Series, np.ndarray]:
    """`text` converted to `kind` (nullable dtypes while building), and where that failed."""
    if kind == STRING:
        return text.astype("str"), np.zeros(len(text), dtype=bool)
    if kind in (DATE, TIMESTAMP):
        return _times(text, formats)
    if kind in (NUMBER, INT, NULLABLE_INT):
        text = text.str.replace(",", "", regex=False)  # 1,234.50 as spreadsheets write it
    result = coerce(text, kind)
    values = result.values
    if kind in (INT, NULLABLE_INT):
        values = values.astype("Int64")
    elif kind == BOOL:
        values = values.astype("boolean")
    return values, result.bad


def _times(text: pd.Series, formats: list[str]) -> tuple[pd.Series, np.ndarray]:
    """Dates/timestamps: each value in the first of `formats` it matches, else ISO 8601."""
    values = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    for fmt in formats:
        todo = values.isna() & text.notna()
        if not todo.any():
            break
        values[todo] = _in_range(pd.to_datetime(text[todo], format=fmt, errors="coerce"))
    todo = values.isna() & text.notna()
    if todo.any():
        values[todo] = coerce(text[todo], TIMESTAMP).values
    return values, (text.notna() & values.isna()).to_numpy()


def _in_range(values: pd.Series) -> pd.Series:
    """Nanosecond datetimes; dates outside years 1677..2262 become NaT, i.e. unreadable."""
    values = values.where((values >= _EARLIEST) & (values <= _LATEST))
    return values.astype("datetime64[ns]")


def _finished(values: pd.Series, kind: str) -> pd.Series:
    """The dtype load_dataset() gives the kind: int64/bool when complete, dates without a time."""
    if kind == DATE:
        return values.dt.normalize()
    if kind == INT:
        return values.astype("float64") if values.hasnans else values.astype("int64")
    if kind == BOOL:
        return values.astype("boolean") if values.hasnans else values.astype(bool)
    if kind == STRING:
        return values.astype("str")
    return values


# ---- writing ------------------------------------------------------------------------------


def _write_dataset(frames: dict[str, pd.DataFrame], out: Path) -> None:
    """Write every table into a hidden sibling of `out`, then swap it in whole."""
    with written_aside(out) as tmp:
        for name, frame in frames.items():
            if name == t.LABELS:
                frame.to_csv(tmp / "labels.csv", index=False, lineterminator="\n")
            else:
                frame.to_parquet(tmp / f"{name}.parquet", index=False)
