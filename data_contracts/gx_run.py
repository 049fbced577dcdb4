"""Running the suites with Great Expectations 1.x and reading findings out of the results.

One ephemeral context per validation (nothing stored on disk, no analytics, no progress
bars) and one GX validation call per frame with all of that frame's expectations. Results
use the SUMMARY format, so GX returns counts and at most MAX_EXAMPLES unexpected row labels,
never lists of millions of rows; example rows are then read from the frames at those labels.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator, Mapping, Sequence

import great_expectations as gx
import great_expectations.execution_engine.pandas_execution_engine as gx_pandas_engine
import pandas as pd
from great_expectations.core import ExpectationSuiteValidationResult, ExpectationValidationResult
from great_expectations.data_context import AbstractDataContext
from great_expectations.data_context.types.base import (
    DataContextConfig,
    InMemoryStoreBackendDefaults,
    ProgressBarsConfig,
)

from data_contracts.errors import MAX_EXAMPLES, Finding, json_value
from data_contracts.expectations import META_COLUMN, META_RULE, META_SHOW, META_TABLE

RESULT_FORMAT = {
    "result_format": "SUMMARY",
    "partial_unexpected_count": MAX_EXAMPLES,
    "return_unexpected_index_query": False,
}


class CheckFailedToRun(RuntimeError):
    """GX could not evaluate an expectation: a fault in this package, not in the data."""


def new_context() -> AbstractDataContext:
    config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(),
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False),
    )
    return gx.get_context(mode="ephemeral", project_config=config)


@contextlib.contextmanager
def _without_batch_fingerprint() -> Iterator[None]:
    """Skip GX's md5 fingerprint of every in-memory frame under 1 GB.

    GX hashes the whole frame (pandas.util.hash_pandas_object) when it builds a batch, only
    to label the batch; on a few million rows of text that costs seconds per call and is of no
    use to us. The threshold is restored afterwards.
    """
    saved = gx_pandas_engine.HASH_THRESHOLD
    gx_pandas_engine.HASH_THRESHOLD = 0
    try:
        yield
    finally:
        gx_pandas_engine.HASH_THRESHOLD = saved


def run_suite(
    context: AbstractDataContext, name: str, frame: pd.DataFrame, suite: gx.ExpectationSuite
) -> ExpectationSuiteValidationResult:
    """Validate `frame` against `suite` in one GX call."""
    asset = context.data_sources.add_pandas(name=name).add_dataframe_asset(name=name)
    batch_definition = asset.add_batch_definition_whole_dataframe(name)
    with _without_batch_fingerprint(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        batch = batch_definition.get_batch(batch_parameters={"dataframe": frame})
        return batch.validate(suite, result_format=RESULT_FORMAT)


def findings_from(
    result: ExpectationSuiteValidationResult,
    frame: pd.DataFrame,
    tables: Mapping[str, pd.DataFrame],
    keys: Mapping[str, Sequence[str]],
) -> list[Finding]:
    """One Finding per failed expectation; raises CheckFailedToRun if GX hit an error."""
    findings = []
    for outcome in result.results:
        if outcome.exception_info and outcome.exception_info.get("raised_exception"):
            raise CheckFailedToRun(_describe_error(outcome))
        if not outcome.success:
            findings.append(_finding(outcome, frame, tables, keys))
    return findings


def _describe_error(outcome: ExpectationValidationResult) -> str:
    config = outcome.expectation_config
    message = (outcome.exception_info or {}).get("exception_message", "unknown error")
    return f"{config.type} on {config.kwargs.get('column')!r} ({config.meta}): {message}"


def _finding(
    outcome: ExpectationValidationResult,
    frame: pd.DataFrame,
    tables: Mapping[str, pd.DataFrame],
    keys: Mapping[str, Sequence[str]],
) -> Finding:
    meta = outcome.expectation_config.meta
    table = meta[META_TABLE]
    labels = outcome.result.get("partial_unexpected_index_list") or []
    examples = [
        example_row(label, tables[table], frame, keys[table], meta[META_SHOW]) for label in labels[:MAX_EXAMPLES]
    ]
    return Finding(
        table=table,
        column=meta[META_COLUMN],
        rule=meta[META_RULE],
        failed_rows=int(outcome.result.get("unexpected_count") or 0),
        total_rows=int(outcome.result.get("element_count") or len(frame)),
        examples=examples,
    )


def example_row(
    label: object, table: pd.DataFrame, frame: pd.DataFrame, key: Sequence[str], show: Sequence[str]
) -> dict[str, object]:
    """Row number, key columns and shown columns of the row with index `label`.

    `frame` (the table itself, a derived frame or a subset of rows) shares the table's index
    labels; a shown column is read from it when it has one of that name, else from the table.
    """
    position = table.index.get_loc(label)
    row: dict[str, object] = {"row": int(position) + 1}
    for name in [*key, *show]:
        value = frame.at[label, name] if name in frame.columns else table[name].iat[position]
        row[name] = json_value(value)
    return row
