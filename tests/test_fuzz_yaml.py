"""Hostile YAML documents: each is accepted or refused with located messages, in bounded memory.

The documents live in fuzz/corpus.py (shared with the atheris harness). Every entry point
that reads a rulebook is tried: parse_rulebook (bytes), load_rulebook (a file), the audit's
file entry point, and a few through the CLI (exit 2, no traceback). The bombs run in a
subprocess that measures their peak memory.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from scslab.audit import audit, audit_file, load_relatedness
from scslab.rulebook import Rulebook, RulebookError, load_rulebook, parse_rulebook

ROOT = Path(__file__).resolve().parents[1]


def _corpus():
    spec = importlib.util.spec_from_file_location("scslab_fuzz_corpus", ROOT / "fuzz" / "corpus.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


corpus = _corpus()
DOCS = corpus.documents()
SMALL = sorted(k for k in DOCS if k not in corpus.BOMBS)


def assert_clean_refusal(e: RulebookError, name: str) -> None:
    """Every problem names the file, a line (or the file as a whole) and says something short."""
    assert e.problems
    for p in e.problems:
        assert p.file == name
        assert p.line >= 1 or (p.line == 0 and p.column == 0), str(p)
        assert p.message.strip() and len(p.message) < 400, str(p)[:500]
        assert "Traceback" not in p.message and "object at 0x" not in p.message
    assert len(str(e).splitlines()) == len(e.problems)


def accepted_or_refused(fn, name: str) -> Rulebook | None:
    try:
        return fn()
    except RulebookError as e:
        assert_clean_refusal(e, name)
        return None


@pytest.mark.parametrize("key", SMALL)
def test_hostile_document_through_every_file_entry_point(key, tmp_path):
    raw = DOCS[key]
    f = tmp_path / "rb.yaml"
    f.write_bytes(raw)
    rb = accepted_or_refused(lambda: parse_rulebook(raw, "rb.yaml"), "rb.yaml")
    rb_file = accepted_or_refused(lambda: load_rulebook(f), str(f))
    report = accepted_or_refused(lambda: audit_file(f), str(f))
    assert (rb is None) == (rb_file is None) == (report is None)
    if rb is not None:
        assert rb == rb_file
        for finding in report.findings:
            assert finding.line >= 1 and finding.code


@pytest.mark.parametrize("key,line,fragment", [
    ("billion_laughs", 6, "alias bomb"),
    ("merge_bomb", None, "alias bomb"),
    ("self_alias_map", 1, "infinite"),
    ("self_merge", 1, "infinite"),
    ("mutual_alias", 1, "infinite"),
    ("nan", 19, "finite"),
    ("inf", 19, "finite"),
    ("huge_int", 19, "too large"),
    ("huge_float", 19, "with a dot and a sign"),
    ("timestamp_tag", 6, "not a valid timestamp"),
    ("python_name", 1, "could not determine a constructor"),
    ("python_object", 1, "tag '!!python/object:os.system' is not allowed"),
    ("python_apply", 1, "is not allowed"),
    ("set_tag", 1, "tag '!!set' is not allowed"),
    ("local_tag", 1, "could not determine a constructor"),
    ("binary_tag", 1, "binary"),
    ("not_utf8", 2, "not UTF-8"),
    ("nul_byte", 1, "not allowed"),
    ("tab_indent", 2, "YAML syntax"),
    ("duplicate_top_key", 31, "duplicate key 'scale' (first at line 7)"),
    ("duplicate_after_merge", 2, "duplicate key 'b'"),
    ("merge_scalar", 1, "merge key"),
    ("empty", 1, "empty"),
    ("deep_flow_seq", 1, "nesting"),
    ("over_size_limit", 1, "limit is 5,000,000"),
    ("datetime", 6, "a date and time"),
])
def test_refusal_says_what_and_where(key, line, fragment):
    with pytest.raises(RulebookError) as ei:
        parse_rulebook(DOCS[key], "rb.yaml")
    text = str(ei.value)
    assert fragment in text, text[:300]
    if line is not None:
        assert any(p.line == line for p in ei.value.problems), text[:300]


@pytest.mark.parametrize("tag", ["!!python/object/apply:os.system", "!!python/object/new:os.system",
                                 "!!python/object/apply:builtins.exec"])
def test_python_tags_never_run_code(tag, tmp_path):
    marker = tmp_path / "pwned"
    arg = f"touch {marker}" if "system" in tag else f"open({str(marker)!r}, 'w')"
    doc = f"metadata: {tag} [{json.dumps(arg)}]\n"
    with pytest.raises(RulebookError):
        parse_rulebook(doc)
    assert not marker.exists()


def test_merge_keys_fill_in_and_explicit_keys_win():
    doc = corpus.VALID.replace(
        "scale: {base: 50, min: 0, max: 100}",
        "scale: {<<: [{base: 1, min: 0, max: 100}, {max: 5}], base: 60}")
    rb = parse_rulebook(doc)
    assert (rb.scale.base, rb.scale.min, rb.scale.max) == (60, 0, 100)


def test_an_unreadable_path_is_refused_cleanly(tmp_path):
    for target in (tmp_path / "missing.yaml", tmp_path):
        with pytest.raises(RulebookError) as ei:
            load_rulebook(target)
        assert_clean_refusal(ei.value, str(target))
        with pytest.raises(RulebookError):
            audit_file(target)


def test_audit_of_every_accepted_document_runs():
    for key in SMALL:
        rb = accepted_or_refused(lambda k=key: parse_rulebook(DOCS[k], "rb.yaml"), "rb.yaml")
        if rb is not None:
            assert audit(rb).rules


# ---------------------------------------------------------------- bombs: memory, in a subprocess

_MEASURE = r"""
import json, sys, time, resource
from scslab.rulebook import parse_rulebook, RulebookError
raw = open(sys.argv[1], "rb").read()
rss = lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
base = rss()  # the interpreter, scslab's loader and the document's bytes
t = time.perf_counter()
try:
    parse_rulebook(raw, "bomb.yaml")
    outcome = "accepted"
except RulebookError as e:
    outcome = str(e).splitlines()[0]
print(json.dumps({"bytes": len(raw), "seconds": round(time.perf_counter() - t, 3),
                  "rss_growth_mb": round(rss() - base, 1), "outcome": outcome[:160]}))
"""


@pytest.mark.parametrize("key", corpus.BOMBS)
def test_bombs_are_refused_in_bounded_memory(key, tmp_path):
    """Each bomb parsed in a fresh process: its peak memory above the process's start is measured."""
    f = tmp_path / "bomb.yaml"
    f.write_bytes(DOCS[key])
    proc = subprocess.run([sys.executable, "-c", _MEASURE, str(f)], capture_output=True, text=True,
                          timeout=600)  # the timeout only catches a hang
    assert proc.returncode == 0, proc.stderr[-2000:]
    m = json.loads(proc.stdout)
    print(f"\n{key:22} {m['bytes']:>10,} B {m['seconds']:6.2f} s  peak RSS +{m['rss_growth_mb']:6.1f} MB"
          f"  {m['outcome'][:60]}")
    assert m["rss_growth_mb"] < 200, m
    if key != "huge_string":  # a 4 MB title within the 5 MB limit is a valid rulebook
        assert m["outcome"] != "accepted", m


# ---------------------------------------------------------------- the CLI

@pytest.mark.parametrize("command,key", [
    ("validate", "billion_laughs"), ("validate", "not_utf8"), ("validate", "timestamp_tag"),
    ("audit", "self_alias_map"), ("audit", "python_apply"), ("audit", "nan"),
    ("run", "empty"), ("run", "duplicate_top_key"), ("run", "merge_bomb"),
])
def test_cli_refuses_hostile_files_with_exit_2(command, key, tmp_path):
    f = tmp_path / f"{key}.yaml"
    f.write_bytes(DOCS[key])
    args = [command, str(f)] + (["-n", "50", "-t", "2", "--out", str(tmp_path / "run")] if command == "run" else [])
    proc = subprocess.run([sys.executable, "-m", "scslab.cli", *args], capture_output=True, text=True,
                          timeout=120, cwd=tmp_path)
    both = proc.stdout + proc.stderr
    assert proc.returncode == 2, both[-1500:]
    assert "Traceback" not in both
    assert f"{f}:" in proc.stderr  # located: file:line:col
    assert not (tmp_path / "run").exists()


def _special_files(tmp_path):
    fifo = tmp_path / "fifo.yaml"
    os.mkfifo(fifo)  # opening it for reading would block until a writer comes
    big = tmp_path / "big.yaml"
    with open(big, "wb") as f:
        f.truncate(50 * 2**30)  # a sparse 50 GB file: reading it whole would exhaust memory
    return [(Path("/dev/zero"), "not a regular file"), (fifo, "not a regular file"),
            (big, "larger than 5,000,000 bytes")]


def test_devices_pipes_and_huge_files_are_refused_without_reading_them(tmp_path):
    for path, fragment in _special_files(tmp_path):
        if not path.exists():
            continue
        for read in (load_rulebook, audit_file, load_relatedness):
            with pytest.raises(RulebookError) as ei:
                read(path)
            assert fragment in str(ei.value), str(ei.value)
            assert_clean_refusal(ei.value, str(path))
