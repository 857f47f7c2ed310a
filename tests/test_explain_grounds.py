"""The adverse-action notice attributes each listing to its real ground (issue 16).

Three rulebooks, each with one way onto a blacklist: (a) a score threshold reached through
lawful acts only, (b) an offence filed by a court, (c) a score threshold reached through
ties to blacklisted citizens (association). The notice must name the entry rule, say which
condition was met, which behaviours cost the points with their legal status, and whether
the records were true or false; a score listing is never described as one for an offence.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

import yaml

from scslab import load_rulebook, simulate
from scslab.explain import explain

HEAD = {
    "metadata": {"name": "x", "title": "t", "jurisdiction": "nowhere", "version": "1", "effective": dt.date(2020, 1, 1)},
    "scale": {"base": 50, "min": 0, "max": 100},
    "grades": [{"name": "low", "min": 0, "max": 40}, {"name": "high", "min": 40, "max": 100}],
}

# (a) Only lawful conduct costs points; the list's entry rule is a score threshold.
LAWFUL = {**HEAD, "metadata": {**HEAD["metadata"], "name": "lawful-score"},
          "data_sources": [{"id": "platform", "kind": "platform", "coverage": {"default": 0.9}}],
          "behaviours": [{"id": "petitioning", "label": "petitioning the government", "domain": "political",
                          "legal_status": "lawful", "points": -15, "social_value": 0.1, "utility": 0.2,
                          "base_rate": 0.02, "sources": ["platform"]}],
          "lists": [{"id": "dishonest", "kind": "blacklist", "trigger": {"score_below": 30}, "duration_days": 365}],
          "sanctions": [{"id": "s1", "sector": "rail", "applies_to": {"list": "dishonest"}, "magnitude": 1},
                        {"id": "s2", "sector": "loans", "applies_to": {"grades": ["low"]}, "magnitude": 1}]}

# (b) A criminal offence filed by a court puts one on the list; a share of court records is false.
OFFENCE = {**HEAD, "metadata": {**HEAD["metadata"], "name": "offence"},
           "data_sources": [{"id": "courts", "kind": "court", "adjudicated": True, "coverage": {"default": 0.9},
                             "false_record_rate": 0.3}],
           "behaviours": [{"id": "fraud", "label": "commercial fraud", "domain": "commerce",
                           "legal_status": "criminal", "points": -5, "social_value": -0.8, "utility": 0.7,
                           "base_rate": 0.005, "sources": ["courts"]}],
           "lists": [{"id": "fraudsters", "kind": "blacklist", "trigger": {"behaviours": ["fraud"], "min_records": 1},
                      "duration_days": 365}],
           "sanctions": [{"id": "s1", "sector": "air", "applies_to": {"list": "fraudsters"}, "magnitude": 1}]}

# (c) A court list for fraud, and a score list reached through ties to those on it.
ASSOCIATION = {**HEAD, "metadata": {**HEAD["metadata"], "name": "association"},
               "data_sources": [{"id": "courts", "kind": "court", "adjudicated": True, "coverage": {"default": 0.9}}],
               "behaviours": [{"id": "fraud", "label": "commercial fraud", "domain": "commerce",
                               "legal_status": "criminal", "points": 0, "social_value": -0.8, "utility": 0.7,
                               "base_rate": 0.01, "sources": ["courts"]}],
               "lists": [{"id": "fraudsters", "kind": "blacklist",
                          "trigger": {"behaviours": ["fraud"], "min_records": 1}, "duration_days": 365},
                         {"id": "untrustworthy", "kind": "blacklist", "trigger": {"score_below": 30},
                          "duration_days": 365}],
               "sanctions": [{"id": "s1", "sector": "air", "applies_to": {"list": "untrustworthy"}, "magnitude": 1}],
               "network": {"association_penalty": 5}}


def _run(tmp_path, doc: dict, steps: int = 60):
    path = tmp_path / f"{doc['metadata']['name']}.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    r = simulate(load_rulebook(path), population=1_500, steps=steps, seed=2, ledger=True)
    return r, r.write(tmp_path / "run")


def _listed(r, lst: str):
    ev = r.events
    return ev[(ev.kind == "listed") & (ev["list"] == lst)]


def test_a_score_listing_from_lawful_acts_says_so_and_never_says_offence(tmp_path):
    r, folder = _run(tmp_path, LAWFUL)
    listed = _listed(r, "dishonest")
    assert len(listed) > 0
    notice = explain(folder, int(listed.citizen.iloc[0]))
    text = notice.text()
    g = notice.grounds[0]
    assert g.basis == "score" and g.rule == "a score below 30"
    assert "whose entry rule is a score below 30" in text
    assert "You were listed for your score, not for any one act: it fell below 30, for lawful conduct only" in text
    assert "'petitioning' (petitioning the government; lawful conduct)" in text
    assert "unlawful" not in text.lower() and "offence" not in g.text.replace("not for any offence", "")
    assert notice.reasons[0].startswith("placed on blacklist 'dishonest' on day")
    assert "for a score below 30, points lost for lawful conduct only (no offence)" in notice.reasons[0]
    # Each restriction names the sanction behind it: the list's, or the grade's.
    why = " ".join(notice.sectors.why)
    assert "rail: sanction 's1' on list 'dishonest'" in why and "loans: sanction 's2' on grade 'low'" in why
    # The listings table names the ground, not the engine's coarse cause.
    assert notice.listings[notice.listings.kind == "listed"].detail.iloc[0].startswith("ground: a score below 30, points lost for lawful")


def test_an_offence_listing_names_the_behaviour_the_court_and_a_false_record(tmp_path):
    r, folder = _run(tmp_path, OFFENCE)
    listed = _listed(r, "fraudsters")
    ev = r.events
    recs = ev[ev.kind == "record"]
    # One listed on a false court record, one on a true one.
    false_ids = set(recs[recs.truth == "false"].citizen) & set(listed.citizen)
    true_ids = set(recs[recs.truth == "true"].citizen) & set(listed.citizen) - false_ids
    assert false_ids and true_ids
    for cid, truth in ((min(false_ids), "false"), (min(true_ids), "true")):
        notice = explain(folder, cid)
        g = notice.grounds[0]
        assert g.basis == "records" and g.rule == "1 record of 'fraud' within 365 days"
        assert "You were listed for an offence, on 1 record of 'fraud' (commercial fraud; a criminal offence)" in g.text
        assert "filed by 'courts' (a court judgment)" in g.text
        assert "for your score" not in g.text
        if truth == "false":
            assert "(it is false: no act happened)" in g.text and g.summary == "an offence: 1 record of 'fraud' (a criminal offence; 1 false)"
            assert g.wrongful and "WRONGFUL" in g.text
        else:
            assert "(true)" in g.text and not g.wrongful


def test_an_association_listing_says_the_points_were_lost_through_ties_not_acts(tmp_path):
    r, folder = _run(tmp_path, ASSOCIATION, steps=60)
    listed = _listed(r, "untrustworthy")
    ev = r.events
    offenders = set(ev[ev.kind == "record"].citizen)
    innocent = sorted(set(listed.citizen) - offenders)
    assert innocent, "someone with no record of their own was listed through ties"
    notice = explain(folder, innocent[0])
    g = next(x for x in notice.grounds if x.list == "untrustworthy")
    assert g.basis == "score" and "whose entry rule is a score below 30" in g.text
    assert ("it fell below 30, through association: the points were lost through your ties, "
            "not for any act of yours") in g.text
    assert "the association penalty: 5 points a day for each blacklisted tie" in g.text
    assert g.summary == "a score below 30, points lost through association (no offence)"
    assert "offence" not in g.text and "unlawful" not in g.text
    assert any("your ties cost" in reason for reason in notice.reasons)
    assert "Over the whole run, your ties cost" in g.text
    # The CLI prints the same notice, and the explorer's JSON carries the grounds (tested in test_explore).
    out = subprocess.run([sys.executable, "-m", "scslab.cli", "explain", str(folder), str(innocent[0])],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "through association" in out.stdout and "Why each listing happened" in out.stdout


def test_a_list_the_manifest_does_not_hold_is_said_to_be_unknown_not_guessed():
    """A run folder is checksummed, so its manifest always holds the rulebook; should a list
    still be missing from it, the notice says its ground is not known rather than guessing."""
    import pandas as pd

    from scslab.explain import _book, _grounds

    listings = pd.DataFrame({"step": [4], "list": ["ghost"], "kind": ["listed"], "wrongful": [False],
                             "detail": ["cause: unlawful conduct"]})
    records = pd.DataFrame({"step": [3], "behaviour": ["b"], "source": ["s"], "points": [-5.0], "truth": ["true"]})
    (g,) = _grounds(_book({}, 0), records, listings, {})
    assert g.basis == "unknown" and "entry rule is not known" in g.text and "unlawful" not in g.text
