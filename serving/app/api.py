"""The JSON API under /api (OpenAPI at /docs): periods, lists, exports, cases, dispositions, audit."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query, Request, Response

from data_contracts.vocabulary import PERIOD_REGEX
from serving.app.deps import (
    AppState,
    Auditor,
    Entity,
    EntityId,
    ListFilters,
    PeriodPath,
    Reviewer,
    State,
    Supervisor,
    Viewer,
    refuse,
)
from serving.app.service import Disposition, case_view, dispose, entity_row, export_file, listing, records
from serving.store.outcomes import User

EXPORT_ROWS = 100_000
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
router = APIRouter(prefix="/api", tags=["api"])


@router.get("/health")
def health(s: State) -> dict:
    return {"status": "ok", "periods": s.scores.periods()[:1]}


@router.get("/me")
def me(user: Viewer) -> dict:
    return {"name": user.name, "role": user.role}


@router.get("/periods")
def periods(s: State, user: Viewer) -> list[dict]:
    return [
        {
            "period": p,
            "providers": s.scores.count(p, "provider"),
            "persons": s.scores.count(p, "person"),
            "model_versions": s.scores.manifest(p).get("models", {}),
        }
        for p in s.scores.periods()
    ]


@router.get("/periods/{period}/{entity_type}")
def api_list(
    period: PeriodPath,
    entity_type: Entity,
    s: State,
    user: Viewer,
    f: ListFilters,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=500)] = 50,
) -> dict:
    table = listing(s, period, entity_type, f)
    s.store.log(user, "view_list", period, entity_type, None, {**f.query(), "page": page})
    rows = table.rows((page - 1) * page_size, page * page_size)
    return {
        "period": period,
        "entity_type": entity_type,
        "total": len(table),
        "page": page,
        "page_size": page_size,
        "rows": records(rows),
    }


@router.get("/periods/{period}/{entity_type}/export", responses={200: {"content": {"text/csv": {}, XLSX: {}}}})
def api_export(
    request: Request,
    period: PeriodPath,
    entity_type: Entity,
    s: State,
    user: Supervisor,
    f: ListFilters,
    format: Annotated[Literal["csv", "xlsx"], Query()] = "xlsx",
) -> Response:
    full = listing(s, period, entity_type, f)
    record_or_refuse(request, s, user)
    table = full.rows(0, EXPORT_ROWS)
    omitted = len(full) - len(table)
    s.store.log(
        user,
        "export",
        period,
        entity_type,
        None,
        {**f.query(), "format": format, "rows": len(table), "omitted": omitted},
    )
    name = f"fundguard_{period}_{entity_type}s"
    extra = {"X-Rows-Omitted": str(omitted)}  # beyond EXPORT_ROWS; the full ranking is in the Parquet file
    body = export_file(table, entity_type, format)
    media = "text/csv; charset=utf-8" if format == "csv" else XLSX
    return Response(
        body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}.{format}"', **extra}
    )


@router.get("/cases/{period}/{entity_type}/{entity_id}")
def api_case(period: PeriodPath, entity_type: Entity, entity_id: EntityId, s: State, user: Viewer) -> dict:
    return case_view(s, user, period, entity_type, entity_id)


@router.post("/cases/{period}/{entity_type}/{entity_id}/dispositions", status_code=201)
def api_dispose(
    period: PeriodPath, entity_type: Entity, entity_id: EntityId, body: Disposition, s: State, user: Reviewer
) -> dict:
    entity_row(s, period, entity_type, entity_id)
    try:
        body.check()
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from exc
    new_id = dispose(s, user, period, entity_type, entity_id, body)
    return {
        "id": new_id,
        "period": period,
        "entity_type": entity_type,
        "entity_id": entity_id,
        **body.model_dump(),
        "reviewer": user.name,
    }


def record_or_refuse(request: Request, s: AppState, user: User) -> None:
    """Exports carry the recorded outcomes (a list's status column, the dispositions): refused
    (409, audited) while the dispositions chain does not verify, as training refuses its labels."""
    problem = s.chains.dispositions_intact()
    if problem:
        raise refuse(
            request,
            user,
            409,
            f"the outcomes record does not verify ({problem}); exports of it are "
            f"refused until the database is restored (see `fundguard audit verify`)",
        )


@router.get("/dispositions")
def api_dispositions(
    request: Request, s: State, user: Viewer, period: Annotated[str | None, Query(pattern=PERIOD_REGEX)] = None
) -> list[dict]:
    record_or_refuse(request, s, user)
    s.store.log(user, "view_dispositions", period)
    return records(s.store.dispositions(period=period))


@router.get("/audit")
def api_audit(s: State, user: Auditor, limit: Annotated[int, Query(ge=1, le=10_000)] = 200) -> list[dict]:
    entries = records(s.store.audit_log(limit))
    s.store.log(user, "view_audit", detail={"limit": limit})
    return entries


__all__ = ["router", "EXPORT_ROWS"]
