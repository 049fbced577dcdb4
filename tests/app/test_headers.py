"""Security headers on every answer, no-store on what carries case data, pages that need nothing
inline (so the Content-Security-Policy can forbid it), and API docs served without a CDN."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from testkit import bearer


def latest_top(scores_dir) -> tuple[str, str]:
    period = max(p.name for p in scores_dir.iterdir() if not p.name.startswith("."))
    return period, pd.read_parquet(scores_dir / period / "providers.parquet")["entity_id"].iloc[0]


@pytest.fixture()
def answers(client, tokens, scores_dir):
    period, top = latest_top(scores_dir)
    sup, rev = bearer(tokens["supervisor"]), bearer(tokens["reviewer"])
    return {
        "list page": client.get(f"/periods/{period}/provider", headers=rev),
        "case page": client.get(f"/periods/{period}/provider/{top}", headers=rev),
        "audit page": client.get("/audit", headers=sup),
        "login page": client.get("/login"),
        "api list": client.get(f"/api/periods/{period}/provider", headers=rev),
        "api case": client.get(f"/api/cases/{period}/provider/{top}", headers=rev),
        "csv export": client.get(f"/api/periods/{period}/provider/export", params={"format": "csv"}, headers=sup),
        "xlsx export": client.get(f"/api/periods/{period}/provider/export", headers=sup),
        "refused": client.get(f"/api/periods/{period}/provider/export", headers=rev),
        "not signed in": client.get("/api/me"),
        "docs": client.get("/docs"),
        "openapi": client.get("/openapi.json"),
    }


def test_every_answer_carries_the_security_headers_and_no_store(answers):
    for what, got in answers.items():
        csp = got.headers.get("content-security-policy", "")
        assert "default-src 'self'" in csp and "script-src 'self'" in csp and "frame-ancestors 'none'" in csp, what
        assert "http" not in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp, what  # nothing remote
        assert got.headers.get("x-content-type-options") == "nosniff", what
        assert got.headers.get("x-frame-options") == "DENY", what
        assert got.headers.get("referrer-policy") in ("no-referrer", "same-origin"), what
        assert got.headers.get("cache-control") == "no-store", what
    assert answers["refused"].status_code == 403 and answers["csv export"].status_code == 200


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
EVENT_HANDLER = re.compile(r"\son[a-z]+\s*=", re.I)
STYLE = re.compile(r"<style\b|\sstyle\s*=", re.I)


def test_the_pages_need_no_inline_script_or_style(answers):
    for what in ("list page", "case page", "audit page", "login page", "docs"):
        html = answers[what].text
        assert answers[what].status_code == 200, what
        assert not INLINE_SCRIPT.search(html), what
        assert not EVENT_HANDLER.search(html), what
        assert not STYLE.search(html), what
        assert not re.search(r"""(?:src|href)=["']?(?:https?:)?//""", html), what  # nothing from elsewhere
    assert "<svg" in answers["case page"].text  # the charts stay inline SVG


def test_the_docs_and_page_assets_come_from_this_server(client, answers):
    html = answers["docs"].text
    assets = re.findall(r"""(?:src|href)="(/static/[^"]+)""", html)
    assert {"/static/swagger/swagger-ui-bundle.js", "/static/swagger/swagger-ui.css", "/static/docs.js"} <= set(assets)
    for path in [*assets, "/static/app.css", "/static/app.js"]:
        got = client.get(path)
        assert got.status_code == 200 and len(got.content) > 100, path
        assert got.headers.get("x-content-type-options") == "nosniff" and got.headers.get("cache-control") != "no-store"
    assert "cdn" not in html.lower() and "validatorUrl: null" in client.get("/static/docs.js").text
    assert client.get("/redoc").status_code in (401, 404)  # FastAPI's CDN pages are off
