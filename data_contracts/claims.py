"""The GX expectation suites of the claims contract: one per table, one per derived frame.

Suites are keyed by frame name: a contract table name for rules on the table itself,
checks_frame(table) for rules on that table's derived frame (see derived.py), and the names
below for subsets of claims. Every rule of CLAIMS_CONTRACT.md is one expectation here.

Rules that hold only for some rows use GX row conditions on the small tables. On claims
(millions of rows) GX would filter the whole frame again for every metric of every such
expectation, costing seconds each, so those rules run on a subset frame selected once.
"""

from __future__ import annotations

import datetime

import great_expectations as gx
from great_expectations import expectations as gxe

from data_contracts import derived as d
from data_contracts import expectations as r
from data_contracts import tables as t
from data_contracts.vocabulary import PERIOD_REGEX

TOLERANCE = 0.01
_CHECKS_SUFFIX = "_checks"
PHARMACY_CLAIMS = "claims_pharmacy"  # claims with setting = pharmacy
NON_INPATIENT_CLAIMS = "claims_not_inpatient"  # claims with setting other than inpatient


def checks_frame(table: str) -> str:
    """Name of the derived frame that carries `table`'s cross-table and arithmetic rules."""
    return table + _CHECKS_SUFFIX


def dataset_suites(today: datetime.date) -> dict[str, gx.ExpectationSuite]:
    """Suites for the five dataset tables and their derived frames; `today` bounds birth dates."""
    expectations = {
        t.PROVIDERS: providers_rules(),
        t.INSURED: insured_rules(today),
        t.CATALOG: catalog_rules(),
        checks_frame(t.CATALOG): catalog_checks_rules(),
        t.CLAIMS: claims_rules(),
        PHARMACY_CLAIMS: pharmacy_claims_rules(),
        NON_INPATIENT_CLAIMS: non_inpatient_claims_rules(),
        checks_frame(t.CLAIMS): claims_checks_rules(),
        t.CLAIM_ITEMS: claim_items_rules(),
        checks_frame(t.CLAIM_ITEMS): claim_items_checks_rules(),
    }
    return {name: r.suite(name, rules) for name, rules in expectations.items()}


def labels_suites(with_period_from: bool = False) -> dict[str, gx.ExpectationSuite]:
    """Suites for labels and their derived frame (entities looked up in providers and insured)."""
    checks = checks_frame(t.LABELS)
    return {t.LABELS: r.suite(t.LABELS, labels_rules(with_period_from)), checks: r.suite(checks, labels_checks_rules())}


def providers_rules() -> list[gxe.Expectation]:
    p = t.PROVIDERS
    kind = r.column(t.PROVIDER_TYPE)
    show = [t.PROVIDER_TYPE, t.LEVEL]
    return r.not_null(p) + [
        r.unique(p, t.PROVIDER_ID),
        r.one_of(p, t.PROVIDER_TYPE, t.PROVIDER_TYPES),
        r.one_of(p, t.OWNERSHIP, t.OWNERSHIPS),
        r.one_of(p, t.LEVEL, t.HOSPITAL_LEVELS, when=kind == t.HOSPITAL, show=show, rule="1, 2 or 3 for hospitals"),
        r.one_of(p, t.LEVEL, t.CLINIC_LEVELS, when=kind == t.CLINIC, show=show, rule="1 for clinics"),
        r.is_null(p, t.LEVEL, kind == t.PHARMACY, "null for pharmacies", show),
        r.at_least(p, t.BEDS, 0),
        r.one_of(p, t.BEDS, [0], when=kind == t.PHARMACY, rule="0 for pharmacies", show=[t.PROVIDER_TYPE, t.BEDS]),
        r.at_least(p, t.STAFF, 0),
    ]


def insured_rules(today: datetime.date) -> list[gxe.Expectation]:
    i = t.INSURED
    return r.not_null(i) + [
        r.unique(i, t.PERSON_ID),
        r.one_of(i, t.SEX, t.SEXES),
        r.not_after(i, t.BIRTH_DATE, today, f"not in the future (after {today.isoformat()})"),
        r.one_of(i, t.SCHEME, t.SCHEMES),
    ]


def catalog_rules() -> list[gxe.Expectation]:
    c = t.CATALOG
    return r.not_null(c) + [
        r.unique(c, t.ITEM_CODE),
        r.one_of(c, t.ITEM_TYPE, t.ITEM_TYPES),
        r.one_of(c, t.COVERAGE_CLASS, t.COVERAGE_CLASSES),
        r.one_of(c, t.SEX_RESTRICTION, t.SEXES, rule="F, M or empty"),
        r.at_least(c, t.REFERENCE_PRICE, 0, strict=True),
        r.at_least(c, t.MAX_DAILY_QUANTITY, 0, strict=True, rule="> 0 where set"),
    ]


def catalog_checks_rules() -> list[gxe.Expectation]:
    return [r.holds(t.CATALOG, t.BUNDLE_CODE, d.BUNDLE_KNOWN, "an item_code in catalog where set")]


def claims_rules() -> list[gxe.Expectation]:
    c = t.CLAIMS
    return (
        r.not_null(c)
        + [
            r.unique(c, t.CLAIM_ID),
            r.one_of(c, t.SETTING, t.SETTINGS),
            r.expect(
                gxe.ExpectColumnPairValuesAToBeGreaterThanB,
                c,
                t.DISCHARGE_DATE,
                "≥ admit_date",
                show=[t.ADMIT_DATE, t.DISCHARGE_DATE],
                column_A=t.DISCHARGE_DATE,
                column_B=t.ADMIT_DATE,
                or_equal=True,
            ),
        ]
        + [r.at_least(c, name, 0) for name in (t.TOTAL_AMOUNT, t.FUND_PAID, t.PERSONAL_ACCOUNT_PAID, t.SELF_PAID)]
    )


def pharmacy_claims_rules() -> list[gxe.Expectation]:
    """Rules for the PHARMACY_CLAIMS frame (claims with setting = pharmacy)."""
    return [
        r.expect(
            gxe.ExpectColumnValuesToBeNull,
            t.CLAIMS,
            name,
            "null for pharmacy purchases",
            show=[t.SETTING, name],
            column=name,
        )
        for name in (t.DOCTOR_ID, t.DIAGNOSIS)
    ]


def non_inpatient_claims_rules() -> list[gxe.Expectation]:
    """Rules for the NON_INPATIENT_CLAIMS frame (claims with a setting other than inpatient)."""
    return [
        r.expect(
            gxe.ExpectColumnPairValuesToBeEqual,
            t.CLAIMS,
            t.DISCHARGE_DATE,
            "= admit_date outside inpatient care",
            show=[t.SETTING, t.ADMIT_DATE, t.DISCHARGE_DATE],
            column_A=t.DISCHARGE_DATE,
            column_B=t.ADMIT_DATE,
        )
    ]


def claims_checks_rules() -> list[gxe.Expectation]:
    c = t.CLAIMS
    paid = [t.TOTAL_AMOUNT, t.FUND_PAID, t.PERSONAL_ACCOUNT_PAID, t.SELF_PAID]
    return [
        r.holds(c, t.PERSON_ID, d.PERSON_KNOWN, "a person_id in insured"),
        r.holds(c, t.PROVIDER_ID, d.PROVIDER_KNOWN, "a provider_id in providers"),
        r.within(
            c,
            t.TOTAL_AMOUNT,
            d.PAYMENTS_DIFF,
            TOLERANCE,
            f"total = fund_paid + personal_account_paid + self_paid (±{TOLERANCE})",
            paid,
        ),
        r.within(
            c,
            t.TOTAL_AMOUNT,
            d.LINES_DIFF,
            TOLERANCE,
            f"total = sum of the claim's claim_items amounts (±{TOLERANCE})",
            [t.TOTAL_AMOUNT, d.LINE_SUM],
        ),
    ]


def claim_items_rules() -> list[gxe.Expectation]:
    i = t.CLAIM_ITEMS
    return r.not_null(i) + [
        r.at_least(i, t.LINE_NO, 1),
        r.at_least(i, t.QUANTITY, 0, strict=True),
        r.at_least(i, t.UNIT_PRICE, 0),
    ]


def claim_items_checks_rules() -> list[gxe.Expectation]:
    i = t.CLAIM_ITEMS
    return [
        r.holds(i, t.CLAIM_ID, d.CLAIM_KNOWN, "a claim_id in claims"),
        r.holds(i, t.ITEM_CODE, d.ITEM_KNOWN, "an item_code in catalog"),
        r.within(
            i,
            t.AMOUNT,
            d.AMOUNT_DIFF,
            TOLERANCE,
            f"amount = quantity × unit_price (±{TOLERANCE})",
            [t.AMOUNT, t.QUANTITY, t.UNIT_PRICE],
        ),
        r.holds(i, t.LINE_NO, d.LINE_NO_UNIQUE, "unique within a claim"),
        r.holds(
            i,
            t.SERVICE_DATE,
            d.IN_STAY,
            "within the claim's admit_date..discharge_date",
            [t.SERVICE_DATE, d.CLAIM_ADMIT, d.CLAIM_DISCHARGE],
        ),
    ]


def labels_rules(with_period_from: bool = False) -> list[gxe.Expectation]:
    lab = t.LABELS
    return (
        r.not_null(lab)
        + [
            r.one_of(lab, t.ENTITY_TYPE, t.ENTITY_TYPES),
            r.expect(gxe.ExpectColumnValuesToMatchRegex, lab, t.PERIOD, "YYYY-MM", column=t.PERIOD, regex=PERIOD_REGEX),
            r.one_of(lab, t.OUTCOME, t.OUTCOMES),
            r.expect(
                gxe.ExpectColumnValuesToBeBetween,
                lab,
                t.AMOUNT_RECOVERED,
                "≥ 0 and finite",
                column=t.AMOUNT_RECOVERED,
                min_value=0,
                max_value=1e15,
            ),
        ]
        + (
            [
                r.expect(
                    gxe.ExpectColumnValuesToMatchRegex,
                    lab,
                    t.PERIOD_FROM,
                    "YYYY-MM where set",
                    column=t.PERIOD_FROM,
                    regex=PERIOD_REGEX,
                )
            ]
            if with_period_from
            else []
        )
    )


def labels_checks_rules() -> list[gxe.Expectation]:
    lab, key = t.LABELS, [t.ENTITY_TYPE, t.ENTITY_ID, t.PERIOD]
    return [
        r.holds(
            lab,
            t.ENTITY_ID,
            d.ENTITY_KNOWN,
            "a provider_id in providers (entity_type provider) or person_id in insured (person)",
            [t.ENTITY_TYPE, t.ENTITY_ID],
        ),
        r.holds(lab, t.PERIOD, d.NOT_FUTURE, "not after the current month", key),
        r.holds(lab, t.PERIOD_FROM, d.SPAN_ORDERED, "period_from ≤ period", [*key, t.PERIOD_FROM]),
        r.holds(lab, t.ENTITY_ID, d.NOT_REPEATED, "each row once (no exact duplicate)", key),
        r.holds(
            lab, t.OUTCOME, d.ONE_OUTCOME, "one outcome per entity and period (not fraud and clean)", [*key, t.OUTCOME]
        ),
    ]
