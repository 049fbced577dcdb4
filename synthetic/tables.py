"""Turn a month's Batch into contract-shaped Arrow tables (payments, ids, line numbers)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from synthetic.encounters import DAY, INPATIENT, OUTPATIENT, SETTINGS, Batch, World
from synthetic.population import region_codes

IN_SCOPE = {"A": 1.0, "B": 0.9, "C": 0.0}  # 乙类: 10% first self-pay share (local rule)
DEDUCTIBLE = {1: 30_000, 2: 60_000, 3: 100_000}  # inpatient 起付线 in fen by hospital level


@dataclass
class Money:
    total: np.ndarray
    fund: np.ndarray
    account: np.ndarray
    self_paid: np.ndarray
    line_amount: np.ndarray


def payments(world: World, b: Batch) -> Money:
    """Split each claim into fund, personal account and cash, in whole fen."""
    amount = np.round(b.qty * b.price).astype(np.int64)
    scope_share = np.vectorize(IN_SCOPE.get)(world.cat.coverage)[b.item] if len(b.item) else np.zeros(0)
    total = np.bincount(b.line_claim, weights=amount, minlength=b.n_claims).round().astype(np.int64)
    scope = np.bincount(b.line_claim, weights=amount * scope_share, minlength=b.n_claims)
    employee = world.pers.employee[b.person]
    kind = world.prov.kind[b.provider]
    level = np.nan_to_num(world.prov.level[b.provider], nan=1).astype(int)
    primary = np.isin(kind, ["CPUB", "CPRIV", "H1"])
    op_ratio = np.where(employee, 0.6, 0.5) + np.where(primary, 0.1, 0.0)
    ip_ratio = np.where(employee, 0.85, 0.70) + np.select([level == 1, level == 3], [0.05, -0.05], 0.0)
    deductible = np.vectorize(DEDUCTIBLE.get)(level) if len(level) else np.zeros(0)
    fund = np.select(
        [b.setting == OUTPATIENT, b.setting == INPATIENT],
        [scope * op_ratio, np.maximum(scope - deductible, 0) * ip_ratio],
        scope * 0.35,
    )
    fund = np.minimum(np.floor(fund).astype(np.int64), total)
    rest = total - fund
    account_share = np.where(b.setting == INPATIENT, 0.3, 0.8) * employee
    account = np.floor(rest * account_share).astype(np.int64)
    return Money(total, fund, account, total - fund - account, amount)


def claim_order(b: Batch) -> np.ndarray:
    return np.lexsort((b.person, b.provider, b.settle))


def _strings(vocab: np.ndarray, idx: np.ndarray) -> pa.Array:
    return pa.array(vocab, pa.string()).take(pa.array(idx, mask=idx < 0))


def _dates(days: np.ndarray) -> pa.Array:
    return pa.array(days.astype(np.int32), pa.date32())


def _yuan(fen: np.ndarray) -> pa.Array:
    return pa.array(fen / 100.0, pa.float64())


def claim_ids(first: int, n: int) -> pa.Array:
    numbers = pc.cast(pa.array(np.arange(first, first + n)), pa.string())
    return pc.binary_join_element_wise("C", pc.utf8_lpad(numbers, 10, "0"), "")


def to_tables(world: World, b: Batch, first_id: int) -> tuple[pa.Table, pa.Table, Money]:
    """Claims and claim_items tables for one batch, claims ordered by settlement time."""
    order = claim_order(b)
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    money = payments(world, b)
    ids = claim_ids(first_id, b.n_claims)
    pers_region = world.pers.region[b.person[order]]
    claims = pa.table(
        {
            "claim_id": ids,
            "person_id": _strings(world.pers.id, b.person[order]),
            "provider_id": _strings(world.prov.id, b.provider[order]),
            "doctor_id": _strings(world.doctor_ids, b.doctor[order]),
            "setting": _strings(SETTINGS, b.setting[order]),
            "admit_date": _dates(b.admit[order]),
            "discharge_date": _dates(b.discharge[order]),
            "settle_time": pa.array(b.settle[order], pa.timestamp("s")),
            "diagnosis": _strings(world.dx_code, b.dx[order]),
            "drg": _strings(world.drg_code, b.drg[order]),
            "total_amount": _yuan(money.total[order]),
            "fund_paid": _yuan(money.fund[order]),
            "personal_account_paid": _yuan(money.account[order]),
            "self_paid": _yuan(money.self_paid[order]),
            "out_of_area": pa.array(
                region_codes(pers_region).astype("U4")
                != region_codes(world.prov.region[b.provider[order]]).astype("U4")
            ),
        }
    )
    line_rank = rank[b.line_claim]
    lorder = np.lexsort((b.day, line_rank))
    lclaim = line_rank[lorder]
    starts = np.searchsorted(lclaim, lclaim, side="left")
    items = pa.table(
        {
            "claim_id": ids.take(pa.array(lclaim)),
            "line_no": pa.array((np.arange(len(lclaim)) - starts + 1).astype(np.int32)),
            "item_code": _strings(world.cat.code, b.item[lorder]),
            "quantity": pa.array(b.qty[lorder], pa.float64()),
            "unit_price": _yuan(b.price[lorder]),
            "amount": _yuan(money.line_amount[lorder]),
            "service_date": _dates(b.day[lorder]),
        }
    )
    return claims, items, money


def period_of(settle_seconds: np.ndarray) -> np.ndarray:
    """'YYYY-MM' month index (months since 1970-01) of each settlement."""
    return (settle_seconds // DAY).astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
