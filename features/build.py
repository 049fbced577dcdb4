"""The one entry point for features, shared by training and scoring.

    fs = build_feature_set(tables, "2025-12")
    fs.provider, fs.person   # one row per active entity, keys + FEATURE_COLUMNS[entity]
    fs.hits                  # audit-rule evidence: rule_id, claim_id, line_no, ...

Every value is computed from claims settled before the end of the period (the period itself and
the look-back window); claims settled later never enter (features.history.cut_history).
The heavy per-entity measures run shard by shard through `map_fn` (the built-in `map` by default;
a Dask or Prefect mapper to scale out); the light cross-entity steps run once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

import pandas as pd

from data_contracts.vocabulary import ENTITIES, check_entity
from features import network, person, provider, windows
from features.audit_rules import evaluate_rules, load_rules, rule_counts
from features.dictionary import feature_units
from features.history import History, cut_history, entity_shard
from features.peers import peer_groups, peer_medians, peer_relative
from features.schema import ENTITY_ID, PEER_GROUP, PERIOD

ITEM_COLUMNS = ["claim_id", "line_no", "item_code", "quantity", "unit_price", "amount", "service_date"]
Mapper = Callable[[Callable, Iterable], Iterable]


@dataclass(frozen=True)
class FeatureSet:
    period: str
    provider: pd.DataFrame  # entity_id, period, peer_group, provider features
    person: pd.DataFrame  # entity_id, period, person features
    hits: pd.DataFrame  # audit-rule evidence for the period's claims
    peer_medians: pd.DataFrame  # provider x base measure: the peer-group median (for reasons)

    def table(self, entity: str) -> pd.DataFrame:
        return getattr(self, check_entity(entity))


def split_history(h: History, entity: str, n_shards: int) -> list[History]:
    """Shards of the history, each holding some entities with all of their claims and lines."""
    if n_shards <= 1:
        return [h]
    key = f"{entity}_id"
    claim_shard = entity_shard(h.claims[key], n_shards)
    item_shard = entity_shard(h.items[key], n_shards)
    return [
        History(
            h.period,
            h.start,
            h.end,
            h.claims[claim_shard == s],
            h.items[item_shard == s],
            h.providers,
            h.insured,
            h.catalog,
        )
        for s in range(n_shards)
    ]


def _run_shards(fn: Callable, shards: list[History], map_fn: Mapper) -> pd.DataFrame:
    return pd.concat(list(map_fn(fn, shards))).sort_index()


def _provider_table(
    h: History, counts: pd.DataFrame, n_shards: int, map_fn: Mapper, min_peer_group: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    raw = _run_shards(provider.provider_measures, split_history(h, "provider", n_shards), map_fn)
    ids = raw.index
    groups = peer_groups(h.providers, ids, min_peer_group)
    raw = pd.concat(
        [
            raw,
            network.sharing(h, ids),
            network.item_mix_distance(h, ids, groups),
            windows.provider_windows(h, ids),
            counts.reindex(ids, fill_value=0.0),
        ],
        axis=1,
    ).astype(float)
    table = pd.concat([raw, peer_relative(raw, groups)], axis=1)
    keys = pd.DataFrame({ENTITY_ID: ids, PERIOD: h.period, PEER_GROUP: groups.to_numpy()}, index=ids)
    return pd.concat([keys, table], axis=1).reset_index(drop=True), peer_medians(raw, groups)


def _person_table(h: History, counts: pd.DataFrame, risky: pd.Index, n_shards: int, map_fn: Mapper) -> pd.DataFrame:
    def measure(shard: History) -> pd.DataFrame:
        return person.person_measures(shard, risky)

    raw = _run_shards(measure, split_history(h, "person", n_shards), map_fn)
    raw = pd.concat(
        [raw, windows.person_windows(h, raw.index), counts.reindex(raw.index, fill_value=0.0)], axis=1
    ).astype(float)
    keys = pd.DataFrame({ENTITY_ID: raw.index, PERIOD: h.period}, index=raw.index)
    return pd.concat([keys, raw], axis=1).reset_index(drop=True)


def _risky_providers(provider_table: pd.DataFrame, share: float = 0.1) -> pd.Index:
    rate = provider_table.set_index(ENTITY_ID)["rule_hit_rate"]
    return rate.index[rate >= rate.quantile(1 - share)] if len(rate) else rate.index


def build_feature_set(
    tables: Mapping[str, pd.DataFrame],
    period: str,
    *,
    lookback_months: int = 12,
    min_peer_group: int = 5,
    n_shards: int = 1,
    map_fn: Mapper = map,
    rules_path=None,
) -> FeatureSet:
    """Provider and person features of `period`, with the audit-rule evidence behind them."""
    h = cut_history(tables, period, lookback_months)
    rules = load_rules(rules_path)
    hits = evaluate_rules(
        h.claims,
        h.items[ITEM_COLUMNS],
        h.catalog.reset_index(),
        h.insured.reset_index(),
        h.providers.reset_index(),
        rules,
        start=h.start,
        end=h.end,
    )
    cur = h.current
    prov, medians = _provider_table(h, rule_counts(hits, "provider", cur, rules), n_shards, map_fn, min_peer_group)
    pers = _person_table(h, rule_counts(hits, "person", cur, rules), _risky_providers(prov), n_shards, map_fn)
    return FeatureSet(period, prov, pers, hits, medians)


def check_feature_set(fs: FeatureSet, rules_path=None):
    """The feature-table contract on both tables: the report of the first that breaks it, else None."""
    from data_contracts.features import validate_feature_table

    for entity in ENTITIES:
        report = validate_feature_table(fs.table(entity), entity, feature_units(entity, rules_path), period=fs.period)
        if not report.ok:
            return report
    return None


def feature_columns(table: pd.DataFrame) -> list[str]:
    """The model inputs of a feature table: every numeric column but the keys."""
    return [c for c in table.columns if c not in (ENTITY_ID, PERIOD, PEER_GROUP)]
