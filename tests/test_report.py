"""The HTML report: self-contained, every figure present, one table row per claim, the hook."""

from __future__ import annotations

import json
from html.parser import HTMLParser

import numpy as np
import pytest

from scslab.experiments import CompareConfig, compare, plan
from scslab.experiments.runner import RunOutcome
from scslab.metrics import CLAIMS
from scslab.metrics.registry import RUN_CLAIMS
from scslab.report import render_report, write_report
from scslab.report.plots import FIGURES

T = 60


def fake_outcome(spec, rng) -> RunOutcome:
    """A run's outcome with made-up but well-formed numbers (no simulation needed)."""
    if spec.role == "levers":
        on = sum(spec.levers)
        return RunOutcome(spec, {"harm_per_1000": 2.0 - 0.3 * on + rng.normal(0, 0.01)}, {}, {})
    metrics = {}
    for cid in RUN_CLAIMS:
        for m in CLAIMS[cid].metrics:
            metrics[m.key] = float(rng.normal(0.5, 0.1))
    steps = np.arange(T)
    series = {"step": steps, "mean_score": 100 + rng.normal(0, 1, T), "mean_score_scaled": rng.normal(0, 1, T),
              "share_listed": np.linspace(0, 0.01, T), "harm_per_1000": 1.5 + rng.normal(0, 0.1, T),
              "trust": 0.9 + rng.normal(0, 0.01, T), "sectors_per_listed": np.full(T, 2.0)}
    detail = None
    if spec.detail:
        n = 300
        nodes = np.arange(12)
        detail = {"score": rng.normal(100, 10, n).astype(np.float32),
                  "sample_score": rng.normal(100, 10, 100), "sample_virtue": rng.random(100),
                  "sample_listed": rng.random(100) < 0.05, "scale": (0.0, 200.0, 100.0),
                  "new_sectors": rng.integers(0, 4, 50), "unrelated_sectors": rng.integers(0, 2, 50),
                  "graph": {"nodes": nodes, "centre": 0, "src": np.zeros(11, int), "dst": nodes[1:],
                            "grade": np.array(["A", "B", "C"] * 4), "listed": nodes % 5 == 0,
                            "grade_order": ["C", "B", "A"]}}
    manifest = {"rulebook": spec.pilot, "rulebook_hash": "0" * 64, "seed": spec.seed, "scslab_version": "test",
                "versions": {"python": "3"}, "params": {"w_virtue": 1.5}}
    return RunOutcome(spec, metrics, series, manifest, detail, 0.1, {"title": spec.pilot.title(),
                                                                       "groups_by_coverage": ("urban", "rural")})


@pytest.fixture(scope="module")
def cmp():
    cfg = CompareConfig(pilots=("rongcheng", "sesame"), population=300, steps=T, seeds=3, levers=("rongcheng",))
    rng = np.random.default_rng(0)
    return compare(cfg, outcomes=[fake_outcome(s, rng) for s in plan(cfg)])


class Collector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.stack: list[str] = []
        self.figures: dict[str, int] = {}  # figure id -> svg elements inside
        self.claim_rows = 0
        self.h2: list[str] = []
        self._fig = None
        self._h2 = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append((tag, a))
        if tag == "figure":
            self._fig = a.get("id")
            self.figures[self._fig] = 0
        if tag == "svg" and self._fig:
            self.figures[self._fig] += 1
        if tag == "tr" and (a.get("id") or "").startswith("claim-"):
            self.claim_rows += 1
        if tag == "h2":
            self._h2 = True
            self.h2.append("")

    def handle_endtag(self, tag):
        if tag == "figure":
            self._fig = None
        if tag == "h2":
            self._h2 = False

    def handle_data(self, data):
        if self._h2:
            self.h2[-1] += data


def parse(text: str) -> Collector:
    p = Collector()
    p.feed(text)
    p.close()
    return p


EXTRA = [("Audit <verdict>", "<p id='audit-body'>3 findings</p>")]


@pytest.fixture(scope="module")
def html(cmp):
    return render_report(cmp, extra_sections=EXTRA)  # rendering takes seconds: once per module


def test_report_has_every_figure_and_a_row_per_claim(cmp, html):
    p = parse(html)
    assert p.claim_rows == len(CLAIMS) == 11
    for fid, _, _ in FIGURES:
        assert p.figures.get(f"fig-{fid}", 0) >= 1, fid
    assert "Parameters and how to reproduce" in p.h2
    assert cmp.command in html and "0" * 64 in html  # the command and the rulebook hashes


def test_report_is_self_contained(html):
    p = parse(html)
    for tag, a in p.tags:
        assert tag not in ("script", "link", "iframe"), tag
        for attr in ("src", "href"):
            v = a.get(attr) or ""
            assert not v.startswith(("http:", "https:", "//")), (tag, v)


def test_extra_sections_hook(html):
    p = parse(html)
    assert "Audit <verdict>" in p.h2  # the title is escaped text, the body is kept as HTML
    assert "<p id='audit-body'>3 findings</p>" in html
    # placed after what the runs show (claims, figures, levers), before the full metric table
    assert html.index("id=\"plots\"") < html.index("id=\"levers-detail\"") < html.index("audit-body") < html.index("id=\"metrics\"")


def test_write_report_atomically_with_numbers_and_same_bytes(cmp, html, tmp_path):
    path = write_report(cmp, tmp_path / "sub" / "report.html", extra_sections=EXTRA)
    assert path.read_text(encoding="utf-8") == html  # the same comparison gives the same bytes
    data = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    assert [c["id"] for c in data["claims"]] == list(CLAIMS)
    assert data["command"] == cmp.command
    assert not [p for p in tmp_path.rglob("*") if p.name.startswith(".")]  # no temporary files left
