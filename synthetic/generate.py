"""`generate`: a synthetic pooling region written in the shape of the claims contract."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from data_contracts.atomic import written_aside
from synthetic.catalog import build_catalog
from synthetic.encounters import Batch, build_world
from synthetic.fraud import NEVER_LABELLED, pattern_name, select_plants
from synthetic.honest import entry_errors, inpatient_month, month_days, outbreak, outpatient_month, pharmacy_month
from synthetic.labels import labels_table, month_label, truth_table
from synthetic.population import SCALES, build_persons, build_providers, region_codes
from synthetic.profiles import STANDARD, Shape, build_shape
from synthetic.schemes import plant_month
from synthetic.tables import period_of, to_tables

FORMATS = ("parquet", "csv")


@dataclass(frozen=True)
class GenerateResult:
    out: Path
    periods: list[str]
    counts: dict[str, int]


class _TableSink:
    """Appends Arrow tables to one Parquet or CSV file per table."""

    def __init__(self, folder: Path, fmt: str, formats: dict[str, str] | None = None):
        self.folder, self.fmt, self.formats, self.writers, self.rows = folder, fmt, formats or {}, {}, {}

    def write(self, name: str, table: pa.Table) -> None:
        fmt = self.formats.get(name, self.fmt)
        if fmt == "csv":
            table = _csv_ready(table)
        if name not in self.writers:
            path = self.folder / f"{name}.{fmt}"
            self.writers[name] = (
                pq.ParquetWriter(path, table.schema, compression="zstd")
                if fmt == "parquet"
                else pacsv.CSVWriter(path, table.schema)
            )
        self.writers[name].write_table(table)
        self.rows[name] = self.rows.get(name, 0) + table.num_rows

    def close(self) -> None:
        for w in self.writers.values():
            w.close()


def _csv_ready(table: pa.Table) -> pa.Table:
    """ISO 8601 timestamps ('2025-01-03T08:15:00') in CSV output."""
    import pyarrow.compute as pc

    for i, f in enumerate(table.schema):
        if pa.types.is_timestamp(f.type):
            table = table.set_column(i, f.name, pc.strftime(table.column(i), "%Y-%m-%dT%H:%M:%S"))
    return table


def _providers_table(prov) -> pa.Table:
    level = pa.array(np.nan_to_num(prov.level).astype(np.int64), mask=np.isnan(prov.level))
    return pa.table(
        {
            "provider_id": prov.id,
            "provider_type": prov.ptype,
            "level": level,
            "ownership": prov.ownership,
            "region": region_codes(prov.region),
            "beds": prov.beds,
            "staff": prov.staff,
            "contract_start": pa.array(prov.contract_start.astype("datetime64[D]").astype(np.int32), pa.date32()),
        }
    )


def _insured_table(pers) -> pa.Table:
    return pa.table(
        {
            "person_id": pers.id,
            "sex": np.where(pers.female, "F", "M"),
            "birth_date": pa.array(pers.birth.astype(np.int64).astype(np.int32), pa.date32()),
            "scheme": np.where(pers.employee, "employee", "resident"),
            "region": region_codes(pers.region),
        }
    )


def _catalog_table(cat) -> pa.Table:
    return pa.table(
        {
            "item_code": cat.code,
            "item_name": cat.name,
            "item_type": cat.item_type,
            "coverage_class": cat.coverage,
            "sex_restriction": pa.array(list(cat.sex), pa.string()),
            "reference_price": cat.ref_cents / 100.0,
            "max_daily_quantity": pa.array(cat.max_daily, pa.float64(), from_pandas=True),
            "bundle_code": pa.array(list(cat.bundle), pa.string()),
        }
    )


def _month_batch(rng, world, plants, m: int, start: np.datetime64, season_phase: int) -> tuple[Batch, dict]:
    month_start = (start.astype("datetime64[M]") + m).astype("datetime64[D]")
    days = month_days(month_start)
    moy = int(str(month_start)[5:7])
    season = 1.0 + 0.35 * np.cos(2 * np.pi * (moy - 1) / 12)
    honest = Batch.concat(
        [
            outpatient_month(rng, world, days, season),
            pharmacy_month(rng, world, days),
            inpatient_month(rng, world, days, season),
        ]
    )
    extra = {}
    if m == season_phase:
        crowd, provider, day = outbreak(rng, world, days)
        honest = Batch.concat([honest, crowd])
        extra = {"provider": int(provider), "day": int(day)}
    honest = entry_errors(rng, world, honest)
    fraud = plant_month(rng, world, plants, m, days, honest)
    return Batch.concat([honest, *fraud]), extra


def _outbreak_month(start: np.datetime64, months: int) -> int:
    moys = [int(str(start.astype("datetime64[M]") + m)[5:7]) for m in range(months)]
    winter = [m for m, moy in enumerate(moys) if moy in (12, 1, 2) and m < months - 1]
    return winter[0] if winter else 0


def generate(
    out: Path,
    scale: str = "small",
    months: int | None = None,
    seed: int = 20260101,
    fmt: str = "parquet",
    start: str = "2025-01",
    profile: str = STANDARD,
) -> GenerateResult:
    """Write providers, insured, catalog, claims, claim_items, labels.csv and truth.csv into `out`.

    Written into a sibling temporary folder first and moved into place at the end, so a failed
    run leaves any earlier output untouched. Same arguments, same bytes. `profile` names the data
    shape ("standard", or profiles of synthetic/profiles.py joined by commas); a profile that
    sets the history length (short_history, long_history) wins over `months`.
    """
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}, not {fmt!r}")
    spec = SCALES[scale]
    shape = build_shape(profile, seed)
    months = shape.months or months or spec.months
    if months < 2:
        raise ValueError("months must be at least 2 (one to learn from, one to score)")
    out = Path(out)
    with written_aside(out) as tmp:
        result = _generate_into(tmp, spec, months, seed, fmt, np.datetime64(start + "-01", "D"), shape)
    return GenerateResult(out, result.periods, result.counts)


def _generate_into(
    folder: Path, spec, months: int, seed: int, fmt: str, start: np.datetime64, shape: Shape | None = None
) -> GenerateResult:
    shape = shape or build_shape(STANDARD, seed)
    rng = np.random.default_rng([seed, 0])
    cat = build_catalog(rng)
    prov = build_providers(spec, rng, start)
    pers = build_persons(spec, prov, rng, start)
    world = build_world(cat, prov, pers)
    periods = np.arange(
        start.astype("datetime64[M]").astype(np.int64), start.astype("datetime64[M]").astype(np.int64) + months
    )
    world, plants = shape.prepare(world, select_plants(rng, world, spec.name, months), months, month_label(periods))
    sink = _TableSink(folder, fmt, shape.formats(fmt))
    for name, table in (
        ("providers", _providers_table(world.prov)),
        ("insured", _insured_table(pers)),
        ("catalog", _catalog_table(cat)),
    ):
        sink.write(name, shape.table(name, table))
    end = (start.astype("datetime64[M]") + months).astype("datetime64[D]").astype(np.int64) * 86_400
    ledgers, next_id, n_lines, crowd = [], 1, 0, {}
    phase = _outbreak_month(start, months)
    for m in range(months):
        batch, extra = _month_batch(np.random.default_rng([seed, 1, m]), world, plants, m, start, phase)
        crowd = crowd or extra
        batch = batch.select(batch.settle < end)  # stays still open at the export date are not settled
        batch = shape.batch(batch, m)
        claims, items, money = to_tables(world, batch, next_id)
        claims, items = shape.month(claims, items)
        sink.write("claims", claims)
        sink.write("claim_items", items)
        next_id += batch.n_claims
        n_lines += items.num_rows
        ledgers.append(
            pd.DataFrame(
                {
                    "period": period_of(batch.settle),
                    "provider": batch.provider,
                    "person": batch.person,
                    "tag": batch.tag,
                    "fund": money.fund,
                }
            )
        )
    sink.close()
    ledger = pd.concat(ledgers, ignore_index=True)
    written = {**sink.rows, "claims": next_id - 1, "claim_items": n_lines}
    return _write_outcomes(folder, spec, seed, fmt, shape, world, crowd, ledger, periods, written)


def _write_outcomes(
    folder: Path,
    spec,
    seed: int,
    fmt: str,
    shape: Shape,
    world,
    crowd: dict,
    ledger: pd.DataFrame,
    periods: np.ndarray,
    written: dict,
) -> GenerateResult:
    """Truth, labels, look-alikes and the manifest, once every claim is written."""
    prov, pers = world.prov, world.pers
    truth = truth_table(ledger, prov.id, pers.id)
    labels = labels_table(np.random.default_rng([seed, 2]), ledger, truth, prov.id, pers.id, periods)
    labels, truth, lookalikes = shape.outcomes(labels, truth, _lookalikes(world, crowd))
    truth.to_csv(folder / "truth.csv", index=False, lineterminator="\n")
    labels.to_csv(folder / "labels.csv", index=False, lineterminator="\n")
    lookalikes.to_csv(folder / "lookalikes.csv", index=False, lineterminator="\n")
    counts = {**written, "labels": len(labels), "truth": len(truth)}
    manifest = {
        "generator": "fundguard synthetic",
        "scale": spec.name,
        "seed": seed,
        "format": fmt,
        "profile": shape.name,
        **({"profile_notes": shape.notes} if shape.notes else {}),
        "formats": shape.formats(fmt),
        "periods": [str(p) for p in month_label(periods)],
        "counts": counts,
        "never_labelled_pattern": pattern_name(NEVER_LABELLED),
    }
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    return GenerateResult(folder, manifest["periods"], counts)


def _lookalikes(world, crowd: dict) -> pd.DataFrame:
    """Honest providers that naive rules mistake for fraud (for evaluating false alarms)."""
    prov = world.prov
    flagged = np.flatnonzero(prov.lookalike != "")
    rows = pd.DataFrame(
        {
            "entity_type": "provider",
            "entity_id": prov.id[flagged],
            "kind": prov.lookalike[flagged].astype(str),
            "date": "",
        }
    )
    big = np.flatnonzero(prov.kind == "H3")
    rows = pd.concat(
        [
            rows,
            pd.DataFrame(
                {"entity_type": "provider", "entity_id": prov.id[big], "kind": "complex_case_mix", "date": ""}
            ),
        ]
    )
    if crowd:
        day = str(np.datetime64(crowd["day"], "D"))
        rows.loc[len(rows)] = ["provider", prov.id[crowd["provider"]], "outbreak_admissions", day]
    return rows.sort_values(["kind", "entity_id"], ignore_index=True)
