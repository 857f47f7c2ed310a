"""Network measures agree with networkx on small graphs."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scslab.society import Network, SocietySpec, make_society
from scslab.society import measures as ms


def _to_nx(net: Network, attrs: dict[str, np.ndarray] | None = None) -> nx.Graph:
    g = nx.Graph()
    g.add_nodes_from(range(net.n))
    s, d = net.edges()
    g.add_edges_from(zip(s.tolist(), d.tolist(), strict=True))
    for name, vals in (attrs or {}).items():
        nx.set_node_attributes(g, {i: vals[i].item() for i in range(net.n)}, name)
    return g


@pytest.fixture(scope="module")
def small():
    return make_society(SocietySpec(n=1_500, municipalities=3), seed=2)


def test_against_networkx_on_generated(small):
    pop, net = small.population, small.network
    g = _to_nx(net, {"virtue": pop.virtue.astype(np.float64), "group": pop.group,
                     "m": pop.municipality})
    assert ms.mean_degree(net) == pytest.approx(2 * g.number_of_edges() / g.number_of_nodes())
    assert ms.average_clustering(net) == pytest.approx(nx.average_clustering(g), abs=1e-12)
    lc = nx.clustering(g)
    assert ms.local_clustering(net) == pytest.approx([lc[i] for i in range(net.n)], abs=1e-12)
    assert ms.numeric_assortativity(net, pop.virtue.astype(np.float64)) == pytest.approx(
        nx.numeric_assortativity_coefficient(g, "virtue"), abs=1e-9)
    assert ms.categorical_assortativity(net, pop.group) == pytest.approx(
        nx.attribute_assortativity_coefficient(g, "group"), abs=1e-9)
    cross = sum(g.nodes[a]["m"] != g.nodes[b]["m"] for a, b in g.edges) / g.number_of_edges()
    assert ms.cross_share(net, pop.municipality) == pytest.approx(cross)


def test_inactive_ties_are_not_counted(small):
    net = small.network.copy()
    net.set_citizen_ties_active(np.arange(0, 1_500, 7), False)
    g = _to_nx(net)
    assert ms.mean_degree(net) == pytest.approx(2 * g.number_of_edges() / net.n)
    assert ms.average_clustering(net) == pytest.approx(nx.average_clustering(g), abs=1e-12)


def test_sampled_clustering_is_close():
    s = make_society(SocietySpec(n=30_000), seed=1)
    exact = ms.average_clustering(s.network, sample=0)
    approx = ms.average_clustering(s.network, sample=5_000, seed=3)
    assert approx == pytest.approx(exact, abs=0.02)


@settings(max_examples=30, deadline=None)
@given(
    n=st.integers(3, 40),
    p=st.floats(0.05, 0.6),
    seed=st.integers(0, 10_000),
)
def test_against_networkx_on_random_graphs(n, p, seed):
    g = nx.gnp_random_graph(n, p, seed=seed)
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    lab = rng.integers(0, 3, size=n)
    nx.set_node_attributes(g, {i: float(x[i]) for i in range(n)}, "x")
    nx.set_node_attributes(g, {i: int(lab[i]) for i in range(n)}, "c")
    e = np.array(list(g.edges), dtype=np.int64).reshape(-1, 2)
    net = Network.from_edges(n, e[:, 0], e[:, 1])
    net.check()
    assert ms.average_clustering(net) == pytest.approx(nx.average_clustering(g), abs=1e-12)
    if g.number_of_edges() >= 2:
        want = nx.numeric_assortativity_coefficient(g, "x")
        got = ms.numeric_assortativity(net, x)
        assert (np.isnan(want) and np.isnan(got)) or got == pytest.approx(want, abs=1e-9)
        want_c = nx.attribute_assortativity_coefficient(g, "c")
        got_c = ms.categorical_assortativity(net, lab)
        assert (np.isnan(want_c) and np.isnan(got_c)) or got_c == pytest.approx(want_c, abs=1e-9)


def test_summary_keys(small):
    out = small.summary()
    for key in ("mean_degree", "avg_clustering", "er_clustering", "assort_group",
                "assort_virtue", "cross_municipality_share"):
        assert np.isfinite(out[key])
