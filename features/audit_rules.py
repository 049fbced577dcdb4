"""Audit rules as data (audit_rules.yaml) and the engine that evaluates them on claims.

The rule table is plain YAML shipped next to this module; each rule names a check function of
`features.audit_checks` and the thresholds it is called with. `evaluate_rules` returns the hits
(the evidence, one row per rule and claim or claim line); `rule_counts` turns them into per-entity
features; `rules_doc` describes the rules for the feature dictionary and for reason codes.
"""

from __future__ import annotations

import hashlib
import inspect
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from features.audit_checks import CHECKS, positions

DEFAULT_RULES_PATH = Path(__file__).with_name("audit_rules.yaml")
LEVELS = ("line", "claim")
ENTITY_COLUMNS = {"provider": "provider_id", "person": "person_id"}
_REQUIRED = ("id", "name_en", "name_zh", "check", "severity", "level", "patterns", "source")
HIT_COLUMNS = ("rule_id", "claim_id", "line_no", "provider_id", "person_id", "settle_time", "amount")
_CLAIM_COLUMNS = [
    "claim_id",
    "person_id",
    "provider_id",
    "setting",
    "admit_date",
    "discharge_date",
    "settle_time",
    "diagnosis",
    "total_amount",
    "fund_paid",
]
_LINE_COLUMNS = ["line_no", "quantity", "unit_price", "amount"]


@dataclass(frozen=True)
class Rule:
    """One audit rule: what it checks, with which thresholds, how serious, which patterns."""

    id: str
    name_en: str
    name_zh: str
    check: str
    severity: int
    level: str
    patterns: tuple[str, ...]
    source: str
    params: dict[str, Any] = field(default_factory=dict, hash=False)

    @property
    def claims_column(self) -> str:
        """Name of the per-entity count feature built by rule_counts."""
        return f"rule_{self.id}_claims"

    @property
    def rate_column(self) -> str:
        """Name of the per-entity rate feature (hit claims per 100 claims)."""
        return f"rule_{self.id}_rate"


@dataclass(frozen=True)
class RuleContext:
    """What the checks read for one evaluation.

    claims: the claims settled in [start, end), index = position 0..n-1; lines: their lines, with
    `claim` (position in claims), `item` (position in catalog, -1 if unknown) and `day` (service
    day number); all_claims + before: the full input and the mask of claims settled before start.
    """

    claims: pd.DataFrame
    lines: pd.DataFrame
    catalog: pd.DataFrame
    insured: pd.DataFrame
    providers: pd.DataFrame
    all_claims: pd.DataFrame
    before: np.ndarray
    start: pd.Timestamp
    end: pd.Timestamp

    @classmethod
    def build(
        cls,
        claims: pd.DataFrame,
        items: pd.DataFrame,
        catalog: pd.DataFrame,
        insured: pd.DataFrame,
        providers: pd.DataFrame,
        *,
        start: pd.Timestamp,
        end: pd.Timestamp,
    ) -> RuleContext:
        """Select the period's claims and lines and encode line keys as integer positions."""
        settle = claims["settle_time"]
        period = claims.loc[((settle >= start) & (settle < end)).to_numpy(), _CLAIM_COLUMNS]
        period = period.reset_index(drop=True)
        catalog = catalog.reset_index(drop=True)
        return cls(
            claims=period,
            lines=_period_lines(period, items, catalog),
            catalog=catalog,
            insured=insured,
            providers=providers,
            all_claims=claims,
            before=(settle < start).to_numpy(),
            start=start,
            end=end,
        )

    def history(self, mask: np.ndarray, columns: list[str]) -> pd.DataFrame:
        """`columns` of the claims settled before start that `mask` (over all_claims) selects."""
        return self.all_claims.loc[self.before & mask, columns]

    def claim_hits(self, mask: np.ndarray) -> pd.DataFrame:
        """Hit rows (no rule_id) for the period claims where `mask` is true; amount = fund_paid."""
        return self._hits(np.flatnonzero(mask), None)

    def line_hits(self, mask: np.ndarray) -> pd.DataFrame:
        """Hit rows (no rule_id) for the lines where `mask` is true; amount = the line amount."""
        pos = np.flatnonzero(mask)
        return self._hits(self.lines["claim"].to_numpy()[pos], pos)

    def _hits(self, claim_pos: np.ndarray, line_pos: np.ndarray | None) -> pd.DataFrame:
        claims = self.claims.iloc[claim_pos]
        if line_pos is None:
            line_no = pd.array(np.full(len(claim_pos), pd.NA), dtype="Int64")
            amount = claims["fund_paid"].to_numpy(dtype=float)
        else:
            line_no = pd.array(self.lines["line_no"].to_numpy()[line_pos], dtype="Int64")
            amount = self.lines["amount"].to_numpy(dtype=float)[line_pos]
        return pd.DataFrame(
            {
                "claim_id": claims["claim_id"].to_numpy(),
                "line_no": line_no,
                "provider_id": claims["provider_id"].to_numpy(),
                "person_id": claims["person_id"].to_numpy(),
                "settle_time": claims["settle_time"].to_numpy(),
                "amount": amount,
            }
        )


def _period_lines(period: pd.DataFrame, items: pd.DataFrame, catalog: pd.DataFrame) -> pd.DataFrame:
    """Lines of the period's claims. A service-date window is applied before the claim-id lookup
    (contract: service_date lies within its claim's admit..discharge dates), which keeps the
    lookup cheap when `items` also holds history."""
    rows = np.empty(0, dtype=np.int64)
    if len(period):
        service = items["service_date"]
        window = (service >= period["admit_date"].min()) & (service <= period["discharge_date"].max())
        rows = np.flatnonzero(window.to_numpy(dtype=bool, na_value=False))
    claim = positions(items["claim_id"].iloc[rows], period["claim_id"])
    rows, claim = rows[claim >= 0], claim[claim >= 0]
    columns = {name: items[name].to_numpy()[rows] for name in _LINE_COLUMNS}
    return pd.DataFrame(
        {
            **columns,
            "claim": claim,
            "item": positions(items["item_code"].iloc[rows], catalog["item_code"]),
            "day": np.asarray(items["service_date"].to_numpy()[rows], dtype="datetime64[D]").astype(np.int64),
        }
    )


def load_rules(path: str | Path | None = None) -> list[Rule]:
    """The rules of `path` (default: the audit_rules.yaml shipped with this package), in file order.

    Raises ValueError naming the rule when a field is missing or invalid, a check is unknown,
    params do not fit the check's keyword arguments, or an id is used twice.
    """
    source = Path(path) if path is not None else DEFAULT_RULES_PATH
    document = yaml.safe_load(source.read_text(encoding="utf-8"))
    entries = document.get("rules") if isinstance(document, dict) else None
    if not isinstance(entries, list) or not entries:
        raise ValueError(f"{source}: expected a non-empty list under 'rules'")
    rules = [_parse_rule(entry, source, k) for k, entry in enumerate(entries)]
    seen: set[str] = set()
    for rule in rules:
        if rule.id in seen:
            raise ValueError(f"{source}: duplicate rule id {rule.id!r}")
        seen.add(rule.id)
    return rules


def rules_version(path: str | Path | None = None) -> str:
    """A stamp of the rule base, "<version>-<first 8 hex of the file's sha256>", for scored rows."""
    source = Path(path) if path is not None else DEFAULT_RULES_PATH
    data = source.read_bytes()
    document = yaml.safe_load(data)
    version = document.get("version", 0) if isinstance(document, dict) else 0
    return f"{version}-{hashlib.sha256(data).hexdigest()[:8]}"


def _parse_rule(entry: Any, source: Path, k: int) -> Rule:
    if not isinstance(entry, dict):
        raise ValueError(f"{source}: rule #{k + 1} is not a mapping")
    name = entry.get("id", f"#{k + 1}")
    missing = [key for key in _REQUIRED if key not in entry]
    if missing:
        raise ValueError(f"{source}: rule {name} lacks {', '.join(missing)}")
    params = entry.get("params") or {}
    if not isinstance(entry["patterns"], list):
        raise ValueError(f"{source}: rule {name}: patterns must be a list")
    rule = Rule(
        id=str(entry["id"]),
        name_en=str(entry["name_en"]),
        name_zh=str(entry["name_zh"]),
        check=str(entry["check"]),
        severity=entry["severity"],
        level=str(entry["level"]),
        patterns=tuple(str(p) for p in entry["patterns"]),
        source=str(entry["source"]),
        params=dict(params) if isinstance(params, dict) else params,
    )
    _validate(rule, source)
    return rule


def _validate(rule: Rule, source: Path) -> None:
    where = f"{source}: rule {rule.id}"
    if rule.check not in CHECKS:
        raise ValueError(f"{where}: unknown check {rule.check!r} (known: {', '.join(sorted(CHECKS))})")
    if isinstance(rule.severity, bool) or not isinstance(rule.severity, int) or not 1 <= rule.severity <= 3:
        raise ValueError(f"{where}: severity must be 1, 2 or 3, got {rule.severity!r}")
    if rule.level not in LEVELS:
        raise ValueError(f"{where}: level must be one of {LEVELS}, got {rule.level!r}")
    if not isinstance(rule.params, dict):
        raise ValueError(f"{where}: params must be a mapping")
    try:
        inspect.signature(CHECKS[rule.check]).bind(None, **rule.params)
    except TypeError as err:
        raise ValueError(f"{where}: params do not fit check {rule.check!r}: {err}") from None


def rules_doc(rules: list[Rule] | None = None) -> list[dict[str, Any]]:
    """For each rule: id, name_en, name_zh, patterns, severity, level, source and the two
    feature column names rule_counts produces (claims_column, rate_column)."""
    return [
        {
            "id": r.id,
            "name_en": r.name_en,
            "name_zh": r.name_zh,
            "patterns": list(r.patterns),
            "severity": r.severity,
            "level": r.level,
            "source": r.source,
            "claims_column": r.claims_column,
            "rate_column": r.rate_column,
        }
        for r in (rules if rules is not None else load_rules())
    ]


def evaluate_rules(
    claims: pd.DataFrame,
    items: pd.DataFrame,
    catalog: pd.DataFrame,
    insured: pd.DataFrame,
    providers: pd.DataFrame,
    rules: list[Rule],
    *,
    start: Any,
    end: Any,
) -> pd.DataFrame:
    """The hits of `rules` on the claims settled in [start, end), sorted by rule, claim, line.

    Columns: rule_id, claim_id, line_no (Int64, null for hits on a whole claim), provider_id,
    person_id, settle_time, amount (the line amount when line_no is set, else the claim's
    fund_paid). Claims settled before `start` only serve as history (earlier stays, same-day
    claims); claims at or after `end` are ignored. `items` may hold lines of any claims; only
    lines of claims in the period are read. Input frames are not modified.
    """
    ctx = RuleContext.build(
        claims, items, catalog, insured, providers, start=pd.Timestamp(start), end=pd.Timestamp(end)
    )
    frames = []
    for rule in rules:
        hits = CHECKS[rule.check](ctx, **rule.params)
        if len(hits):
            frames.append(hits.assign(rule_id=rule.id))
    if not frames:
        frames.append(ctx.claim_hits(np.zeros(len(ctx.claims), dtype=bool)).assign(rule_id=""))
    hits = pd.concat(frames, ignore_index=True)[list(HIT_COLUMNS)]
    hits = hits.astype({name: "str" for name in ("rule_id", "claim_id", "provider_id", "person_id")})
    return hits.sort_values(["rule_id", "claim_id", "line_no"], ignore_index=True)


SEVERITY_WEIGHT = {1: 0.25, 2: 1.0, 3: 4.0}  # a near-certain violation outweighs many hints


def rule_evidence(claims_per_rule: dict[str, np.ndarray], rules: list[Rule]) -> np.ndarray:
    """Severity-weighted evidence of rule hits: sum over rules of weight(severity) × log(1 + hit
    claims). A log, so that the hundredth hit of one rule adds little; a weight, so that one
    severity-3 hit (an item for the other sex) outweighs a handful of severity-1 hints."""
    total = np.zeros(len(next(iter(claims_per_rule.values()))) if claims_per_rule else 0)
    for rule in rules:
        total = total + SEVERITY_WEIGHT.get(rule.severity, 1.0) * np.log1p(claims_per_rule[rule.id])
    return total


def per_100(counts: np.ndarray, n: np.ndarray) -> np.ndarray:
    """counts per 100 of n, multiplied before dividing so that counts == n gives exactly 100
    (counts / (n / 100) gives 100.00000000000001 for some n), and never above 100."""
    return np.minimum(counts * 100.0 / n, 100.0)


def rule_counts(
    hits: pd.DataFrame, entity: str, claims_in_period: pd.DataFrame, rules: list[Rule] | None = None
) -> pd.DataFrame:
    """Per entity ("provider" or "person") with claims in the period, for every rule:
    rule_<ID>_claims (distinct hit claims) and rule_<ID>_rate (per 100 of the entity's claims
    in the period), then rule_hits_total (distinct claims with any hit) and rule_hit_rate.

    The index (named provider_id / person_id) holds every entity of `claims_in_period`, with
    zeros where nothing fired; `rules` (default: load_rules()) fixes the set of columns.
    Hits of entities without claims in the period, and of rules not in `rules`, are ignored.
    """
    if entity not in ENTITY_COLUMNS:
        raise ValueError(f"entity must be 'provider' or 'person', got {entity!r}")
    key = ENTITY_COLUMNS[entity]
    rules = rules if rules is not None else load_rules()
    n_claims = claims_in_period.groupby(key, sort=True).size()
    ids = [rule.id for rule in rules]
    distinct = hits.loc[hits["rule_id"].isin(ids), ["rule_id", "claim_id", key]].drop_duplicates()
    per_rule = distinct.groupby([key, "rule_id"]).size().unstack("rule_id")
    per_rule = per_rule.reindex(index=n_claims.index, columns=ids).fillna(0)
    total = distinct.drop_duplicates("claim_id").groupby(key).size().reindex(n_claims.index).fillna(0)
    n = n_claims.to_numpy(dtype=float)
    columns: dict[str, np.ndarray] = {}
    for rule in rules:
        counts = per_rule[rule.id].to_numpy(dtype=np.int64)
        columns[rule.claims_column] = counts
        columns[rule.rate_column] = per_100(counts, n)
    columns["rule_hits_total"] = total.to_numpy(dtype=np.int64)
    columns["rule_hit_rate"] = per_100(columns["rule_hits_total"], n)
    columns["rule_evidence"] = rule_evidence({r.id: per_rule[r.id].to_numpy(dtype=float) for r in rules}, rules)
    columns["rule_severity_max"] = np.max(
        [np.where(per_rule[r.id].to_numpy() > 0, r.severity, 0) for r in rules] + [np.zeros(len(n))], axis=0
    ).astype(float)
    return pd.DataFrame(columns, index=n_claims.index.rename(key))
