"""The feature dictionary, generated from the code that defines the features.

For every feature column: its name, meaning in plain English and Chinese, unit, and the fraud
patterns it speaks to. Scoring turns SHAP values into sentences with it.
"""

from __future__ import annotations

import pandas as pd

from data_contracts.vocabulary import ENTITIES, check_entity
from features import network, person, provider, windows
from features.audit_rules import load_rules
from features.schema import Measure, base_name, peer_measures

COLUMNS = ["entity", "name", "en", "zh", "unit", "patterns"]


def rule_measures(rules_path=None) -> list[Measure]:
    """Per-entity counts and rates of each audit rule, and the totals."""
    out = []
    for rule in load_rules(rules_path):
        pats = tuple(rule.patterns)
        out.append(
            Measure(
                f"rule_{rule.id}_claims",
                f"claims breaking rule: {rule.name_en}",
                f"违反规则的结算笔数: {rule.name_zh}",
                "claims",
                pats,
            )
        )
        out.append(
            Measure(
                f"rule_{rule.id}_rate",
                f"claims breaking rule per 100 claims: {rule.name_en}",
                f"每百笔结算违反规则笔数: {rule.name_zh}",
                "per 100 claims",
                pats,
            )
        )
    out.append(Measure("rule_hits_total", "claims breaking any audit rule", "违反任一审核规则的结算笔数", "claims"))
    out.append(
        Measure(
            "rule_hit_rate",
            "claims breaking any audit rule per 100 claims",
            "每百笔结算违反审核规则笔数",
            "per 100 claims",
        )
    )
    out.append(
        Measure(
            "rule_evidence",
            "weight of audit-rule evidence (severity-weighted hits)",
            "审核规则命中证据强度(按严重程度加权)",
            "evidence",
        )
    )
    out.append(
        Measure(
            "rule_severity_max", "most serious audit rule broken (severity 1-3)", "违反规则的最高严重程度", "severity"
        )
    )
    return out


def measures(entity: str, rules_path=None) -> list[Measure]:
    """Every feature of `entity` in the order of the feature table."""
    rules = rule_measures(rules_path)
    if entity == "person":
        return person.MEASURES + windows.PERSON_MEASURES + rules
    base = provider.MEASURES + network.MEASURES + windows.PROVIDER_MEASURES + rules
    return base + [m for b in base for m in peer_measures(b)]


def feature_dictionary(rules_path=None) -> pd.DataFrame:
    rows = [
        {"entity": entity, "name": m.name, "en": m.en, "zh": m.zh, "unit": m.unit, "patterns": ", ".join(m.patterns)}
        for entity in ENTITIES
        for m in measures(entity, rules_path)
    ]
    return pd.DataFrame(rows, columns=COLUMNS)


def feature_units(entity: str, rules_path=None) -> dict[str, str]:
    """Every feature column of `entity`, in dictionary order, with its unit (for the feature contract)."""
    return {m.name: m.unit for m in measures(check_entity(entity), rules_path)}


def describe(entity: str, column: str, lang: str = "en", rules_path=None) -> str:
    """The plain-words meaning of a feature column (its base measure's, for peer-relative columns)."""
    table = {m.name: m for m in measures(entity, rules_path)}
    measure = table.get(column) or table[base_name(column)]
    return measure.zh if lang == "zh" else measure.en
