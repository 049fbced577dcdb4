"""Scoring one period into the ranked inspection list (plain functions; no I/O, no Prefect).

Every score column means "higher = riskier". The list follows the claims contract's Output
section, plus filters, credit grades and the stamps a batch job needs to be traced.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from data_contracts.vocabulary import ENTITIES, data_periods, period_of, shift
from features.build import FeatureSet
from models.labelling import model_rows as labelled_rows
from models.risk import RiskModel

# 信用评价: provider credit grade from the risk score (documented in the README)
GRADES = ((0.95, "D"), (0.85, "C"), (0.60, "B"), (0.0, "A"))
GRADE_RULE = "A: risk < 0.60; B: 0.60-0.85; C: 0.85-0.95; D: >= 0.95"
LIST_COLUMNS = [
    "period",
    "entity_type",
    "entity_id",
    "rank",
    "risk_score",
    "model_score",
    "anomaly_score",
    "outlier_score",
    "rule_hits",
    "amount_at_risk",
    "reasons",
    "model_version",
    "pick",
    "blend_score",
    "rule_score",
    "core_score",
    "spend_score",
]
PROVIDER_COLUMNS = ["provider_type", "level", "region", "peer_group", "credit_grade"]


class NothingToScore(Exception):
    """The period is not in the data, or holds no settlements (exit status 1 with the reason)."""


@dataclass
class ScoreRequest:
    """What a supervisor or the monthly job asks `score` for."""

    period: str | None = None
    top: int | None = None
    regions: tuple[str, ...] = ()
    provider_types: tuple[str, ...] = ()
    skip_inspected_months: int = 0
    lang: str = "en"


def check_period(claims: pd.DataFrame, period: str | None) -> str:
    """The period to score (default: the latest in the data); NothingToScore says why not."""
    periods = data_periods(claims)
    if not periods:
        raise NothingToScore("the claims table holds no settlement to score")
    period = period or periods[-1]
    if period not in periods:
        raise NothingToScore(f"period {period} is not in the data, which covers {periods[0]}..{periods[-1]}")
    if not (period_of(claims["settle_time"]) == period).any():
        raise NothingToScore(f"no claims were settled in {period}: check that month's export before scoring it")
    return period


@dataclass(frozen=True)
class ListOptions:
    """What the supervisor asks for: capacity and filters."""

    top: int | None = None
    regions: tuple[str, ...] = ()
    provider_types: tuple[str, ...] = ()
    skip_inspected_months: int = 0  # leave out entities inspected within this many months before the period
    capacity: int = 0  # inspections the month allows (the list's head)
    exploration_share: float = 0.0  # share of the capacity given to the most unusual entities not listed


def list_options(
    request: ScoreRequest, capacity: dict[str, int] | None = None, exploration_share: float = 0.0
) -> dict[str, ListOptions]:
    """The filters and capacity of each entity type's list (provider types filter providers only)."""
    capacity = capacity or {}
    return {
        e: ListOptions(
            request.top,
            request.regions,
            request.provider_types if e == "provider" else (),
            request.skip_inspected_months,
            capacity.get(e, 0),
            exploration_share,
        )
        for e in ENTITIES
    }


def exploration_picks(scores: pd.DataFrame, capacity: int, share: float) -> pd.Series:
    """The anomaly picks: a `share` of the capacity goes to the most unusual entities (isolation
    forest or peer outliers) that the blended ranking leaves below the rest of the capacity, so a
    scheme nobody has labelled keeps its place without diluting the ranking."""
    n_explore = int(round(share * capacity))
    picks = pd.Series(False, index=scores.index, name="anomaly_pick")
    if n_explore <= 0 or len(scores) <= capacity - n_explore:
        return picks
    order = _order(scores["risk_score"], scores.index)
    rest = order[capacity - n_explore :]
    unusual = scores.loc[rest, ["anomaly_score", "outlier_score"]].max(axis=1)
    picks.loc[_order(unusual, unusual.index)[:n_explore]] = True
    return picks


def _order(score: pd.Series, ids: pd.Index) -> pd.Index:
    """Ids by score descending, ties by id (re-runs agree)."""
    frame = pd.DataFrame({"s": score.to_numpy(), "id": ids.astype(str)}, index=ids)
    return frame.sort_values(["s", "id"], ascending=[False, True]).index


def case_counts(request: ScoreRequest, configs: dict, active: dict[str, int]) -> dict[str, int]:
    """How many listed entities of each type get a case file: the asked capacity, else twice the
    inspection capacity (`configs`: entity -> an object with `capacity(n_active)`)."""
    return {e: request.top or 2 * configs[e].capacity(active[e]) for e in ENTITIES}


def credit_grade(risk: pd.Series) -> pd.Series:
    out = pd.Series("A", index=risk.index)
    for threshold, grade in reversed(GRADES):
        out = out.mask(risk >= threshold, grade)
    return out


def model_rows(entity: str, fs: FeatureSet, labels: pd.DataFrame, delay: int) -> pd.DataFrame:
    """The period's feature rows with the label-history inputs, indexed by entity id."""
    own = labels[labels["entity_type"] == entity] if len(labels) else labels
    return labelled_rows(fs.table(entity), own, delay)


def rank_entities(
    rows: pd.DataFrame,
    model: RiskModel,
    scores: pd.DataFrame | None = None,
    picks: pd.Series | None = None,
    capacity: int = 0,
) -> pd.DataFrame:
    """Parts and risk for every row, ranked: the blended ranking's head, then the anomaly picks
    (`picks`, most unusual first) to fill the `capacity`, then the rest; ties broken by entity id,
    so re-runs agree. `pick` says which: 'model' or 'anomaly pick'."""
    scored = (model.score(rows) if scores is None else scores).round(6)
    picks = pd.Series(False, index=scored.index) if picks is None else picks.reindex(scored.index, fill_value=False)
    by_risk = _order(scored["risk_score"], scored.index)
    head = [i for i in by_risk if not picks[i]]
    n_head = max(capacity - int(picks.sum()), 0)
    unusual = scored[["anomaly_score", "outlier_score"]].max(axis=1)
    chosen = list(_order(unusual[picks], scored.index[picks.to_numpy()]))
    order = head[:n_head] + chosen + head[n_head:]
    out = scored.loc[order].reset_index(drop=True)
    out["entity_id"] = np.asarray(order)
    out["pick"] = np.where(picks.loc[order].to_numpy(), "anomaly pick", "model")
    out["blend_score"] = out["risk_score"]
    if chosen:  # the ranking follows risk_score: picks sit between the head and the rest
        above = scored.loc[head[n_head - 1], "risk_score"] if n_head else 1.0
        below = scored.loc[head[n_head], "risk_score"] if len(head) > n_head else 0.0
        steps = np.linspace(above, below, len(chosen) + 2)[1:-1]
        out.loc[n_head : n_head + len(chosen) - 1, "risk_score"] = steps.round(6)
    return out.assign(rank=np.arange(1, len(out) + 1))


def hit_claims(hits: pd.DataFrame, claims: pd.DataFrame) -> pd.DataFrame:
    """The period's claims that broke at least one audit rule, with their fund paid."""
    ids = hits["claim_id"].drop_duplicates()
    return claims.loc[claims["claim_id"].isin(ids), ["claim_id", "provider_id", "person_id", "fund_paid"]]


def amount_at_risk(entity: str, fs: FeatureSet, rows: pd.DataFrame, flagged: pd.DataFrame) -> pd.Series:
    """Fund paid in the period on the claims that drive the score: the claims that broke an audit
    rule, or, where more, the fund paid above the entity's peer median (volume-driven frauds)."""
    on_hits = flagged.groupby(f"{entity}_id")["fund_paid"].sum()
    fund = rows["fund_paid"]
    if entity == "provider":
        median = fs.peer_medians["fund_paid"].reindex(rows.index)
    else:
        median = pd.Series(fund.median(), index=rows.index)
    excess = (fund - median).clip(lower=0)
    return np.maximum(on_hits.reindex(rows.index, fill_value=0.0), excess).round(2)


def recently_inspected(labels: pd.DataFrame, entity: str, period: str, months: int) -> set[str]:
    if months <= 0 or labels.empty:
        return set()
    lab = labels[labels["entity_type"] == entity]
    window = lab["period"].between(shift(period, -months), shift(period, -1))
    return set(lab.loc[window, "entity_id"])


def apply_options(ranked: pd.DataFrame, entity: str, options: ListOptions, skip: set[str]) -> pd.DataFrame:
    """Filters, then capacity; ranks are renumbered within what the supervisor sees."""
    keep = ~ranked["entity_id"].isin(skip)
    if entity == "provider":
        if options.regions:
            keep &= ranked["region"].isin(options.regions)
        if options.provider_types:
            keep &= ranked["provider_type"].isin(options.provider_types)
    elif options.regions:
        keep &= ranked["region"].isin(options.regions)
    out = ranked[keep].copy()
    out["rank"] = np.arange(1, len(out) + 1)
    return out.head(options.top) if options.top else out


@dataclass
class EntityList:
    entity: str
    ranked: pd.DataFrame  # every active entity, all columns (for reports and cases)
    listed: pd.DataFrame  # what the supervisor receives (filters and capacity applied)
    rows: pd.DataFrame = field(repr=False)  # the model inputs, indexed by entity id


def build_list(
    entity: str,
    fs: FeatureSet,
    model: RiskModel,
    version: str,
    labels: pd.DataFrame,
    reasons: pd.Series,
    attributes: pd.DataFrame,
    flagged: pd.DataFrame,
    options: ListOptions,
    delay: int,
    stamps: dict[str, str],
    scores: pd.DataFrame | None = None,
    picks: pd.Series | None = None,
) -> EntityList:
    rows = model_rows(entity, fs, labels, delay)
    ranked = rank_entities(rows, model, scores, picks, options.capacity).set_index("entity_id", drop=False)
    ranked = ranked.assign(
        period=fs.period,
        entity_type=entity,
        model_version=version,
        rule_hits=rows["rule_hits_total"].astype(int),
        amount_at_risk=amount_at_risk(entity, fs, rows, flagged),
        reasons=reasons.reindex(ranked.index).fillna(""),
        **stamps,
    )
    ranked = ranked.join(attributes, how="left")
    if entity == "provider":
        ranked["peer_group"] = rows["peer_group"]
        ranked["credit_grade"] = credit_grade(ranked["risk_score"])
    extra = PROVIDER_COLUMNS if entity == "provider" else ["region"]
    ranked = ranked[LIST_COLUMNS + extra + list(stamps)].reset_index(drop=True)
    skip = recently_inspected(labels, entity, fs.period, options.skip_inspected_months)
    return EntityList(entity, ranked, apply_options(ranked, entity, options, skip), rows)
