"""The comparison report read by a person (issue 17): the claims table fits the page at
1400-2400 px, C10's row says it shows a difference, no scientific notation, a bar from one
seed is drawn unlike a mean over seeds and n/a unlike zero, a table of contents whose
links all land."""

from __future__ import annotations

import copy
import math
import os
import re
from html.parser import HTMLParser

import matplotlib.pyplot as plt
import numpy as np
import pytest
from test_report import fake_outcome

from scslab.experiments import CompareConfig, compare, plan
from scslab.metrics.stats import Interval
from scslab.report import render_report
from scslab.report.html import fmt, fmt_interval
from scslab.report.html import tested_label as label_of
from scslab.report.plots import interval_bars, sectors_per_offence

PILOTS = ("rongcheng", "suining", "sesame", "court-blacklist")  # + rule-of-law and none: 6 columns


@pytest.fixture(scope="module")
def cmp():
    cfg = CompareConfig(pilots=PILOTS, population=300, steps=60, seeds=3, levers=("rongcheng",))
    rng = np.random.default_rng(1)
    return compare(cfg, outcomes=[fake_outcome(s, rng) for s in plan(cfg)])


@pytest.fixture(scope="module")
def html(cmp):
    return render_report(cmp, extra_sections=[("Audit: rongcheng", "<p>findings</p>")])


@pytest.mark.parametrize(("x", "shown"), [
    (5.38e-4, "0.00054"), (-5.24e-3, "−0.0052"), (0.0099, "0.0099"), (1.2e-6, "0.000001"),
    (3e-8, "0"), (-3e-8, "−0"), (0.467, "0.467"), (12.34, "12.3"), (12345.6, "12,346"), (0.0, "0"),
])
def test_numbers_are_never_in_scientific_notation(x, shown):
    assert fmt(x) == shown


def test_no_scientific_notation_anywhere_in_the_report(cmp):
    small = copy.deepcopy(cmp)  # every value a thousandth: shares far below 0.01, as C7 and C10 give
    for table in (small.tested, small.summary):
        for col in table.values():
            for k, iv in col.items():
                col[k] = Interval(iv.mean * 1e-3, iv.lo * 1e-3, iv.hi * 1e-3, iv.n)
    text = render_report(small)
    body = re.sub(r"<svg.*?</svg>|<style>.*?</style>", "", text, flags=re.S)  # CSS colours such as #e4e4e4
    assert "0.000" in body
    assert not re.search(r"\d[eE][−+-]?\d", body)
    assert not re.search(r"\d[eE][−+-]?\d", fmt_interval(Interval(2e-5, -1e-4, 3e-4, 3)))


def test_c10_row_says_it_shows_a_paired_difference(html):
    label = label_of("C10")
    assert label.startswith("mean trust: pilot minus the same pilot with code lever off")
    row = html[html.index('id="claim-C10"'):]
    row = row[:row.index("</tr>")]
    assert "pilot minus the same pilot with code lever off (paired by seed)" in row
    assert "vs the same rulebook with code lever off" in row  # each cell says what it is against
    assert label_of("C1") == "share of points deducted for lawful conduct"  # a null test: the metric itself


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids, self.hrefs, self.in_nav = set(), [], False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(a["id"])
        if tag == "nav":
            self.in_nav = True
        if tag == "a" and self.in_nav:
            self.hrefs.append(a.get("href", ""))

    def handle_endtag(self, tag):
        if tag == "nav":
            self.in_nav = False


def test_table_of_contents_links_every_section_and_claim(html):
    p = _Links()
    p.feed(html)
    assert html.index('<nav class="toc"') < html.index('id="claims"')
    targets = {h[1:] for h in p.hrefs}
    assert all(h.startswith("#") for h in p.hrefs)
    assert targets <= p.ids  # every link lands
    assert {"claims", "plots", "metrics", "reproduce", "claim-C1", "claim-C11", "fig-levers"} <= targets
    assert any(t.startswith("extra-audit-rongcheng") for t in targets)


def test_one_seed_and_na_bars_are_not_drawn_like_means_or_zero():
    fig, ax = plt.subplots()
    ivs = [Interval(2.0, 1.5, 2.5, 5), Interval(3.0, -math.inf, math.inf, 1), Interval(math.nan, math.nan, math.nan, 0),
           None]
    interval_bars(ax, np.arange(4), ivs, width=0.5, colours=["C0"] * 4)
    bars = ax.patches
    assert len(bars) == 2  # n/a and a missing value: no bar at all (not a bar of height 0)
    mean, one = bars
    assert mean.get_height() == 2.0 and one.get_height() == 3.0
    assert one.get_alpha() is not None and one.get_alpha() < 1 and one.get_linestyle() == "--"
    assert mean.get_alpha() in (None, 1.0)
    notes = [t.get_text() for t in ax.texts]
    assert notes.count("n/a") == 2 and notes.count("1 seed") == 1
    assert sum(type(c).__name__ == "ErrorbarContainer" for c in ax.containers) == 1  # the mean's only
    plt.close(fig)


def test_the_sectors_figure_marks_one_seed_and_na(cmp):
    key = "sectors_per_sanctioning_offence"
    saved = {c: cmp.summary[c].get(key) for c in cmp.columns}
    try:
        cmp.summary["suining"][key] = Interval(4.0, -math.inf, math.inf, 1)
        cmp.summary["sesame"][key] = Interval(math.nan, math.nan, math.nan, 0)
        svg = sectors_per_offence(cmp)
    finally:
        for c, v in saved.items():
            cmp.summary[c][key] = v
    assert "1 seed" in svg and "n/a" in svg


# The layout in a real browser: chromium driven by playwright, as the explorer's browser
# tests do (skipped without a browser, except where SCSLAB_REQUIRE_BROWSER=1).
CHROMIUM = os.environ.get("SCSLAB_CHROMIUM", "/usr/bin/chromium")


@pytest.fixture(scope="module")
def page():
    why = None
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        why = "playwright is not installed"
    if why is None and not os.path.exists(CHROMIUM):
        why = f"no chromium at {CHROMIUM}"
    if why:
        if os.environ.get("SCSLAB_REQUIRE_BROWSER") == "1":
            pytest.fail(f"browser tests required (SCSLAB_REQUIRE_BROWSER=1) but {why}")
        pytest.skip(why)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        yield b.new_page()
        b.close()


@pytest.mark.slow
@pytest.mark.parametrize("width", [1400, 1920, 2400])
def test_claims_table_fits_the_page(page, html, tmp_path, width):
    path = tmp_path / "report.html"
    path.write_text(html, encoding="utf-8")
    page.set_viewport_size({"width": width, "height": 1000})
    page.goto(path.as_uri())
    page_width, inner, table_right, box_width, table_width = page.evaluate(
        "() => { const t = document.querySelector('table.claims');"
        " return [document.documentElement.scrollWidth, window.innerWidth, t.getBoundingClientRect().right,"
        " t.parentElement.clientWidth, t.scrollWidth]; }")
    assert page_width <= inner  # nothing runs off the page
    assert table_right <= inner
    assert table_width <= box_width  # the whole table is seen, no scrolling inside its box either
