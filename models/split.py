"""Time-aware evaluation: train on earlier periods, skip the label delay, validate on a later one."""

from __future__ import annotations

from dataclasses import dataclass

from data_contracts.vocabulary import shift


@dataclass(frozen=True)
class Fold:
    train_periods: tuple[str, ...]
    validate_period: str


def rolling_origin(periods: list[str], n_folds: int = 3, delay: int = 1, min_train: int = 3) -> list[Fold]:
    """Folds over labelled `periods` (sorted 'YYYY-MM'): each validates on one of the last
    `n_folds` periods and trains on the periods at least `delay` + 1 months before it,
    because outcomes of the months just before are not known yet when the model is built."""
    periods = sorted(set(periods))
    folds = []
    for v in periods[-n_folds:]:
        train = tuple(p for p in periods if p <= shift(v, -(delay + 1)))
        if len(train) >= min_train:
            folds.append(Fold(train, v))
    return folds
