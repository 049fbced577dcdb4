"""`fundguard serve`: the reviewers' and supervisors' web app over the scored inspection lists.

Server-rendered pages (list, case, audit) and a JSON API under /api (OpenAPI at /docs). It reads
what `fundguard score` wrote and never runs a model. Dispositions and the audit log go to the
outcomes database (`serving.outcomes`).

Access: every request carries a token (`Authorization: Bearer …`, or the cookie the login page
sets). Supervisors export; reviewers record dispositions; both read. Every view, disposition
and export is written to the append-only audit log.
"""


import io
import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Annotated, Literal, get_args
from urllib.parse import quote, urlencode, urlsplit

import pandas as pd
from fastapi import Depends, FastAPI, Form, HTTPException, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from serving import charts
from serving.outcomes import OUTCOMES, AccessError, OutcomeStore, User
from serving.outputs import workbook_bytes
from serving.scores import ScoreStore

COOKIE = "fundguard_token"
PERIOD_RE = r"^\d{4}-(0[1-9]|1[0-2])$"
Sort = Literal["rank", "risk_score", "model_score", "anomaly_score", "rule_hits", "amount_at_risk"]
Status = Literal["open", "fraud", "violation", "clean"]  # a withdrawn record leaves the case open
Grade = Literal["A", "B", "C", "D"]
SORTS, STATUSES = get_args(Sort), get_args(Status)
EXPORT_ROWS = 100_000
TEMPLATES = Path(__file__).parent / "templates" / "app"
Entity = Literal["provider", "person"]
PeriodPath = Annotated[str, Field(pattern=PERIOD_RE)]


@dataclass(frozen=True)
class AppConfig:
    scores_dir: Path
    outcomes_url: str
    page_size: int = 50          # 1..500
    secure_cookie: bool = False   # set when served over HTTPS
    patterns: tuple[tuple[str, str], ...] = ()   # (key, plain name) offered in the disposition form


def load_patterns() -> tuple[tuple[str, str], ...]:
    import yaml
    table = yaml.safe_load((Path(__file__).parent / "patterns.yaml").read_text(encoding="utf-8"))
    return tuple((str(k), str(v)) for k, v in table.items())


class Disposition(BaseModel):
    """What a reviewer records after the inspection."""
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    outcome: Literal["fraud", "violation", "clean", "withdrawn"]
    pattern: str | None = Field(None, max_length=64, description="the violation found, e.g. upcoding")
    amount_recovered: float | None = Field(None, ge=0, le=1e12, description="yuan recovered (>= 0)")
    note: str | None = Field(None, max_length=4000)

    @field_validator("amount_recovered")
    @classmethod
    def _finite(cls, value):
        if value is not None and not math.isfinite(value):
            raise ValueError("amount_recovered must be a finite number")
        return value

    @field_validator("pattern", "note")
    @classmethod
    def _printable(cls, value):
        if value is not None and any(ord(ch) < 32 and ch not in "\n\r\t" for ch in value):
            raise ValueError("control characters are not allowed")
        return value or None

    def check(self) -> "Disposition":
        if self.outcome in ("clean", "withdrawn") and (self.amount_recovered or 0) > 0:
            raise ValueError(f"a {self.outcome} outcome recovers nothing: leave amount_recovered empty or 0")
        if self.outcome in ("clean", "withdrawn") and self.pattern:
            raise ValueError(f"a {self.outcome} outcome has no violation pattern")
        return self


@dataclass(frozen=True)
class Filters:
    """What a list request asks for (validated by `_filters` from the query string)."""
    region: str | None = None
    provider_type: str | None = None
    grade: Grade | None = None
    status: Status | None = None
    sort: Sort = "rank"
    order: Literal["asc", "desc"] | None = None

    def query(self) -> dict[str, str]:
        """The query string that asks for the same (defaults left out)."""
        return {k: v for k, v in asdict(self).items() if v not in (None, "") and not (k == "sort" and v == "rank")}


def _filters(region: Annotated[str | None, Query(max_length=64)] = None,
             provider_type: Annotated[str | None, Query(max_length=64)] = None,
             grade: Annotated[Grade | None, Query()] = None,
             status: Annotated[Status | None, Query()] = None,
             sort: Annotated[Sort, Query()] = "rank",
             order: Annotated[Literal["asc", "desc"] | None, Query()] = None) -> Filters:
    return Filters(region=region or None, provider_type=provider_type or None, grade=grade, status=status,
                   sort=sort, order=order)


def create_app(config: AppConfig) -> FastAPI:
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    scores = ScoreStore(config.scores_dir)
    store = OutcomeStore(config.outcomes_url)
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True, undefined=StrictUndefined,
                      finalize=lambda v: "" if v is None else v)  # a missing level or diagnosis shows blank
    env.filters["money"] = lambda v: "" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:,.2f}"
    env.filters["score"] = lambda v: "" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:.3f}"
    app = FastAPI(title="fundguard", version="1",
                  description="Inspection lists, case files and dispositions (医保基金监管). Send "
                              "`Authorization: Bearer <token>`; tokens come from `fundguard users add`.")
    app.state.store, app.state.scores = store, scores

    Viewer = Annotated[User, Depends(current_user)]
    Supervisor = Annotated[User, Depends(require("supervisor", "only supervisors may export lists"))]
    Reviewer = Annotated[User, Depends(require("reviewer", "only reviewers may record dispositions"))]
    Auditor = Annotated[User, Depends(require("supervisor", "only supervisors read the audit log"))]

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException):
        if request.url.path.startswith("/api") or exc.status_code not in (401, 403, 404):
            return JSONResponse({"detail": exc.detail}, exc.status_code, headers=exc.headers)
        if exc.status_code == 401:
            back = str(request.url.path).removesuffix("/disposition")  # a form post resumes on its case page
            return RedirectResponse(f"/login?{urlencode({'next': _safe_next(back)})}", 303)
        return HTMLResponse(env.get_template("error.html.j2").render(status=exc.status_code, message=exc.detail,
                                                                    user=None), exc.status_code)

    @app.middleware("http")
    async def _same_origin(request: Request, call_next):
        """Refuse state-changing requests sent from another origin (CSRF): a browser names the
        page it posts from in Origin (or Referer); API clients with a bearer token send neither."""
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            source = request.headers.get("origin") or request.headers.get("referer")
            if source and (source == "null" or urlsplit(source).netloc != request.headers.get("host")):
                return JSONResponse({"detail": "cross-origin request refused"}, 403)
        return await call_next(request)

    @app.exception_handler(OperationalError)
    async def _busy(request: Request, exc: OperationalError):
        return JSONResponse({"detail": "the outcomes database is busy or unreachable; try again shortly"}, 503,
                            headers={"Retry-After": "5"})

    @app.exception_handler(FileNotFoundError)
    async def _gone(request: Request, exc: FileNotFoundError):
        return JSONResponse({"detail": "that month's outputs are missing or being replaced by a re-run; "
                                       "try again shortly"}, 404)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError):
        problems = [f"{'.'.join(str(p) for p in e.get('loc', ()) if p != 'body')}: {e.get('msg')}"
                    for e in exc.errors()]
        return JSONResponse({"detail": "malformed request: " + "; ".join(problems), "errors": _jsonable(exc.errors())},
                            422)

    # --- helpers -----------------------------------------------------------------------------
    def need_period(period: str) -> str:
        if not scores.has(period):
            raise HTTPException(404, f"period {period} has not been scored (scored: "
                                     f"{', '.join(scores.periods()) or 'none yet'})")
        return period

    def listing(period: str, entity: str, f: Filters) -> pd.DataFrame:
        table = scores.table(need_period(period), entity)
        if entity == "person" and (f.provider_type or f.grade):
            raise HTTPException(422, "provider_type and grade filter providers only")
        latest = store.dispositions(period=period, entity_type=entity, latest=True)
        status = pd.Series(latest["outcome"].replace("withdrawn", "open").to_numpy(),
                           index=latest["entity_id"].astype(str))
        table = table.assign(status=table["entity_id"].map(status).fillna("open"))
        keep = pd.Series(True, index=table.index)
        if f.region:
            keep &= table["region"].astype(str) == f.region
        if f.provider_type:
            keep &= table["provider_type"].astype(str) == f.provider_type
        if f.grade:
            keep &= table["credit_grade"] == f.grade
        if f.status:
            keep &= table["status"] == f.status
        out = table[keep]
        ascending = (f.order or ("asc" if f.sort == "rank" else "desc")) == "asc"
        return out.sort_values([f.sort, "rank"], ascending=[ascending, True], kind="stable")

    def choices(period: str, entity: str) -> dict[str, list[str]]:
        table = scores.table(period, entity)
        out = {"region": sorted(table["region"].dropna().astype(str).unique().tolist())}
        if entity == "provider":
            out["provider_type"] = sorted(table["provider_type"].dropna().astype(str).unique().tolist())
        return out

    def entity_row(period: str, entity: str, entity_id: str) -> dict:
        row = scores.row(need_period(period), entity, entity_id)
        if row is None:
            raise HTTPException(404, f"{entity} {entity_id} is not in the {period} list")
        return row

    def case_view(user: User, period: str, entity: str, entity_id: str, detail: dict | None = None) -> dict:
        """Everything shown about one case; the view goes into the audit log."""
        row = entity_row(period, entity, entity_id)
        history = scores.risk_history(entity, entity_id)
        store.log(user, "view_case", period, entity, entity_id, detail)
        return {"row": _jsonable(row), "case": scores.case(period, entity, entity_id),
                "dispositions": _records(store.dispositions(period=period, entity_type=entity, entity_id=entity_id)),
                "risk_history": _records(history)}

    def dispose(user: User, period: str, entity: str, entity_id: str, body: Disposition) -> int:
        """Record a checked disposition, tagged with the data folder the month's list came from."""
        return store.record_disposition(user, period, entity, entity_id, body.outcome, body.pattern,
                                        body.amount_recovered, body.note, scores.manifest(period).get("data"))

    # --- JSON API ----------------------------------------------------------------------------
    @app.get("/api/health", tags=["api"])
    def health() -> dict:
        return {"status": "ok", "periods": scores.periods()[:1]}

    @app.get("/api/me", tags=["api"])
    def me(user: Viewer) -> dict:
        return {"name": user.name, "role": user.role}

    @app.get("/api/periods", tags=["api"])
    def periods(user: Viewer) -> list[dict]:
        out = []
        for p in scores.periods():
            manifest = scores.manifest(p)
            out.append({"period": p, "providers": scores.count(p, "provider"), "persons": scores.count(p, "person"),
                        "model_versions": manifest.get("models", {})})
        return out

    @app.get("/api/periods/{period}/{entity_type}", tags=["api"])
    def api_list(period: PeriodPath, entity_type: Entity, user: Viewer, f: Annotated[Filters, Depends(_filters)],
                 page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
                 page_size: Annotated[int, Query(ge=1, le=500)] = 50) -> dict:
        table = listing(period, entity_type, f)
        store.log(user, "view_list", period, entity_type, None, {**f.query(), "page": page})
        rows = table.iloc[(page - 1) * page_size: page * page_size]
        return {"period": period, "entity_type": entity_type, "total": len(table), "page": page,
                "page_size": page_size, "rows": _records(rows)}

    @app.get("/api/periods/{period}/{entity_type}/export", tags=["api"],
             responses={200: {"content": {"text/csv": {}, "application/vnd.openxmlformats-officedocument."
                                                               "spreadsheetml.sheet": {}}}})
    def api_export(period: PeriodPath, entity_type: Entity, user: Supervisor,
                   f: Annotated[Filters, Depends(_filters)],
                   format: Annotated[Literal["csv", "xlsx"], Query()] = "xlsx") -> Response:
        full = listing(period, entity_type, f)
        table = full.head(EXPORT_ROWS)
        omitted = len(full) - len(table)
        store.log(user, "export", period, entity_type, None, {**f.query(), "format": format, "rows": len(table),
                                                               "omitted": omitted})
        name = f"fundguard_{period}_{entity_type}s"
        extra = {"X-Rows-Omitted": str(omitted)}  # beyond EXPORT_ROWS; the full ranking is in the Parquet file
        if format == "csv":
            body = table.to_csv(index=False, lineterminator="\n").encode("utf-8-sig")  # BOM: Excel reads 中文
            return Response(body, media_type="text/csv; charset=utf-8",
                            headers={"Content-Disposition": f'attachment; filename="{name}.csv"', **extra})
        body = workbook_bytes({entity_type: table})
        return Response(body, media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"', **extra})

    @app.get("/api/cases/{period}/{entity_type}/{entity_id}", tags=["api"])
    def api_case(period: PeriodPath, entity_type: Entity, entity_id: Annotated[str, Field(max_length=64)],
                 user: Viewer) -> dict:
        return case_view(user, period, entity_type, entity_id)

    @app.post("/api/cases/{period}/{entity_type}/{entity_id}/dispositions", tags=["api"], status_code=201)
    def api_dispose(period: PeriodPath, entity_type: Entity, entity_id: Annotated[str, Field(max_length=64)],
                    body: Disposition, user: Reviewer) -> dict:
        entity_row(period, entity_type, entity_id)
        try:
            body.check()
        except ValueError as exc:
            raise HTTPException(422, str(exc)) from exc
        new_id = dispose(user, period, entity_type, entity_id, body)
        return {"id": new_id, "period": period, "entity_type": entity_type, "entity_id": entity_id,
                **body.model_dump(), "reviewer": user.name}

    @app.get("/api/dispositions", tags=["api"])
    def api_dispositions(user: Viewer, period: Annotated[str | None, Query(pattern=PERIOD_RE)] = None) -> list[dict]:
        store.log(user, "view_dispositions", period)
        return _records(store.dispositions(period=period))

    @app.get("/api/audit", tags=["api"])
    def api_audit(user: Auditor,
                  limit: Annotated[int, Query(ge=1, le=10_000)] = 200) -> list[dict]:
        entries = _records(store.audit_log(limit))
        store.log(user, "view_audit", detail={"limit": limit})
        return entries

    # --- pages -------------------------------------------------------------------------------
    def page(name: str, user: User | None, status: int = 200, **context) -> HTMLResponse:
        return HTMLResponse(env.get_template(name).render(user=user, **context), status)

    @app.get("/", include_in_schema=False)
    def home(user: Viewer) -> Response:
        found = scores.periods()
        if not found:
            return page("error.html.j2", user, 404, status=404,
                        message=f"Nothing scored yet in {config.scores_dir}: run `fundguard score` first.")
        return RedirectResponse(f"/periods/{found[0]}/provider", 303)

    @app.get("/login", response_class=HTMLResponse, tags=["pages"])
    def login_page(next: Annotated[str, Query(max_length=300)] = "/", error: Annotated[str, Query(max_length=200)] = ""):
        return page("login.html.j2", None, next=_safe_next(next), error=error)

    @app.post("/login", tags=["pages"])
    def login(token: Annotated[str, Form(max_length=200)], next: Annotated[str, Form(max_length=300)] = "/"):
        try:
            user = store.authenticate(token.strip())
        except AccessError:
            return page("login.html.j2", None, 401, next=_safe_next(next), error="That token is not valid.")
        response = RedirectResponse(_safe_next(next), 303)
        response.set_cookie(COOKIE, token.strip(), httponly=True, samesite="strict", secure=config.secure_cookie,
                            max_age=12 * 3600)
        store.log(user, "login")
        return response

    @app.post("/logout", tags=["pages"])
    def logout():
        response = RedirectResponse("/login", 303)
        response.delete_cookie(COOKIE)
        return response

    @app.get("/periods/{period}/{entity_type}", response_class=HTMLResponse, tags=["pages"])
    def list_page(period: PeriodPath, entity_type: Entity, user: Viewer, f: Annotated[Filters, Depends(_filters)],
                  page_no: Annotated[int, Query(alias="page", ge=1, le=1_000_000)] = 1):
        table = listing(period, entity_type, f)
        store.log(user, "view_list", period, entity_type, None, {**f.query(), "page": page_no})
        size = config.page_size
        pages = max(1, math.ceil(len(table) / size))
        rows = table.iloc[(page_no - 1) * size: page_no * size]
        query = f.query()
        return page("list.html.j2", user, period=period, entity=entity_type, periods=scores.periods(),
                    rows=_records(rows), total=len(table), page=page_no, pages=pages, filters=f, query=query,
                    choices=choices(period, entity_type), statuses=STATUSES, sorts=SORTS, export_rows=EXPORT_ROWS,
                    link=lambda **kw: "?" + urlencode({**query, **kw}),
                    export=lambda fmt: f"/api/periods/{period}/{entity_type}/export?" + urlencode({**query,
                                                                                                   "format": fmt}))

    @app.get("/periods/{period}/{entity_type}/{entity_id}", response_class=HTMLResponse, tags=["pages"])
    def case_page(period: PeriodPath, entity_type: Entity, entity_id: Annotated[str, Field(max_length=64)],
                  user: Viewer, saved: Annotated[int, Query(ge=0, le=1)] = 0):
        view = case_view(user, period, entity_type, entity_id)
        return case_html(user, period, entity_type, entity_id, view, saved=bool(saved))

    def case_html(user, period, entity, entity_id, view, status=200, error="", form=None, saved=False):
        case = view["case"] or {}
        names = case.get("measure_names") or {}
        contributions = case.get("contributions") or []
        steps = [(names.get(c["feature"], c["feature"]), float(c["shap"])) for c in contributions[:12]]
        shown = sum(float(c["shap"]) for c in contributions[:12])
        other = float(case.get("shap_other") or 0.0) + sum(float(c["shap"]) for c in contributions[12:])
        if case.get("shap_base") is not None and case.get("shap_explained", True):
            steps.append(("other features", other))
            base = float(case["shap_base"])
            output = float(case.get("shap_output", base + shown + other))
            waterfall = charts.waterfall(base, steps, output, "SHAP contributions of the supervised model")
        else:
            waterfall = ""
        risk = {r["period"]: r["risk_score"] for r in view["risk_history"]}
        timeline = charts.timeline(case.get("timeline") or [], risk, "Monthly fund paid and risk score")
        peers = charts.peer_bars(case.get("peer_values") or [], names, "Against the peer group")
        latest = view["dispositions"][-1] if view["dispositions"] else None
        return page("case.html.j2", user, status, period=period, entity=entity, entity_id=entity_id,
                    row=view["row"], case=case, has_case=view["case"] is not None, names=names,
                    dispositions=view["dispositions"], latest=latest, waterfall=waterfall, timeline=timeline,
                    peers=peers, error=error, form=form or {}, saved=saved, patterns=config.patterns,
                    outcomes=OUTCOMES)

    @app.post("/periods/{period}/{entity_type}/{entity_id}/disposition", tags=["pages"])
    def dispose_form(period: PeriodPath, entity_type: Entity, entity_id: Annotated[str, Field(max_length=64)],
                     user: Reviewer,
                     outcome: Annotated[str, Form(max_length=100)] = "",
                     pattern: Annotated[str, Form(max_length=100_000)] = "",
                     amount_recovered: Annotated[str, Form(max_length=100_000)] = "",
                     note: Annotated[str, Form(max_length=100_000)] = ""):
        # generous form limits: the Disposition model's own limits answer with the page and what was typed
        form = {"outcome": outcome, "pattern": pattern, "amount_recovered": amount_recovered, "note": note}
        entity_row(period, entity_type, entity_id)
        try:
            body = Disposition(outcome=outcome, pattern=pattern or None, note=note or None,
                               amount_recovered=_amount(amount_recovered)).check()
        except (ValidationError, ValueError) as exc:
            view = case_view(user, period, entity_type, entity_id, {"refused_disposition": _message(exc)[:500]})
            return case_html(user, period, entity_type, entity_id, view, 422, _message(exc), form)
        dispose(user, period, entity_type, entity_id, body)
        return RedirectResponse(f"/periods/{period}/{entity_type}/{quote(entity_id, safe='')}?saved=1", 303)

    @app.get("/audit", response_class=HTMLResponse, tags=["pages"])
    def audit_page(user: Auditor,
                   limit: Annotated[int, Query(ge=1, le=10_000)] = 500):
        entries = _records(store.audit_log(limit))
        store.log(user, "view_audit", detail={"limit": limit})
        return page("audit.html.j2", user, entries=entries)

    return app


def current_user(request: Request) -> User:
    """The user behind the request's token (bearer header, else the login cookie); 401 if none."""
    header = request.headers.get("authorization", "")
    token = header[7:].strip() if header.lower().startswith("bearer ") else request.cookies.get(COOKIE)
    try:
        return request.app.state.store.authenticate(token)
    except AccessError as exc:
        raise HTTPException(401, f"sign in: {exc}", headers={"WWW-Authenticate": "Bearer"}) from exc


def require(role: str, message: str):
    """A dependency that lets only `role` through (403 with `message` for the other role)."""
    def check(user: Annotated[User, Depends(current_user)]) -> User:
        if user.role != role:
            raise HTTPException(403, message)
        return user
    return check


def _amount(text: str) -> float | None:
    text = text.strip().replace(",", "")
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"amount recovered must be a number of yuan, got {text[:20]!r}") from None


def _message(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
    return str(exc)


def _safe_next(target: str) -> str:
    """Only same-site paths after login (no open redirect)."""
    return target if target.startswith("/") and not target.startswith("//") and "\\" not in target else "/"


def _records(frame: pd.DataFrame) -> list[dict]:
    return json.loads(frame.to_json(orient="records", date_format="iso", force_ascii=False)) if len(frame) else []


def _jsonable(value):
    """Plain JSON values (NaN and infinity as null, numpy scalars as numbers)."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value if value is None or isinstance(value, (str, int, float, bool)) else str(value)
