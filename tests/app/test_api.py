"""The JSON API and the pages, through FastAPI's test client: lists, filters, cases, roles,
dispositions, export, audit, bad input."""

from __future__ import annotations

import io

import pandas as pd
import pytest
from sqlalchemy import text

from serving.store.outcomes import OutcomeStore
from testkit import bearer


def months(scores_dir) -> list[str]:
    """The scored months (links to version folders; `.versions` holds the versions)."""
    return sorted(p.name for p in scores_dir.iterdir() if not p.name.startswith("."))


def latest(scores_dir) -> str:
    return months(scores_dir)[-1]


def test_list_pages_through_the_written_ranking(client, tokens, scores_dir):
    period = latest(scores_dir)
    written = pd.read_parquet(scores_dir / period / "providers.parquet")
    got = client.get(
        f"/api/periods/{period}/provider", params={"page_size": 7, "page": 2}, headers=bearer(tokens["reviewer"])
    ).json()
    assert got.get("total") == len(written), got
    assert [r["entity_id"] for r in got["rows"]] == written["entity_id"].iloc[7:14].tolist()
    assert [r["rank"] for r in got["rows"]] == list(range(8, 15))
    assert all(r["status"] == "open" for r in got["rows"])


def test_filters_and_sort(client, tokens, scores_dir):
    period = latest(scores_dir)
    written = pd.read_parquet(scores_dir / period / "providers.parquet")
    region = written["region"].iloc[0]
    kind = written["provider_type"].iloc[0]
    got = client.get(
        f"/api/periods/{period}/provider",
        headers=bearer(tokens["supervisor"]),
        params={"region": region, "provider_type": kind, "page_size": 500},
    ).json()
    expected = written[(written["region"] == region) & (written["provider_type"] == kind)]
    assert [r["entity_id"] for r in got["rows"]] == expected["entity_id"].tolist()
    grade = written["credit_grade"].iloc[0]
    got = client.get(
        f"/api/periods/{period}/provider",
        params={"grade": grade, "page_size": 500},
        headers=bearer(tokens["supervisor"]),
    ).json()
    assert got["total"] == (written["credit_grade"] == grade).sum() and {r["credit_grade"] for r in got["rows"]} == {
        grade
    }
    got = client.get(
        f"/api/periods/{period}/provider",
        params={"sort": "amount_at_risk", "page_size": 500},
        headers=bearer(tokens["supervisor"]),
    ).json()
    amounts = [r["amount_at_risk"] for r in got["rows"]]
    assert amounts == sorted(amounts, reverse=True)
    got = client.get(
        f"/api/periods/{period}/provider",
        params={"sort": "risk_score", "order": "asc", "page_size": 500},
        headers=bearer(tokens["supervisor"]),
    ).json()
    risks = [r["risk_score"] for r in got["rows"]]
    assert risks == sorted(risks)
    got = client.get(
        f"/api/periods/{period}/provider",
        params={"order": "desc", "page_size": 500, "status": "open"},
        headers=bearer(tokens["supervisor"]),
    ).json()
    assert [r["rank"] for r in got["rows"]] == sorted(written["rank"], reverse=True)


def test_roles(client, tokens, scores_dir):
    period = latest(scores_dir)
    top = pd.read_parquet(scores_dir / period / "providers.parquet")["entity_id"].iloc[0]
    url = f"/api/cases/{period}/provider/{top}/dispositions"
    assert client.get("/api/periods").status_code == 401
    assert client.get("/api/periods", headers=bearer("not-a-token")).status_code == 401
    export = f"/api/periods/{period}/provider/export"
    assert client.get(export, headers=bearer(tokens["reviewer"])).status_code == 403
    assert client.post(url, json={"outcome": "clean"}, headers=bearer(tokens["supervisor"])).status_code == 403
    assert client.get("/api/audit", headers=bearer(tokens["reviewer"])).status_code == 403
    assert client.post(url, json={"outcome": "clean"}, headers=bearer(tokens["reviewer"])).status_code == 201
    assert client.get(export, headers=bearer(tokens["supervisor"])).status_code == 200


def test_revoked_token_is_refused(client, tokens, outcomes_url):
    assert client.get("/api/me", headers=bearer(tokens["reviewer"])).json() == {"name": "rita", "role": "reviewer"}
    OutcomeStore(outcomes_url).revoke("rita")
    assert client.get("/api/me", headers=bearer(tokens["reviewer"])).status_code == 401


def test_case_has_reasons_charts_data_and_claims(client, tokens, scores_dir):
    period = latest(scores_dir)
    written = pd.read_parquet(scores_dir / period / "providers.parquet")
    top = written["entity_id"].iloc[0]
    got = client.get(f"/api/cases/{period}/provider/{top}", headers=bearer(tokens["reviewer"])).json()
    assert got["row"]["reasons"] == written["reasons"].iloc[0]
    assert got["case"]["contributions"] and got["case"]["claims"]
    assert [h["period"] for h in got["risk_history"]] == months(scores_dir)
    page = client.get(f"/periods/{period}/provider/{top}", headers=bearer(tokens["reviewer"]))
    assert page.status_code == 200
    for part in ('id="waterfall"', 'id="peers"', 'id="timeline"', 'id="claims"', "<svg", 'id="dispose"'):
        assert part in page.text
    # far down the list: no case file, the page still explains the rank
    last = written["entity_id"].iloc[-1]
    page = client.get(f"/periods/{period}/provider/{last}", headers=bearer(tokens["supervisor"]))
    assert page.status_code == 200 and "no case file" in page.text and 'id="dispose"' not in page.text


def test_disposition_is_stored_shown_and_becomes_a_label(client, tokens, scores_dir, outcomes_url):
    period = latest(scores_dir)
    top = pd.read_parquet(scores_dir / period / "persons.parquet")["entity_id"].iloc[0]
    url = f"/api/cases/{period}/person/{top}/dispositions"
    body = {"outcome": "violation", "pattern": "card_misuse", "amount_recovered": 1234.5, "note": "card lent"}
    created = client.post(url, json=body, headers=bearer(tokens["reviewer"]))
    assert created.status_code == 201 and created.json()["reviewer"] == "rita"
    listed = client.get(
        f"/api/periods/{period}/person", params={"status": "violation"}, headers=bearer(tokens["reviewer"])
    ).json()
    assert [r["entity_id"] for r in listed["rows"]] == [top]
    # a correction supersedes, the first stays on record
    client.post(url, json={"outcome": "fraud", "pattern": "card_misuse"}, headers=bearer(tokens["reviewer"]))
    case = client.get(f"/api/cases/{period}/person/{top}", headers=bearer(tokens["reviewer"])).json()
    assert [d["outcome"] for d in case["dispositions"]] == ["violation", "fraud"]
    labels = OutcomeStore(outcomes_url).outcome_labels()
    assert labels.to_dict("records") == [
        {
            "entity_type": "person",
            "entity_id": top,
            "period": period,
            "outcome": "fraud",
            "pattern": "card_misuse",
            "amount_recovered": pytest.approx(float("nan"), nan_ok=True),
        }
    ]


@pytest.mark.parametrize(
    "body, fragment",
    [
        ({"outcome": "maybe"}, "outcome"),
        ({"outcome": "fraud", "amount_recovered": -5}, "amount_recovered"),
        ({"outcome": "fraud", "amount_recovered": "lots"}, "amount_recovered"),
        ({"outcome": "clean", "amount_recovered": 10}, "clean outcome recovers nothing"),
        ({"outcome": "fraud", "note": "x" * 5000}, "note"),
        ({"outcome": "fraud", "colour": "red"}, "colour"),
        ({}, "outcome"),
    ],
)
def test_malformed_dispositions_are_refused_and_nothing_is_saved(
    client, tokens, scores_dir, outcomes_url, body, fragment
):
    period = latest(scores_dir)
    top = pd.read_parquet(scores_dir / period / "providers.parquet")["entity_id"].iloc[0]
    got = client.post(f"/api/cases/{period}/provider/{top}/dispositions", json=body, headers=bearer(tokens["reviewer"]))
    assert got.status_code == 422 and fragment in got.json()["detail"]
    assert OutcomeStore(outcomes_url).dispositions().empty


@pytest.mark.parametrize(
    "path, status",
    [
        ("/api/periods/2031-01/provider", 404),
        ("/api/periods/2025-13/provider", 422),
        ("/api/periods/latest/provider", 422),
        ("/api/periods/{p}/hospital", 422),
        ("/api/periods/{p}/provider?page=0", 422),
        ("/api/periods/{p}/provider?page_size=100000", 422),
        ("/api/periods/{p}/provider?sort=name", 422),
        ("/api/periods/{p}/person?grade=A", 422),
        ("/api/cases/{p}/provider/NOPE", 404),
        ("/api/cases/{p}/provider/..%2F..%2Fmanifest", 404),
    ],
)
def test_malformed_requests_get_a_4xx_with_a_message(client, tokens, scores_dir, path, status):
    got = client.get(path.format(p=latest(scores_dir)), headers=bearer(tokens["supervisor"]))
    assert got.status_code == status and got.json()["detail"]


def test_a_disposition_for_an_entity_not_in_the_list_is_refused(client, tokens, scores_dir, outcomes_url):
    got = client.post(
        f"/api/cases/{latest(scores_dir)}/provider/NOPE/dispositions",
        json={"outcome": "fraud"},
        headers=bearer(tokens["reviewer"]),
    )
    assert got.status_code == 404 and OutcomeStore(outcomes_url).dispositions().empty


def test_export_follows_the_filters(client, tokens, scores_dir):
    period = latest(scores_dir)
    written = pd.read_parquet(scores_dir / period / "providers.parquet")
    region = written["region"].iloc[0]
    got = client.get(
        f"/api/periods/{period}/provider/export",
        params={"region": region, "format": "xlsx"},
        headers=bearer(tokens["supervisor"]),
    )
    assert got.status_code == 200 and "attachment" in got.headers["content-disposition"]
    assert got.headers["x-rows-omitted"] == "0"
    sheet = pd.read_excel(io.BytesIO(got.content))
    assert sheet["entity_id"].astype(str).tolist() == written.loc[written["region"] == region, "entity_id"].tolist()
    got = client.get(
        f"/api/periods/{period}/provider/export", params={"format": "csv"}, headers=bearer(tokens["supervisor"])
    )
    table = pd.read_csv(io.BytesIO(got.content), encoding="utf-8-sig", dtype={"entity_id": str})
    assert table["entity_id"].tolist() == written["entity_id"].tolist()


def test_every_view_disposition_and_export_is_audited_and_the_log_is_append_only(
    client, tokens, scores_dir, outcomes_url
):
    period = latest(scores_dir)
    top = pd.read_parquet(scores_dir / period / "providers.parquet")["entity_id"].iloc[0]
    client.get(f"/api/periods/{period}/provider", headers=bearer(tokens["reviewer"]))
    client.get(f"/periods/{period}/provider/{top}", headers=bearer(tokens["reviewer"]))
    client.post(
        f"/api/cases/{period}/provider/{top}/dispositions",
        json={"outcome": "clean"},
        headers=bearer(tokens["reviewer"]),
    )
    client.get(f"/api/periods/{period}/provider/export", headers=bearer(tokens["supervisor"]))
    log = client.get("/api/audit", headers=bearer(tokens["supervisor"])).json()
    assert [(e["user"], e["action"]) for e in reversed(log)] == [
        ("rita", "view_list"),
        ("rita", "view_case"),
        ("rita", "dispose"),
        ("sam", "export"),
    ]
    assert log[-1]["entity_id"] is None and log[-2]["entity_id"] == top
    store = OutcomeStore(outcomes_url)
    for statement in (
        "UPDATE audit SET user = 'x'",
        "DELETE FROM audit",
        "DELETE FROM dispositions",
        "UPDATE dispositions SET outcome = 'fraud'",
    ):
        with pytest.raises(Exception, match="append-only"):
            with store.engine.begin() as conn:
                conn.execute(text(statement))
    after = store.audit_log()
    assert len(after) == 5 and after["action"].iloc[0] == "view_audit"  # reading the log is audited too
    assert len(store.dispositions()) == 1


def test_persons_appear_only_by_their_pseudonymous_id(client, tokens, scores_dir, trained_tiny):
    period = latest(scores_dir)
    top = pd.read_parquet(scores_dir / period / "persons.parquet")["entity_id"].iloc[0]
    insured = trained_tiny["tables"]["insured"].set_index("person_id").loc[top]
    shown = {
        "page": client.get(f"/periods/{period}/person/{top}", headers=bearer(tokens["reviewer"])).text,
        "case": client.get(f"/api/cases/{period}/person/{top}", headers=bearer(tokens["reviewer"])).text,
        "export": client.get(
            f"/api/periods/{period}/person/export", params={"format": "csv"}, headers=bearer(tokens["supervisor"])
        ).content.decode("utf-8-sig"),
    }
    private = [c for c in insured.index if c not in ("region", "sex", "scheme") and pd.notna(insured[c])]
    assert "birth_date" in private  # the one detail that, with sex and region, could point to a person
    for where, text_ in shown.items():
        assert top in text_, where
        for column in private:
            value = insured[column]
            forms = {str(value)} | (
                {value.strftime("%Y-%m-%d"), value.strftime("%Y%m%d")} if hasattr(value, "strftime") else set()
            )
            assert not any(form in text_ for form in forms if len(form) >= 6), (where, column)
        header = text_.splitlines()[0] if where == "export" else ""
        assert not any(col in header.split(",") for col in private), where


def test_pages_need_a_sign_in_and_the_login_sets_a_cookie(client, tokens, scores_dir):
    period = latest(scores_dir)
    got = client.get(f"/periods/{period}/provider", follow_redirects=False)
    assert got.status_code == 303 and got.headers["location"].startswith("/login")
    bad = client.post("/login", data={"name": "sam", "token": "wrong", "next": "/"})
    assert bad.status_code == 401 and "not valid" in bad.text
    good = client.post(
        "/login",
        data={"name": "sam", "token": tokens["supervisor"], "next": f"/periods/{period}/provider"},
        follow_redirects=False,
    )
    assert good.status_code == 303 and "httponly" in good.headers["set-cookie"].lower()
    page = client.get(good.headers["location"])
    assert page.status_code == 200 and 'id="export-xlsx"' in page.text
    assert (
        client.post(
            "/login",
            data={"name": "sam", "token": tokens["supervisor"], "next": "//evil.example"},
            follow_redirects=False,
        ).headers["location"]
        == "/"
    )
    client.cookies.clear()  # signed out, a reviewer's form post sends them back to the case page
    top = pd.read_parquet(scores_dir / period / "providers.parquet")["entity_id"].iloc[0]
    got = client.post(
        f"/periods/{period}/provider/{top}/disposition", data={"outcome": "fraud"}, follow_redirects=False
    )
    assert got.status_code == 303 and f"next=%2Fperiods%2F{period}%2Fprovider%2F{top}" in got.headers["location"]


def test_form_disposition_errors_keep_what_was_typed(client, tokens, scores_dir, outcomes_url):
    period = latest(scores_dir)
    top = pd.read_parquet(scores_dir / period / "providers.parquet")["entity_id"].iloc[0]
    url = f"/periods/{period}/provider/{top}/disposition"
    got = client.post(
        url,
        data={"outcome": "fraud", "amount_recovered": "twelve", "note": "kept note"},
        headers=bearer(tokens["reviewer"]),
    )
    assert got.status_code == 422 and "must be a number" in got.text and "kept note" in got.text
    assert OutcomeStore(outcomes_url).dispositions().empty
    got = client.post(
        url,
        data={"outcome": "fraud", "amount_recovered": "1,200.50", "pattern": "over_price"},
        headers=bearer(tokens["reviewer"]),
        follow_redirects=False,
    )
    assert got.status_code == 303
    stored = OutcomeStore(outcomes_url).dispositions()
    assert stored[["outcome", "pattern", "amount_recovered"]].to_dict("records") == [
        {"outcome": "fraud", "pattern": "over_price", "amount_recovered": 1200.5}
    ]


def test_a_cross_site_form_post_is_refused(client, tokens, scores_dir, outcomes_url):
    period = latest(scores_dir)
    top = pd.read_parquet(scores_dir / period / "providers.parquet")["entity_id"].iloc[0]
    client.post("/login", data={"name": "rita", "token": tokens["reviewer"]}, follow_redirects=False)
    got = client.post(
        f"/periods/{period}/provider/{top}/disposition",
        data={"outcome": "fraud"},
        headers={"Origin": "https://intranet.evil.example"},
        follow_redirects=False,
    )
    assert got.status_code == 403 and OutcomeStore(outcomes_url).dispositions().empty
    got = client.post(
        f"/periods/{period}/provider/{top}/disposition",
        data={"outcome": "fraud"},
        headers={"Origin": "http://testserver"},
        follow_redirects=False,
    )
    assert got.status_code == 303 and len(OutcomeStore(outcomes_url).dispositions()) == 1


def test_a_withdrawn_record_reopens_the_case_and_gives_no_label(client, tokens, scores_dir, outcomes_url):
    period = latest(scores_dir)
    top = pd.read_parquet(scores_dir / period / "providers.parquet")["entity_id"].iloc[0]
    url = f"/api/cases/{period}/provider/{top}/dispositions"
    client.post(url, json={"outcome": "fraud", "pattern": "over_price"}, headers=bearer(tokens["reviewer"]))
    assert len(OutcomeStore(outcomes_url).outcome_labels()) == 1
    assert (
        client.post(
            url, json={"outcome": "withdrawn", "amount_recovered": 5}, headers=bearer(tokens["reviewer"])
        ).status_code
        == 422
    )
    assert (
        client.post(
            url, json={"outcome": "withdrawn", "note": "wrong provider"}, headers=bearer(tokens["reviewer"])
        ).status_code
        == 201
    )
    assert OutcomeStore(outcomes_url).outcome_labels().empty
    row = client.get(
        f"/api/periods/{period}/provider", params={"page_size": 1}, headers=bearer(tokens["reviewer"])
    ).json()["rows"][0]
    assert row["entity_id"] == top and row["status"] == "open"


def test_an_export_beyond_the_row_limit_says_how_much_it_left_out(client, tokens, scores_dir, monkeypatch):
    import serving.app.api

    monkeypatch.setattr(serving.app.api, "EXPORT_ROWS", 5)
    period = latest(scores_dir)
    total = len(pd.read_parquet(scores_dir / period / "providers.parquet"))
    got = client.get(
        f"/api/periods/{period}/provider/export", params={"format": "csv"}, headers=bearer(tokens["supervisor"])
    )
    assert got.headers["x-rows-omitted"] == str(total - 5)
    assert len(pd.read_csv(io.BytesIO(got.content), encoding="utf-8-sig")) == 5
    page = client.get(f"/periods/{period}/provider", headers=bearer(tokens["supervisor"])).text
    assert "Exports hold the first 5 rows" in page
