"""The social network: an undirected graph in CSR form, and its generator.

Generator (see docs/society.md): citizens sit on a ring per municipality in neighbourhood
order (``population.py``), so near neighbours on the ring are alike. Each citizen ties to
its next ``reach`` citizens on the ring (a Watts-Strogatz-like lattice: clustering and
homophily), and draws a few long-range ties to partners chosen in proportion to
sociability, inside or (for the configured share) outside its municipality. Pairs are
gathered per row, sorted and deduplicated in place, then mirrored into a symmetric CSR.
Peak memory is about 12 bytes per tie on top of the result's own arrays.

A tie is stored twice (once per endpoint). ``active`` (bool, aligned with ``indices``)
lets the engine drop and restore ties while the CSR structure stays fixed; every helper
keeps it symmetric.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
from numba import njit

from .population import Population, rng_for
from .spec import SocietySpec

NET_STREAM = 1


@dataclass(eq=False)
class Network:
    """An undirected simple graph over citizens ``0..n-1``, in CSR form."""

    indptr: np.ndarray  # int64 (n + 1,)
    indices: np.ndarray  # int32 (2 * ties,), each row sorted ascending
    active: np.ndarray  # bool (2 * ties,), symmetric

    @classmethod
    def from_edges(cls, n: int, src, dst) -> Network:
        """Build from an edge list; loops dropped, repeats and both directions merged."""
        src = np.ascontiguousarray(src, dtype=np.int32)
        dst = np.ascontiguousarray(dst, dtype=np.int32)
        if src.shape != dst.shape:
            raise ValueError("src and dst must have the same length")
        if src.size and (min(src.min(), dst.min()) < 0 or max(src.max(), dst.max()) >= n):
            raise ValueError(f"edge endpoints must lie in 0..{n - 1}")
        return _from_pairs(int(n), [], src, dst)

    @property
    def n(self) -> int:
        return int(self.indptr.shape[0] - 1)

    @property
    def n_ties(self) -> int:
        """Stored undirected ties (active or not)."""
        return int(self.indices.shape[0] // 2)

    @property
    def n_active_ties(self) -> int:
        return int(np.count_nonzero(self.active) // 2)

    @property
    def degree(self) -> np.ndarray:
        """Active ties per citizen (int32)."""
        if self.active.all():
            return np.diff(self.indptr).astype(np.int32)
        return _active_degree(self.indptr, self.active)

    @property
    def nbytes(self) -> int:
        return self.indptr.nbytes + self.indices.nbytes + self.active.nbytes

    def _ids(self, ids, what: str = "citizen ids") -> np.ndarray:
        # The numba kernels do not bounds-check: validate every id that reaches them.
        a = np.ascontiguousarray(ids, dtype=np.int64).reshape(-1)
        if a.size and (a.min() < 0 or a.max() >= self.n):
            raise IndexError(f"{what} must lie in 0..{self.n - 1}")
        return a

    def neighbours(self, i: int, active_only: bool = True) -> np.ndarray:
        """Ids tied to citizen ``i``, ascending."""
        i = int(self._ids([i], "citizen id")[0])
        lo, hi = self.indptr[i], self.indptr[i + 1]
        nb = self.indices[lo:hi]
        return nb[self.active[lo:hi]] if active_only else nb.copy()

    def edges(self, active_only: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """Each undirected tie once, as (src, dst) int32 arrays with src < dst."""
        src = np.repeat(np.arange(self.n, dtype=np.int32), np.diff(self.indptr))
        keep = src < self.indices
        if active_only:
            keep &= self.active
        return src[keep], self.indices[keep]

    def to_scipy(self, active_only: bool = True):
        """A ``scipy.sparse.csr_array`` with 1 per tie (int8 data)."""
        from scipy.sparse import csr_array

        if active_only and not self.active.all():
            indptr, indices = _compress(self.indptr, self.indices, self.active)
        else:
            indptr, indices = self.indptr, self.indices
        data = np.ones(indices.shape[0], dtype=np.int8)
        return csr_array((data, indices, indptr), shape=(self.n, self.n))

    def set_ties_active(self, src, dst, value: bool) -> int:
        """Set both stored copies of ties (src[k], dst[k]); returns how many were found."""
        src, dst = self._ids(src), self._ids(dst)
        if src.shape != dst.shape:
            raise ValueError("src and dst must have the same length")
        return int(_set_pairs(self.indptr, self.indices, self.active, src, dst, bool(value)))

    def set_citizen_ties_active(self, citizens, value: bool) -> None:
        """Drop (value False) or restore (True) every tie of the given citizens."""
        nodes = self._ids(citizens)
        _set_nodes(self.indptr, self.indices, self.active, nodes, bool(value))

    def drop_edges(self, mask: np.ndarray) -> None:
        """Deactivate the stored entries where ``mask`` (aligned with ``indices``) is true,
        and their mirror entries, so the graph stays undirected."""
        mask = np.asarray(mask, dtype=bool)
        if mask.shape != self.indices.shape:
            raise ValueError("mask must align with indices (one flag per stored entry)")
        idx = np.flatnonzero(mask)
        src = np.searchsorted(self.indptr, idx, side="right") - 1
        self.set_ties_active(src, self.indices[idx], False)

    def copy(self) -> Network:
        return Network(self.indptr, self.indices, self.active.copy())

    def subgraph_sample(self, center: int, radius: int = 2, max_nodes: int | None = None,
                        active_only: bool = True) -> tuple[np.ndarray, Network]:
        """Citizens within ``radius`` hops of ``center`` (breadth first, at most
        ``max_nodes``, nearest kept first) and the subgraph they induce.

        Returns (ids, network) where network node k is citizen ids[k]; ids are ascending.
        """
        center = int(self._ids([center], "center")[0])
        if radius < 0:
            raise ValueError("radius must be >= 0")
        cap = self.n if max_nodes is None else max(1, int(max_nodes))
        nodes = _bfs(self.indptr, self.indices, self.active, int(center), int(radius), cap,
                     bool(active_only))
        nodes = np.sort(nodes)
        indptr, indices, active = _induced(self.indptr, self.indices, self.active, nodes,
                                           bool(active_only))
        return nodes.astype(np.int32), Network(indptr, indices, active)

    def check(self) -> None:
        """Raise AssertionError unless the CSR is a valid simple undirected graph."""
        n, ip, ix = self.n, self.indptr, self.indices
        assert ip.dtype == np.int64 and ix.dtype == np.int32 and self.active.dtype == np.bool_
        assert ip[0] == 0 and ip[-1] == ix.shape[0] == self.active.shape[0]
        assert np.all(np.diff(ip) >= 0)
        if ix.size:
            assert ix.min() >= 0 and ix.max() < n
        bad = _check_rows(ip, ix, self.active)
        assert bad == 0, f"CSR invariant broken (code {bad})"


def make_network(pop: Population, spec: SocietySpec,
                 seed: int | np.random.SeedSequence = 0) -> Network:
    """Generate the network of ``pop`` for ``spec``; same inputs give identical arrays."""
    net = spec.network
    start = pop.municipality_start.astype(np.int64)
    k = float(net.mean_degree)
    cross = float(net.cross_municipality_share) if start.shape[0] > 2 else 0.0
    pilot = min(PILOT_N, max(int(start[-1]), 1_000))
    p_long = long_range_share(k, float(net.clustering_target), float(net.degree_dispersion),
                              cross, pilot)
    return _generate(rng_for(seed, NET_STREAM), start, pop.municipality, k, p_long, cross,
                     float(net.degree_dispersion), pop.group, float(net.homophily_group))


def _generate(rng, start, municipality, k, p_long, cross, s, group=None, h_group=0.0) -> Network:
    n = int(start[-1])
    k_long = p_long * k
    k_local = k - k_long
    k_cross = min(cross * k, k_long)

    # Sociability: mean-one lognormal weights spread degrees.
    w = rng.lognormal(-0.5 * s * s, s, size=n) if s > 0 else np.ones(n)
    reach = np.floor(w * (k_local / 2.0) + rng.random(n)).astype(np.int32)

    lu, lv = _long_ties(rng, w, start, municipality, k_long, k_cross, group, h_group)
    del w
    return _from_pairs(n, [start, reach], lu, lv)


def _from_pairs(n: int, lattice: list, lu: np.ndarray, lv: np.ndarray) -> Network:
    """Lattice ties (when ``lattice`` = [start, reach]) plus pairs (lu, lv), as a CSR."""
    # Upper-triangle rows: count, fill, then sort and dedupe each row in place.
    ucnt = np.zeros(n, dtype=np.int64)
    if lattice:
        _local_pairs(lattice[0], lattice[1], ucnt, ucnt, np.empty(0, np.int32), False)
    _long_count(lu, lv, ucnt)
    uptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(ucnt, out=uptr[1:])
    uidx = np.empty(int(uptr[-1]), dtype=np.int32)
    cursor = uptr[:-1].copy()
    if lattice:
        _local_pairs(lattice[0], lattice[1], ucnt, cursor, uidx, True)
    _long_fill(lu, lv, cursor, uidx)
    del lu, lv, cursor, ucnt
    lattice.clear()
    uptr = _sort_dedupe_rows(uptr, uidx)
    indptr, indices = _symmetrise(uptr, uidx)
    del uidx, uptr
    return Network(indptr, indices, np.ones(indices.shape[0], dtype=np.bool_))


PILOT_N = 20_000
PILOT_SEED = 20_140_614  # fixed: the calibration depends on the spec only, not the seed


@functools.lru_cache(maxsize=256)
def long_range_share(k: float, clustering: float, dispersion: float, cross: float,
                     pilot_n: int = PILOT_N) -> float:
    """Share of ties that must be long-range to reach the target average clustering.

    Local ties form a ring lattice (clustering 3(k-2)/(4(k-1)) with all ties local); long
    ties add degree but almost no triangles. Spread degrees raise average clustering in
    ways no simple formula tracks, so the share is found by bisection on a pilot graph of
    ``pilot_n`` citizens (PILOT_N, or fewer for smaller societies) with a fixed seed (about
    0.3 s, cached per spec). It is at least the
    cross-municipality share, since those ties are long by definition.
    """
    from .measures import average_clustering

    if clustering <= 0.0:
        return 1.0
    start = np.array([0, pilot_n], dtype=np.int64)
    muni = np.zeros(pilot_n, dtype=np.int16)

    def measured(p: float) -> float:
        rng = np.random.default_rng(np.random.SeedSequence(PILOT_SEED))
        return average_clustering(_generate(rng, start, muni, k, p, 0.0, dispersion), sample=0)

    lo, hi = cross, 1.0
    if measured(lo) <= clustering:
        return lo
    for _ in range(12):  # C falls as p rises
        mid = 0.5 * (lo + hi)
        if measured(mid) > clustering:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def _long_ties(rng, w, start, municipality, k_long, k_cross, group=None, h_group=0.0):
    """Long-range ties by stub matching (a configuration model, so long degree ~ w).

    Inside ties: each citizen holds Poisson(w * (k_long - k_cross)) stubs. A share h_group
    of the stubs go to a pool of their municipality and group, the rest to an open pool of
    their municipality; each pool is shuffled and paired in turn. Cross ties:
    Poisson(w * k_cross / (1 - S)) stubs shuffled over the nation and paired in turn; pairs
    that fall inside one municipality (share S = sum of squared weight shares) are dropped,
    which leaves k_cross on average.
    """
    n = w.shape[0]
    M = start.shape[0] - 1
    k_in = max(k_long - k_cross, 0.0)
    parts_u, parts_v = [], []
    if k_in > 0:
        owner = np.repeat(np.arange(n, dtype=np.int32), rng.poisson(w * k_in))
        perm = rng.permutation(owner.shape[0])
        G = 0 if group is None else int(group.max(initial=0)) + 1
        own = (rng.random(owner.shape[0]) < h_group) if G and h_group > 0 else np.zeros(0, bool)
        grp = group if G else np.zeros(1, np.int8)
        # Counting sort by pool of the shuffled stubs: a random order inside each pool; the
        # last stub of a pool with an odd count is left out.
        owner = _pool_sort(owner, perm, own, municipality, grp, G, M * (G + 1))
        del perm, own
        pairs = owner.reshape(-1, 2)
        parts_u.append(pairs[:, 0])
        parts_v.append(pairs[:, 1])
    if k_cross > 0:
        wm = np.bincount(municipality, weights=w, minlength=start.shape[0] - 1)
        # Capped: with one dominant municipality the target share is out of reach anyway.
        same = min(float(np.sum((wm / wm.sum()) ** 2)), 0.95)
        owner = np.repeat(np.arange(n, dtype=np.int32), rng.poisson(w * (k_cross / (1 - same))))
        owner = owner[rng.permutation(owner.shape[0])]
        if owner.shape[0] % 2:
            owner = owner[:-1]
        pairs = owner.reshape(-1, 2)
        keep = municipality[pairs[:, 0]] != municipality[pairs[:, 1]]
        parts_u.append(pairs[keep, 0])
        parts_v.append(pairs[keep, 1])
    if not parts_u:
        return np.empty(0, np.int32), np.empty(0, np.int32)
    return np.concatenate(parts_u), np.concatenate(parts_v)


# ---------------------------------------------------------------- numba kernels
# All serial: results never depend on the thread count.

@njit(cache=True)
def _local_pairs(start, reach, cnt, cursor, uidx, fill):
    # Ring lattice per municipality: i ties to the next reach[i] citizens (wrapping).
    for m in range(start.shape[0] - 1):
        s = start[m]
        size = start[m + 1] - s
        for i in range(s, s + size):
            r = min(reach[i], size - 1)
            q = i - s
            for d in range(1, r + 1):
                qq = q + d
                if qq >= size:
                    qq -= size
                j = s + qq
                a, b = (i, j) if i < j else (j, i)
                if fill:
                    uidx[cursor[a]] = b
                    cursor[a] += 1
                else:
                    cnt[a] += 1


@njit(cache=True)
def _pool_sort(owner, perm, own, municipality, group, G, n_pools):
    # Pool of a stub: its municipality's open pool, or (when own[k]) its group's pool there.
    # Pools are found in stub order (sequential reads), then gathered through perm.
    L = owner.shape[0]
    pool = np.empty(L, dtype=np.int32)
    sizes = np.zeros(n_pools + 1, dtype=np.int64)
    for k in range(L):
        i = owner[k]
        c = municipality[i] * (G + 1) + G
        if own.shape[0] and own[k]:
            c += group[i] - G
        pool[k] = c
        sizes[c + 1] += 1
    cursor = np.empty(n_pools, dtype=np.int64)
    end = np.empty(n_pools, dtype=np.int64)
    total = 0
    for c in range(n_pools):
        cursor[c] = total
        total += sizes[c + 1] - (sizes[c + 1] % 2)  # an even number of slots per pool
        end[c] = total
    out = np.empty(total, dtype=np.int32)
    for t in range(L):
        k = perm[t]
        c = pool[k]
        if cursor[c] < end[c]:  # a pool with an odd count leaves out its last stub
            out[cursor[c]] = owner[k]
            cursor[c] += 1
    return out


@njit(cache=True)
def _long_count(lu, lv, cnt):
    for e in range(lu.shape[0]):
        u, v = lu[e], lv[e]
        if u != v:
            cnt[min(u, v)] += 1


@njit(cache=True)
def _long_fill(lu, lv, cursor, uidx):
    for e in range(lu.shape[0]):
        u, v = lu[e], lv[e]
        if u != v:
            a, b = (u, v) if u < v else (v, u)
            uidx[cursor[a]] = b
            cursor[a] += 1


@njit(cache=True)
def _sort_dedupe_rows(uptr, uidx):
    # Sort each row, drop repeats, compact in place (write pointer never passes read).
    n = uptr.shape[0] - 1
    out = np.zeros(n + 1, dtype=np.int64)
    w = 0
    for a in range(n):
        lo, hi = uptr[a], uptr[a + 1]
        for p in range(lo + 1, hi):  # insertion sort: rows are short and mostly sorted
            x = uidx[p]
            q = p - 1
            while q >= lo and uidx[q] > x:
                uidx[q + 1] = uidx[q]
                q -= 1
            uidx[q + 1] = x
        last = -1
        for p in range(lo, hi):
            b = uidx[p]
            if b != last:
                uidx[w] = b
                w += 1
                last = b
        out[a + 1] = w
    return out


@njit(cache=True)
def _symmetrise(uptr, uidx):
    # Row r = its lower neighbours (ascending) then its upper ones (ascending).
    n = uptr.shape[0] - 1
    low = np.zeros(n, dtype=np.int64)
    for p in range(uptr[n]):
        low[uidx[p]] += 1
    indptr = np.zeros(n + 1, dtype=np.int64)
    for a in range(n):
        indptr[a + 1] = indptr[a] + low[a] + (uptr[a + 1] - uptr[a])
    indices = np.empty(indptr[n], dtype=np.int32)
    for a in range(n):  # reuse low as the lower-part cursor
        low[a] = indptr[a]
    for a in range(n):
        up = indptr[a + 1] - (uptr[a + 1] - uptr[a])
        for p in range(uptr[a], uptr[a + 1]):
            b = uidx[p]
            indices[up] = b
            up += 1
            indices[low[b]] = a
            low[b] += 1
    return indptr, indices


@njit(cache=True)
def _active_degree(indptr, active):
    n = indptr.shape[0] - 1
    deg = np.zeros(n, dtype=np.int32)
    for i in range(n):
        c = 0
        for p in range(indptr[i], indptr[i + 1]):
            c += active[p]
        deg[i] = c
    return deg


@njit(cache=True)
def _compress(indptr, indices, active):
    n = indptr.shape[0] - 1
    out_ptr = np.zeros(n + 1, dtype=np.int64)
    out = np.empty(np.count_nonzero(active), dtype=np.int32)
    w = 0
    for i in range(n):
        for p in range(indptr[i], indptr[i + 1]):
            if active[p]:
                out[w] = indices[p]
                w += 1
        out_ptr[i + 1] = w
    return out_ptr, out


@njit(cache=True)
def _find(indptr, indices, i, j):
    lo, hi = indptr[i], indptr[i + 1]
    p = lo + np.searchsorted(indices[lo:hi], j)
    if p < hi and indices[p] == j:
        return p
    return -1


@njit(cache=True)
def _set_pairs(indptr, indices, active, src, dst, value):
    found = 0
    for e in range(src.shape[0]):
        p = _find(indptr, indices, src[e], dst[e])
        q = _find(indptr, indices, dst[e], src[e])
        if p >= 0 and q >= 0:
            active[p] = value
            active[q] = value
            found += 1
    return found


@njit(cache=True)
def _set_nodes(indptr, indices, active, nodes, value):
    for k in range(nodes.shape[0]):
        i = nodes[k]
        for p in range(indptr[i], indptr[i + 1]):
            active[p] = value
            q = _find(indptr, indices, indices[p], i)
            active[q] = value


@njit(cache=True)
def _check_rows(indptr, indices, active):
    # 0 if rows are strictly ascending, loop-free and every entry has an equal mirror.
    n = indptr.shape[0] - 1
    for i in range(n):
        for p in range(indptr[i], indptr[i + 1]):
            j = indices[p]
            if j == i:
                return 1
            if p > indptr[i] and indices[p - 1] >= j:
                return 2
            q = _find(indptr, indices, j, i)
            if q < 0:
                return 3
            if active[q] != active[p]:
                return 4
    return 0


@njit(cache=True)
def _bfs(indptr, indices, active, center, radius, cap, active_only):
    seen = {center: 0}
    order = [center]
    head = 0
    while head < len(order) and len(order) < cap:
        i = order[head]
        head += 1
        d = seen[i]
        if d >= radius:
            continue
        for p in range(indptr[i], indptr[i + 1]):
            if active_only and not active[p]:
                continue
            j = indices[p]
            if j not in seen:
                seen[j] = d + 1
                order.append(j)
                if len(order) >= cap:
                    break
    out = np.empty(len(order), dtype=np.int64)
    for k in range(len(order)):
        out[k] = order[k]
    return out


@njit(cache=True)
def _induced(indptr, indices, active, nodes, active_only):
    m = nodes.shape[0]
    counts = np.zeros(m + 1, dtype=np.int64)
    for k in range(m):
        i = nodes[k]
        for p in range(indptr[i], indptr[i + 1]):
            if active_only and not active[p]:
                continue
            t = np.searchsorted(nodes, indices[p])
            if t < m and nodes[t] == indices[p]:
                counts[k + 1] += 1
    out_ptr = np.cumsum(counts)
    out = np.empty(out_ptr[m], dtype=np.int32)
    out_act = np.empty(out_ptr[m], dtype=np.bool_)
    w = 0
    for k in range(m):
        i = nodes[k]
        for p in range(indptr[i], indptr[i + 1]):
            if active_only and not active[p]:
                continue
            t = np.searchsorted(nodes, indices[p])
            if t < m and nodes[t] == indices[p]:
                out[w] = t
                out_act[w] = active[p]
                w += 1
    return out_ptr, out, out_act
