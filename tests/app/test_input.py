"""Input that used to slip through or break the answer: lone surrogates (HTTP 500 from the 422
handler), JSON `true` read as 1 yuan, a form's `1,2,3` read as 123."""

from __future__ import annotations

import pandas as pd
import pytest

from serving.app.service import parse_amount
from serving.store.outcomes import OutcomeStore
from testkit import bearer


def top_case(scores_dir) -> tuple[str, str]:
    period = max(p.name for p in scores_dir.iterdir() if not p.name.startswith("."))
    return period, pd.read_parquet(scores_dir / period / "providers.parquet")["entity_id"].iloc[0]


@pytest.mark.parametrize(
    "raw, field",
    [
        ('{"outcome": "fraud", "note": "\\ud800"}', "note"),
        ('{"outcome": "fraud", "pattern": "\\udfff x"}', "pattern"),
        ('{"outcome": "fraud", "\\ud800": 1}', "malformed request"),
        ('{"outcome": "\\ud800"}', "outcome"),
        ('{"outcome": "fraud", "amount_recovered": true}', "amount_recovered"),
        ('{"outcome": "fraud", "amount_recovered": "12"}', "amount_recovered"),
    ],
)
def test_bad_json_gets_a_422_naming_the_field_not_a_500(client, tokens, scores_dir, outcomes_url, raw, field):
    period, top = top_case(scores_dir)
    got = client.post(
        f"/api/cases/{period}/provider/{top}/dispositions",
        content=raw.encode(),
        headers={**bearer(tokens["reviewer"]), "Content-Type": "application/json"},
    )
    assert got.status_code == 422, got.text
    assert field in got.json()["detail"]
    assert OutcomeStore(outcomes_url).dispositions().empty


def test_an_integer_amount_is_still_a_number(client, tokens, scores_dir, outcomes_url):
    period, top = top_case(scores_dir)
    got = client.post(
        f"/api/cases/{period}/provider/{top}/dispositions",
        json={"outcome": "fraud", "amount_recovered": 1200},
        headers=bearer(tokens["reviewer"]),
    )
    assert got.status_code == 201 and got.json()["amount_recovered"] == 1200.0


@pytest.mark.parametrize(
    "text, value",
    [("1234.5", 1234.5), ("1,234.50", 1234.5), ("12,345,678", 12345678.0), ("0.5", 0.5), (" 7 ", 7.0), ("", None)],
)
def test_amounts_a_form_accepts(text, value):
    assert parse_amount(text) == value


@pytest.mark.parametrize(
    "text", ["1,2,3", "12,34", "1,2345.0", ",100", "1.2.3", "1e3", "nan", "inf", "-5", "true", "1 234", "１２"]
)
def test_amounts_a_form_refuses(text):
    with pytest.raises(ValueError, match="amount_recovered"):
        parse_amount(text)


def test_a_loose_form_amount_is_refused_with_the_page_and_nothing_saved(client, tokens, scores_dir, outcomes_url):
    period, top = top_case(scores_dir)
    got = client.post(
        f"/periods/{period}/provider/{top}/disposition",
        data={"outcome": "fraud", "amount_recovered": "1,2,3", "note": "typed"},
        headers=bearer(tokens["reviewer"]),
    )
    assert got.status_code == 422 and "amount_recovered" in got.text and "typed" in got.text
    assert OutcomeStore(outcomes_url).dispositions().empty
