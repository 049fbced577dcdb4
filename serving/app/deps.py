"""What every route depends on: the app's configuration and stores, the signed-in user and the
role checks, and the list filters of a request (FastAPI dependencies, importable and testable)."""

from __future__ import annotations

import math
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Annotated, Literal, get_args

import yaml
from fastapi import Depends, HTTPException, Query, Request
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from pydantic import Field
from starlette.concurrency import run_in_threadpool

from data_contracts.vocabulary import PERIOD_REGEX
from serving.store.outcomes import SESSION_LIFETIME, AccessError, OutcomeStore, Throttled, User
from serving.store.scored_month import ScoreStore

COOKIE = "fundguard_session"  # a server-side session's id (never the user's token)
COOKIE_MAX_AGE = int(SESSION_LIFETIME.total_seconds())
CHAIN_RECHECK_SECONDS = 120.0  # how often the pages' tamper banner re-walks both chains (in the background)
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
    page_size: int = 50  # 1..500
    secure_cookie: bool = False  # set when served over HTTPS
    patterns: tuple[tuple[str, str], ...] = ()  # (key, plain name) offered in the disposition form


class ChainWatch:
    """What the pages' warning banner says about the tamper-evident record: the last walk of both
    chains, re-done in a background thread at most every `every` seconds (a walk of a long audit
    log takes seconds; no request waits for it). Exports check the dispositions chain themselves,
    at once (`dispositions_or_refuse`)."""

    def __init__(self, store: OutcomeStore, every: float = CHAIN_RECHECK_SECONDS):
        self.store, self.every = store, every
        self.problems: list[str] = []
        self._lock = threading.Lock()
        self._checked_at, self._running = -math.inf, False

    def check(self) -> list[str]:
        """Walk both chains now; the problems found (empty: intact)."""
        try:
            problems = [str(c) for c in self.store.verify_chains() if not c.intact]
        except Exception:  # a busy or unreachable database: keep what the last walk found
            problems = self.problems
        with self._lock:
            self.problems, self._checked_at, self._running = problems, time.monotonic(), False
        return problems

    def warning(self) -> str:
        """The banner's text ("" when the record verified), starting a new walk when one is due."""
        with self._lock:
            due = not self._running and time.monotonic() - self._checked_at >= self.every
            self._running = self._running or due
        if due:
            threading.Thread(target=self.check, name="fundguard-chain-check", daemon=True).start()
        return "; ".join(self.problems)

    def dispositions_intact(self) -> str:
        """Walk the dispositions chain now (it is short); "" when intact, else the problem (which the
        banner shows from then on)."""
        found = self.store.verify_dispositions()
        if found.intact:
            return ""
        with self._lock:
            self.problems = sorted({*self.problems, str(found)})
        return str(found)


@dataclass(frozen=True)
class AppState:
    """What the routes share: the configuration, the scored months, the outcomes database, the
    page templates and the chains' last check (one per app, kept on `app.state.fundguard`)."""

    config: AppConfig
    scores: ScoreStore
    store: OutcomeStore
    templates: Environment
    chains: ChainWatch


def load_patterns() -> tuple[tuple[str, str], ...]:
    """The violation patterns a reviewer can pick, (key, plain name), from patterns.yaml."""
    table = yaml.safe_load((Path(__file__).parent / "patterns.yaml").read_text(encoding="utf-8"))
    return tuple((str(k), str(v)) for k, v in table.items())


def _blank(value, fmt: str) -> str:
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else format(value, fmt)


class Templates(Environment):
    """Jinja with `row.rank` looked up as a key first when `row` is a dict (the pages' rows, cases
    and dispositions all are): Jinja's default tries the attribute first, and the AttributeError
    for every cell of a 50-row list was a third of a page's rendering time. Methods such as
    `case.get(...)` are still found (no case key is named like a dict method)."""

    def getattr(self, obj, attribute):
        if type(obj) is dict:
            try:
                return obj[attribute]
            except KeyError:
                pass
        return super().getattr(obj, attribute)


def make_state(config: AppConfig) -> AppState:
    env = Templates(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=StrictUndefined,
        finalize=lambda v: "" if v is None else v,
    )  # a missing level or diagnosis shows blank
    env.filters["money"] = lambda v: _blank(v, ",.2f")
    env.filters["score"] = lambda v: _blank(v, ".3f")
    store = OutcomeStore(config.outcomes_url)
    chains = ChainWatch(store)
    chains.check()  # at start, so the first page already says whether the record verifies
    return AppState(config, ScoreStore(config.scores_dir), store, env, chains)


def state(request: Request) -> AppState:
    return request.app.state.fundguard


async def _state(request: Request) -> AppState:
    """`state` as a dependency: async, so FastAPI does not send it to a worker thread and back."""
    return request.app.state.fundguard


State = Annotated[AppState, Depends(_state)]


def client_address(request: Request) -> str | None:
    """The address a request came from (behind a proxy: the proxy's, unless uvicorn runs with
    --proxy-headers and --forwarded-allow-ips naming it)."""
    return request.client.host if request.client else None


def current_user(request: Request) -> User:
    """The user behind the request: a bearer token (scripts), else the sign-in session's cookie;
    401 if neither is valid, 429 while the address is throttled for failed tokens."""
    store = state(request).store
    header = request.headers.get("authorization", "")
    try:
        if header.lower().startswith("bearer "):
            return store.check_token(header[7:].strip(), client_address(request))
        return store.session_user(request.cookies.get(COOKIE))
    except Throttled as exc:
        raise HTTPException(429, str(exc), headers={"Retry-After": str(exc.retry_after)}) from exc
    except AccessError as exc:
        raise HTTPException(401, f"sign in: {exc}", headers={"WWW-Authenticate": "Bearer"}) from exc


def refuse(request: Request, user: User | None, status: int, reason: str) -> HTTPException:
    """The answer to a refused request, written to the audit log first (who asked for what, and why
    not): a refusal is as much a part of the record as what was allowed."""
    state(request).store.log(
        user or User("-", "-"),
        "refused",
        detail={
            "path": request.url.path,
            "method": request.method,
            "status": status,
            "reason": reason,
            "address": client_address(request),
        },
    )
    return HTTPException(status, reason)


def require(role: str, message: str):
    """A dependency that lets only `role` through (403 with `message` for the other role, audited)."""

    async def check(request: Request, user: Annotated[User, Depends(current_user)]) -> User:
        if user.role != role:
            raise await run_in_threadpool(refuse, request, user, 403, message)
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


async def list_filters(
    region: Annotated[str | None, Query(max_length=64)] = None,
    provider_type: Annotated[str | None, Query(max_length=64)] = None,
    grade: Annotated[Grade | None, Query()] = None,
    status: Annotated[Status | None, Query()] = None,
    sort: Annotated[Sort, Query()] = "rank",
    order: Annotated[Literal["asc", "desc"] | None, Query()] = None,
) -> Filters:
    return Filters(
        region=region or None, provider_type=provider_type or None, grade=grade, status=status, sort=sort, order=order
    )


ListFilters = Annotated[Filters, Depends(list_filters)]
