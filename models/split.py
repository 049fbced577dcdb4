"""Validation folds: by time where the labels allow it, else by entity.

Time folds (rolling origin): train on periods at least `delay` + 1 months before the validated
one, with only the inspections whose outcome was known by then. Where inspections report only at
the end of a long span (a year reviewed at once), no such fold has labels to learn from; then
the labelled entities are split into groups and each group is validated on while the model learns
from the others (their rows stay in training, unlabelled, as they would be in real use).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from data_contracts.vocabulary import shift


@dataclass(frozen=True)
class Fold:
    train_periods: tuple[str, ...]
    validate_period: str
    known_by: str | None = None  # time folds: labels known by this period
    held_out: tuple[str, ...] = ()  # entity folds: entities whose labels are hidden and validated on

    @property
    def kind(self) -> str:
        return "entity" if self.held_out else "time"

    def describe(self) -> dict:
        return {
            "kind": self.kind,
            "train": [self.train_periods[0], self.train_periods[-1]] if self.train_periods else [],
            "validate": self.validate_period,
            "labels_known_by": self.known_by,
            "held_out_entities": len(self.held_out),
        }


def rolling_origin(periods: list[str], n_folds: int = 3, delay: int = 1, min_train: int = 3) -> list[Fold]:
    """Folds over labelled `periods` (sorted 'YYYY-MM'): each validates on one of the last
    `n_folds` periods and trains on the periods at least `delay` + 1 months before it,
    because outcomes of the months just before are not known yet when the model is built."""
    periods = sorted(set(periods))
    folds = []
    for v in periods[-n_folds:]:
        cut = shift(v, -(delay + 1))
        train = tuple(p for p in periods if p <= cut)
        if len(train) >= min_train:
            folds.append(Fold(train, v, known_by=cut))
    return folds


def entity_folds(
    entities: list[str], positive: list[bool], periods: list[str], validate_period: str, n_folds: int = 3, seed: int = 0
) -> list[Fold]:
    """`n_folds` groups of the labelled entities, frauds and clean ones spread evenly (seeded)."""
    rng = np.random.default_rng(seed)
    order = np.asarray(sorted(range(len(entities)), key=lambda i: (not positive[i], entities[i])))
    groups: list[list[str]] = [[] for _ in range(n_folds)]
    for pos in (True, False):
        members = [i for i in order if positive[i] == pos]
        rng.shuffle(members)
        for j, i in enumerate(members):
            groups[j % n_folds].append(entities[i])
    return [Fold(tuple(periods), validate_period, None, tuple(sorted(g))) for g in groups if g]
