"""Plain-words sentences for the reasons behind a score, in English and Chinese.

One sentence per feature: its meaning from the feature dictionary, the entity's value formatted
by the feature's unit (counts as integers, shares as %, yuan with thousands separators) and,
where known, what is typical for its peers:

    identical-amount claims on one day: 37 (peer median 2)
    每名执业医(药)师统筹支付: 330102区县二级医院中位数的6.1倍
"""

from __future__ import annotations

import math
from functools import lru_cache

from features.dictionary import measures
from features.peers import peer_group_label
from features.schema import PEER_PCT, PEER_RATIO, Measure, base_name

COUNT_UNITS = {
    "claims",
    "persons",
    "admissions",
    "providers",
    "visits",
    "stays",
    "purchases",
    "pharmacies",
    "districts",
    "days",
    "packs",
    "lines",
    "findings",
    "inspections",
    "years",
    "months",
    "doctors",
    "diagnoses",
    "severity",
}
YUAN_UNITS = {"yuan", "yuan/bed", "yuan/person"}
WORDS = {
    "en": {
        "median": {"provider": "peer median", "person": "median of insured persons"},
        "peers": "its peers",
        "unusual": "unusual: ",
        "na": "n/a",
    },
    "zh": {
        "median": {"provider": "同类机构中位数", "person": "参保人中位数"},
        "peers": "同类机构",
        "unusual": "异常: ",
        "na": "无",
    },
}


@lru_cache(maxsize=4)
def vocabulary(entity: str) -> dict[str, Measure]:
    """Column name -> measure, for every model input of `entity`."""
    table = {m.name: m for m in measures(entity)}
    return table


@lru_cache(maxsize=4096)
def meaning(entity: str, column: str) -> Measure:
    """The measure behind a column (the base measure for peer-relative columns); unknown
    columns read as their own name, so a new feature never breaks the reasons."""
    vocab = vocabulary(entity)
    return vocab.get(base_name(column)) or vocab.get(column) or Measure(column, column, column, "")


def number(value: float, decimals: int = 2) -> str:
    """Thousands separators, at most `decimals` decimals, no trailing zeros."""
    text = f"{value:,.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def format_value(value, unit: str, lang: str = "en") -> str:
    """Counts as integers, shares as %, yuan with thousands separators, flags as 1/0."""
    if value is None or math.isnan(value):
        return WORDS[lang]["na"]
    return _format(float(value), unit, lang)


@lru_cache(maxsize=1 << 16)
def _format(value: float, unit: str, lang: str) -> str:
    if unit == "share":
        pct = value * 100
        return f"{number(pct, 0 if abs(pct) >= 10 else 1)}%"
    if unit in YUAN_UNITS:
        text = number(value, 0 if abs(value) >= 100 else 2)
        return f"{text}元" if lang == "zh" else f"{text} yuan"
    if unit in COUNT_UNITS or unit == "flag":
        return number(value, 0 if abs(value - round(value)) < 1e-9 else 1)
    if unit == "per 100 claims":
        return number(value, 1)
    return number(value, 0 if abs(value) >= 100 else 1 if abs(value) >= 10 else 2)


def format_ratio(ratio: float) -> str:
    if math.isnan(ratio):
        return "n/a"
    return number(ratio, 0 if abs(ratio) >= 10 else 1 if abs(ratio) >= 1 else 2)


@lru_cache(maxsize=4096)
def group_words(group: str | None, lang: str) -> str:
    """Words for a peer group key, or 'its peers' when unknown."""
    return peer_group_label(group, lang) if isinstance(group, str) and group else WORDS[lang]["peers"]


def sentence(
    entity: str,
    column: str,
    value: float,
    *,
    median: float | None = None,
    group: str | None = None,
    base_value: float | None = None,
    lang: str = "en",
) -> str:
    """One reason: '<meaning>: <value> (<median label> <median>)', or relative to the peer group
    for `__peer_ratio` (times the median) and `__peer_pct` (percentile) columns. For those,
    `base_value` and `median` are the raw measure and its peer median, shown where known; a ratio
    to a zero (or negative) median is meaningless, so then the raw value is shown against it."""
    m = meaning(entity, column)
    name = m.zh if lang == "zh" else m.en
    has_median = median is not None and not math.isnan(median)
    if column.endswith(PEER_RATIO) or column.endswith(PEER_PCT):
        peers = group_words(group, lang)
        known = has_median and base_value is not None and not math.isnan(base_value)
        versus = (
            _versus(format_value(base_value, m.unit, lang), format_value(median, m.unit, lang), lang) if known else ""
        )
        if column.endswith(PEER_PCT):
            pct = "n/a" if math.isnan(value) else str(int(round(value * 100)))
            text = (
                f"{name}: 在{peers}中位于第{pct}百分位" if lang == "zh" else f"{name}: percentile {pct} among {peers}"
            )
            return text + versus
        if known and median <= 0:
            raw, med = format_value(base_value, m.unit, lang), format_value(median, m.unit, lang)
            return (
                f"{name}: {raw} ({peers}中位数 {med})" if lang == "zh" else f"{name}: {raw} (median of {peers} {med})"
            )
        times = format_ratio(value)
        text = f"{name}: {peers}中位数的{times}倍" if lang == "zh" else f"{name}: {times}× the median of {peers}"
        return text + versus
    text = f"{name}: {format_value(value, m.unit, lang)}"
    if has_median:
        label = WORDS[lang]["median"]["person" if entity == "person" else "provider"]
        text += f" ({label} {format_value(median, m.unit, lang)})"
    return text


def _versus(raw: str, median: str, lang: str) -> str:
    return f" ({raw}, 中位数 {median})" if lang == "zh" else f" ({raw} vs median {median})"


def unusual(text: str, lang: str = "en") -> str:
    return WORDS[lang]["unusual"] + text
