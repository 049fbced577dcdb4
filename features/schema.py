"""Names and meanings of features, written once; the feature dictionary is generated from these."""

from __future__ import annotations

from dataclasses import dataclass

ENTITY_ID, PERIOD, PEER_GROUP = "entity_id", "period", "peer_group"
KEY_COLUMNS = (ENTITY_ID, PERIOD)
PEER_RATIO, PEER_PCT = "__peer_ratio", "__peer_pct"


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


def base_name(column: str) -> str:
    """The measure a (possibly peer-relative) column derives from."""
    for suffix in (PEER_RATIO, PEER_PCT):
        if column.endswith(suffix):
            return column[: -len(suffix)]
    return column


def peer_measures(measure: Measure) -> list[Measure]:
    """The two peer-relative companions of a provider measure."""
    return [
        Measure(peer_ratio(measure.name), f"{measure.en}, relative to the peer-group median",
                f"{measure.zh}(与同类机构中位数之比)", "ratio", measure.patterns),
        Measure(peer_pct(measure.name), f"{measure.en}, percentile within the peer group",
                f"{measure.zh}(同类机构中的百分位)", "percentile 0-1", measure.patterns),
    ]
