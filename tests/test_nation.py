"""Nation configs (issue 15): located errors, the bundled nation, a run's own tables,
checkpoints and the CLI."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from scslab.cli import app
from scslab.nation import NATIONS, load_nation, parse_nation
from scslab.nation.report import report_text
from scslab.nation.run import run_config
from scslab.rulebook.errors import RulebookError

SMALL = """\
nation: small
title: five municipalities
national: court-blacklist
ties:
  cross_municipality_share: 0.1
municipalities:
  - {name: a, pilot: rongcheng, share: 0.3}
  - {name: b, pilot: suining, share: 0.25}
  - {name: c, pilot: none, share: 0.2}
  - {name: d, pilot: guilt-by-association, share: 0.15}
  - {name: e, pilot: rule-of-law, share: 0.1}
"""


def problems(text: str, tmp_path: Path | None = None) -> list[str]:
    with pytest.raises(RulebookError) as e:
        parse_nation(text, "n.yaml", tmp_path)
    return [str(p) for p in e.value.problems]


def test_the_bundled_nation_has_43_municipalities_mixing_the_pilots():
    assert "pilots-43" in NATIONS
    n = load_nation("pilots-43")
    assert len(n.config.municipalities) == 43
    assert abs(sum(n.config.shares) - 1.0) < 1e-12
    assert set(n.pilots()) == {"rongcheng", "suining", "none", "rule-of-law", "guilt-by-association"}
    assert n.national.metadata.name == "court-blacklist"
    # one rulebook object per pilot: merged and compiled once per pilot, not 43 times
    assert len({id(r) for r in n.rulebooks()}) == 5
    spec = n.config.society_spec(100_000)
    assert spec.municipality_count == 43 and spec.network.cross_municipality_share == 0.05


def test_problems_are_located_in_the_config():
    bad = SMALL.replace("share: 0.25}", "shares: 0.25}").replace("pilot: none", "pilot: nnoe")
    got = problems(bad)
    assert any(p.startswith("n.yaml:8:") and "unknown field 'shares'" in p and "did you mean 'share'" in p for p in got)
    assert any(p.startswith("n.yaml:8:") and "required" in p for p in got)
    got = problems(SMALL.replace("pilot: none", "pilot: nnoe"))
    assert len(got) == 1 and got[0].startswith("n.yaml:9:") and "municipalities[2].pilot" in got[0]
    assert "did you mean 'none'" in got[0]


@pytest.mark.parametrize("change, line, words", [
    (("share: 0.3}", "share: 0.5}"), 6, "add up to 1.2"),
    (("{name: e,", "{name: a,"), 11, "named twice"),
    (("{name: e,", "{name: E,"), 11, "lower-case"),
    (("share: 0.1}", "share: '0.1'}"), 11, "expected a number"),
    (("cross_municipality_share: 0.1", "cross_municipality_share: 0.9"), 5, "<= 0.5"),
    (("national: court-blacklist", "national: rongcheng"), 3, "no national list"),
    (("national: court-blacklist", "national: courts.yaml"), 3, "no such file"),
])
def test_each_kind_of_problem_points_at_its_line(change, line, words):
    got = problems(SMALL.replace(*change))
    assert any(p.startswith(f"n.yaml:{line}:") and words in p for p in got), got


def test_society_settings_the_nation_owns_are_refused_where_they_are_written():
    got = problems(SMALL.replace("\nties:", "\nsociety:\n  n: 5\n  groups: {a: 0.5, b: 0.6}\nties:"))
    assert any(p.startswith("n.yaml:5:") and "set by the nation" in p for p in got), got
    got = problems(SMALL.replace("\nties:", "\nsociety:\n  groups: {a: 0.5, b: 0.6}\nties:"))
    assert any(p.startswith("n.yaml:5:") and "group shares must sum to 1" in p for p in got), got


def test_a_pilot_file_is_read_relative_to_the_config(tmp_path, mini_rulebook_yaml):
    (tmp_path / "mine.yaml").write_text(mini_rulebook_yaml, encoding="utf-8")
    cfg = tmp_path / "nation.yaml"
    cfg.write_text(SMALL.replace("pilot: rule-of-law", "pilot: mine.yaml").replace("national: court-blacklist",
                                                                                   "national: null"), encoding="utf-8")
    n = load_nation(cfg)
    assert n.pilots()[-1] == n.rulebooks()[-1].metadata.name and n.national is None


def _digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())
            if p.is_file() and p.name != "timing.json"}


@pytest.fixture(scope="module")
def small_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("nation") / "run"
    return run_config(parse_nation(SMALL, "n.yaml"), population=6_000, steps=40, seed=3, out=out), out


def test_a_nation_run_has_its_own_tables(small_run):
    r, out = small_run
    m, nat, reach = r.more["municipalities"], r.more["national"], r.more["reach"]
    assert list(m.name) == ["a", "b", "c", "d", "e"] and m.population.sum() == 6_000
    assert list(m.pilot) == ["rongcheng", "suining", "none", "guilt-by-association", "rule-of-law"]
    assert r.manifest["kind"] == "nation" and r.manifest["nation"]["name"] == "small"
    assert nat.restricted_in.iloc[0] == 5 and nat.municipalities.iloc[0] == 5
    # the reach table: one row per citizen ever on the national list
    assert len(reach) == nat.listed_ever.iloc[0] == m.national_listed_ever.sum() > 0
    assert reach.listed_end.sum() == nat.listed_end.iloc[0] == m.national_listed_end.sum()
    assert (reach.felt_in >= 1).all() and (reach.felt_in <= 5).all()
    assert (reach.felt_in - 1 <= reach.ties_other_municipalities).all()
    assert (reach.ties_dropped_other_municipalities <= reach.ties_dropped).all()
    # ever listed on the national list at the end of some day: those listed now are among them,
    # and listed now agrees with the citizens table (blacklisted covers local lists too)
    c = r.citizens.set_index("citizen")
    assert c.loc[reach.citizen[reach.listed_end], "blacklisted"].all()
    # the none municipality lists too: the courts are national
    assert m.set_index("name").loc["c", "national_listed_ever"] >= 0
    assert {"municipalities", "national", "reach"} <= {p.stem for p in out.glob("*.parquet")}


def test_the_report_reads_the_same_from_the_result_and_the_folder(small_run):
    r, out = small_run
    text = report_text(r)
    assert text == report_text(out)
    assert "Restricted everywhere: its national measures are in force in 5 of 5" in text
    assert "By the pilot" in text and "guilt-by-association" in text
    assert all(len(line) <= 88 for line in text.splitlines())


def test_the_html_report_of_a_nation_folder_leads_with_the_national_list(small_run, tmp_path):
    from scslab.report.run_report import render_run_report, write_run_report

    r, out = small_run
    page = write_run_report(out, tmp_path / "n.html").read_text(encoding="utf-8")
    assert "<h1>scslab nation report: small:" in page
    # first the national list across the municipalities, in the text report's own sentences
    assert page.index("The national list across the municipalities") < page.index("The nation as one society")
    assert "Restricted everywhere: its national measures are in force in 5 of 5" in page
    assert 'id="nation-fig-by-municipality"' in page and "<svg" in page
    for name in ("rongcheng", "suining", "guilt-by-association", "rule-of-law"):
        assert f"<td>{name}</td>" in page
    # and how to run it again: the nation, not one of its rulebooks
    assert "<code>scslab nation small -n 6000 -t 40 --seed 3</code>" in page
    assert render_run_report(r).count("The national list across the municipalities") == 1  # the result as well


def test_a_killed_nation_run_resumes_to_the_same_bytes(small_run, tmp_path):
    from scslab.engine import resume

    _, whole = small_run
    out = tmp_path / "killed"

    def stop(done, total):
        if done == 27:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_config(parse_nation(SMALL, "n.yaml"), population=6_000, steps=40, seed=3, out=out,
                   checkpoint_every=10, progress=stop)
    assert (out / "checkpoint" / "LATEST").exists() and not (out / "COMPLETE").exists()
    resume(out)
    a, b = _digests(whole), _digests(out)
    assert a.keys() == b.keys()
    same_but_manifest = {k for k in a if a[k] == b[k]}
    # the manifest records checkpoint_every (the only input that differs)
    assert same_but_manifest == set(a) - {"manifest.json", "COMPLETE"}


def test_the_cli_runs_a_nation_and_refuses_a_bad_config(tmp_path):
    cfg = tmp_path / "n.yaml"
    cfg.write_text(SMALL, encoding="utf-8")
    res = CliRunner().invoke(app, ["nation", str(cfg), "--check"])
    assert res.exit_code == 0 and "5 municipalities" in res.output
    res = CliRunner().invoke(app, ["nation", str(cfg), "-n", "3000", "-t", "5", "-o", str(tmp_path / "r")])
    assert res.exit_code == 0, res.output
    assert "Restricted everywhere" in res.output and (tmp_path / "r" / "COMPLETE").exists()
    res = CliRunner().invoke(app, ["nation", "--report", str(tmp_path / "r")])
    assert res.exit_code == 0 and "By the pilot" in res.output
    cfg.write_text(SMALL.replace("share: 0.3}", "share: 0.5}"), encoding="utf-8")
    res = CliRunner().invoke(app, ["nation", str(cfg), "-n", "3000", "-t", "5", "-o", str(tmp_path / "r2")])
    assert res.exit_code == 2 and f"{cfg}:6:" in res.output and "add up to" in res.output
    assert not (tmp_path / "r2").exists()
    res = CliRunner().invoke(app, ["nation", "pilots-43", "--export"])
    assert res.exit_code == 0 and "nation: pilots-43" in res.output


def test_the_national_list_reaches_the_none_municipalities():
    # court judgments are recorded in a municipality without a local system too
    r = run_config(parse_nation(SMALL, "n.yaml"), population=20_000, steps=60, seed=1)
    m = r.more["municipalities"].set_index("name")
    assert m.loc["c", "national_listed_ever"] > 0
    assert np.isclose(m.share.sum(), 1.0)


def test_the_cli_refuses_executor_flags_that_do_not_go_together(tmp_path):
    for args, words in ((["--workers", "2"], "needs --executor processes or ray"),
                        (["--executor", "dask"], "local, processes or ray"),
                        (["--executor", "ray", "--workers", "0"], "--workers must be"),
                        (["--executor", "ray", "--ledger", "0.5"], "--ledger is kept only")):
        res = CliRunner().invoke(app, ["nation", "pilots-43", "-n", "1000", "-o", str(tmp_path / "x"), *args])
        assert res.exit_code == 2 and words in res.output, (args, res.output)
        assert not (tmp_path / "x").exists()
