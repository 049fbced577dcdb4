"""Scoring a whole period: lists, reasons, case files and the supervisor report (no I/O).

`score_period` is what the monthly flow runs between loading the data and writing the outputs;
tests call it directly with models trained on a tiny synthetic region.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from features.build import FeatureSet
from features.rules import load_rules
from models.drift import psi, retrain_due
from serving.cases import driving_claims, evidence, peer_values, records
from serving.explain import contributions_table, reasons, shap_values
from serving.report import ReportContext
from serving.scoring import EntityList, ListOptions, build_list, hit_claims

ENTITIES = ("provider", "person")


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
    """The claim lines of each claim, sliced only when a case file shows that claim (a listed
    provider has thousands of claims in the month, a case file shows its top 20)."""

    def __init__(self, items: pd.DataFrame):
        self._items, self._at = items, items.groupby("claim_id", sort=False).indices

    def get(self, claim_id, default=None):
        at = self._at.get(claim_id)
        return default if at is None else self._items.iloc[at]


def _case(entity: str, row: pd.Series, why: pd.Series, contrib: pd.DataFrame, fs: FeatureSet,
          period: tuple[pd.DataFrame, pd.DataFrame], flagged: pd.DataFrame, rule_names: dict) -> dict:
    entity_id = row["entity_id"]
    key = f"{entity}_id"
    claims, lines_by_claim = period
    case = records(pd.DataFrame([row]))[0]
    case.update({
        "driver": why.get("driver"), "top_features": why.get("top_features"),
        "contributions": records(contrib[contrib["entity_id"] == entity_id].drop(columns="entity_id")),
        "rule_hits": evidence(fs.hits, rule_names, key, entity_id),
        "claims": driving_claims(claims[entity_id], lines_by_claim),
    })
    if entity == "provider":
        base = [c for c in fs.peer_medians.columns]
        case["peer_values"] = peer_values(fs, entity_id, base)
    return case


def score_period(tables: dict, labels: pd.DataFrame, fs: FeatureSet, models: dict[str, tuple], options: dict,
                 lang: str, delay: int, stamps: dict[str, str], case_count: dict[str, int]) -> ScoredPeriod:
    """Rank providers and persons of `fs.period` with their champion models and explain the ranks.

    `models`: entity -> (RiskModel, version); `options`: entity -> ListOptions; `case_count`:
    entity -> how many of the listed entities get a case file.
    """
    claims = tables["claims"]
    period_claims = claims[(claims["settle_time"] >= pd.Timestamp(fs.period))
                           & (claims["settle_time"] < pd.Timestamp(fs.period) + pd.DateOffset(months=1))]
    period_items = tables["claim_items"][tables["claim_items"]["claim_id"].isin(period_claims["claim_id"])]
    flagged = hit_claims(fs.hits, period_claims)
    rule_names = {r.id: (r.name_zh if lang == "zh" else r.name_en) for r in load_rules()}
    lists, cases, shap, drift, explained = {}, {}, {}, {}, {}
    for entity in ENTITIES:
        model, version = models[entity]
        rows = _rows(entity, fs, labels, delay)
        values = shap_values(model, rows)
        scores = model.score(rows)  # once: for the reasons and for the ranking
        why = reasons(entity, rows, values, model, peer_medians=fs.peer_medians if entity == "provider" else None,
                      peer_groups=rows.get("peer_group"), lang=lang, scores=scores)
        lst = build_list(entity, fs, model, version, labels, why["reasons"], attributes(tables, entity), flagged,
                         options.get(entity, ListOptions()), delay, stamps, scores)
        lists[entity], shap[entity], explained[entity] = lst, values, why
        drift[entity] = psi(model.profile_, rows[model.features])
        listed = lst.listed.head(case_count.get(entity, 0))
        contrib = contributions_table(values.loc[listed["entity_id"]], rows.loc[listed["entity_id"]], top=15)
        mine = period_claims[period_claims[f"{entity}_id"].isin(listed["entity_id"])]
        mine = mine.assign(flagged=mine["claim_id"].isin(flagged["claim_id"]))
        by_entity = dict(tuple(mine.groupby(f"{entity}_id")))
        lines = _LinesByClaim(period_items[period_items["claim_id"].isin(mine["claim_id"])])
        for _, row in listed.iterrows():
            cases[f"{entity}/{row['entity_id']}"] = _case(entity, row, why.loc[row["entity_id"]], contrib, fs,
                                                          (by_entity, lines), flagged, rule_names)
    report = _report_context(fs, lists, shap, drift, rule_names, stamps, lang)
    return ScoredPeriod(fs.period, lists, cases, report, explained)


def _rows(entity: str, fs: FeatureSet, labels: pd.DataFrame, delay: int) -> pd.DataFrame:
    from serving.scoring import model_rows
    return model_rows(entity, fs, labels, delay)


def _report_context(fs, lists, shap, drift, rule_names, stamps, lang) -> ReportContext:
    hits = fs.hits.groupby("rule_id").agg(claims=("claim_id", "nunique"), entities=("provider_id", "nunique"))
    hits = hits.reset_index().assign(name=lambda t: t["rule_id"].map(rule_names))
    names = {e: _names(e, shap[e].columns, lang) for e in shap}
    due = {e: retrain_due(drift[e]) for e in drift}
    return ReportContext(period=fs.period, generated_at=f"data {stamps.get('data_fingerprint', '')}",
                         model_versions={e: lst.listed["model_version"].iloc[0] if len(lst.listed) else ""
                                         for e, lst in lists.items()},
                         data_fingerprint=stamps.get("data_fingerprint", ""),
                         code_version=stamps.get("code_version", ""),
                         lists={e: lst.listed for e, lst in lists.items()}, shap=shap, feature_names=names,
                         rule_hits=hits, drift=drift, retrain=due, lang=lang)


def _names(entity: str, columns, lang: str) -> dict[str, str]:
    """Plain names of feature columns (peer-relative ones by their base measure)."""
    from features.dictionary import measures
    from features.schema import base_name

    table = {m.name: (m.zh if lang == "zh" else m.en) for m in measures(entity)}
    return {c: table.get(c) or table.get(base_name(c)) or c for c in columns}
