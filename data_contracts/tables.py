"""The tables of the claims contract, written once as data, and the loaders that read them.

A dataset is a folder holding providers, insured, catalog, claims and claim_items, each as
NAME.parquet or NAME.csv (Parquet is used when both exist). Labels are a separate CSV (or
Parquet) file. Extra columns and extra files are allowed and ignored; missing ones are not.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from data_contracts.coerce import BOOL, DATE, INT, NULLABLE_INT, NUMBER, STRING, TIMESTAMP, TYPE_RULES, coerce
from data_contracts.errors import MAX_EXAMPLES, ContractViolation, Finding, json_value
from data_contracts.reading import find_table_file, read_table_file

# table names
DATASET = "dataset"
PROVIDERS, INSURED, CATALOG = "providers", "insured", "catalog"
CLAIMS, CLAIM_ITEMS, LABELS = "claims", "claim_items", "labels"
DATASET_TABLES = (PROVIDERS, INSURED, CATALOG, CLAIMS, CLAIM_ITEMS)

# column names
PROVIDER_ID, PROVIDER_TYPE, LEVEL, OWNERSHIP = "provider_id", "provider_type", "level", "ownership"
REGION, BEDS, STAFF, CONTRACT_START = "region", "beds", "staff", "contract_start"
PERSON_ID, SEX, BIRTH_DATE, SCHEME = "person_id", "sex", "birth_date", "scheme"
ITEM_CODE, ITEM_NAME, ITEM_TYPE, COVERAGE_CLASS = "item_code", "item_name", "item_type", "coverage_class"
SEX_RESTRICTION, REFERENCE_PRICE = "sex_restriction", "reference_price"
MAX_DAILY_QUANTITY, BUNDLE_CODE = "max_daily_quantity", "bundle_code"
CLAIM_ID, DOCTOR_ID, SETTING = "claim_id", "doctor_id", "setting"
ADMIT_DATE, DISCHARGE_DATE, SETTLE_TIME = "admit_date", "discharge_date", "settle_time"
DIAGNOSIS, DRG, TOTAL_AMOUNT, FUND_PAID = "diagnosis", "drg", "total_amount", "fund_paid"
PERSONAL_ACCOUNT_PAID, SELF_PAID, OUT_OF_AREA = "personal_account_paid", "self_paid", "out_of_area"
LINE_NO, QUANTITY, UNIT_PRICE, AMOUNT, SERVICE_DATE = "line_no", "quantity", "unit_price", "amount", "service_date"
ENTITY_TYPE, ENTITY_ID, PERIOD, OUTCOME = "entity_type", "entity_id", "period", "outcome"
PATTERN, AMOUNT_RECOVERED, PERIOD_FROM = "pattern", "amount_recovered", "period_from"

# allowed values
HOSPITAL, CLINIC, PHARMACY = "hospital", "clinic", "pharmacy"
PROVIDER_TYPES = (HOSPITAL, CLINIC, PHARMACY)
OWNERSHIPS = ("public", "private")
SEXES = ("F", "M")
SCHEMES = ("employee", "resident")
ITEM_TYPES = ("drug", "service", "material")
COVERAGE_CLASSES = ("A", "B", "C")
OUTPATIENT, INPATIENT = "outpatient", "inpatient"
SETTINGS = (OUTPATIENT, INPATIENT, PHARMACY)
ENTITY_PROVIDER, ENTITY_PERSON = "provider", "person"
ENTITY_TYPES = (ENTITY_PROVIDER, ENTITY_PERSON)
OUTCOMES = ("fraud", "clean")
HOSPITAL_LEVELS, CLINIC_LEVELS = (1, 2, 3), (1,)


@dataclass(frozen=True)
class Col:
    """A contract column: its kind (see coerce.KINDS), whether nulls are allowed, whether it may be absent."""

    kind: str
    nullable: bool = False
    optional: bool = False


SCHEMAS: dict[str, dict[str, Col]] = {
    PROVIDERS: {
        PROVIDER_ID: Col(STRING),
        PROVIDER_TYPE: Col(STRING),
        LEVEL: Col(NULLABLE_INT, nullable=True),
        OWNERSHIP: Col(STRING),
        REGION: Col(STRING),
        BEDS: Col(NULLABLE_INT, nullable=True),
        STAFF: Col(NULLABLE_INT, nullable=True),
        CONTRACT_START: Col(DATE),
    },
    INSURED: {
        PERSON_ID: Col(STRING),
        SEX: Col(STRING),
        BIRTH_DATE: Col(DATE),
        SCHEME: Col(STRING),
        REGION: Col(STRING),
    },
    CATALOG: {
        ITEM_CODE: Col(STRING),
        ITEM_NAME: Col(STRING),
        ITEM_TYPE: Col(STRING),
        COVERAGE_CLASS: Col(STRING),
        SEX_RESTRICTION: Col(STRING, nullable=True),
        REFERENCE_PRICE: Col(NUMBER),
        MAX_DAILY_QUANTITY: Col(NUMBER, nullable=True),
        BUNDLE_CODE: Col(STRING, nullable=True),
    },
    CLAIMS: {
        CLAIM_ID: Col(STRING),
        PERSON_ID: Col(STRING),
        PROVIDER_ID: Col(STRING),
        DOCTOR_ID: Col(STRING, nullable=True),
        SETTING: Col(STRING),
        ADMIT_DATE: Col(DATE),
        DISCHARGE_DATE: Col(DATE),
        SETTLE_TIME: Col(TIMESTAMP),
        DIAGNOSIS: Col(STRING, nullable=True),
        DRG: Col(STRING, nullable=True),
        TOTAL_AMOUNT: Col(NUMBER),
        FUND_PAID: Col(NUMBER),
        PERSONAL_ACCOUNT_PAID: Col(NUMBER),
        SELF_PAID: Col(NUMBER),
        OUT_OF_AREA: Col(BOOL),
    },
    CLAIM_ITEMS: {
        CLAIM_ID: Col(STRING),
        LINE_NO: Col(INT),
        ITEM_CODE: Col(STRING),
        QUANTITY: Col(NUMBER),
        UNIT_PRICE: Col(NUMBER),
        AMOUNT: Col(NUMBER),
        SERVICE_DATE: Col(DATE),
    },
    LABELS: {
        ENTITY_TYPE: Col(STRING),
        ENTITY_ID: Col(STRING),
        PERIOD: Col(STRING),
        OUTCOME: Col(STRING),
        PATTERN: Col(STRING, nullable=True, optional=True),
        AMOUNT_RECOVERED: Col(NUMBER, nullable=True, optional=True),
        PERIOD_FROM: Col(STRING, nullable=True, optional=True),
    },  # first month the inspection reviewed
}

# the column(s) that identify a row, used to point at example rows in reports
KEYS: dict[str, tuple[str, ...]] = {
    PROVIDERS: (PROVIDER_ID,),
    INSURED: (PERSON_ID,),
    CATALOG: (ITEM_CODE,),
    CLAIMS: (CLAIM_ID,),
    CLAIM_ITEMS: (CLAIM_ID, LINE_NO),
    LABELS: (ENTITY_TYPE, ENTITY_ID, PERIOD),
}


def load_dataset(path: str | Path) -> dict[str, pd.DataFrame]:
    """The five contract tables of the dataset folder `path`, typed per SCHEMAS.

    Strings are pandas 'str', integers int64 (level: nullable Int64), numbers float64, dates
    and settle_time datetime64[ns], out_of_area bool. Nulls where the contract wants a value
    are left for validation to report (an int column with nulls comes back float64, a bool
    column 'boolean'). Raises ContractViolation with every loading problem found (missing
    folder/table/column, empty file, unreadable file, value not of its column's type).
    """
    folder = Path(path)
    if not folder.is_dir():
        what = "is not a folder" if folder.exists() else "does not exist"
        raise ContractViolation([Finding(DATASET, None, f"dataset folder {folder} {what}", 0, 0)])
    tables: dict[str, pd.DataFrame] = {}
    findings: list[Finding] = []
    for table in DATASET_TABLES:
        try:
            tables[table] = _load_table(find_table_file(folder, table), table)
        except ContractViolation as violation:
            findings.extend(violation.findings)
    if findings:
        raise ContractViolation(findings)
    return tables


def load_labels(path: str | Path) -> pd.DataFrame:
    """The labels file (CSV, or Parquet by its suffix), typed per SCHEMAS[LABELS]."""
    file = Path(path)
    if not file.is_file():
        what = "is not a file" if file.exists() else "does not exist"
        raise ContractViolation([Finding(LABELS, None, f"labels file {file} {what}", 0, 0)])
    return _load_table(file, LABELS, allow_empty=True)  # no inspection outcomes yet is a valid export


def _load_table(file: Path | None, table: str, allow_empty: bool = False) -> pd.DataFrame:
    if file is None:
        raise ContractViolation([Finding(table, None, f"table file present ({table}.csv or {table}.parquet)", 0, 0)])
    schema = SCHEMAS[table]
    raw = read_table_file(file, table, schema.keys(), KEYS[table], allow_empty)
    missing = [name for name, col in schema.items() if name not in raw.columns and not col.optional]
    if missing:
        raise ContractViolation([Finding(table, name, "required column present", 0, len(raw)) for name in missing])
    return _coerce_table(raw, table)


def _coerce_table(raw: pd.DataFrame, table: str) -> pd.DataFrame:
    """Convert `raw` (a fresh frame of our own) column by column, in place."""
    findings: list[Finding] = []
    for name, col in SCHEMAS[table].items():
        if name not in raw.columns:  # an optional column the file leaves out: all empty
            raw[name] = pd.Series(pd.NA, index=raw.index, dtype="str")
        result = coerce(raw[name], col.kind)
        if result.bad.any():
            findings.append(_type_finding(raw, table, name, col.kind, result.bad))
        else:
            raw[name] = result.values
    if findings:
        raise ContractViolation(findings)
    return raw[list(SCHEMAS[table])]


def _type_finding(raw: pd.DataFrame, table: str, column: str, kind: str, bad: np.ndarray) -> Finding:
    rows = np.flatnonzero(bad)
    shown = [c for c in KEYS[table] if c in raw.columns and c != column] + [column]
    examples = [{"row": int(row) + 1, **{c: json_value(raw[c].iat[row]) for c in shown}} for row in rows[:MAX_EXAMPLES]]
    return Finding(table, column, TYPE_RULES[kind], len(rows), len(raw), examples)
