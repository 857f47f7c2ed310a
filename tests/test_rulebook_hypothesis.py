"""Property tests: generated valid rulebooks load; mutated ones fail only with RulebookError.

Whatever text it is given, the loader must either return a Rulebook or raise RulebookError
whose every problem has a line >= 1 and a message: never another exception, never a
problem it cannot place.
"""

from __future__ import annotations

import copy
import datetime as dt

import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from scslab.rulebook import (
    Rulebook,
    RulebookError,
    compile_rulebook,
    dump_rulebook,
    parse_rulebook,
)
from scslab.rulebook.schema import DOMAINS, EVIDENCE, LEGAL_STATUSES, SECTORS

SETTINGS = settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

ids = st.from_regex(r"[a-z][a-z0-9_\-]{0,11}", fullmatch=True)
text = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=24
)
unit = st.floats(0.0, 1.0, allow_nan=False)
signed = st.floats(-1.0, 1.0, allow_nan=False)
days = st.integers(1, 3650)
GROUPS = ("urban", "rural", "migrant")


def _sourced(draw, refs: list[str]) -> dict:
    out = {}
    src = draw(st.sampled_from([None, "illustrative", *refs]))
    if src is not None:
        out["source"] = src
    if draw(st.booleans()):
        out["note"] = draw(text)
    return out


@st.composite
def rulebooks(draw) -> dict:
    """Plain data of a valid rulebook, of varied size and shape."""
    refs = draw(st.lists(ids, max_size=3, unique=True))
    eff = draw(st.dates(dt.date(1990, 1, 1), dt.date(2100, 1, 1)))
    meta = {
        "name": draw(ids),
        "title": draw(text),
        "jurisdiction": draw(text),
        "version": draw(text),
        "effective": eff,
        "references": [{"id": r, "citation": draw(text)} for r in refs],
    }
    if draw(st.booleans()):
        meta["published"] = draw(st.dates(dt.date(1990, 1, 1), dt.date(2100, 1, 1)))
    if draw(st.booleans()):
        meta["counterfactual"] = draw(st.booleans())

    lo = draw(st.integers(-1000, 1000))
    hi = lo + draw(st.integers(1, 5000))
    scale = {"min": lo, "max": hi, "base": draw(st.integers(lo, hi)), **_sourced(draw, refs)}

    cuts = sorted(draw(st.sets(st.integers(lo + 1, hi - 1), max_size=5))) if hi - lo > 1 else []
    edges = [lo, *cuts, hi]
    names = draw(st.lists(text.filter(lambda s: len(s) <= 16), min_size=len(edges) - 1,
                          max_size=len(edges) - 1, unique=True))
    grades = [{"name": n, "min": a, "max": b, **_sourced(draw, refs)}
              for n, a, b in zip(names, edges[:-1], edges[1:], strict=True)]

    source_ids = draw(st.lists(ids, max_size=4, unique=True))
    data_sources = []
    for sid in source_ids:
        cov = {"default": draw(unit)}
        for g in draw(st.lists(st.sampled_from(GROUPS), unique=True)):
            cov[g] = draw(unit)
        d = {"id": sid, "kind": draw(st.sampled_from(["court", "government", "bank", "platform", "camera"])),
             "coverage": cov, **_sourced(draw, refs)}
        if draw(st.booleans()):
            d["adjudicated"] = draw(st.booleans())
            d["false_record_rate"] = draw(st.floats(0, 0.5))
        data_sources.append(d)

    behaviours = []
    for bid in draw(st.lists(ids, max_size=8, unique=True)):
        observable = draw(st.booleans()) if source_ids else True
        points = draw(st.floats(-100, 100, allow_nan=False))
        b = {
            "id": bid,
            "domain": draw(st.sampled_from(DOMAINS)),
            "legal_status": draw(st.sampled_from(LEGAL_STATUSES)),
            "points": points,
            "social_value": draw(signed),
            "utility": draw(signed),
            "base_rate": draw(st.floats(0, 0.01)),
            **_sourced(draw, refs),
        }
        if observable and source_ids:
            b["sources"] = draw(st.lists(st.sampled_from(source_ids), min_size=1, unique=True))
        if not observable:
            b["observable"] = False
        if draw(st.booleans()):
            b["evidence"] = draw(st.sampled_from(EVIDENCE))
            b["excusable"] = draw(unit)
            b["catch_all"] = draw(st.booleans())
        if draw(st.booleans()):
            b["points_range"] = [points - draw(st.integers(0, 10)), points + draw(st.integers(0, 10))]
        behaviours.append(b)

    lists = []
    for lid in draw(st.lists(ids, max_size=3, unique=True)):
        kind = draw(st.sampled_from(["blacklist", "redlist"]))
        trigger = {}
        if behaviours and draw(st.booleans()):
            trigger["behaviours"] = draw(st.lists(st.sampled_from([b["id"] for b in behaviours]),
                                                  min_size=1, unique=True))
            trigger["min_records"] = draw(st.integers(1, 5))
        else:
            trigger["score_below" if kind == "blacklist" else "score_at_least"] = draw(st.integers(lo, hi))
        lst = {"id": lid, "kind": kind, "trigger": trigger, "duration_days": draw(st.none() | days),
               **_sourced(draw, refs)}
        if lst["duration_days"] is not None and draw(st.booleans()):
            lst["renewal"] = {"extend_days": draw(days), "max_renewals": draw(st.integers(0, 5))}
        if draw(st.booleans()):
            lst["exit"] = {"on_performance": True, "performance_rate": draw(unit),
                           "removal_delay_days": draw(st.integers(0, 30))}
            lst["published"] = draw(st.booleans())
        lists.append(lst)

    def measures(list_kind: str) -> list[dict]:
        usable = [x["id"] for x in lists if x["kind"] == list_kind]
        out = []
        for mid in draw(st.lists(ids, max_size=4, unique=True)):
            if usable and draw(st.booleans()):
                target = {"list": draw(st.sampled_from(usable))}
            else:
                target = {"grades": draw(st.lists(st.sampled_from(names), min_size=1, unique=True))}
            m = {"id": mid, "sector": draw(st.sampled_from(SECTORS)), "applies_to": target,
                 "magnitude": draw(st.floats(0, 1000)), **_sourced(draw, refs)}
            if draw(st.booleans()):
                m["scope"] = draw(st.sampled_from(["national", "local"]))
                m["legal_basis"] = draw(text)
            out.append(m)
        return out

    rb = {"metadata": meta, "scale": scale, "grades": grades, "behaviours": behaviours,
          "data_sources": data_sources, "lists": lists, "sanctions": measures("blacklist"),
          "privileges": measures("redlist")}
    if draw(st.booleans()):
        rb["network"] = {"association_penalty": draw(st.floats(0, 10)), "peer_weight": draw(unit),
                         "tie_drop_rate": draw(unit), **_sourced(draw, refs)}
    if draw(st.booleans()):
        rb["appeals"] = {"available": draw(st.booleans()), "deadline_days": draw(days),
                         "latency_days": draw(days), "review_accuracy": draw(unit)}
    if draw(st.booleans()):
        rb["decay"] = {"negative_half_life_days": draw(st.floats(1, 3650)),
                       "record_retention_days": draw(st.none() | days),
                       "repair": {"available": draw(st.booleans()), "min_days": draw(days)}}
    return rb


def dump(data: dict, flow: bool | None = False) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=flow)


def assert_loads_or_fails_cleanly(src: str | bytes) -> Rulebook | None:
    try:
        return parse_rulebook(src, "gen.yaml")
    except RulebookError as e:
        assert e.problems
        for p in e.problems:
            assert p.line >= 1 and p.column >= 1, str(p)
            assert p.message.strip(), str(p)
            assert str(p).startswith("gen.yaml:")
        return None


# ---------------------------------------------------------------- valid rulebooks


@SETTINGS
@given(rulebooks(), st.sampled_from([False, None, True]))
def test_generated_rulebooks_load_compile_and_round_trip(data, flow):
    rb = parse_rulebook(dump(data, flow), "gen.yaml")
    c = compile_rulebook(rb)
    assert c.n_behaviours == len(data["behaviours"])
    assert len(c.grade_names) == len(data["grades"])
    assert parse_rulebook(dump_rulebook(rb)) == rb


# ---------------------------------------------------------------- mutations of the data


def _paths(obj, path=()):
    """Every (path, value) in nested plain data."""
    yield path, obj
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _paths(v, path + (k,))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _paths(v, path + (i,))


def _parent(data, path):
    for p in path[:-1]:
        data = data[p]
    return data


WRONG_VALUES = st.sampled_from(["ten", "", None, True, [], {}, [1, 2], {"x": 1}, -1e9, 1e300, 3,
                                 "2020-13-45", dt.date(2020, 1, 1)])


@st.composite
def mutated(draw) -> dict:
    data = copy.deepcopy(draw(rulebooks()))
    rnd = draw(st.randoms(use_true_random=True))  # uniform picks, not biased to the first
    paths = [p for p, _ in _paths(data) if p]
    kind = draw(st.sampled_from(["wrong_type", "delete", "unknown", "reference"]))
    path = rnd.choice(paths)
    parent = _parent(data, path)
    if kind == "wrong_type":
        parent[path[-1]] = draw(WRONG_VALUES)
    elif kind == "delete":
        del parent[path[-1]]
    elif kind == "unknown":
        target = parent if isinstance(parent, dict) else data
        target[draw(ids.filter(lambda s: s not in target)) + "x"] = draw(WRONG_VALUES)
    else:  # point a reference somewhere that does not exist
        refs = [p for p, v in _paths(data) if isinstance(v, str) and p and (
            p[-1] in ("list", "source")  # a measure's list, any `source:` citation
            or (len(p) >= 2 and p[-2] in ("sources", "behaviours", "grades"))  # items of id lists
        )]
        assume(refs)
        rp = rnd.choice(refs)
        _parent(data, rp)[rp[-1]] = "undefined-" + draw(ids)
    return data


@SETTINGS
@given(mutated(), st.sampled_from([False, None]))
def test_mutated_rulebooks_fail_cleanly(data, flow):
    assert_loads_or_fails_cleanly(dump(data, flow))


@SETTINGS
@given(rulebooks())
def test_broken_references_are_reported(data):
    behaviours = [b for b in data["behaviours"] if b.get("sources")]
    assume(behaviours)
    behaviours[0]["sources"][0] = "zz-missing"
    assert assert_loads_or_fails_cleanly(dump(data)) is None


# ---------------------------------------------------------------- mutations of the text


@st.composite
def mutated_text(draw) -> str | bytes:
    src = dump(draw(rulebooks()), draw(st.sampled_from([False, None])))
    lines = src.splitlines(keepends=True)
    rnd = draw(st.randoms(use_true_random=True))  # uniform positions, not biased to the start
    kind = draw(st.sampled_from(["duplicate_line", "truncate", "insert", "replace_bytes", "delete_line"]))
    if kind == "duplicate_line":
        i = rnd.randrange(len(lines))
        return "".join(lines[: i + 1] + [lines[i]] + lines[i + 1:])
    if kind == "delete_line":
        i = rnd.randrange(len(lines))
        return "".join(lines[:i] + lines[i + 1:])
    if kind == "truncate":
        return src[: rnd.randrange(len(src) + 1)]
    if kind == "insert":
        i = rnd.randrange(len(src) + 1)
        junk = draw(st.sampled_from([":", "- ", "{", "]", "\t", "&a ", "*a", "!!binary ", "? ", "'", "\n  x: 1\n", "%YAML 1.1\n---\n"]))
        return src[:i] + junk + src[i:]
    raw = bytearray(src.encode())
    for _ in range(draw(st.integers(1, 5))):
        raw[rnd.randrange(len(raw))] = draw(st.integers(0, 255))
    return bytes(raw)


@SETTINGS
@given(mutated_text())
def test_mutated_text_fails_cleanly(src):
    assert_loads_or_fails_cleanly(src)


@SETTINGS
@given(rulebooks())
def test_duplicate_key_lines_are_rejected(data):
    src = dump(data)
    lines = src.splitlines(keepends=True)
    # a top-level scalar key line, e.g. '  name: x' under metadata
    i = next(i for i, ln in enumerate(lines) if ln.startswith("  name: "))
    assert assert_loads_or_fails_cleanly("".join(lines[: i + 1] + [lines[i]] + lines[i + 1:])) is None


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400) | st.text(max_size=400))
def test_random_input_fails_cleanly(src):
    assert_loads_or_fails_cleanly(src)
