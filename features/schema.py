"""Names and meanings of features, written once; the feature dictionary is generated from these."""

from __future__ import annotations

from dataclasses import dataclass

from data_contracts.vocabulary import ENTITY_ID, PEER_GROUP, PEER_PCT, PEER_RATIO, PERIOD, base_name

__all__ = [
    "ENTITY_ID",
    "PEER_GROUP",
    "PEER_PCT",
    "PEER_RATIO",
    "PERIOD",
    "Measure",
    "base_name",
    "peer_measures",
    "peer_pct",
    "peer_ratio",
]


@dataclass(frozen=True)
class Measure:
    """One feature: its column name, meaning in English and Chinese, unit, and the patterns it speaks to."""

    name: str
    en: str
    zh: str
    unit: str
    patterns: tuple[str, ...] = ()


def peer_ratio(name: str) -> str:
    return name + PEER_RATIO


def peer_pct(name: str) -> str:
    return name + PEER_PCT


def peer_measures(measure: Measure) -> list[Measure]:
    """The two peer-relative companions of a provider measure."""
    return [
        Measure(
            peer_ratio(measure.name),
            f"{measure.en}, relative to the peer-group median",
            f"{measure.zh}(与同类机构中位数之比)",
            "ratio",
            measure.patterns,
        ),
        Measure(
            peer_pct(measure.name),
            f"{measure.en}, percentile within the peer group",
            f"{measure.zh}(同类机构中的百分位)",
            "percentile 0-1",
            measure.patterns,
        ),
    ]
