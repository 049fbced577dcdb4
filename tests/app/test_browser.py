"""The pages in a real headless Chromium (Debian's chromium, driven by Playwright): sign in,
open the list, filter, open a case, record a disposition, see it in the list and in the labels
the next training reads; a supervisor exports."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

from data_contracts.tables import load_labels
from pipelines.tasks import labels_with_outcomes

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


@pytest.fixture()
def live(app):
    import uvicorn

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "the app did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


@pytest.fixture()
def browser(tmp_path):
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), "Chromium is missing: `make test` installs Debian's chromium package"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        yield browser
        browser.close()


def sign_in(browser, live, name, token, path):
    page = browser.new_context(accept_downloads=True).new_page()
    page.goto(live + path)
    assert "/login" in page.url
    page.fill("input[name=name]", name)
    page.fill("input[name=token]", token)
    page.click("button[type=submit]")
    page.wait_for_url(f"**{path}*")
    return page


def test_review_a_case_and_feed_the_outcome_back(
    browser, live, tokens, scores_dir, outcomes_url, trained_tiny, tmp_path
):
    period = max(p.name for p in scores_dir.iterdir() if not p.name.startswith("."))
    written = pd.read_parquet(scores_dir / period / "providers.parquet")
    page = sign_in(browser, live, "rita", tokens["reviewer"], f"/periods/{period}/provider")
    assert page.locator("#list tbody tr").count() == 10  # first page
    assert page.locator("#export-xlsx").count() == 0  # reviewers do not export

    # filter by a region through the form
    region = written["region"].iloc[0]
    page.select_option("select[name=region]", region)
    page.click("#filters button[type=submit]")
    page.wait_for_url(f"**region={region}*")
    expected = written.loc[written["region"] == region, "entity_id"].tolist()
    assert page.locator("#count").inner_text().startswith(f"{len(expected):,} providers match")
    ids = page.locator("#list tbody tr").evaluate_all("rows => rows.map(r => r.dataset.id)")
    assert ids == expected[:10]

    # open the top case
    top = expected[0]
    page.click(f"#list tbody tr[data-id='{top}'] a")
    page.wait_for_url(f"**/periods/{period}/provider/{top}")
    assert page.locator("#reasons li").count() >= 1
    assert page.locator("#waterfall svg rect").count() >= 3
    assert page.locator("#peers svg").is_visible() and page.locator("#timeline svg").is_visible()
    assert page.locator("#claims tbody tr").count() >= 1
    page.screenshot(path=str(tmp_path / "case.png"), full_page=True)

    # a bad amount is refused, what was typed stays
    page.select_option("select[name=outcome]", "violation")
    page.fill("input[name=amount_recovered]", "a lot")
    page.fill("textarea[name=note]", "billed above the ceiling")
    page.click("#dispose button[type=submit]")
    assert "must be a number" in page.locator(".error").inner_text()
    assert page.locator("textarea[name=note]").input_value() == "billed above the ceiling"

    page.select_option("select[name=outcome]", "violation")
    page.fill("input[name=pattern]", "over_price")
    page.fill("input[name=amount_recovered]", "1,250.00")
    page.click("#dispose button[type=submit]")
    page.wait_for_url("**saved=1")
    assert page.locator("#status").inner_text() == "violation"
    assert "rita" in page.locator("#dispositions").inner_text()

    # it shows in the list, under its status
    page.goto(f"{live}/periods/{period}/provider")
    page.select_option("select[name=status]", "violation")
    page.click("#filters button[type=submit]")
    page.wait_for_url("**status=violation*")
    assert page.locator("#list tbody tr").evaluate_all("rows => rows.map(r => r.dataset.id)") == [top]
    assert page.locator("#list tbody tr .status").inner_text() == "violation"

    # and in the labels the next training reads (the same function `fundguard train` calls)
    labels, recorded = labels_with_outcomes(load_labels(trained_tiny["dir"] / "labels.csv"), outcomes_url)
    mine = labels[(labels["entity_id"] == top) & (labels["period"] == period)]
    assert recorded == 1 and mine[["entity_type", "outcome", "pattern"]].values.tolist() == [
        ["provider", "fraud", "over_price"]
    ]
    assert mine["amount_recovered"].tolist() == [1250.0]


def test_a_supervisor_exports_the_filtered_list(browser, live, tokens, scores_dir):
    period = max(p.name for p in scores_dir.iterdir() if not p.name.startswith("."))
    written = pd.read_parquet(scores_dir / period / "providers.parquet")
    kind = written["provider_type"].iloc[0]
    page = sign_in(browser, live, "sam", tokens["supervisor"], f"/periods/{period}/provider")
    page.select_option("select[name=provider_type]", kind)
    page.click("#filters button[type=submit]")
    page.wait_for_url(f"**provider_type={kind}*")
    with page.expect_download() as download:
        page.click("#export-xlsx")
    path = download.value.path()
    sheet = pd.read_excel(path)
    assert (
        sheet["entity_id"].astype(str).tolist() == written.loc[written["provider_type"] == kind, "entity_id"].tolist()
    )
    page.goto(f"{live}/periods/{period}/provider/{written['entity_id'].iloc[0]}")
    assert page.locator("#waterfall svg").is_visible()
    assert page.locator("#dispose").count() == 0 and "Only reviewers record outcomes" in page.content()


def test_pages_and_api_docs_work_under_the_content_security_policy_without_the_internet(
    browser, live, tokens, scores_dir
):
    periods = sorted(p.name for p in scores_dir.iterdir() if not p.name.startswith("."))
    page = sign_in(browser, live, "rita", tokens["reviewer"], f"/periods/{periods[-1]}/provider")
    violations, elsewhere = [], []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    page.on("request", lambda r: None if r.url.startswith((live, "data:")) else elsewhere.append(r.url))
    page.reload()
    page.select_option("select[name=_period]", periods[0])  # the period picker (static/app.js)
    page.wait_for_url(f"**/periods/{periods[0]}/provider")
    top = page.locator("#list tbody tr").first.get_attribute("data-id")
    page.goto(f"{live}/periods/{periods[0]}/provider/{top}")
    assert page.locator("#waterfall svg").is_visible()
    assert page.evaluate("getComputedStyle(document.querySelector('header')).display") == "flex"  # app.css applied
    page.goto(f"{live}/docs")
    page.wait_for_selector(".opblock", timeout=60_000)
    assert page.locator(".opblock").count() >= 8  # Swagger UI drew the operations from /openapi.json
    assert violations == [] and elsewhere == []
