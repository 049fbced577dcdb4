"""`fundguard serve`: the reviewers' and supervisors' web app over the scored inspection lists.

Server-rendered pages (list, case, audit) and a JSON API under /api (OpenAPI at /openapi.json, a
try-it page at /docs whose Swagger UI is served from the `fastapi-offline` package: no request
leaves the agency's network). It reads what `fundguard score` wrote and never runs a model.
Dispositions and the audit log go to the outcomes database (`serving.store.outcomes`).

Access: a browser signs in with a user name and token and gets a server-side session (cookie);
scripts send `Authorization: Bearer <token>`. Supervisors export; reviewers record dispositions;
both read. Every view, disposition, export, sign-in, failed sign-in and refusal is written to the
append-only, hash-chained audit log.

    deps.py     configuration, stores, the signed-in user and role checks, list filters, chain watch
    service.py  what API and pages share: lists with statuses, case views, dispositions
    api.py      the JSON API router          pages.py   the page router
    errors.py   error answers, the same-origin check, security headers   charts.py   inline SVG charts
    static/     the pages' script and style sheet, the API docs' start-up script
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from serving.app import api, errors, pages
from serving.app.deps import AppConfig, load_patterns, make_state

__all__ = ["AppConfig", "create_app", "load_patterns"]
STATIC = Path(__file__).parent / "static"


def create_app(config: AppConfig) -> FastAPI:
    """The app over `config.scores_dir` and the outcomes database at `config.outcomes_url`."""
    app = FastAPI(
        title="fundguard",
        version="1",
        docs_url=None,
        redoc_url=None,  # FastAPI's own load from a CDN
        description="Inspection lists, case files and dispositions (医保基金监管). Send "
        "`Authorization: Bearer <token>`; tokens come from `fundguard users add`.",
    )
    app.state.fundguard = make_state(config)
    app.state.store, app.state.scores = app.state.fundguard.store, app.state.fundguard.scores
    errors.install(app)
    app.include_router(api.router)
    app.include_router(pages.router)
    app.get("/docs", include_in_schema=False)(docs)
    mount_assets(app)
    return app


def docs() -> HTMLResponse:
    """Swagger UI over /openapi.json, every asset from this server (the page's script is a file, so
    the Content-Security-Policy needs no inline script)."""
    return HTMLResponse((STATIC / "docs.html").read_text(encoding="utf-8"))


def mount_assets(app: FastAPI) -> None:
    """/static: the pages' files; /static/swagger: Swagger UI from the fastapi-offline package (its
    assets only; mounted first, as /static would otherwise take its paths)."""
    import fastapi_offline

    swagger = Path(fastapi_offline.__file__).parent / "static"
    app.mount("/static/swagger", StaticFiles(directory=swagger), name="swagger")
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
