"""The scslab model written as a Mesa 3 model (one municipality).

The society (traits and ties) is scslab's, built from the same spec and seed, so both
implementations start from the same citizens on the same network; after that each draws
its own random numbers. The step runs the engine's phases in the engine's order, each as
a pass of `AgentSet.shuffle_do` over the citizens (phases only read last step's public
state of others, so the order of citizens within a pass does not matter).
"""

from __future__ import annotations

import math
import time

import mesa
import networkx as nx
from mesa.space import NetworkGrid

from scslab.engine.params import EngineParams, Levers
from scslab.rulebook.compiled import compile_rulebook
from scslab.society import SocietySpec, make_society

from .agents import Citizen
from .rules import make_rules


def _mean_score(m: ScsModel) -> float:
    return sum(a.score for a in m.citizens) / len(m.citizens)


def _share_blacklisted(m: ScsModel) -> float:
    return sum(1 for a in m.citizens if a.blacklisted()) / len(m.citizens)


class ScsModel(mesa.Model):
    def __init__(self, rulebook, population: int = 1_000, seed: int = 0, params: EngineParams | None = None,
                 levers: Levers | dict | None = None):
        super().__init__(seed=seed)
        from scslab.engine.build import as_rulebook as _as_rulebook

        params = params or EngineParams()
        if levers is not None:
            lv = levers if isinstance(levers, Levers) else Levers(**levers)
            params = params.model_copy(update={"levers": lv})
        self.params = params
        soc = make_society(SocietySpec(n=population, municipalities=1), seed=seed)
        pop, net = soc.population, soc.network
        crb = compile_rulebook(_as_rulebook(rulebook), groups=tuple(pop.group_names))
        self.rules = make_rules(crb, params)
        self.t = 0
        self.mean_harm = 0.0
        self.ties_dropped = 0
        lv = params.levers
        self.p_drop_listed = crb.tie_drop_rate if lv.code else 0.0
        self.p_drop_published = params.ostracism if (lv.norms and lv.code) else 0.0

        graph = nx.Graph()
        graph.add_nodes_from(range(pop.n))
        indptr, indices = net.indptr, net.indices
        rows = [(i, int(j)) for i in range(pop.n) for j in indices[indptr[i]:indptr[i + 1]] if i < j]
        graph.add_edges_from(rows)
        self.grid = NetworkGrid(graph)
        self.citizens: list[Citizen] = []
        for i in range(pop.n):
            a = Citizen(self, i, int(pop.group[i]), float(pop.virtue[i]), float(pop.strategic[i]),
                        float(pop.privacy[i]), float(pop.income[i]))
            self.grid.place_agent(a, i)
            self.citizens.append(a)
        self.members = [[a for a in self.citizens if a.group == g] for g in range(len(pop.group_names))]
        for a in self.citizens:
            a.ties0 = [self.citizens[int(j)] for j in indices[indptr[a.idx]:indptr[a.idx + 1]]]
        self.datacollector = mesa.DataCollector(model_reporters={
            "mean_score": _mean_score,
            "share_blacklisted": _share_blacklisted,
        })

    def step(self) -> None:
        agents = self.agents
        agents.shuffle_do("look_around")
        # conformity is measured against the municipality's mean recent harm (last step)
        self.mean_harm = sum(a.pub_harm for a in self.citizens) / len(self.citizens)
        agents.shuffle_do("decide_disclosure")
        agents.shuffle_do("behave")  # 1 behave
        agents.shuffle_do("observe")  # 2 observe
        self.file_false_records()
        agents.shuffle_do("update_score")  # 3 score
        agents.shuffle_do("update_lists")  # 4 list
        agents.shuffle_do("appeal")  # 5 appeal (decided before the day's sanctions)
        agents.shuffle_do("sanction")  # 6 sanction
        if (self.p_drop_listed > 0 or self.p_drop_published > 0) and any(a.pub_black for a in self.citizens):
            agents.shuffle_do("drop_ties")  # 7 network
        agents.shuffle_do("trade")  # 8 trust
        agents.shuffle_do("remember_harm")
        agents.do("publish")
        self.datacollector.collect(self)  # 9 collect
        self.t += 1


    def file_false_records(self) -> None:
        """Per (behaviour, source, group), a Poisson number of false records with mean (true
        records filed today) x f / (1 - f), each on a random member of the group, as the
        engine does: a source's false share is f whatever deterrence does."""
        specs = self.rules.false_specs
        if not specs:
            return
        true: dict[tuple[int, int, int], int] = {}
        for a in self.citizens:
            for b, s, _false, _excused in a.records:
                true[(b, s, a.group)] = true.get((b, s, a.group), 0) + 1
        for b, s, g, factor in specs:
            n = true.get((b, s, g), 0)
            members = self.members[g]
            if n == 0 or not members:
                continue
            for _ in range(_poisson(self.random, n * factor)):
                self.random.choice(members).records.append((b, s, True, False))


def _poisson(rnd, lam: float) -> int:
    """A Poisson draw from Python's random (Knuth's method, in slices of mean at most 30)."""
    k = 0
    while lam > 0:
        part = min(lam, 30.0)
        lam -= part
        limit, prod = math.exp(-part), rnd.random()
        while prod > limit:
            k += 1
            prod *= rnd.random()
    return k


def run_mesa(rulebook, population: int = 1_000, steps: int = 30, seed: int = 0,
             params: EngineParams | None = None, levers=None) -> dict:
    """Build and run the Mesa model; returns the trajectories and build/step timings."""
    t0 = time.perf_counter()
    model = ScsModel(rulebook, population=population, seed=seed, params=params, levers=levers)
    t1 = time.perf_counter()
    for _ in range(steps):
        model.step()
    t2 = time.perf_counter()
    df = model.datacollector.get_model_vars_dataframe()
    return {
        "mean_score": df["mean_score"].to_numpy(),
        "share_blacklisted": df["share_blacklisted"].to_numpy(),
        "build_seconds": t1 - t0,
        "run_seconds": t2 - t1,
        "population": population,
        "steps": steps,
        "ties_dropped": model.ties_dropped,
    }
