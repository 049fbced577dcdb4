"""Who commits which fraud, from when, and how hard (the plan behind truth.csv)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from synthetic.encounters import World

# pattern number (DOMAIN.md §2) -> (name, entity type, eligible provider kinds, prevalence)
PATTERNS: dict[int, tuple[str, str, tuple[str, ...], float]] = {
    2: ("drug_swap", "provider", ("PH",), 0.05),
    4: ("phantom_swipes", "provider", ("CPRIV", "CPUB", "PH"), 0.02),
    5: ("identical_amounts", "provider", ("CPRIV", "HP"), 0.05),
    7: ("sex_mismatch", "provider", ("CPUB", "CPRIV", "H1"), 0.02),
    8: ("unbundling", "provider", ("H2", "H3"), 0.08),
    9: ("duplicate_billing", "provider", ("H1", "HP"), 0.05),
    10: ("over_price", "provider", ("CPRIV", "HP", "H1"), 0.03),
    12: ("over_testing", "provider", ("HP", "H1"), 0.06),
    13: ("ghost_stay", "provider", ("H1", "HP"), 0.06),
    14: ("group_admission", "provider", ("HP",), 0.04),
    16: ("split_admission", "provider", ("H1", "HP"), 0.05),
    20: ("volume_vs_size", "provider", ("CPRIV",), 0.05),
    1: ("card_misuse", "person", (), 0.003),
    21: ("drug_resale", "person", (), 0.002),
}
NEVER_LABELLED = 12  # over-testing: no inspection ever records it; only the anomaly model can see it
MIN_COUNT = {"tiny": 1, "small": 2, "city": 2}
FEW_BIG = {8}  # patterns of the few big hospitals: one carrier is enough at small scales


def pattern_name(no: int) -> str:
    return PATTERNS[no][0]


@dataclass
class Plant:
    """Entities carrying one pattern, with their start month and intensity."""

    pattern: int
    entity_type: str
    entities: np.ndarray
    start: np.ndarray
    intensity: np.ndarray
    members: dict[int, np.ndarray] = field(default_factory=dict)  # held cards / ring members

    def active(self, month: int) -> tuple[np.ndarray, np.ndarray]:
        on = self.start <= month
        return self.entities[on], self.intensity[on]


def select_plants(rng, world: World, scale_name: str, months: int) -> list[Plant]:
    """Assign each pattern to its own entities (one pattern per entity)."""
    used_prov = np.zeros(world.prov.n, dtype=bool)
    used_pers = np.zeros(world.pers.n, dtype=bool)
    plants = []
    minimum = MIN_COUNT[scale_name]
    for no, (_, etype, kinds, prevalence) in PATTERNS.items():
        if etype == "provider":
            pool = np.flatnonzero(np.isin(world.prov.kind, kinds) & ~used_prov & (world.prov.lookalike == ""))
            if no in (13,):
                pool = pool[world.prov.beds[pool] > 0]
            least = 1 if no in FEW_BIG else minimum + (no == NEVER_LABELLED and scale_name != "tiny")
            want = max(least, round(prevalence * len(pool)))
        else:
            pool = np.flatnonzero((world.pers.region >= 0) & (world.pers.age >= 18) & ~used_pers)
            want = max(3 * minimum, round(prevalence * len(pool)))
        chosen = np.sort(rng.choice(pool, min(want, len(pool)), replace=False))
        (used_prov if etype == "provider" else used_pers)[chosen] = True
        start = rng.integers(0, max(1, months - 2), len(chosen))
        plants.append(Plant(no, etype, chosen, start, rng.uniform(0.15, 0.6, len(chosen))))
    return plants
