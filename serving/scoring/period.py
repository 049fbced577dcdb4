"""Scoring a whole period: lists, reasons, case files and the supervisor report (no I/O).

`score_period` is what the monthly flow runs between loading the data and writing the outputs;
tests call it directly with models trained on a tiny synthetic region.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from data_contracts.vocabulary import ENTITIES
from features.audit_rules import load_rules
from features.build import FeatureSet
from models.drift import psi, retrain_due
from models.explain import shap_values
from serving.report.render import ReportContext
from serving.scoring.cases import (
    RuleExamples,
    case_measure_names,
    driving_claims,
    evidence,
    peer_group_fields,
    peer_values,
    person_measures,
    plain_names,
    population_values,
    records,
    shap_summary,
    timelines,
    top_claims,
)
from serving.scoring.explain import contributions_table, reasons
from serving.scoring.ranking import EntityList, ListOptions, build_list, exploration_picks, hit_claims, model_rows


@dataclass
class ScoredPeriod:
    period: str
    lists: dict[str, EntityList]
    cases: dict[str, dict]
    report: ReportContext
    explanations: dict[str, pd.DataFrame] = field(repr=False, default_factory=dict)


def attributes(tables: dict, entity: str) -> pd.DataFrame:
    """Descriptive columns for the list (never names: persons appear only by their pseudonymous id)."""
    if entity == "provider":
        return tables["providers"].set_index("provider_id")[["provider_type", "level", "region"]]
    return tables["insured"].set_index("person_id")[["region"]]


class _LinesByClaim:
    """The claim lines of the claims a case file shows (a listed provider has thousands of claims
    in the month, its case file shows its top 20 and a few examples per rule): `items` is sliced
    to `claim_ids` once, then each claim's lines on demand."""

    def __init__(self, items: pd.DataFrame, claim_ids=None):
        if claim_ids is not None:
            items = items[items["claim_id"].isin(claim_ids)]
        self._items, self._at = items, items.groupby("claim_id", sort=False).indices

    def get(self, claim_id, default=None):
        at = self._at.get(claim_id)
        return default if at is None else self._items.iloc[at]


@dataclass
class _Listed:
    """What the case files of one entity type share, computed once for all listed entities."""

    contributions: dict[str, list[dict]]  # entity id -> its top SHAP contributions (feature, value, shap)
    claims: dict[str, pd.DataFrame]  # entity id -> its claims of the period (with `flagged`)
    lines: _LinesByClaim  # lines of the driving and example claims
    hits: dict[str, pd.DataFrame]  # entity id -> its rule hits
    examples: RuleExamples
    timelines: dict[str, list[dict]]
    shap: dict[str, dict]
    peers: dict[str, list[dict]] | None  # persons: peer values among all active persons
    provider_table: pd.DataFrame | None  # providers: fs.provider indexed by entity id


def _case(
    entity: str, row: pd.Series, why: pd.Series, fs: FeatureSet, shared: _Listed, rule_names: dict, lang: str
) -> dict:
    entity_id = row["entity_id"]
    key = f"{entity}_id"
    case = records(pd.DataFrame([row]))[0]
    hits = shared.hits.get(entity_id, fs.hits.iloc[:0])
    claims = shared.claims.get(entity_id)
    case.update(
        {
            "driver": why.get("driver"),
            "top_features": why.get("top_features"),
            "contributions": shared.contributions.get(entity_id, []),
            "rule_hits": evidence(
                hits, rule_names, key, entity_id, lambda rule_id: shared.examples.get(entity_id, rule_id, shared.lines)
            ),
            "claims": [] if claims is None else driving_claims(claims, shared.lines),
            "timeline": shared.timelines[entity_id],
            **shared.shap[entity_id],
        }
    )
    if entity == "provider":
        base = [c for c in fs.peer_medians.columns]
        case["peer_values"] = peer_values(fs, entity_id, base, shared.provider_table)
        case.update(peer_group_fields(entity, case.get("peer_group"), lang))
    else:
        case["peer_values"] = shared.peers[entity_id]
        case.update(peer_group_fields(entity, None, lang))
    case["measure_names"] = case_measure_names(entity, case, lang)
    return case


def _listed(
    entity: str,
    ids: pd.Series,
    values: pd.DataFrame,
    rows: pd.DataFrame,
    fs: FeatureSet,
    tables: dict,
    period: tuple[pd.DataFrame, pd.DataFrame],
    flagged: pd.DataFrame,
    lookback_months: int,
) -> _Listed:
    """Everything the case files of the listed `ids` need, each piece by one vectorised pass."""
    key = f"{entity}_id"
    period_claims, period_items = period
    contrib = contributions_table(values.loc[ids], rows.loc[ids], top=15)
    mine = period_claims[period_claims[key].isin(ids)]
    mine = mine.assign(flagged=mine["claim_id"].isin(flagged["claim_id"]))
    examples = RuleExamples(fs.hits, period_claims, key, ids)
    wanted = pd.concat([top_claims(mine, key)["claim_id"], examples.claim_ids])
    hits = fs.hits[fs.hits[key].isin(ids)]
    contrib_records = records(contrib.drop(columns="entity_id"))
    peers = None
    if entity == "person":
        peers = population_values(fs.person.set_index("entity_id"), ids, person_measures(fs))
    return _Listed(
        contributions={
            k: [contrib_records[i] for i in at] for k, at in contrib.groupby("entity_id", sort=False).indices.items()
        },
        claims=dict(tuple(mine.groupby(key))),
        lines=_LinesByClaim(period_items, wanted),
        hits={k: hits.iloc[at] for k, at in hits.groupby(key, sort=False).indices.items()},
        examples=examples,
        timelines=timelines(tables["claims"], key, ids, fs.period, lookback_months),
        shap=shap_summary(values, contrib, ids),
        peers=peers,
        provider_table=fs.provider.set_index("entity_id") if entity == "provider" else None,
    )


def _period_slices(tables: dict, period: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The claims settled in `period` and their lines."""
    claims = tables["claims"]
    start = pd.Timestamp(period)
    in_period = claims[(claims["settle_time"] >= start) & (claims["settle_time"] < start + pd.DateOffset(months=1))]
    items = tables["claim_items"]
    return in_period, items[items["claim_id"].isin(in_period["claim_id"])]


def _rank_entity(
    entity: str,
    tables: dict,
    labels: pd.DataFrame,
    fs: FeatureSet,
    model,
    version: str,
    opts: ListOptions,
    lang: str,
    delay: int,
    stamps: dict,
    flagged: pd.DataFrame,
    rules,
) -> tuple:
    """One entity type's list with its reasons: (list, model rows, SHAP values, reasons)."""
    rows = model_rows(entity, fs, labels, delay)
    values = shap_values(model, rows)
    scores = model.score(rows)  # once: for the reasons and for the ranking
    picks = exploration_picks(scores, opts.capacity, opts.exploration_share)
    why = reasons(
        entity,
        rows,
        values,
        model,
        peer_medians=fs.peer_medians if entity == "provider" else None,
        peer_groups=rows.get("peer_group"),
        lang=lang,
        scores=scores,
        severities={f"rule_{r.id}": r.severity for r in rules},
        unusual=picks,
    )
    lst = build_list(
        entity,
        fs,
        model,
        version,
        labels,
        why["reasons"],
        attributes(tables, entity),
        flagged,
        opts,
        delay,
        stamps,
        scores,
        picks,
    )
    return lst, rows, values, why


def score_period(
    tables: dict,
    labels: pd.DataFrame,
    fs: FeatureSet,
    models: dict[str, tuple],
    options: dict,
    lang: str,
    delay: int,
    stamps: dict[str, str],
    case_count: dict[str, int],
    *,
    lookback_months: int = 12,
) -> ScoredPeriod:
    """Rank providers and persons of `fs.period` with their champion models and explain the ranks.

    `models`: entity -> (RiskModel, version); `options`: entity -> ListOptions; `case_count`:
    entity -> how many of the listed entities get a case file; `lookback_months`: the feature
    look-back the FeatureSet was built with (its case files' timelines cover that many months
    before the period, and the period).
    """
    period = _period_slices(tables, fs.period)
    flagged = hit_claims(fs.hits, period[0])
    rules = load_rules()
    rule_names = {r.id: (r.name_zh if lang == "zh" else r.name_en) for r in rules}
    lists, cases, shap, drift, explained = {}, {}, {}, {}, {}
    for entity in ENTITIES:
        model, version = models[entity]
        lst, rows, values, why = _rank_entity(
            entity,
            tables,
            labels,
            fs,
            model,
            version,
            options.get(entity, ListOptions()),
            lang,
            delay,
            stamps,
            flagged,
            rules,
        )
        lists[entity], shap[entity], explained[entity] = lst, values, why
        drift[entity] = psi(model.profile_, rows[model.features])
        listed = lst.listed.head(case_count.get(entity, 0))
        shared = _listed(entity, listed["entity_id"], values, rows, fs, tables, period, flagged, lookback_months)
        for _, row in listed.iterrows():
            cases[f"{entity}/{row['entity_id']}"] = _case(
                entity, row, why.loc[row["entity_id"]], fs, shared, rule_names, lang
            )
    report = _report_context(fs, lists, shap, drift, rule_names, stamps, lang)
    return ScoredPeriod(fs.period, lists, cases, report, explained)


def _report_context(fs, lists, shap, drift, rule_names, stamps, lang) -> ReportContext:
    hits = fs.hits.groupby("rule_id").agg(claims=("claim_id", "nunique"), entities=("provider_id", "nunique"))
    hits = hits.reset_index().assign(name=lambda t: t["rule_id"].map(rule_names))
    names = {e: plain_names(e, shap[e].columns, lang) for e in shap}
    due = {e: retrain_due(drift[e]) for e in drift}
    return ReportContext(
        period=fs.period,
        generated_at=f"data {stamps.get('data_fingerprint', '')}",
        model_versions={e: lst.listed["model_version"].iloc[0] if len(lst.listed) else "" for e, lst in lists.items()},
        data_fingerprint=stamps.get("data_fingerprint", ""),
        code_version=stamps.get("code_version", ""),
        lists={e: lst.listed for e, lst in lists.items()},
        shap=shap,
        feature_names=names,
        rule_hits=hits,
        drift=drift,
        retrain=due,
        lang=lang,
    )
