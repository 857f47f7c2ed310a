"""Network metrics (C5, C6) against networkx and graphs with known answers."""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scslab.metrics.network import assortativity, isolation, neighbourhood, top_closure


def _edges(G):
    e = np.array([(min(a, b), max(a, b)) for a, b in G.edges()], dtype=np.int64)
    return e[:, 0], e[:, 1]


@settings(max_examples=30, deadline=None)
@given(st.integers(10, 60), st.floats(0.05, 0.4), st.integers(0, 10_000))
def test_assortativity_matches_networkx(n, p, seed):
    G = nx.gnp_random_graph(n, p, seed=seed)
    rng = np.random.default_rng(seed)
    score = rng.normal(size=n)
    nx.set_node_attributes(G, {i: float(score[i]) for i in G.nodes}, "score")
    if G.number_of_edges() < 2:
        return
    src, dst = _edges(G)
    assert assortativity(score, src, dst) == pytest.approx(nx.numeric_assortativity_coefficient(G, "score"), abs=1e-9)


def test_assortativity_known_graphs():
    # Two cliques, one all high and one all low: perfectly assortative.
    G = nx.disjoint_union(nx.complete_graph(4), nx.complete_graph(4))
    score = np.array([1.0] * 4 + [0.0] * 4)
    assert assortativity(score, *_edges(G)) == pytest.approx(1.0)
    # A star whose hub differs from every leaf: perfectly disassortative.
    G = nx.star_graph(5)
    score = np.array([1.0] + [0.0] * 5)
    assert assortativity(score, *_edges(G)) == pytest.approx(-1.0)
    # A flat score has no correlation to speak of.
    assert math.isnan(assortativity(np.ones(6), *_edges(G)))


def test_top_closure_on_a_closed_elite():
    # 20 citizens; the top two (ids 18, 19) are tied only to each other.
    score = np.arange(20, dtype=float)
    src = np.array([18] + list(range(0, 17)))
    dst = np.array([19] + list(range(1, 18)))
    out = top_closure(score, src, dst)
    assert out["top_share"] == pytest.approx(0.1)
    assert out["closure"] == 1.0
    # p = 2 top ends out of 36 -> expected p / (2 - p)
    p = 2 / 36
    assert out["expected"] == pytest.approx(p / (2 - p))
    assert out["excess"] == pytest.approx(1.0 - p / (2 - p))


def test_top_closure_with_a_flat_score_has_no_top():
    out = top_closure(np.ones(10), np.array([0, 1]), np.array([1, 2]))
    assert out["top_share"] == 0.0 and math.isnan(out["closure"])


def test_isolation_of_the_listed():
    d0 = np.array([10, 10, 10, 10, 0])
    d1 = np.array([5, 5, 9, 10, 0])  # the two listed lost half their ties; the rest 5% on average
    listed = np.array([True, True, False, False, True])
    assert isolation(d0, d1, listed) == pytest.approx(0.5 - 0.05)
    assert math.isnan(isolation(d0, d1, np.zeros(5, bool)))


def test_neighbourhood_radius_and_cap():
    G = nx.path_graph(10)
    src, dst = _edges(G)
    assert set(neighbourhood(src, dst, 5, radius=2).tolist()) == {3, 4, 5, 6, 7}
    assert len(neighbourhood(src, dst, 5, radius=5, max_nodes=4)) == 4
