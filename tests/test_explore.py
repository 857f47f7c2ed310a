"""The explorer without a browser: edits, the step tap, the run report, the server's API.

The browser tests (Playwright driving Debian's chromium) are in test_explore_browser.py.
"""

from __future__ import annotations

import re
import time

import pandas as pd
import pytest

from scslab.engine import simulate
from scslab.explore import edits as E
from scslab.explore.live import StepTap, live_run
from scslab.pilots import load_pilot
from scslab.rulebook import RulebookError


def _fetches(text: str) -> list[str]:
    """What a page would load from the network: src/href/url()/@import pointing off this server."""
    return re.findall(r"""(?:src|href|action)\s*=\s*["']?(?:https?:)?//[^"'\s>]+|url\(\s*["']?(?:https?:)?//|@import""",
                      text, flags=re.I)


def test_edits_change_only_what_they_name():
    rb = load_pilot("suining")
    new = E.apply_rulebook_edits(rb, {"behaviours": {"contract_default": {"points": -80}},
                                      "network": {"association_penalty": 2.5},
                                      "appeals": {"available": True, "review_accuracy": 0.9},
                                      "lists": {"untrustworthy": {"duration_days": 100}},
                                      "disclosure": {"penalty": 0.5}})
    b = {x.id: x for x in new.behaviours}
    assert b["contract_default"].points == -80
    assert new.network.association_penalty == 2.5 and new.appeals.available and new.appeals.review_accuracy == 0.9
    assert new.lists[0].duration_days == 100 and new.disclosure.penalty == 0.5
    # everything else as it was
    assert new.model_copy(update={"behaviours": rb.behaviours, "network": rb.network, "appeals": rb.appeals,
                                  "lists": rb.lists, "disclosure": rb.disclosure}) == rb
    assert E.apply_rulebook_edits(rb, {}) is rb


@pytest.mark.parametrize("edits, says", [
    ({"metadata": {"name": "x"}}, "not a field the explorer changes"),
    ({"behaviours": {"nope": {"points": 1}}}, "no item with id"),
    ({"behaviours": {"contract_default": {"social_value": 1}}}, "not a field"),
    ({"network": {"association_penalty": "__import__('os')"}}, "expected a number"),
    ({"network": {"association_penalty": float("nan")}}, "expected a number"),
    ({"appeals": {"available": 1}}, "expected true or false"),
    ({"lists": {"untrustworthy": {"duration_days": 1.5}}}, "whole number"),
])
def test_edits_refuse_anything_else(edits, says):
    with pytest.raises(E.EditError, match=says):
        E.apply_rulebook_edits(load_pilot("suining"), edits)


def test_edits_out_of_range_are_located_problems():
    with pytest.raises(RulebookError) as e:
        E.apply_rulebook_edits(load_pilot("rongcheng"), {"appeals": {"review_accuracy": 2}})
    assert any(p.path == ("appeals", "review_accuracy") for p in e.value.problems)


def test_engine_params_from_edits():
    p = E.engine_params({"w_virtue": 3, "levers": {"code": False}})
    assert p.w_virtue == 3 and not p.levers.code and p.levers.law
    with pytest.raises(E.EditError, match="w_virtue"):
        E.engine_params({"w_virtue": 99})
    with pytest.raises(E.EditError):
        E.engine_params({"bandwidth": 0.1})
    with pytest.raises(E.EditError):
        E.engine_params({"levers": {"courts": True}})


def test_tap_streams_every_day_and_changes_nothing():
    rb = load_pilot("guilt-by-association")
    msgs = []
    tap = StepTap(rb, lambda k, m: msgs.append(m), lambda: False, every=0.0)
    a = live_run(tap, rb, population=3_000, steps=40, seed=3)  # a Simulation stepped a day at a time
    b = simulate(rb, population=3_000, steps=40, seed=3)
    pd.testing.assert_frame_equal(a.steps, b.steps)
    pd.testing.assert_frame_equal(a.citizens, b.citizens)
    assert len(msgs) == 40 and all(m["streaming"] for m in msgs)
    days = [d for m in msgs for d in m.get("days", ())]
    assert [d["step"] for d in days] == list(range(40))
    s = a.steps.groupby("step").sum(numeric_only=True)
    assert [d["listed_black"] for d in days] == s["listed_black"].tolist()
    assert sum(sum(c) for c in msgs[-1]["hist"]["counts"]) == 3_000
    net = msgs[-1]["net"]
    assert len(net["nodes"]) == len(net["xy"]) == len(net["grade"]) > 1


def test_tap_stops_a_run():
    from scslab.explore.live import Stopped

    rb = load_pilot("rongcheng")
    seen = []
    tap = StepTap(rb, lambda k, m: None, lambda: len(seen) >= 5, every=0.0)
    with pytest.raises(Stopped):
        live_run(tap, rb, population=1_000, steps=365, seed=1, progress=lambda t, steps: seen.append(t))
    assert seen == [1, 2, 3, 4, 5]  # stopped at the end of the day it was asked


def test_run_report_of_a_folder(tmp_path):
    from typer.testing import CliRunner

    from scslab.cli import app
    from scslab.report.run_report import render_run_report

    simulate("guilt-by-association", population=2_000, steps=60, seed=2, ledger=True, out=tmp_path / "on")
    simulate("guilt-by-association", population=2_000, steps=60, seed=2, levers={"code": False},
             out=tmp_path / "off")
    page = render_run_report(tmp_path / "on", against=tmp_path / "off")
    for fid in ("score-by-grade", "grades-over-time", "listed-sectors", "harm-trust", "neighbourhood"):
        assert f'id="run-fig-{fid}"' in page
    assert "paired run" in page and "<script" not in page
    assert not _fetches(page)  # offline: nothing to load from elsewhere (SVG namespaces are names, not loads)
    r = CliRunner().invoke(app, ["report", str(tmp_path / "on"), "--against", str(tmp_path / "off")])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "on.html").is_file()
    r = CliRunner().invoke(app, ["report", str(tmp_path / "nowhere")])
    assert r.exit_code == 2 and "no such run folder" in r.output


# --- the server, over HTTP ------------------------------------------------------------------

@pytest.fixture(scope="module")
def server():
    pytest.importorskip("starlette")
    httpx = pytest.importorskip("httpx")
    from scslab.explore import running

    with running("suining", port=0) as srv:
        assert srv.wait_ready(180), "the worker processes did not start"
        srv.client = httpx.Client(base_url=srv.url, timeout=60)
        yield srv


def _wait(c, rid, until="finished", timeout=120.0):
    a = b = 0
    days = {"main": [], "off": []}
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = c.get(f"/api/runs/{rid}", params={"main": a, "off": b}).json()
        days["main"] += v["main"]["days"]
        days["off"] += v["off"]["days"]
        a, b = len(days["main"]), len(days["off"])
        if (until == "finished" and v["finished"]) or (until == "streaming" and a > 0):
            v["all_days"] = days
            return v
        time.sleep(0.1)
    raise AssertionError(f"run {rid} did not reach {until}: {v}")


@pytest.mark.slow
def test_server_listens_on_loopback_only(server):
    assert server.host == "127.0.0.1"
    assert server.sock.getsockname()[0] == "127.0.0.1"  # bound to loopback, not to every interface
    r = server.client.get("/api/state", headers={"Host": "attacker.example"})
    assert r.status_code == 403
    r = server.client.post("/api/audit", json={}, headers={"Origin": "http://attacker.example"})
    assert r.status_code == 403
    page = server.client.get("/")
    assert page.status_code == 200 and "default-src 'self'" in page.headers["content-security-policy"]
    for name in ("index.html", "app.js", "app.css"):  # offline: nothing is fetched from elsewhere
        text = (server.client.get("/static/" + name) if name != "index.html" else page).text
        assert not _fetches(text), name
    assert "fetch(\"http" not in server.client.get("/static/app.js").text


@pytest.mark.slow
def test_api_run_claims_notice_exports(server):
    c = server.client
    st = c.get("/api/state").json()
    rb = c.post("/api/rulebooks", json={"id": st["initial"]}).json()
    assert rb["name"] == "suining" and rb["audit"]["findings"]
    edits = {"rulebook": {"network": {"association_penalty": 2.0}}, "engine": {"w_strategic": 1.0}}
    a = c.post("/api/audit", json={"rulebook": rb["id"], "edits": edits}).json()
    assert a["changed"] and len(a["audit"]["findings"]) > len(rb["audit"]["findings"])  # a tie penalty is flagged
    r = c.post("/api/runs", json={"rulebook": rb["id"], "edits": edits, "population": 10_000, "steps": 90,
                                  "seed": 1, "client": "t1"})
    assert r.status_code == 200, r.text
    rid = r.json()["id"]
    v = _wait(c, rid)
    assert v["main"]["status"] == "done" and v["off"]["status"] == "done", v
    assert [d["step"] for d in v["all_days"]["main"]] == list(range(90))
    assert len(v["all_days"]["off"]) == 90
    assert v["claims"]["status"] == "done", v["claims"]
    verdicts = {x["id"]: x["verdict"] for x in v["claims"]["table"]}
    assert set(verdicts) == {f"C{i}" for i in range(1, 12)} and verdicts["C5"] != "not tested"
    people = v["main"]["people"]
    assert people
    n = c.get(f"/api/runs/{rid}/citizen/{people[0]['citizen']}").json()
    assert n["citizen"] == people[0]["citizen"] and "Adverse-action notice" in n["text"]
    assert isinstance(n["grounds"], list) and all({"rule", "basis", "text"} <= set(g) for g in n["grounds"])
    assert c.get(f"/api/runs/{rid}/citizen/99999999").status_code == 400
    y = c.post("/api/export/rulebook", json={"rulebook": rb["id"], "edits": edits})
    from scslab.rulebook import parse_rulebook

    back = parse_rulebook(y.text, "exported.yaml")
    assert back.network.association_penalty == 2.0
    page = c.get(f"/api/runs/{rid}/export")
    assert page.status_code == 200 and "attachment" in page.headers["content-disposition"]
    assert "The explorer&#x27;s run" in page.text or "The explorer's run" in page.text
    assert 'id="claims"' in page.text and "Audit" in page.text


@pytest.mark.slow
def test_api_stop_and_two_clients(server):
    c = server.client
    rb = c.post("/api/rulebooks", json={"pilot": "rongcheng"}).json()
    # 30,000 citizens for ten years: long enough to be stopped, and its full ledger fits in
    # about 1 GiB (at 100,000 it needs ~3.8 GiB free, which a busy machine may not have).
    long = c.post("/api/runs", json={"rulebook": rb["id"], "population": 30_000, "steps": 3650, "seed": 1,
                                     "client": "tab-a", "claims": False}).json()["id"]
    _wait(c, long, until="streaming")
    other = c.post("/api/runs", json={"rulebook": rb["id"], "population": 10_000, "steps": 30, "seed": 2,
                                      "client": "tab-b", "claims": False}).json()["id"]
    t0 = time.monotonic()
    assert c.post(f"/api/runs/{long}/stop", json={}).status_code == 200
    v = _wait(c, long, timeout=30)
    assert v["main"]["status"] == "stopped" and time.monotonic() - t0 < 15
    assert v["main"]["done"] < 3650
    w = _wait(c, other)  # tab b's run is untouched by tab a's stop
    assert w["main"]["status"] == "done" and w["settings"]["population"] == 10_000
    assert [d["step"] for d in w["all_days"]["main"]] == list(range(30))
    assert all(d["population"] == 10_000 for d in w["all_days"]["main"])


@pytest.mark.slow
@pytest.mark.parametrize("text, says", [
    ("metadata: [1, 2\n", "YAML syntax"),
    ("a: &a [*a, *a, *a]\n", ""),
    ("- just\n- a list\n", "expected a rulebook mapping"),
    ("x" * 1_100_000, ""),
    ("metadata:\n  name: x\n" + "  " * 5000 + "deep: 1\n", ""),
])
def test_hostile_rulebooks_are_refused_with_problems(server, text, says):
    c = server.client
    r = c.post("/api/rulebooks", json={"text": text, "filename": "../../etc/passwd"})
    assert r.status_code in (400, 422), r.text
    body = r.json()
    assert says in r.text
    if r.status_code == 422:
        assert body["problems"] and all(p["file"] == "....etcpasswd" for p in body["problems"])
    assert c.get("/api/state").status_code == 200  # still answering


@pytest.mark.slow
def test_bad_requests_get_messages(server):
    c = server.client
    rb = c.post("/api/rulebooks", json={"pilot": "rongcheng"}).json()
    for body, status in (({"rulebook": rb["id"], "population": 10**9}, 400),
                         ({"rulebook": rb["id"], "steps": -1}, 400),
                         ({"rulebook": "nope"}, 404),
                         ({"rulebook": rb["id"], "edits": {"engine": {"w_law": -1}}}, 422)):
        r = c.post("/api/runs", json=body)
        assert r.status_code == status, (body, r.text)
        assert r.json()["error"]
    assert c.post("/api/runs", content=b"not json", headers={"Content-Type": "application/json"}).status_code == 400
    assert c.get("/api/runs/unknown").status_code == 404


@pytest.mark.slow
def test_a_task_that_does_not_stop_is_ended_with_its_worker(tmp_path):
    """A claims run (compare's execute) has no stop hook: asked to stop, it is ended with its
    worker after the grace period, and a fresh worker takes its place."""
    from scslab.experiments.runner import RunSpec
    from scslab.explore.workers import Pool, Task

    pool = Pool(1, str(tmp_path))
    pool.stop_grace = 1.0
    try:
        got = []
        pool.submit(Task("spec", RunSpec("rongcheng", 1, 200_000, 3650), lambda k, m: got.append(k), group="g"))
        end = time.monotonic() + 120
        while "started" not in got and time.monotonic() < end:
            time.sleep(0.05)
        assert "started" in got
        t0 = time.monotonic()
        pool.stop_group("g")
        while "stopped" not in got and time.monotonic() < t0 + 30:
            time.sleep(0.05)
        assert got[-1] == "stopped" and time.monotonic() - t0 < 10, got
        done = []  # the replacement works
        pool.submit(Task("spec", RunSpec("rongcheng", 1, 300, 3), lambda k, m: done.append(k), group="h"))
        while "done" not in done and time.monotonic() < t0 + 120:
            time.sleep(0.05)
        assert done[-1] == "done", done
    finally:
        pool.close()
