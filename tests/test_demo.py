"""`scslab demo` end to end at a tiny size: every pilot, the references, the levers, the report."""

from __future__ import annotations

import json
from html.parser import HTMLParser

from typer.testing import CliRunner

from scslab.cli import app
from scslab.cli.demo_cmd import demo_pilots
from scslab.metrics import CLAIMS
from scslab.report.plots import FIGURES


class Figures(HTMLParser):
    def __init__(self):
        super().__init__()
        self.svg_in: dict[str, int] = {}
        self.rows = 0
        self._fig = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "figure":
            self._fig = a["id"]
            self.svg_in[self._fig] = 0
        elif tag == "svg" and self._fig:
            self.svg_in[self._fig] += 1
        elif tag == "tr" and (a.get("id") or "").startswith("claim-"):
            self.rows += 1

    def handle_endtag(self, tag):
        if tag == "figure":
            self._fig = None


def test_demo_end_to_end(tmp_path):
    out = tmp_path / "demo.html"
    # The calibrated court list measured after a short warm start (the demo's own, from 2013 to
    # 2018, would make this test minutes long).
    r = CliRunner().invoke(app, ["demo", "--population", "500", "--steps", "20", "--seeds", "2", "--out", str(out),
                                 "--warm-start", "court-blacklist-calibrated=40"])
    assert r.exit_code == 0, r.output
    assert str(out) in r.output.replace("\n", "")
    p = Figures()
    html = out.read_text(encoding="utf-8")
    p.feed(html)
    # the note on the calibrated pilots: what each was fitted to, and the days measured
    assert "Calibrated pilots" in html and "a warm start of 40 days" in html
    assert p.rows == len(CLAIMS)
    assert set(p.svg_in) == {f"fig-{fid}" for fid, _, _ in FIGURES}
    data = json.loads(out.with_suffix(".json").read_text(encoding="utf-8"))
    columns = [*demo_pilots(), "rule-of-law", "none"]  # the real pilots (calibrated where shipped), the references
    assert data["columns"] == columns and "court-blacklist-calibrated" in columns and "court-blacklist" not in columns
    assert data["config"]["levers"] == ["rongcheng"]
    assert data["config"]["warm_start"] == [["court-blacklist-calibrated", 40]]
    for claim in data["claims"]:
        assert set(claim["cells"]) == set(columns)
        assert all(c["verdict"] in {"supported", "not supported", "mixed", "not tested", "not run", "baseline"}
                   for c in claim["cells"].values())
        # every cell says what it was compared against, and a "not tested" cell says why
        assert all(c["against"] for c in claim["cells"].values())
        assert all(c["reason"] for c in claim["cells"].values() if c["verdict"] == "not tested")
    assert data["mechanisms"]["sesame-calibrated"]["tie_terms"]["present"] is True
    assert data["mechanisms"]["none"]["code"]["present"] is False
