"""The network generator and the Network helpers."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scslab.society import Network, SocietySpec, make_network, make_society
from scslab.society import measures as ms
from scslab.society.spec import max_clustering


def _edge_set(net: Network, active_only: bool = True) -> set[tuple[int, int]]:
    s, d = net.edges(active_only)
    return set(zip(s.tolist(), d.tolist(), strict=True))


@pytest.fixture(scope="module")
def soc():
    return make_society(SocietySpec(n=40_000, municipalities=4), seed=11)


def test_invariants(soc):
    net = soc.network
    net.check()
    assert net.indptr.dtype == np.int64 and net.indices.dtype == np.int32
    assert net.active.all()
    # Symmetric, no loops, no repeats: same checks done independently with scipy.
    a = net.to_scipy()
    assert (a != a.T).nnz == 0
    assert a.diagonal().sum() == 0
    assert a.max() == 1
    assert net.n_ties == net.indices.size // 2 == a.nnz // 2


def test_determinism():
    spec = SocietySpec(n=4_000, municipalities=2)
    a, b = make_society(spec, 5), make_society(spec, 5)
    assert np.array_equal(a.network.indptr, b.network.indptr)
    assert np.array_equal(a.network.indices, b.network.indices)
    c = make_society(spec, 6)
    assert not np.array_equal(a.network.indices[:1000], c.network.indices[:1000])
    # The network has its own stream: same population, other seed -> other ties.
    d = make_network(a.population, spec, 6)
    assert not np.array_equal(a.network.indices[:1000], d.indices[:1000])


def test_mean_degree_and_clustering(soc):
    k = ms.mean_degree(soc.network)
    assert k == pytest.approx(12, rel=0.1)
    c = ms.average_clustering(soc.network)
    assert soc.spec.network.clustering_target == 0.25
    assert c == pytest.approx(0.25, abs=0.03)
    er = k / (soc.n - 1)
    assert c > 100 * er


@pytest.mark.parametrize("k, c", [(4, 0.1), (20, 0.35), (40, 0.05)])
def test_other_degree_and_clustering(k, c):
    spec = SocietySpec(n=20_000, network={"mean_degree": k, "clustering": c})
    s = make_society(spec, 1)
    assert ms.mean_degree(s.network) == pytest.approx(k, rel=0.1)
    assert ms.average_clustering(s.network) == pytest.approx(c, abs=0.04)


def test_homophily(soc):
    pop, net = soc.population, soc.network
    assert ms.categorical_assortativity(net, pop.group) > 0.4
    assert ms.numeric_assortativity(net, pop.virtue) > 0.08
    assert ms.numeric_assortativity(net, np.log(pop.income)) > 0.08
    # Without homophily the same measures are near zero.
    spec0 = SocietySpec(n=40_000, network={"homophily_group": 0.0, "homophily_virtue": 0.0,
                                           "homophily_income": 0.0})
    s0 = make_society(spec0, 11)
    assert abs(ms.categorical_assortativity(s0.network, s0.population.group)) < 0.03
    assert abs(ms.numeric_assortativity(s0.network, s0.population.virtue)) < 0.03


@pytest.mark.parametrize("share", [0.0, 0.05, 0.2])
def test_cross_municipality_share(share):
    spec = SocietySpec(n=30_000, municipalities=5, municipality_shares=[0.4, 0.3, 0.1, 0.1, 0.1],
                       network={"cross_municipality_share": share})
    s = make_society(spec, 3)
    got = ms.cross_share(s.network, s.population.municipality)
    assert got == pytest.approx(share, abs=0.01)


def test_default_clustering_is_capped_by_degree():
    spec = SocietySpec(n=3_000, network={"mean_degree": 2})
    assert spec.network.clustering_target == 0.0
    s = make_society(spec, 1)
    assert ms.mean_degree(s.network) == pytest.approx(2, rel=0.1)


def test_single_municipality_ignores_cross_share():
    s = make_society(SocietySpec(n=2_000, network={"cross_municipality_share": 0.3}), 1)
    assert ms.mean_degree(s.network) == pytest.approx(12, rel=0.1)


def test_from_edges_and_helpers():
    net = Network.from_edges(6, [0, 1, 1, 3, 4, 2, 2], [1, 0, 2, 3, 0, 1, 5])
    net.check()
    assert _edge_set(net) == {(0, 1), (1, 2), (0, 4), (2, 5)}
    assert net.degree.tolist() == [2, 2, 2, 0, 1, 1]
    assert net.neighbours(2).tolist() == [1, 5]
    with pytest.raises(ValueError):
        Network.from_edges(3, [0], [3])


def test_active_ties_stay_symmetric(soc):
    net = soc.network.copy()
    rng = np.random.default_rng(0)
    nodes = rng.choice(net.n, 50, replace=False)
    before = net.degree.copy()
    net.set_citizen_ties_active(nodes, False)
    net.check()
    assert np.all(net.degree[nodes] == 0)
    assert net.n_active_ties < soc.network.n_ties
    assert all(not (set(net.neighbours(i).tolist()) & set(nodes.tolist())) for i in range(100))
    net.set_citizen_ties_active(nodes, True)
    assert np.array_equal(net.degree, before)
    # Pairwise: drop one tie, both copies go.
    s, d = net.edges()
    assert net.set_ties_active(s[:10], d[:10], False) == 10
    net.check()
    assert not (_edge_set(net) & set(zip(s[:10].tolist(), d[:10].tolist(), strict=True)))
    assert net.set_ties_active([0], [0], False) == 0  # no such tie
    # drop_edges: a mask over stored entries.
    mask = np.zeros(net.indices.size, dtype=bool)
    mask[[5, 500, 5000]] = True
    net.drop_edges(mask)
    net.check()
    assert not net.active[mask].any()
    # scipy view and edges agree with active ties only.
    a = net.to_scipy()
    assert a.nnz == 2 * net.n_active_ties == 2 * len(net.edges()[0])
    assert net.to_scipy(active_only=False).nnz == net.indices.size
    assert soc.network.active.all()  # the copy did not touch the original


def test_subgraph_sample(soc):
    net = soc.network
    ids, sub = net.subgraph_sample(123, radius=2)
    sub.check()
    nb = set(net.neighbours(123).tolist())
    two = set(nb)
    for j in nb:
        two |= set(net.neighbours(j).tolist())
    two.add(123)
    assert set(ids.tolist()) == two
    # The induced ties are exactly the ties among the chosen ids.
    want = {(a, b) for a, b in _edge_set(net) if a in two and b in two}
    s, d = sub.edges()
    assert {(int(ids[a]), int(ids[b])) for a, b in zip(s, d, strict=True)} == want
    ids1, _ = net.subgraph_sample(123, radius=1)
    assert set(ids1.tolist()) == nb | {123}
    ids_cap, _ = net.subgraph_sample(123, radius=3, max_nodes=30)
    assert len(ids_cap) == 30 and nb <= set(ids_cap.tolist())  # nearest first


@settings(max_examples=25, deadline=None)
@given(
    n=st.integers(1, 600),
    m=st.integers(1, 4),
    k=st.floats(2, 50),
    c=st.floats(0, 0.3),
    disp=st.floats(0, 1.5),
    cross=st.floats(0, 0.5),
    seed=st.integers(0, 2**32 - 1),
)
def test_any_small_spec_gives_valid_graph(n, m, k, c, disp, cross, seed):
    c = min(c, max_clustering(k, cross))
    spec = SocietySpec(n=n, municipalities=min(m, n),
                       network={"mean_degree": k, "clustering": c, "degree_dispersion": disp,
                                "cross_municipality_share": cross})
    s = make_society(spec, seed)
    s.network.check()
    assert s.network.n == n
    assert ms.mean_degree(s.network) <= max(n - 1, 0) + 1e-9


def test_bad_ids_are_refused(soc):
    net = soc.network.copy()
    n = net.n
    with pytest.raises(IndexError):
        net.neighbours(n)
    with pytest.raises(IndexError):
        net.neighbours(-1)
    with pytest.raises(IndexError):
        net.set_citizen_ties_active([0, n], False)
    with pytest.raises(IndexError):
        net.set_ties_active([0], [n + 5], False)
    with pytest.raises(ValueError):
        net.set_ties_active([0, 1], [2], False)
    with pytest.raises(IndexError):
        net.subgraph_sample(n)
    with pytest.raises(ValueError):
        net.drop_edges(np.zeros(3, dtype=bool))
    with pytest.raises(ValueError):
        ms.numeric_assortativity(net, np.zeros(n - 1))
    assert net.active.all()


def test_same_arrays_in_a_single_threaded_process():
    """Generation runs serial kernels only: a process limited to one thread agrees."""
    import hashlib
    import os
    import subprocess
    import sys

    code = (
        "import hashlib\n"
        "from scslab.society import SocietySpec, make_society\n"
        "s = make_society(SocietySpec(n=3000, municipalities=2), 9)\n"
        "h = hashlib.sha256()\n"
        "for a in (s.population.virtue, s.population.income, s.population.group,\n"
        "          s.network.indptr, s.network.indices):\n"
        "    h.update(a.tobytes())\n"
        "print(h.hexdigest())\n"
    )
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1",
               NUMBA_NUM_THREADS="1")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True).stdout.strip()
    s = make_society(SocietySpec(n=3000, municipalities=2), 9)
    h = hashlib.sha256()
    for a in (s.population.virtue, s.population.income, s.population.group,
              s.network.indptr, s.network.indices):
        h.update(a.tobytes())
    assert out == h.hexdigest()
