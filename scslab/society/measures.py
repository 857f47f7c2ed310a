"""Network measures the generator is checked against (and the metrics reuse).

All count active ties only. Definitions follow networkx, so the tests compare against it:
average local clustering counts citizens with fewer than two ties as 0; assortativity is
Newman's (Pearson over tie endpoints for numbers, the mixing-matrix r for categories).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .network import Network

EXACT_CLUSTERING_MAX_N = 200_000


def mean_degree(net: Network) -> float:
    return 2.0 * net.n_active_ties / max(net.n, 1)


def local_clustering(net: Network, nodes: np.ndarray | None = None) -> np.ndarray:
    """Local clustering coefficient of each node in ``nodes`` (all when None), float64."""
    nodes = np.arange(net.n, dtype=np.int64) if nodes is None else net._ids(nodes)
    return _local_clustering(net.indptr, net.indices, net.active, nodes)


def average_clustering(net: Network, sample: int | None = None, seed: int = 0) -> float:
    """Average local clustering: exact up to EXACT_CLUSTERING_MAX_N citizens (or when
    ``sample`` is 0), else over ``sample`` (default 20,000) citizens drawn uniformly."""
    n = net.n
    if n == 0:
        return 0.0
    if sample is None:
        sample = 0 if n <= EXACT_CLUSTERING_MAX_N else 20_000
    nodes = None
    if sample and sample < n:
        nodes = np.random.default_rng(seed).choice(n, size=sample, replace=False)
    return float(local_clustering(net, nodes).mean())


def numeric_assortativity(net: Network, values: np.ndarray) -> float:
    """Pearson correlation of ``values`` across the two ends of each tie."""
    v = np.ascontiguousarray(values, dtype=np.float64)
    if v.shape != (net.n,):
        raise ValueError(f"values must have one entry per citizen ({net.n})")
    s, ss, sxy, m = _endpoint_sums(net.indptr, net.indices, net.active, v)
    if m == 0:
        return float("nan")
    mean = s / m
    var = ss / m - mean * mean
    if var <= 0:
        return float("nan")
    return float((sxy / m - mean * mean) / var)


def mixing_matrix(net: Network, labels: np.ndarray, k: int | None = None) -> np.ndarray:
    """Share of tie ends (both directions) from category a to b; sums to 1."""
    lab = np.ascontiguousarray(labels, dtype=np.int64)
    if lab.shape != (net.n,):
        raise ValueError(f"labels must have one entry per citizen ({net.n})")
    if lab.size and lab.min() < 0:
        raise ValueError("labels must be non-negative integers")
    k = max(int(lab.max(initial=0)) + 1, 1 if k is None else k)
    e = _mixing(net.indptr, net.indices, net.active, lab, k)
    total = e.sum()
    return e / total if total else e


def categorical_assortativity(net: Network, labels: np.ndarray) -> float:
    """Newman's r = (tr e - sum e^2) / (1 - sum e^2) over the mixing matrix e."""
    e = mixing_matrix(net, labels)
    s = float((e @ e).sum())
    if s >= 1.0:
        return float("nan")
    return float((np.trace(e) - s) / (1.0 - s))


def cross_share(net: Network, labels: np.ndarray) -> float:
    """Share of ties whose two ends carry different labels (e.g. municipalities)."""
    e = mixing_matrix(net, labels)
    return float(1.0 - np.trace(e))


def summary(net: Network, pop=None, sample: int | None = None) -> dict[str, float]:
    """Headline statistics of a network (and of homophily when ``pop`` is given)."""
    deg = net.degree
    out = {
        "n": float(net.n),
        "ties": float(net.n_active_ties),
        "mean_degree": mean_degree(net),
        "degree_sd": float(deg.std()) if deg.size else 0.0,
        "max_degree": float(deg.max()) if deg.size else 0.0,
        "isolated_share": float(np.mean(deg == 0)) if deg.size else 0.0,
        "avg_clustering": average_clustering(net, sample),
        "er_clustering": mean_degree(net) / max(net.n - 1, 1),
    }
    if pop is not None:
        out["assort_group"] = categorical_assortativity(net, pop.group)
        out["assort_virtue"] = numeric_assortativity(net, pop.virtue)
        out["assort_log_income"] = numeric_assortativity(net, np.log(pop.income))
        out["cross_municipality_share"] = (
            cross_share(net, pop.municipality) if len(pop.municipality_names) > 1 else 0.0
        )
    return out


@njit(cache=True)
def _local_clustering(indptr, indices, active, nodes):
    n = indptr.shape[0] - 1
    mark = np.zeros(n, dtype=np.bool_)
    out = np.zeros(nodes.shape[0], dtype=np.float64)
    for k in range(nodes.shape[0]):
        i = nodes[k]
        d = 0
        for p in range(indptr[i], indptr[i + 1]):
            if active[p]:
                mark[indices[p]] = True
                d += 1
        if d >= 2:
            t = 0
            for p in range(indptr[i], indptr[i + 1]):
                if not active[p]:
                    continue
                j = indices[p]
                for q in range(indptr[j], indptr[j + 1]):
                    if active[q] and mark[indices[q]]:
                        t += 1
            out[k] = t / (d * (d - 1.0))  # each triangle counted twice
        for p in range(indptr[i], indptr[i + 1]):
            mark[indices[p]] = False
    return out


@njit(cache=True)
def _endpoint_sums(indptr, indices, active, v):
    s = 0.0
    ss = 0.0
    sxy = 0.0
    m = 0
    for i in range(indptr.shape[0] - 1):
        for p in range(indptr[i], indptr[i + 1]):
            if active[p]:
                x = v[i]
                s += x
                ss += x * x
                sxy += x * v[indices[p]]
                m += 1
    return s, ss, sxy, m


@njit(cache=True)
def _mixing(indptr, indices, active, lab, k):
    e = np.zeros((k, k), dtype=np.float64)
    for i in range(indptr.shape[0] - 1):
        for p in range(indptr[i], indptr[i + 1]):
            if active[p]:
                e[lab[i], lab[indices[p]]] += 1.0
    return e
