"""Data-shape profiles: the synthetic region in the many shapes real agencies export.

A profile is a small, named transform of the generated region (see PROFILES: name -> function,
one line of docstring each). Each function only registers hooks on a `Shape`; `generate()` calls
the shape's stages in order, so row filters, column changes and file formats all happen on the
way to the streaming writer and every contract rule (lines add up to the claim, payments add up,
service dates inside the stay, keys exist) still holds:

  months    how many months to generate (short_history, long_history)
  prepare   after the fraud plan is drawn, before anything is written (volume_fraud)
  batch     each month's settlements before they become tables, so the truth, the labels'
            inspection choice and the claim ids follow (claim filters, tiny_provider, ...)
  month     each month's claims and claim_items tables together (one_line_per_claim)
  table     every table chunk before it is written (null columns, regions, extra/shuffled columns)
  outcomes  labels, truth and look-alikes before they are written (label profiles)
  formats   the file format of each table (mixed_formats)

Profiles compose (`"a,b"`); they are applied in the order of PROFILES whatever order they are
named in, so a set of profiles always gives the same bytes. `standard` is the unchanged region.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from synthetic.encounters import DAY, INPATIENT, Batch, World, build_world
from synthetic.fraud import NEVER_LABELLED, PATTERNS, Plant
from synthetic.population import DISTRICTS

STANDARD = "standard"
DATASET_TABLES = ("providers", "insured", "catalog", "claims", "claim_items")
MIXED_OTHER_FORMAT = ("providers", "catalog", "claim_items")  # written in the other format
# item_code, item_name, item_type, setting: the one line of a claim without itemised detail
GENERIC_ITEMS = (
    ("G0001", "门诊费用(未分项)", "service", "outpatient"),
    ("G0002", "住院费用(未分项)", "service", "inpatient"),
    ("G0003", "药店购药(未分项)", "drug", "pharmacy"),
)
GENERIC_REFERENCE_PRICE = 1_000_000.0  # a nominal ceiling: an aggregate line has no standard price
NIGHT_RULE = "R10_NIGHT_SETTLEMENT"
LABEL_COLUMNS = ("entity_type", "entity_id", "period_from", "period", "outcome", "pattern", "amount_recovered")

BatchHook = Callable[["Shape", Batch, int], Batch]
MonthHook = Callable[[pa.Table, pa.Table], tuple[pa.Table, pa.Table]]
TableHook = Callable[["Shape", str, pa.Table], pa.Table]
Outcomes = tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]  # labels, truth, look-alikes
OutcomesHook = Callable[["Shape", pd.DataFrame, pd.DataFrame, pd.DataFrame], Outcomes]


@dataclass
class Shape:
    """The hooks a set of profiles registers, by stage, and what they need to know while running."""

    name: str
    seed: int
    months: int | None = None
    mixed_formats: bool = False
    keep_provider: list[Callable[[World], np.ndarray]] = field(default_factory=list)
    on_prepare: list[Callable[[Shape], None]] = field(default_factory=list)
    on_batch: list[BatchHook] = field(default_factory=list)
    on_month: list[MonthHook] = field(default_factory=list)
    on_table: list[TableHook] = field(default_factory=list)
    on_outcomes: list[OutcomesHook] = field(default_factory=list)
    notes: dict[str, str] = field(default_factory=dict)  # what the profiles picked, for the manifest
    world: World | None = None
    plants: list[Plant] = field(default_factory=list)
    n_months: int = 0
    periods: list[str] = field(default_factory=list)  # every generated month, YYYY-MM

    def rng(self, stream: str) -> np.random.Generator:
        """A random stream of its own per profile, so profiles do not shift each other's draws."""
        return np.random.default_rng([self.seed, 90, zlib.crc32(stream.encode())])

    def prepare(self, world: World, plants: list[Plant], months: int, periods: list[str]) -> tuple[World, list[Plant]]:
        """Stage `prepare`: remember the world and plan, let profiles change both."""
        self.world, self.plants, self.n_months, self.periods = world, plants, months, list(periods)
        for hook in self.on_prepare:
            hook(self)
        return self.world, self.plants

    def formats(self, fmt: str) -> dict[str, str]:
        """Stage `formats`: the file format of each dataset table."""
        other = "csv" if fmt == "parquet" else "parquet"
        return {name: other if self.mixed_formats and name in MIXED_OTHER_FORMAT else fmt for name in DATASET_TABLES}

    def kept_providers(self) -> np.ndarray:
        """Mask over the world's providers that the profiles keep."""
        keep = np.ones(self.world.prov.n, dtype=bool)
        for rule in self.keep_provider:
            keep &= rule(self.world)
        return keep

    def batch(self, batch: Batch, month: int) -> Batch:
        """Stage `batch`: drop the settlements of providers left out, then the batch hooks."""
        if self.keep_provider:
            batch = batch.select(self.kept_providers()[batch.provider])
        for hook in self.on_batch:
            batch = hook(self, batch, month)
        return batch

    def table(self, name: str, table: pa.Table) -> pa.Table:
        """Stage `table`: one chunk of a dataset table on its way to the file."""
        if name == "providers" and self.keep_provider:
            table = table.filter(pa.array(self.kept_providers()))
        for hook in self.on_table:
            table = hook(self, name, table)
        return table

    def month(self, claims: pa.Table, items: pa.Table) -> tuple[pa.Table, pa.Table]:
        """Stage `month`: a month's claims and lines together, then each as a table chunk."""
        for hook in self.on_month:
            claims, items = hook(claims, items)
        return self.table("claims", claims), self.table("claim_items", items)

    def outcomes(self, labels: pd.DataFrame, truth: pd.DataFrame, lookalikes: pd.DataFrame) -> Outcomes:
        """Stage `outcomes`: labels, truth and look-alikes about the providers kept only."""
        if self.keep_provider:
            kept = set(self.world.prov.id[self.kept_providers()])
            labels, truth, lookalikes = (_about_kept(frame, kept) for frame in (labels, truth, lookalikes))
        for hook in self.on_outcomes:
            labels, truth, lookalikes = hook(self, labels, truth, lookalikes)
        return labels, truth, lookalikes

    def honest_providers(self) -> np.ndarray:
        """Providers kept, carrying no planted pattern, no look-alike role and not picked already."""
        honest = self.kept_providers() & (self.world.prov.lookalike == "")
        for plant in self.plants:
            if plant.entity_type == "provider":
                honest[plant.entities] = False
        honest[np.isin(self.world.prov.id, list(self.notes.values()))] = False
        return honest


def _about_kept(frame: pd.DataFrame, kept: set[str]) -> pd.DataFrame:
    gone = frame["entity_type"].eq("provider") & ~frame["entity_id"].isin(kept)
    return frame[~gone].reset_index(drop=True)


# ---- time -------------------------------------------------------------------------------------


def short_history(shape: Shape) -> None:
    """Three months only."""
    shape.months = 3


def long_history(shape: Shape) -> None:
    """Twenty-four months."""
    shape.months = 24


# ---- detection --------------------------------------------------------------------------------


def volume_fraud(shape: Shape) -> None:
    """Fraud at the big billers, grown 2-3x; one label per provider spanning the labelled history."""
    shape.on_prepare.extend([_plant_at_big_providers, _grow_planted_providers])
    shape.on_outcomes.append(_year_labels)


def _plant_at_big_providers(shape: Shape) -> None:
    """Re-draw each provider pattern's carriers among its eligible providers, favouring the biggest
    (patterns with the fewest eligible providers first, so that each keeps its carriers)."""
    prov, rng = shape.world.prov, shape.rng("volume_fraud")
    used = np.zeros(prov.n, dtype=bool)

    def eligible(plant: Plant) -> np.ndarray:
        pool = np.isin(prov.kind, PATTERNS[plant.pattern][2]) & (prov.lookalike == "")
        return pool & (prov.beds > 0) if plant.pattern == 13 else pool  # ghost stays need beds

    plants = [p for p in shape.plants if p.entity_type == "provider"]
    for plant in sorted(plants, key=lambda p: (eligible(p).sum(), p.pattern)):
        pool = np.flatnonzero(eligible(plant) & ~used)
        keys = 3.0 * np.log(prov.weight[pool]) + rng.gumbel(size=len(pool))
        n = min(len(plant.entities), len(pool))
        plant.entities = np.sort(pool[np.argsort(-keys, kind="stable")[:n]])
        plant.start, plant.intensity = plant.start[:n], plant.intensity[:n]
        used[plant.entities] = True


def _grow_planted_providers(shape: Shape) -> None:
    """The planted providers are 2-3 times bigger: staff, beds and attraction (and, for pharmacies,
    the regulars whose usual pharmacy they are); the world is rebuilt for their new doctors."""
    world, rng = shape.world, shape.rng("volume_fraud_growth")
    prov, pers = world.prov, world.pers
    planted = np.unique(np.concatenate([[], *(p.entities for p in shape.plants if p.entity_type == "provider")]))
    planted = planted.astype(np.int64)
    factor = np.ones(prov.n)
    factor[planted] = rng.uniform(2.0, 3.0, len(planted))
    home = pers.home_pharmacy.copy()
    for p in planted[prov.kind[planted] == "PH"]:
        others = np.flatnonzero((pers.region == prov.region[p]) & (home != p) & ~np.isin(home, planted))
        wanted = int(round((factor[p] - 1) * np.sum(home == p)))
        home[rng.choice(others, min(wanted, len(others)), replace=False)] = p
    prov = replace(
        prov,
        weight=prov.weight * factor,
        beds=np.round(prov.beds * factor).astype(np.int64),
        staff=np.ceil(prov.staff * factor).astype(np.int64),
    )
    shape.world = build_world(world.cat, prov, replace(pers, home_pharmacy=home))


def _year_labels(shape: Shape, labels: pd.DataFrame, truth: pd.DataFrame, looks: pd.DataFrame) -> Outcomes:
    """One provider row per labelled provider, covering every month but the last (outcomes pending)."""
    rng, ids, span = shape.rng("volume_fraud_labels"), shape.world.prov.id, shape.periods[:-1]
    never = truth.loc[truth["pattern_no"] == NEVER_LABELLED, "entity_id"].unique()
    found = truth[truth["entity_type"].eq("provider") & truth["period"].isin(span)]
    eligible = ids[shape.kept_providers() & ~np.isin(ids, never)]
    chosen = np.sort(rng.choice(eligible, round(rng.uniform(0.7, 1.0) * len(eligible)), replace=False))
    fraud = (
        found.sort_values(["period", "pattern"])
        .groupby("entity_id")
        .agg(pattern=("pattern", "first"), fund=("fund_paid", "sum"))
        .reindex(chosen)
    )
    is_fraud = fraud["pattern"].notna().to_numpy()
    share = rng.uniform(0.5, 1.0, len(chosen))
    new = pd.DataFrame(
        {
            "entity_type": "provider",
            "entity_id": chosen,
            "period_from": span[0],
            "period": span[-1],
            "outcome": np.where(is_fraud, "fraud", "clean"),
            "pattern": fraud["pattern"].fillna("").to_numpy(),
            "amount_recovered": np.where(is_fraud, np.round(fraud["fund"].fillna(0).to_numpy() * share, 2), 0.0),
        }
    )
    return new, truth, looks


# ---- claims -----------------------------------------------------------------------------------


def _keep_settings(*settings: int) -> BatchHook:
    def hook(shape: Shape, batch: Batch, month: int) -> Batch:
        return batch.select(np.isin(batch.setting, settings))

    return hook


def inpatient_only(shape: Shape) -> None:
    """Only inpatient claims and their lines."""
    shape.on_batch.append(_keep_settings(INPATIENT))


def no_inpatient(shape: Shape) -> None:
    """Outpatient and pharmacy claims only."""
    shape.on_batch.append(_keep_settings(0, 2))


def pharmacies_only(shape: Shape) -> None:
    """A regulator of retail pharmacies: only pharmacies, their claims, labels and truth."""
    shape.keep_provider.append(lambda world: world.prov.ptype == "pharmacy")


def one_provider_type(shape: Shape) -> None:
    """Only hospitals (and their claims, labels and truth)."""
    shape.keep_provider.append(lambda world: world.prov.ptype == "hospital")


def one_line_per_claim(shape: Shape) -> None:
    """No itemised detail: each claim is one generic line per setting at quantity 1 and its total."""
    shape.on_table.append(_with_generic_items)
    shape.on_month.append(_one_line)


def _with_generic_items(shape: Shape, name: str, table: pa.Table) -> pa.Table:
    if name != "catalog":
        return table
    n = len(GENERIC_ITEMS)
    extra = pa.table(
        {
            "item_code": [g[0] for g in GENERIC_ITEMS],
            "item_name": [g[1] for g in GENERIC_ITEMS],
            "item_type": [g[2] for g in GENERIC_ITEMS],
            "coverage_class": ["A"] * n,
            "sex_restriction": pa.nulls(n, pa.string()),
            "reference_price": [GENERIC_REFERENCE_PRICE] * n,
            "max_daily_quantity": pa.nulls(n, pa.float64()),
            "bundle_code": pa.nulls(n, pa.string()),
        },
        schema=table.schema,
    )
    return pa.concat_tables([table, extra])


def _one_line(claims: pa.Table, items: pa.Table) -> tuple[pa.Table, pa.Table]:
    settings = pa.array([g[3] for g in GENERIC_ITEMS])
    codes = pc.take(pa.array([g[0] for g in GENERIC_ITEMS]), pc.index_in(claims["setting"], value_set=settings))
    n = claims.num_rows
    one = pa.table(
        {
            "claim_id": claims["claim_id"],
            "line_no": pa.array(np.ones(n, dtype=np.int32)),
            "item_code": codes,
            "quantity": pa.array(np.ones(n)),
            "unit_price": claims["total_amount"],
            "amount": claims["total_amount"],
            "service_date": claims["admit_date"],
        },
        schema=items.schema,
    )
    return claims, one


def _null_column(table_name: str, column: str) -> TableHook:
    def hook(shape: Shape, name: str, table: pa.Table) -> pa.Table:
        if name != table_name:
            return table
        i = table.schema.get_field_index(column)
        return table.set_column(i, column, pa.nulls(table.num_rows, table.schema.field(i).type))

    return hook


def no_doctor_id(shape: Shape) -> None:
    """doctor_id is null on every claim."""
    shape.on_table.append(_null_column("claims", "doctor_id"))


def no_drg(shape: Shape) -> None:
    """drg is null on every claim."""
    shape.on_table.append(_null_column("claims", "drg"))


# ---- providers --------------------------------------------------------------------------------


def no_beds_staff(shape: Shape) -> None:
    """The export lacks provider size: beds empty (a null integer) and staff 0 on every provider."""
    shape.on_table.extend([_null_column("providers", "beds"), _zero_column("providers", "staff")])


def _zero_column(table_name: str, column: str) -> TableHook:
    def hook(shape: Shape, name: str, table: pa.Table) -> pa.Table:
        if name != table_name:
            return table
        i = table.schema.get_field_index(column)
        zeros = pa.array(np.zeros(table.num_rows, dtype=np.int64)).cast(table.schema.field(i).type)
        return table.set_column(i, column, zeros)

    return hook


def one_region(shape: Shape) -> None:
    """Every provider and person in one region code, so no care is out of area."""
    shape.on_table.append(_one_region)


def _one_region(shape: Shape, name: str, table: pa.Table) -> pa.Table:
    if name in ("providers", "insured"):
        i = table.schema.get_field_index("region")
        return table.set_column(i, "region", pa.array([DISTRICTS[0]] * table.num_rows, pa.string()))
    if name == "claims":
        i = table.schema.get_field_index("out_of_area")
        return table.set_column(i, "out_of_area", pa.array(np.zeros(table.num_rows, dtype=bool)))
    return table


# ---- the scored month and the audit rules -----------------------------------------------------


def tiny_provider(shape: Shape) -> None:
    """In the last (scored) month one honest provider has exactly one claim."""
    shape.on_batch.append(_one_claim_in_last_month)


def _one_claim_in_last_month(shape: Shape, batch: Batch, month: int) -> Batch:
    """The honest provider with the fewest honest claims keeps only its first honest claim."""
    if month != shape.n_months - 1:
        return batch
    counts = np.bincount(batch.provider[batch.tag == 0], minlength=shape.world.prov.n)
    candidates = np.flatnonzero(shape.honest_providers() & (counts > 0))
    if not len(candidates):
        raise ValueError("tiny_provider: no honest provider has a claim in the last month")
    chosen = candidates[np.argmin(counts[candidates])]
    own = np.flatnonzero((batch.provider == chosen) & (batch.tag == 0))
    keep = batch.provider != chosen
    keep[own[np.argmin(batch.settle[own])]] = True
    shape.notes["tiny_provider"] = str(shape.world.prov.id[chosen])
    return batch.select(keep)


def all_claims_break_rule(shape: Shape) -> None:
    """One honest provider settles every claim at night (22:00-24:00), breaking R10 on each."""
    shape.on_batch.append(_settle_at_night)


def _settle_at_night(shape: Shape, batch: Batch, month: int) -> Batch:
    """The first month picks the honest provider with the most claims (a clinic or pharmacy if
    any is left); every month moves its settlements to 22:00-23:59 of the same day."""
    if "all_claims_break_rule" not in shape.notes:
        counts = np.bincount(batch.provider, minlength=shape.world.prov.n) * shape.honest_providers()
        if not counts.any():
            raise ValueError("all_claims_break_rule: no honest provider has claims in the first month")
        small = counts * (shape.world.prov.ptype != "hospital")
        chosen = int(np.argmax(small if small.any() else counts))
        shape.notes["all_claims_break_rule"] = str(shape.world.prov.id[chosen])
        shape.notes["all_claims_break_rule_rule"] = NIGHT_RULE
        shape.world.prov.lookalike[chosen] = "all_night_settlement"  # listed in lookalikes.csv
    chosen = int(np.flatnonzero(shape.world.prov.id == shape.notes["all_claims_break_rule"])[0])
    mine = batch.provider == chosen
    seconds = batch.settle[mine]
    batch.settle[mine] = seconds // DAY * DAY + 22 * 3600 + seconds % 7200
    return batch


# ---- labels -----------------------------------------------------------------------------------


def _label_filter(keep: Callable[[pd.DataFrame], pd.Series]) -> OutcomesHook:
    def hook(shape: Shape, labels: pd.DataFrame, truth: pd.DataFrame, looks: pd.DataFrame) -> Outcomes:
        return labels[keep(labels).to_numpy()].reset_index(drop=True), truth, looks

    return hook


def provider_labels_only(shape: Shape) -> None:
    """labels.csv holds provider inspections only."""
    shape.on_outcomes.append(_label_filter(lambda labels: labels["entity_type"].eq("provider")))


def person_labels_only(shape: Shape) -> None:
    """labels.csv holds person inspections only."""
    shape.on_outcomes.append(_label_filter(lambda labels: labels["entity_type"].eq("person")))


def no_labels(shape: Shape) -> None:
    """labels.csv is the header alone: no inspection outcomes at all."""
    shape.on_outcomes.append(_label_filter(lambda labels: pd.Series(False, index=labels.index)))


def one_inspection(shape: Shape) -> None:
    """Each entity is inspected at most once in its history: its first label row is kept."""

    def first(labels: pd.DataFrame) -> pd.Series:
        earliest = labels.sort_values("period", kind="stable").drop_duplicates(["entity_type", "entity_id"])
        return pd.Series(labels.index.isin(earliest.index), index=labels.index)

    shape.on_outcomes.append(_label_filter(first))


def span_labels(shape: Shape) -> None:
    """An inspection reviews 3-6 months: one row per inspection with period_from..period."""
    shape.on_outcomes.append(_spans)


def _spans(shape: Shape, labels: pd.DataFrame, truth: pd.DataFrame, looks: pd.DataFrame) -> Outcomes:
    """Walking back from an entity's latest label row, the rows within the 3-6 months an inspection
    reviews merge into it; fraud if any of them found fraud (its pattern, the amounts summed)."""
    rng, first = shape.rng("span_labels"), _month_number(shape.periods[0])
    rows = []
    ordered = labels.assign(month=labels["period"].map(_month_number)).sort_values(
        ["entity_type", "entity_id", "month"], kind="stable"
    )
    for (etype, entity), group in ordered.groupby(["entity_type", "entity_id"], sort=False):
        month, end = group["month"].to_numpy(), len(group)
        while end > 0:
            since = max(first, month[end - 1] - int(rng.integers(3, 7)) + 1)
            begin = int(np.searchsorted(month[:end], since))
            rows.append(_inspection(etype, entity, group.iloc[begin:end], since, month[end - 1]))
            end = begin
    spans = pd.DataFrame(rows, columns=[*LABEL_COLUMNS, "type_rank"])
    spans["type_rank"] = spans["entity_type"].map({"provider": 0, "person": 1})
    spans = spans.sort_values(["type_rank", "period", "entity_id"], kind="stable", ignore_index=True)
    return spans[list(LABEL_COLUMNS)], truth, looks


def _inspection(etype: str, entity: str, rows: pd.DataFrame, since: int, until: int) -> dict:
    found = rows[rows["outcome"].eq("fraud")]
    return {
        "entity_type": etype,
        "entity_id": entity,
        "period_from": _month_text(since),
        "period": _month_text(until),
        "outcome": "fraud" if len(found) else "clean",
        "pattern": found["pattern"].iloc[0] if len(found) else "",
        "amount_recovered": round(float(rows["amount_recovered"].sum()), 2),
    }


def _month_number(period: str) -> int:
    return int(period[:4]) * 12 + int(period[5:7]) - 1


def _month_text(number: int) -> str:
    return f"{number // 12:04d}-{number % 12 + 1:02d}"


# ---- files ------------------------------------------------------------------------------------


def mixed_formats(shape: Shape) -> None:
    """providers, catalog and claim_items in the other format (CSV beside Parquet or vice versa)."""
    shape.mixed_formats = True


EXTRA_COLUMNS: dict[str, dict[str, Callable[[pa.Table], pa.Array]]] = {
    "providers": {
        "source_system": lambda t: _constant(t, "HIS-3.2"),
        "license_no": lambda t: pc.binary_join_element_wise("LIC-", t["provider_id"], ""),
    },
    "insured": {"source_system": lambda t: _constant(t, "HIS-3.2")},
    "catalog": {"source_system": lambda t: _constant(t, "HIS-3.2")},
    "claims": {
        "source_system": lambda t: _constant(t, "HIS-3.2"),
        "invoice_no": lambda t: pc.binary_join_element_wise("INV", t["claim_id"], ""),
    },
    "claim_items": {"dept_code": lambda t: pc.utf8_slice_codeunits(t["item_code"], 0, 1)},
}


def _constant(table: pa.Table, value: str) -> pa.Array:
    return pa.array([value] * table.num_rows, pa.string())


def extra_columns(shape: Shape) -> None:
    """Every table (labels too) carries one or two columns the contract does not name."""
    shape.on_table.append(_add_extra_columns)
    shape.on_outcomes.append(
        lambda shape, labels, truth, looks: (
            labels.assign(inspection_team=np.where(labels["entity_type"].eq("provider"), "稽查一科", "稽查二科")),
            truth,
            looks,
        )
    )


def _add_extra_columns(shape: Shape, name: str, table: pa.Table) -> pa.Table:
    for column, make in EXTRA_COLUMNS.get(name, {}).items():
        table = table.append_column(column, make(table))
    return table


def shuffled_columns(shape: Shape) -> None:
    """Every table's (labels too) columns in another, seeded order."""
    shape.on_table.append(lambda shape, name, table: table.select(shape_order(shape, name, table.column_names)))
    shape.on_outcomes.append(
        lambda shape, labels, truth, looks: (labels[shape_order(shape, "labels", list(labels.columns))], truth, looks)
    )


def shape_order(shape: Shape, name: str, columns: list[str]) -> list[str]:
    """A seeded permutation of `columns` that is never their own order."""
    order = [columns[i] for i in shape.rng("shuffled_columns:" + name).permutation(len(columns))]
    return order if order != columns else columns[::-1]


# Applied in this order, whatever order they are named in (filters before the hooks that pick
# providers, content before file layout).
PROFILES: dict[str, Callable[[Shape], None]] = {
    "short_history": short_history,
    "long_history": long_history,
    "volume_fraud": volume_fraud,
    "inpatient_only": inpatient_only,
    "no_inpatient": no_inpatient,
    "pharmacies_only": pharmacies_only,
    "one_provider_type": one_provider_type,
    "tiny_provider": tiny_provider,
    "all_claims_break_rule": all_claims_break_rule,
    "one_line_per_claim": one_line_per_claim,
    "no_doctor_id": no_doctor_id,
    "no_drg": no_drg,
    "no_beds_staff": no_beds_staff,
    "one_region": one_region,
    "provider_labels_only": provider_labels_only,
    "person_labels_only": person_labels_only,
    "no_labels": no_labels,
    "one_inspection": one_inspection,
    "span_labels": span_labels,
    "mixed_formats": mixed_formats,
    "extra_columns": extra_columns,
    "shuffled_columns": shuffled_columns,
}
# pairs that leave nothing (no claims, no labels) or contradict each other
CONFLICTS = (
    {"short_history", "long_history"},
    {"inpatient_only", "no_inpatient"},
    {"inpatient_only", "pharmacies_only"},
    {"pharmacies_only", "one_provider_type"},
    {"provider_labels_only", "person_labels_only"},
    {"volume_fraud", "person_labels_only"},
    {"volume_fraud", "span_labels"},
)


def profile_names(profile: str) -> list[str]:
    """The profiles named in `profile` ("standard" or "a,b,..."), in PROFILES order; ValueError
    names an unknown profile or a pair that cannot go together."""
    named = {part.strip() for part in profile.split(",") if part.strip()} - {STANDARD}
    unknown = sorted(named - set(PROFILES))
    if unknown:
        raise ValueError(f"unknown profile {', '.join(unknown)}; known: {STANDARD}, {', '.join(PROFILES)}")
    for pair in CONFLICTS:
        if pair <= named:
            raise ValueError(f"profiles {' and '.join(sorted(pair))} cannot be combined")
    return [name for name in PROFILES if name in named]


def build_shape(profile: str, seed: int) -> Shape:
    """The Shape of `profile`; its name is the canonical spelling ("standard" or "a,b")."""
    names = profile_names(profile)
    shape = Shape(",".join(names) or STANDARD, seed)
    for name in names:
        PROFILES[name](shape)
    return shape
