"""Sign-in sessions on the server: the cookie is a session id, not the token; signing out,
revoking the user, 12 hours or 30 idle minutes end it; failed sign-ins are throttled per name and
per address, and they and every refusal (403) are in the audit log."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest

import serving.store.outcomes as outcomes
from serving.app.deps import COOKIE
from serving.store.outcomes import THROTTLE_FAILURES, OutcomeStore
from testkit import bearer


@pytest.fixture()
def clock(monkeypatch):
    """The outcomes store's clock, moved by hand: `clock.advance(minutes=…)`."""

    class Clock:
        now = dt.datetime(2026, 2, 1, 9, 0, 0)

        def advance(self, **delta):
            self.now += dt.timedelta(**delta)

    c = Clock()
    monkeypatch.setattr(outcomes, "_now", lambda: c.now)
    return c


def sign_in(client, name, token):
    client.cookies.clear()
    got = client.post("/login", data={"name": name, "token": token, "next": "/api/me"}, follow_redirects=False)
    assert got.status_code == 303, got.text
    return client.cookies.get(COOKIE)


def me(client, session) -> int:
    client.cookies.clear()
    client.cookies.set(COOKIE, session)
    return client.get("/api/me").status_code


def test_the_cookie_is_a_session_and_signing_out_ends_it_on_the_server(client, tokens):
    got = client.post("/login", data={"name": "rita", "token": tokens["reviewer"]}, follow_redirects=False)
    assert tokens["reviewer"] not in got.headers["set-cookie"]
    session = client.cookies.get(COOKIE)
    assert session and me(client, session) == 200
    assert client.post("/logout", follow_redirects=False).status_code == 303
    assert me(client, session) == 401  # the same cookie, replayed after sign-out, no longer answers
    assert client.get("/api/me", headers=bearer(tokens["reviewer"])).status_code == 200  # tokens stay for scripts


def test_a_session_ends_after_30_idle_minutes(client, tokens, clock):
    session = sign_in(client, "rita", tokens["reviewer"])
    clock.advance(minutes=29)
    assert me(client, session) == 200
    clock.advance(minutes=29)
    assert me(client, session) == 200  # each request counts as activity
    clock.advance(minutes=30)
    assert me(client, session) == 401
    clock.advance(minutes=-30)
    assert me(client, session) == 401  # ended for good, not just out of time


def test_a_session_ends_12_hours_after_sign_in_however_busy(client, tokens, clock):
    session = sign_in(client, "rita", tokens["reviewer"])
    for _ in range(12 * 3 - 1):
        clock.advance(minutes=20)
        assert me(client, session) == 200
    clock.advance(minutes=20)
    assert me(client, session) == 401


def test_revoking_a_user_or_issuing_a_new_token_ends_their_sessions(client, tokens, outcomes_url):
    store = OutcomeStore(outcomes_url)
    session = sign_in(client, "rita", tokens["reviewer"])
    store.revoke("rita")
    assert me(client, session) == 401
    session = sign_in(client, "sam", tokens["supervisor"])
    store.add_user("sam", "supervisor")
    assert me(client, session) == 401


def test_a_token_signs_in_only_its_own_user(client, tokens):
    got = client.post("/login", data={"name": "sam", "token": tokens["reviewer"]}, follow_redirects=False)
    assert got.status_code == 401 and not client.cookies.get(COOKIE)


def test_failed_sign_ins_are_throttled_per_user_name(client, tokens, outcomes_url, clock):
    store = OutcomeStore(outcomes_url)
    for i in range(THROTTLE_FAILURES):  # from five different addresses
        with pytest.raises(outcomes.AccessError):
            store.sign_in("rita", "guess", f"10.0.0.{i}")
    got = client.post("/login", data={"name": "rita", "token": tokens["reviewer"]}, follow_redirects=False)
    assert got.status_code == 429 and int(got.headers["retry-after"]) > 0 and "Too many" in got.text
    assert not client.cookies.get(COOKIE)  # refused without checking the (right) token
    assert (
        client.post("/login", data={"name": "sam", "token": tokens["supervisor"]}, follow_redirects=False).status_code
        == 303
    )  # another user is not locked out
    clock.advance(minutes=16)
    assert (
        client.post("/login", data={"name": "rita", "token": tokens["reviewer"]}, follow_redirects=False).status_code
        == 303
    )


def test_failed_sign_ins_are_throttled_per_address(client, tokens, clock):
    for name in ("a", "b", "c", "d", "e"):
        assert client.post("/login", data={"name": name, "token": "guess"}).status_code == 401
    got = client.post("/login", data={"name": "sam", "token": tokens["supervisor"]}, follow_redirects=False)
    assert got.status_code == 429
    assert client.get("/api/me", headers=bearer("guess")).status_code == 429  # bad tokens from there too
    assert client.get("/api/me", headers=bearer(tokens["supervisor"])).status_code == 200  # a valid token is not
    clock.advance(minutes=16)
    assert (
        client.post("/login", data={"name": "sam", "token": tokens["supervisor"]}, follow_redirects=False).status_code
        == 303
    )


def details(store: OutcomeStore, action: str) -> list[dict]:
    log = store.audit_log()
    return [{"user": r.user, **json.loads(r.detail)} for r in log[log["action"] == action].itertuples()]


def test_failed_sign_ins_and_refusals_are_in_the_audit_log(client, tokens, scores_dir, outcomes_url):
    period = max(p.name for p in scores_dir.iterdir() if not p.name.startswith("."))
    top = pd.read_parquet(scores_dir / period / "providers.parquet")["entity_id"].iloc[0]
    client.post("/login", data={"name": "rita", "token": "wrong"})
    client.get("/api/me", headers=bearer("stolen-or-guessed"))
    client.get(f"/api/periods/{period}/provider/export", headers=bearer(tokens["reviewer"]))
    client.post(
        f"/api/cases/{period}/provider/{top}/dispositions",
        json={"outcome": "fraud"},
        headers=bearer(tokens["supervisor"]),
    )
    client.get("/audit", headers=bearer(tokens["reviewer"]))
    client.post(
        f"/periods/{period}/provider/{top}/disposition",
        data={"outcome": "fraud"},
        headers={"Origin": "https://evil.example", **bearer(tokens["reviewer"])},
    )
    store = OutcomeStore(outcomes_url)
    failed = details(store, "login_failed")
    assert [(f["user"], f["via"], f["address"]) for f in failed] == [
        ("-", "bearer", "testclient"),
        ("rita", "form", "testclient"),
    ]
    refused = sorted((r["user"], r["path"], r["status"], r["reason"]) for r in details(store, "refused"))
    assert refused == sorted(
        [
            ("rita", f"/api/periods/{period}/provider/export", 403, "only supervisors may export lists"),
            ("sam", f"/api/cases/{period}/provider/{top}/dispositions", 403, "only reviewers may record dispositions"),
            ("rita", "/audit", 403, "only supervisors read the audit log"),
            ("-", f"/periods/{period}/provider/{top}/disposition", 403, "cross-origin request refused"),
        ]
    )
    assert store.dispositions().empty
