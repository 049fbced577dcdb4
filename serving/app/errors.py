"""How the app answers what goes wrong: sign-in redirects and error pages for browsers, JSON for
the API, 503 while the outcomes database is busy, 404 while a month is being replaced, 422 naming
the fields of a malformed request; the same-origin check on state-changing requests; and the
security headers every answer carries."""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from sqlalchemy.exc import OperationalError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from serving.app.deps import client_address, state
from serving.app.service import clean_text, jsonable, safe_next
from serving.store.outcomes import User

# the pages need nothing from elsewhere: their script and style sheet are files under /static, the
# charts inline SVG (presentation attributes, no style attributes), Swagger UI's assets are served
# from the package; data: images are Swagger UI's icons
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
]
NO_STORE = (b"cache-control", b"no-store")  # lists, cases, exports, API answers: personal data, not for caches


class SecurityHeaders:
    """Pure ASGI middleware (no per-request task, unlike `app.middleware`): the headers above on every
    answer, and `Cache-Control: no-store` on all but the static assets."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        cacheable = scope["path"].startswith("/static/")

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [h for h in SECURITY_HEADERS if h[0] not in present]
                if not cacheable:
                    extra.append(NO_STORE)
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_headers)


async def http_error(request: Request, exc: StarletteHTTPException):
    if request.url.path.startswith("/api") or exc.status_code not in (401, 403, 404):
        return JSONResponse({"detail": jsonable(exc.detail)}, exc.status_code, headers=exc.headers)
    if exc.status_code == 401:
        back = str(request.url.path).removesuffix("/disposition")  # a form post resumes on its case page
        return RedirectResponse(f"/login?{urlencode({'next': safe_next(back)})}", 303)
    html = (
        state(request)
        .templates.get_template("error.html.j2")
        .render(status=exc.status_code, warning="", message=exc.detail, user=None)
    )
    return HTMLResponse(html, exc.status_code)


class SameOrigin:
    """Refuse state-changing requests sent from another origin (CSRF): a browser names the page it
    posts from in Origin (or Referer); API clients with a bearer token send neither. The refusal
    is audited. (Pure ASGI middleware, like `SecurityHeaders`.)"""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope["method"] not in ("GET", "HEAD", "OPTIONS"):
            request = Request(scope)
            source = request.headers.get("origin") or request.headers.get("referer")
            if source and (source == "null" or urlsplit(source).netloc != request.headers.get("host")):
                detail = {
                    "path": request.url.path,
                    "method": request.method,
                    "status": 403,
                    "address": client_address(request),
                    "reason": "cross-origin request refused",
                    "origin": clean_text(source[:200]),
                }
                await run_in_threadpool(state(request).store.log, User("-", "-"), "refused", detail=detail)
                return await JSONResponse({"detail": "cross-origin request refused"}, 403)(scope, receive, send)
        await self.app(scope, receive, send)


async def busy(request: Request, exc: OperationalError):
    return JSONResponse(
        {"detail": "the outcomes database is busy or unreachable; try again shortly"}, 503, headers={"Retry-After": "5"}
    )


async def gone(request: Request, exc: FileNotFoundError):
    return JSONResponse(
        {"detail": "that month's outputs are missing or being replaced by a re-run; try again shortly"}, 404
    )


async def invalid(request: Request, exc: RequestValidationError):
    """422 naming the fields; what was sent is echoed cleaned (a lone surrogate in the input, which
    UTF-8 cannot carry, would otherwise turn the answer into a 500)."""
    problems = [f"{'.'.join(str(p) for p in e.get('loc', ()) if p != 'body')}: {e.get('msg')}" for e in exc.errors()]
    return JSONResponse(
        {"detail": clean_text("malformed request: " + "; ".join(problems)), "errors": jsonable(exc.errors())}, 422
    )


def install(app: FastAPI) -> None:
    """Register the handlers and the middleware on `app`."""
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(OperationalError, busy)
    app.add_exception_handler(FileNotFoundError, gone)
    app.add_exception_handler(RequestValidationError, invalid)
    app.add_middleware(SameOrigin)
    app.add_middleware(SecurityHeaders)  # added last: outermost, so error answers carry the headers too
