"""Atomic writes: no temporary files left, old content survives a failure, same data same bytes."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scslab.store.atomic import (
    atomic_path,
    atomic_write_bytes,
    atomic_write_json,
    atomic_write_parquet,
    atomic_write_text,
    json_bytes,
    to_arrow,
)


def frame(n: int = 50, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "step": np.arange(n, dtype=np.int32),
            "municipality": [f"m{i % 3}" for i in range(n)],
            "mean_score": rng.normal(1000, 50, n),
            "listed": rng.integers(0, 2, n).astype(bool),
        }
    )


WRITERS = [
    ("bytes", lambda p: atomic_write_bytes(p, b"new"), b"new"),
    ("text", lambda p: atomic_write_text(p, "new\n"), b"new\n"),
    ("json", lambda p: atomic_write_json(p, {"b": 1, "a": 2}), b'{\n  "a": 2,\n  "b": 1\n}\n'),
]


@pytest.mark.parametrize("kind,write,expected", WRITERS, ids=[w[0] for w in WRITERS])
def test_write_replaces_and_leaves_no_temp_files(tmp_path, kind, write, expected):
    target = tmp_path / "out"
    target.write_bytes(b"old")
    write(target)
    assert target.read_bytes() == expected
    assert os.listdir(tmp_path) == ["out"]


@pytest.mark.parametrize("kind,write,expected", WRITERS, ids=[w[0] for w in WRITERS])
def test_failed_replace_keeps_old_content_and_removes_temp(tmp_path, monkeypatch, kind, write, expected):
    target = tmp_path / "out"
    target.write_bytes(b"old")

    def boom(src, dst):
        raise OSError("disk on fire")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError, match="disk on fire"):
        write(target)
    assert target.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["out"]


def test_failed_parquet_replace_keeps_old_table(tmp_path, monkeypatch):
    target = tmp_path / "t.parquet"
    atomic_write_parquet(target, frame(10, seed=1))
    before = target.read_bytes()
    monkeypatch.setattr(os, "replace", lambda s, d: (_ for _ in ()).throw(OSError("no")))
    with pytest.raises(OSError):
        atomic_write_parquet(target, frame(20, seed=2))
    assert target.read_bytes() == before
    assert pq.read_table(target).num_rows == 10
    assert os.listdir(tmp_path) == ["t.parquet"]


def test_failure_inside_the_body_removes_the_temp_file(tmp_path):
    target = tmp_path / "x"
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_bytes(b"half")
        raise RuntimeError("writer crashed")
    assert os.listdir(tmp_path) == []


def test_unserialisable_json_writes_nothing(tmp_path):
    target = tmp_path / "m.json"
    target.write_text("old")
    with pytest.raises(ValueError):
        atomic_write_json(target, {"x": float("nan")})  # NaN is not JSON
    with pytest.raises(TypeError):
        atomic_write_json(target, {"x": object()})
    assert target.read_text() == "old"
    assert os.listdir(tmp_path) == ["m.json"]


def test_files_get_ordinary_permissions(tmp_path):
    old = os.umask(0o022)
    try:
        atomic_write_bytes(tmp_path / "f", b"x")
    finally:
        os.umask(old)
    assert (tmp_path / "f").stat().st_mode & 0o777 == 0o644


def test_json_is_canonical_and_converts_numpy():
    data = {"seed": np.int64(3), "share": np.float32(0.5), "arr": np.arange(3), "tags": {"b", "a"}}
    text = json_bytes(data).decode()
    assert text.endswith("}\n")
    assert json.loads(text) == {"arr": [0, 1, 2], "seed": 3, "share": 0.5, "tags": ["a", "b"]}
    assert list(json.loads(text)) == sorted(data)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=50, deadline=None)
@given(st.dictionaries(st.text(max_size=8), json_values, max_size=8), st.randoms())
def test_json_bytes_ignore_key_order(d, rnd):
    items = list(d.items())
    rnd.shuffle(items)
    assert json_bytes(dict(items)) == json_bytes(d)
    assert json.loads(json_bytes(d)) == d


def test_parquet_is_byte_deterministic(tmp_path):
    df = frame(1000)
    atomic_write_parquet(tmp_path / "a.parquet", df)
    atomic_write_parquet(tmp_path / "b.parquet", df.copy())
    # The same data given as Arrow or as a mapping of columns gives the same bytes too:
    # the pandas metadata (which embeds the pandas version) is not written.
    atomic_write_parquet(tmp_path / "c.parquet", pa.Table.from_pandas(df, preserve_index=False))
    atomic_write_parquet(tmp_path / "d.parquet", {c: df[c] for c in df.columns})
    a = (tmp_path / "a.parquet").read_bytes()
    for other in "bcd":
        assert (tmp_path / f"{other}.parquet").read_bytes() == a
    assert b"pandas" not in (pq.read_schema(tmp_path / "a.parquet").metadata or {})
    pd.testing.assert_frame_equal(pq.read_table(tmp_path / "a.parquet").to_pandas(), df)


def test_parquet_bytes_are_the_same_in_another_process(tmp_path):
    # Guards against anything process-specific (time, pid, addresses) reaching the file.
    here = tmp_path / "here.parquet"
    there = tmp_path / "there.parquet"
    atomic_write_parquet(here, frame(200))
    code = (
        "import sys; sys.path.insert(0, sys.argv[2]);"
        "from tests.test_store_atomic import frame;"
        "from scslab.store.atomic import atomic_write_parquet;"
        "atomic_write_parquet(sys.argv[1], frame(200))"
    )
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    subprocess.run([sys.executable, "-c", code, str(there), root], check=True, cwd=root)
    assert here.read_bytes() == there.read_bytes()


columns = st.fixed_dictionaries(
    {
        "i": st.lists(st.integers(-(2**62), 2**62), min_size=1, max_size=30),
    }
).flatmap(
    lambda d: st.fixed_dictionaries(
        {
            "i": st.just(d["i"]),
            "f": st.lists(st.floats(allow_nan=True), min_size=len(d["i"]), max_size=len(d["i"])),
            "s": st.lists(st.none() | st.text(max_size=6), min_size=len(d["i"]), max_size=len(d["i"])),
        }
    )
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(columns)
def test_parquet_round_trips_and_is_deterministic(tmp_path, cols):
    df = pd.DataFrame(cols)
    atomic_write_parquet(tmp_path / "a.parquet", df)
    atomic_write_parquet(tmp_path / "b.parquet", df)
    assert (tmp_path / "a.parquet").read_bytes() == (tmp_path / "b.parquet").read_bytes()
    back = pq.read_table(tmp_path / "a.parquet")
    assert back.equals(to_arrow(df))


def test_a_meaningful_index_is_kept_as_columns():
    df = frame(6).set_index(["municipality", "step"])
    t = to_arrow(df)
    assert t.column_names[:2] == ["municipality", "step"]
    assert "__index_level_0__" not in t.column_names
    # a default RangeIndex carries nothing and is dropped
    assert to_arrow(frame(6)).column_names == list(frame(6).columns)


def test_to_arrow_refuses_other_things():
    with pytest.raises(TypeError, match="pyarrow Table"):
        to_arrow([1, 2, 3])
