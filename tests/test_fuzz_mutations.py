"""Hypothesis fuzzing of the loader, the audit and the engine with hostile mutations.

Four generators, each starting from a valid rulebook:
- text: hostile YAML tokens (anchors, aliases, merge keys, tags, NaN, huge numbers,
  control characters, tabs, brackets) spliced in at random places;
- bytes: random bytes inserted, deleted or overwritten, and truncation anywhere;
- lines: lines deleted, duplicated, swapped or re-indented;
- values: one field anywhere replaced by a hostile value, then dumped as YAML; what still
  validates is audited and simulated on a tiny society.
Every document must give a Rulebook or a RulebookError whose problems are located within
the document. `SCSLAB_FUZZ=long` runs many more examples (see docs/reliability.md).
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import math
import os
from pathlib import Path

import numpy as np
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from scslab.audit import audit_text
from scslab.engine import simulate
from scslab.rulebook import Rulebook, RulebookError, parse_rulebook

LONG = os.environ.get("SCSLAB_FUZZ") == "long"
ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("scslab_fuzz_corpus", ROOT / "fuzz" / "corpus.py")
corpus = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(corpus)

VALID = corpus.VALID.encode()
HARSH = (ROOT / "tests" / "data" / "harsh.yaml").read_bytes()


def fuzz_settings(n: int, long_n: int):
    return settings(max_examples=long_n if LONG else n, deadline=None, derandomize=not LONG,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.filter_too_much])


TOKENS = [
    "&a ", "*a", "&a [*a]", "<<: *a", "<<: 5", "<<: [1]", "!!python/object/apply:os.system ['true'] ",
    "!!binary AAAA", "!!timestamp x", "!!float x", "!!int 1.5", "!foo ", "!!set {a}", "!!omap [a: 1]",
    ".nan", "-.inf", "1.0e+400", "9" * 60, "0x" + "f" * 50, "-0", "1:2:3", "~", "null", "yes", "no",
    "2020-02-31", "0000-01-01", "\t", "\x00", "\x07", "\ufeff", "\u2028", "\ud7ff", "'", '"', "{", "}",
    "[", "]", ",", ":", ": ", "- ", "? ", "#", "|", ">", "%YAML 1.1\n", "---\n", "...\n", "\n", "\r",
    "\\", "@", "`", "\U0001f600", "x" * 300, "{a: 1, a: 2}", "[" * 40, "{x: " * 30,
]


def splice(doc: bytes, pos: float, token: str) -> bytes:
    i = int(pos * len(doc))
    return doc[:i] + token.encode("utf-8", "surrogatepass") + doc[i:]


def max_lines(raw: bytes) -> int:
    """An upper bound on the line numbers in raw: YAML also breaks lines at NEL, LS and PS."""
    text = raw.decode("utf-8", "replace")
    return sum(text.count(c) for c in "\n\r\x85\u2028\u2029") + 2


def outcome(raw: bytes, name: str = "fz.yaml") -> Rulebook | None:
    """The document's fate: a Rulebook, or None after checking the error is well formed."""
    try:
        rb = parse_rulebook(raw, name)
        event("accepted")
        return rb
    except RulebookError as e:
        event("refused")
        n_lines = max_lines(raw)
        assert e.problems
        for p in e.problems:
            assert p.file == name
            assert 1 <= p.line <= n_lines and p.column >= 1, (str(p)[:300], n_lines)
            assert p.message.strip() and len(p.message) < 400
        return None


@fuzz_settings(150, 5000)
@given(st.sampled_from([VALID, HARSH]),
       st.lists(st.tuples(st.floats(0, 1), st.sampled_from(TOKENS)), min_size=1, max_size=4))
def test_hostile_tokens_anywhere(doc, edits):
    for pos, tok in edits:
        doc = splice(doc, pos, tok)
    outcome(doc)


@fuzz_settings(150, 5000)
@given(st.sampled_from([VALID, HARSH]),
       st.lists(st.tuples(st.sampled_from(["insert", "delete", "overwrite", "truncate"]),
                          st.floats(0, 1), st.binary(min_size=1, max_size=8)), min_size=1, max_size=5))
def test_byte_mutations(doc, edits):
    for op, pos, data in edits:
        i = int(pos * len(doc))
        if op == "insert":
            doc = doc[:i] + data + doc[i:]
        elif op == "delete":
            doc = doc[:i] + doc[i + len(data):]
        elif op == "overwrite":
            doc = doc[:i] + data + doc[i + len(data):]
        else:
            doc = doc[:i]
    outcome(doc)


@fuzz_settings(100, 3000)
@given(st.sampled_from([VALID, HARSH]),
       st.lists(st.tuples(st.sampled_from(["delete", "duplicate", "swap", "indent", "dedent"]),
                          st.floats(0, 1), st.floats(0, 1)), min_size=1, max_size=4))
def test_line_mutations(doc, edits):
    lines = doc.split(b"\n")
    for op, a, b in edits:
        if not lines:
            break
        i, j = int(a * (len(lines) - 1)), int(b * (len(lines) - 1))
        if op == "delete":
            del lines[i]
        elif op == "duplicate":
            lines.insert(j, lines[i])
        elif op == "swap":
            lines[i], lines[j] = lines[j], lines[i]
        elif op == "indent":
            lines[i] = b"  " + lines[i]
        else:
            lines[i] = lines[i][2:] if lines[i].startswith(b"  ") else lines[i]
    raw = b"\n".join(lines)
    rb = outcome(raw)
    if rb is not None:  # the audit's text entry point reaches the same verdict
        assert audit_text(raw, "fz.yaml").rulebook == rb


# ---------------------------------------------------------------- value-level mutations

HOSTILE_VALUES = st.one_of(
    st.sampled_from([None, True, False, 0, -1, 1, 2, -(10**15), 10**15, 0.5, 1.0, 1e-300, -1e300, 1e300,
                     "", " ", "x" * 5000, "\u202e", "a b", "AAA", "default", [], {}, [[]], [{}], {"a": {}},
                     dt.date(1, 1, 1), dt.date(9999, 12, 31), 36500, 36501, 10000, 10001, -10001]),
    st.integers(-(10**16), 10**16),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.recursive(st.none() | st.integers() | st.text(max_size=5),
                 lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=5), c, max_size=3),
                 max_leaves=8),
)


def _paths(x, path=()):
    yield path
    if isinstance(x, dict):
        for k, v in x.items():
            yield from _paths(v, path + (k,))
    elif isinstance(x, list):
        for i, v in enumerate(x):
            yield from _paths(v, path + (i,))


def _set(x, path, value):
    for p in path[:-1]:
        x = x[p]
    x[path[-1]] = value


BASES = [yaml.safe_load(VALID), yaml.safe_load(HARSH)]
PATHS = [[p for p in _paths(b) if p] for b in BASES]


@fuzz_settings(30, 1000)
@given(st.integers(0, 1), st.data(), st.integers(1, 3))
def test_hostile_values_anywhere_then_simulate(which, data, n_edits):
    import copy

    doc = copy.deepcopy(BASES[which])
    for _ in range(n_edits):
        path = data.draw(st.sampled_from(PATHS[which]))
        try:
            _set(doc, path, data.draw(HOSTILE_VALUES))
        except (KeyError, IndexError, TypeError):  # an earlier edit replaced a parent
            pass
        if data.draw(st.integers(0, 3)) == 0 and isinstance(doc, dict):  # sometimes delete a field too
            key = data.draw(st.sampled_from(sorted(doc, key=str)))
            del doc[key]
    try:
        raw = yaml.safe_dump(doc, allow_unicode=True, sort_keys=False).encode()
    except (yaml.YAMLError, ValueError):
        return
    rb = outcome(raw)
    if rb is None:
        return
    event("simulated")
    r = simulate(rb, population=60, steps=4, seed=data.draw(st.integers(0, 2**31)), ledger=True)
    c = r.citizens
    assert c.score.between(rb.scale.min, rb.scale.max).all()
    num = r.steps.select_dtypes("number").to_numpy(dtype=float)
    assert np.isfinite(num).all()
    assert not any(math.isnan(x) for x in c.select_dtypes("number").to_numpy(dtype=float).ravel())
