"""What every route depends on: the app's configuration and stores, the signed-in user and the
role checks, and the list filters of a request (FastAPI dependencies, importable and testable)."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Annotated, Literal, get_args

import yaml
from fastapi import Depends, HTTPException, Query, Request
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from pydantic import Field

from data_contracts.vocabulary import PERIOD_REGEX
from serving.store.outcomes import AccessError, OutcomeStore, User
from serving.store.scored_month import ScoreStore

COOKIE = "fundguard_token"
Sort = Literal["rank", "risk_score", "model_score", "anomaly_score", "rule_hits", "amount_at_risk"]
Status = Literal["open", "fraud", "violation", "clean"]  # a withdrawn record leaves the case open
Grade = Literal["A", "B", "C", "D"]
SORTS, STATUSES = get_args(Sort), get_args(Status)
Entity = Literal["provider", "person"]
PeriodPath = Annotated[str, Field(pattern=PERIOD_REGEX)]
EntityId = Annotated[str, Field(max_length=64)]
TEMPLATES = Path(__file__).parent / "templates"


@dataclass(frozen=True)
class AppConfig:
    scores_dir: Path
    outcomes_url: str
    page_size: int = 50          # 1..500
    secure_cookie: bool = False   # set when served over HTTPS
    patterns: tuple[tuple[str, str], ...] = ()   # (key, plain name) offered in the disposition form


@dataclass(frozen=True)
class AppState:
    """What the routes share: the configuration, the scored months, the outcomes database and the
    page templates (one per app, kept on `app.state.fundguard`)."""
    config: AppConfig
    scores: ScoreStore
    store: OutcomeStore
    templates: Environment


def load_patterns() -> tuple[tuple[str, str], ...]:
    """The violation patterns a reviewer can pick, (key, plain name), from patterns.yaml."""
    table = yaml.safe_load((Path(__file__).parent / "patterns.yaml").read_text(encoding="utf-8"))
    return tuple((str(k), str(v)) for k, v in table.items())


def _blank(value, fmt: str) -> str:
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else format(value, fmt)


def make_state(config: AppConfig) -> AppState:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True, undefined=StrictUndefined,
                      finalize=lambda v: "" if v is None else v)  # a missing level or diagnosis shows blank
    env.filters["money"] = lambda v: _blank(v, ",.2f")
    env.filters["score"] = lambda v: _blank(v, ".3f")
    return AppState(config, ScoreStore(config.scores_dir), OutcomeStore(config.outcomes_url), env)


def state(request: Request) -> AppState:
    return request.app.state.fundguard


State = Annotated[AppState, Depends(state)]


def current_user(request: Request) -> User:
    """The user behind the request's token (bearer header, else the login cookie); 401 if none."""
    header = request.headers.get("authorization", "")
    token = header[7:].strip() if header.lower().startswith("bearer ") else request.cookies.get(COOKIE)
    try:
        return state(request).store.authenticate(token)
    except AccessError as exc:
        raise HTTPException(401, f"sign in: {exc}", headers={"WWW-Authenticate": "Bearer"}) from exc


def require(role: str, message: str):
    """A dependency that lets only `role` through (403 with `message` for the other role)."""
    def check(user: Annotated[User, Depends(current_user)]) -> User:
        if user.role != role:
            raise HTTPException(403, message)
        return user
    return check


Viewer = Annotated[User, Depends(current_user)]
Supervisor = Annotated[User, Depends(require("supervisor", "only supervisors may export lists"))]
Reviewer = Annotated[User, Depends(require("reviewer", "only reviewers may record dispositions"))]
Auditor = Annotated[User, Depends(require("supervisor", "only supervisors read the audit log"))]


@dataclass(frozen=True)
class Filters:
    """What a list request asks for (validated by `list_filters` from the query string)."""
    region: str | None = None
    provider_type: str | None = None
    grade: Grade | None = None
    status: Status | None = None
    sort: Sort = "rank"
    order: Literal["asc", "desc"] | None = None

    def query(self) -> dict[str, str]:
        """The query string that asks for the same (defaults left out)."""
        return {k: v for k, v in asdict(self).items() if v not in (None, "") and not (k == "sort" and v == "rank")}


def list_filters(region: Annotated[str | None, Query(max_length=64)] = None,
                 provider_type: Annotated[str | None, Query(max_length=64)] = None,
                 grade: Annotated[Grade | None, Query()] = None,
                 status: Annotated[Status | None, Query()] = None,
                 sort: Annotated[Sort, Query()] = "rank",
                 order: Annotated[Literal["asc", "desc"] | None, Query()] = None) -> Filters:
    return Filters(region=region or None, provider_type=provider_type or None, grade=grade, status=status,
                   sort=sort, order=order)


ListFilters = Annotated[Filters, Depends(list_filters)]
