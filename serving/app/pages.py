"""The server-rendered pages: sign-in, the list of a month, a case, the audit log."""

from __future__ import annotations

import math
from typing import Annotated
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Form, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError

from serving.app import api, charts
from serving.app.deps import (
    COOKIE,
    COOKIE_MAX_AGE,
    SORTS,
    STATUSES,
    AppState,
    Auditor,
    Entity,
    EntityId,
    ListFilters,
    PeriodPath,
    Reviewer,
    State,
    Viewer,
    client_address,
)
from serving.app.service import (
    Disposition,
    case_view,
    choices,
    dispose,
    entity_row,
    listing,
    message,
    parse_amount,
    records,
    safe_next,
)
from serving.store.outcomes import OUTCOMES, AccessError, Throttled, User

router = APIRouter(tags=["pages"])
SHOWN_CONTRIBUTIONS = 12  # bars of the SHAP waterfall before "other features"


def page(s: AppState, template: str, user: User | None, code: int = 200, /, **context) -> HTMLResponse:
    """`template` rendered for `user`, answered with HTTP status `code` (with the banner when
    the outcomes record does not verify)."""
    return HTMLResponse(
        s.templates.get_template(template).render(user=user, warning=s.chains.warning(), **context), code
    )


@router.get("/", include_in_schema=False)
def home(s: State, user: Viewer) -> Response:
    found = s.scores.periods()
    if not found:
        return page(
            s,
            "error.html.j2",
            user,
            404,
            status=404,
            message=f"Nothing scored yet in {s.config.scores_dir}: run `fundguard score` first.",
        )
    return RedirectResponse(f"/periods/{found[0]}/provider", 303)


@router.get("/login", response_class=HTMLResponse)
def login_page(
    s: State, next: Annotated[str, Query(max_length=300)] = "/", error: Annotated[str, Query(max_length=200)] = ""
):
    return page(s, "login.html.j2", None, next=safe_next(next), error=error, name="")


@router.post("/login")
def login(
    request: Request,
    s: State,
    name: Annotated[str, Form(max_length=64)],
    token: Annotated[str, Form(max_length=200)],
    next: Annotated[str, Form(max_length=300)] = "/",
):
    """Sign in with a user name and token: opens a server-side session whose id (never the token)
    goes into the cookie. Failures are audited; too many of them from a name or an address give 429."""
    back = safe_next(next)
    try:
        _, session = s.store.sign_in(name, token.strip(), client_address(request))
    except Throttled as exc:
        answer = page(s, "login.html.j2", None, 429, next=back, name=name, error=str(exc).capitalize() + ".")
        answer.headers["Retry-After"] = str(exc.retry_after)
        return answer
    except AccessError:
        return page(
            s, "login.html.j2", None, 401, next=back, name=name, error="That user name and token are not valid."
        )
    response = RedirectResponse(back, 303)
    response.set_cookie(
        COOKIE, session, httponly=True, samesite="strict", secure=s.config.secure_cookie, max_age=COOKIE_MAX_AGE
    )
    return response


@router.post("/logout")
def logout(request: Request, s: State):
    """End the session on the server (a copied cookie stops working too), then in the browser."""
    session = request.cookies.get(COOKIE)
    try:
        user = s.store.session_user(session)
    except AccessError:
        user = None
    if s.store.end_session(session) and user:
        s.store.log(user, "logout")
    response = RedirectResponse("/login", 303)
    response.delete_cookie(COOKIE, httponly=True, samesite="strict", secure=s.config.secure_cookie)
    return response


@router.get("/periods/{period}/{entity_type}", response_class=HTMLResponse)
def list_page(
    period: PeriodPath,
    entity_type: Entity,
    s: State,
    user: Viewer,
    f: ListFilters,
    page_no: Annotated[int, Query(alias="page", ge=1, le=1_000_000)] = 1,
):
    table = listing(s, period, entity_type, f)
    s.store.log(user, "view_list", period, entity_type, None, {**f.query(), "page": page_no})
    size = s.config.page_size
    rows = table.rows((page_no - 1) * size, page_no * size)
    query = f.query()
    return page(
        s,
        "list.html.j2",
        user,
        period=period,
        entity=entity_type,
        periods=s.scores.periods(),
        rows=records(rows),
        total=len(table),
        page=page_no,
        pages=max(1, math.ceil(len(table) / size)),
        filters=f,
        query=query,
        choices=choices(s, period, entity_type),
        statuses=STATUSES,
        sorts=SORTS,
        export_rows=api.EXPORT_ROWS,
        link=lambda **kw: "?" + urlencode({**query, **kw}),
        export=lambda fmt: f"/api/periods/{period}/{entity_type}/export?" + urlencode({**query, "format": fmt}),
    )


@router.get("/periods/{period}/{entity_type}/{entity_id}", response_class=HTMLResponse)
def case_page(
    period: PeriodPath,
    entity_type: Entity,
    entity_id: EntityId,
    s: State,
    user: Viewer,
    saved: Annotated[int, Query(ge=0, le=1)] = 0,
):
    view = case_view(s, user, period, entity_type, entity_id)
    return case_html(s, user, period, entity_type, entity_id, view, saved=bool(saved))


def case_charts(case: dict, risk_history: list[dict]) -> dict[str, str]:
    """The case page's SVG charts: SHAP waterfall, timeline, peer comparison."""
    names = case.get("measure_names") or {}
    contributions = case.get("contributions") or []
    shown = contributions[:SHOWN_CONTRIBUTIONS]
    steps = [(names.get(c["feature"], c["feature"]), float(c["shap"])) for c in shown]
    waterfall = ""
    if case.get("shap_base") is not None and case.get("shap_explained", True):
        other = float(case.get("shap_other") or 0.0) + sum(float(c["shap"]) for c in contributions[len(shown) :])
        base = float(case["shap_base"])
        output = float(case.get("shap_output", base + sum(v for _, v in steps) + other))
        waterfall = charts.waterfall(
            base, steps + [("other features", other)], output, "SHAP contributions of the supervised model"
        )
    risk = {r["period"]: r["risk_score"] for r in risk_history}
    return {
        "waterfall": waterfall,
        "timeline": charts.timeline(case.get("timeline") or [], risk, "Monthly fund paid and risk score"),
        "peers": charts.peer_bars(case.get("peer_values") or [], names, "Against the peer group"),
    }


def case_html(s: AppState, user, period, entity, entity_id, view, status=200, error="", form=None, saved=False):
    case = view["case"] or {}
    latest = view["dispositions"][-1] if view["dispositions"] else None
    return page(
        s,
        "case.html.j2",
        user,
        status,
        period=period,
        entity=entity,
        entity_id=entity_id,
        row=view["row"],
        case=case,
        has_case=view["case"] is not None,
        names=case.get("measure_names") or {},
        dispositions=view["dispositions"],
        latest=latest,
        **case_charts(case, view["risk_history"]),
        error=error,
        form=form or {},
        saved=saved,
        patterns=s.config.patterns,
        outcomes=OUTCOMES,
    )


@router.post("/periods/{period}/{entity_type}/{entity_id}/disposition")
def dispose_form(
    period: PeriodPath,
    entity_type: Entity,
    entity_id: EntityId,
    s: State,
    user: Reviewer,
    outcome: Annotated[str, Form(max_length=100)] = "",
    pattern: Annotated[str, Form(max_length=100_000)] = "",
    amount_recovered: Annotated[str, Form(max_length=100_000)] = "",
    note: Annotated[str, Form(max_length=100_000)] = "",
):
    # generous form limits: the Disposition model's own limits answer with the page and what was typed
    form = {"outcome": outcome, "pattern": pattern, "amount_recovered": amount_recovered, "note": note}
    entity_row(s, period, entity_type, entity_id)
    try:
        body = Disposition(
            outcome=outcome, pattern=pattern or None, note=note or None, amount_recovered=parse_amount(amount_recovered)
        ).check()
    except (ValidationError, ValueError) as exc:
        view = case_view(s, user, period, entity_type, entity_id, {"refused_disposition": message(exc)[:500]})
        return case_html(s, user, period, entity_type, entity_id, view, 422, message(exc), form)
    dispose(s, user, period, entity_type, entity_id, body)
    return RedirectResponse(f"/periods/{period}/{entity_type}/{quote(entity_id, safe='')}?saved=1", 303)


@router.get("/audit", response_class=HTMLResponse)
def audit_page(s: State, user: Auditor, limit: Annotated[int, Query(ge=1, le=10_000)] = 500):
    entries = records(s.store.audit_log(limit))
    s.store.log(user, "view_audit", detail={"limit": limit})
    return page(s, "audit.html.j2", user, entries=entries)
