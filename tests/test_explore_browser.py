"""The explorer in a real browser: Playwright driving Debian's chromium (/usr/bin/chromium).

Playwright's own browser download is not used (it is not available here): the tests launch
the system chromium by path. They skip, saying why, when chromium or the playwright package
is missing, except where SCSLAB_REQUIRE_BROWSER=1 (set by .ci/run), where that is a failure.

With SCSLAB_SCREENSHOTS=DIR the tests also save a screenshot of each view in DIR (how
docs/explore/*.png were made):

    SCSLAB_SCREENSHOTS=docs/explore .venv/bin/pytest tests/test_explore_browser.py
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

CHROMIUM = os.environ.get("SCSLAB_CHROMIUM", "/usr/bin/chromium")
# As the machine notes say: headless, no sandbox (root), and nothing that reaches the network.
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-default-apps", "--disable-extensions"]
SHOTS = os.environ.get("SCSLAB_SCREENSHOTS")


def _unavailable() -> str | None:
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install -e '.[dev]')"
    if not (Path(CHROMIUM).is_file() and os.access(CHROMIUM, os.X_OK)) and not shutil.which(CHROMIUM):
        return f"no chromium at {CHROMIUM} (apt-get install chromium)"
    return None


@pytest.fixture(scope="module")
def browser():
    why = _unavailable()
    if why:
        if os.environ.get("SCSLAB_REQUIRE_BROWSER") == "1":
            pytest.fail(f"browser tests required (SCSLAB_REQUIRE_BROWSER=1) but {why}")
        pytest.skip(why)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def server():
    from scslab.explore import running

    with running("guilt-by-association", port=0) as srv:
        assert srv.wait_ready(180), "the worker processes did not start"
        yield srv


def _page(browser, server, downloads=False):
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=downloads)
    page = ctx.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(server.url)
    page.wait_for_selector("body[data-ready='1']")
    page.wait_for_selector("#run-status:has-text('Ready')", timeout=120_000)
    return ctx, page, errors


def _shot(page, name, full=True):
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=full)


def _until(ok, message: str, timeout: float = 15.0) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if ok():
            return
        time.sleep(0.1)
    raise AssertionError(message)


def _audit_count(page) -> int:
    return page.locator("#audit-findings tr").count() - 1


def test_change_run_click_export(browser, server, tmp_path):
    ctx, page, errors = _page(browser, server, downloads=True)
    assert "guilt-by-association" in page.locator("#pilot").input_value()
    _shot(page, "start", full=False)
    # the audit updates when a rule changes: a penalty for keeping data private is flagged
    page.click("#tab-audit")
    before = _audit_count(page)
    assert before > 0
    page.fill("#num-disclosure_penalty", "0.2")
    page.dispatch_event("#num-disclosure_penalty", "change")
    _until(lambda: _audit_count(page) > before, "the audit did not update")
    assert page.locator(".ctl.changed").count() == 1
    _shot(page, "audit", full=False)
    # run: the first plot comes while the run goes on, then the claims for these settings
    page.click("#tab-live")
    page.select_option("#population", "10000")
    days = 365 if SHOTS else 60  # a year for the pictures, two months for the test
    page.fill("#steps", str(days))
    page.click("#run")
    page.wait_for_selector("#chart-listed path.series-0", state="attached", timeout=30_000)
    page.wait_for_selector("#run-status:has-text('Finished')", timeout=120_000)
    assert page.locator("#chart-hist rect").count() > 5
    assert page.locator("#chart-net circle.node").count() > 5
    assert f"day {days} of {days}" in page.locator("#progress-text").inner_text()
    _shot(page, "live")
    page.click("#tab-claims")
    rows = page.locator("#claims-table tr[data-claim]")
    assert rows.count() == 11
    c7 = page.locator("#claims-table tr[data-claim='C7']").inner_text()
    assert "not tested" not in c7, c7  # the penalty on privacy makes C7 testable
    # a counted claim's cell says the events its verdict rests on (C2: the offences followed)
    c2 = page.locator("#claims-table tr[data-claim='C2']").inner_text()
    assert " over 3 seeds" in c2 and " of " in c2, c2
    _shot(page, "claims")
    # click a citizen in the network: the adverse-action notice
    page.click("#tab-live")
    node = page.locator("#chart-net circle.node").first
    cid = node.get_attribute("data-citizen")
    node.click()
    page.wait_for_selector(f".notice[data-citizen='{cid}']")
    assert "Adverse-action notice" in page.locator("#notice").inner_text()
    _shot(page, "citizen")
    # ... or in the table
    page.click("#tab-live")
    page.locator("#people tr.click").first.click()
    page.wait_for_selector(".notice")
    # the run report (scslab report's page) in its tab
    page.click("#tab-report")
    frame = page.frame_locator("#report-frame")
    frame.locator("#run-fig-score-by-grade").wait_for(timeout=60_000)
    _shot(page, "report", full=False)
    # exports: the edited rulebook as YAML, the runs as the HTML report
    with page.expect_download() as d:
        page.click("#export-yaml")
    y = tmp_path / "edited.yaml"
    d.value.save_as(y)
    from scslab.rulebook import load_rulebook

    assert load_rulebook(y).disclosure.penalty == 0.2
    with page.expect_download(timeout=60_000) as d:
        page.click("#export-report")
    h = tmp_path / "report.html"
    d.value.save_as(h)
    text = h.read_text()
    assert 'id="claims"' in text and "The explorer" in text and "<script" not in text
    assert not errors, errors
    ctx.close()


def test_two_tabs_stop_and_a_bad_file(browser, server, tmp_path):
    ctx, a, errors = _page(browser, server)
    b = ctx.new_page()  # a second tab of the same browser: its own client id (sessionStorage)
    b.goto(server.url)
    b.wait_for_selector("#run-status:has-text('Ready')", timeout=120_000)
    # tab a: a long run, stopped; tab b: a short one, which must finish whatever a does
    a.select_option("#population", "30000")  # its ledger fits in ~1 GiB, even on a busy machine
    a.fill("#steps", "3650")
    a.uncheck("#claims")
    a.click("#run")
    a.wait_for_selector("#chart-listed path.series-0", state="attached", timeout=30_000)
    b.fill("#steps", "30")
    b.uncheck("#claims")
    b.click("#run")
    a.click("#stop")
    a.wait_for_selector("#progress-text:has-text('stopped')", timeout=30_000)
    b.wait_for_selector("#run-status:has-text('Finished')", timeout=60_000)
    assert "day 30 of 30" in b.locator("#progress-text").inner_text()
    assert "10,000 citizens" in b.locator("#progress-text").inner_text()
    assert "30,000 citizens" in a.locator("#progress-text").inner_text()
    # a broken rulebook file: located problems on the page, the page still works
    bad = tmp_path / "broken.yaml"
    bad.write_text("metadata:\n  name: Bad Name\n  title: x\nscale: {base: 5, min: 10, max: 0}\ngrades: []\n")
    a.set_input_files("#file", str(bad))
    a.wait_for_selector("#problems:not([hidden])")
    msg = a.locator("#problems").inner_text()
    assert "broken.yaml:" in msg and "metadata.name" in msg
    _shot(a, "problems", full=False)
    a.select_option("#pilot", "rongcheng")
    a.wait_for_selector("#rb-title:has-text('Rongcheng')")
    assert a.locator("#problems").is_hidden()
    assert not [e for e in errors if "422" not in e], errors  # the refused upload is the only error
    ctx.close()
