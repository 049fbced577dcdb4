"""Reading one table file (CSV or Parquet) into a raw frame, or saying why it cannot be read.

CSV is read as text (every column a string, only empty fields are null) so that the contract
kinds, not a parser's guesses, decide the types; Parquet keeps its own types. Only the columns
the contract names are kept. Nothing here writes anything.
"""

from __future__ import annotations

import csv
from collections.abc import Collection, Sequence
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from data_contracts.errors import MAX_EXAMPLES, ContractViolation, Finding

FILE_SUFFIXES = (".parquet", ".csv")  # preference order when both exist


def find_table_file(folder: Path, table: str) -> Path | None:
    """The file holding `table` in `folder` (NAME.parquet or NAME.csv); None if there is none.
    Both at once is a finding: which one the export meant cannot be told."""
    found = [folder / f"{table}{suffix}" for suffix in FILE_SUFFIXES if (folder / f"{table}{suffix}").is_file()]
    if len(found) > 1:
        raise _file_problem(
            table, f"one file per table (found both {found[0].name} and {found[1].name}: keep the one the export meant)"
        )
    return found[0] if found else None


def read_table_file(
    path: Path, table: str, columns: Collection[str], keys: Sequence[str], allow_empty: bool = False
) -> pd.DataFrame:
    """Raw frame of the contract `columns` present in the file, with a fresh RangeIndex.

    Raises ContractViolation when the file is empty (0 bytes or header only), is not valid
    UTF-8, or cannot be parsed. Missing columns are left for the caller to report.
    """
    if path.stat().st_size == 0:
        raise _file_problem(table, "file is empty (0 bytes)")
    if path.suffix == ".parquet":
        frame = _read_parquet(path, table, columns)
    else:
        frame = _read_csv(path, table, columns, keys)
    if len(frame) == 0 and not allow_empty:
        what = "file has a header but no data rows" if path.suffix == ".csv" else "file has no rows"
        raise _file_problem(table, what)
    if not isinstance(frame.index, pd.RangeIndex) or frame.index.start != 0:
        frame = frame.reset_index(drop=True)
    return frame


def _file_problem(
    table: str,
    rule: str,
    column: str | None = None,
    failed: int = 0,
    total: int = 0,
    examples: list[dict] | None = None,
) -> ContractViolation:
    return ContractViolation([Finding(table, column, rule, failed, total, examples or [])])


def _read_parquet(path: Path, table: str, columns: Collection[str]) -> pd.DataFrame:
    try:
        present = [name for name in pq.read_schema(path).names if name in columns]
        arrow = pq.read_table(path, columns=present)
    except (pa.ArrowException, OSError) as err:
        raise _file_problem(table, f"file is a readable Parquet file ({_first_line(err)})") from None
    return arrow.to_pandas(date_as_object=False, split_blocks=True, self_destruct=True)


def _read_csv(path: Path, table: str, columns: Collection[str], keys: Sequence[str]) -> pd.DataFrame:
    try:  # all columns, so that a row with too many fields is an error rather than silently cut
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise _not_utf8(path, table, keys) from None
    except (pd.errors.ParserError, ValueError) as err:
        raise _file_problem(table, f"file is well-formed CSV ({_first_line(err)})") from None
    except pd.errors.EmptyDataError:
        raise _file_problem(table, "file is empty (no header line)") from None
    frame = frame.rename(columns=lambda name: str(name).strip())
    return frame[[name for name in frame.columns if name in columns]]


def _first_line(err: Exception) -> str:
    text = str(err).strip().splitlines()
    return text[0][:200] if text else type(err).__name__


def _not_utf8(path: Path, table: str, keys: Sequence[str]) -> ContractViolation:
    """Name the rows (and where possible the column) holding bytes that are not UTF-8."""
    bad, total, examples, columns = 0, 0, [], set()
    with path.open("rb") as handle:
        header = next(csv.reader([handle.readline().decode("utf-8-sig", errors="replace")]), [])
        header = [name.strip() for name in header]
        for total, raw in enumerate(handle, start=1):
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError:
                bad += 1
                if len(examples) < MAX_EXAMPLES:
                    example, broken = _undecodable_row(raw, header, keys, total)
                    examples.append(example)
                    columns.update(broken)
    column = columns.pop() if len(columns) == 1 else None
    return _file_problem(table, "file is UTF-8 text", column, bad, total, examples)


def _undecodable_row(raw: bytes, header: list[str], keys: Sequence[str], row: int) -> tuple[dict, list[str]]:
    """The row's key values and its undecodable field(s), shown with \\x escapes."""
    text = raw.decode("utf-8", errors="backslashreplace").rstrip("\r\n")
    named = dict(zip(header, next(csv.reader([text]), [])))
    broken = [name for name, value in named.items() if "\\x" in value]
    example: dict = {"row": row}
    example.update({key: named[key] for key in keys if key in named})
    example.update({name: named[name] for name in broken})
    return example, [name for name in broken if name not in keys] or broken
