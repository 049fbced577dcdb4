"""`fundguard serve`: the reviewers' and supervisors' web app over the scored inspection lists.

Server-rendered pages (list, case, audit) and a JSON API under /api (OpenAPI at /docs). It reads
what `fundguard score` wrote and never runs a model. Dispositions and the audit log go to the
outcomes database (`serving.store.outcomes`).

Access: every request carries a token (`Authorization: Bearer …`, or the cookie the login page
sets). Supervisors export; reviewers record dispositions; both read. Every view, disposition
and export is written to the append-only audit log.

    deps.py     configuration, stores, the signed-in user and role checks, list filters
    service.py  what API and pages share: lists with statuses, case views, dispositions
    api.py      the JSON API router          pages.py   the page router
    errors.py   error answers and the same-origin check          charts.py   inline SVG charts
"""

from __future__ import annotations

from fastapi import FastAPI

from serving.app import api, errors, pages
from serving.app.deps import AppConfig, load_patterns, make_state

__all__ = ["AppConfig", "create_app", "load_patterns"]


def create_app(config: AppConfig) -> FastAPI:
    """The app over `config.scores_dir` and the outcomes database at `config.outcomes_url`."""
    app = FastAPI(title="fundguard", version="1",
                  description="Inspection lists, case files and dispositions (医保基金监管). Send "
                              "`Authorization: Bearer <token>`; tokens come from `fundguard users add`.")
    app.state.fundguard = make_state(config)
    app.state.store, app.state.scores = app.state.fundguard.store, app.state.fundguard.scores
    errors.install(app)
    app.include_router(api.router)
    app.include_router(pages.router)
    return app
