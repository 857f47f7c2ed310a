"""Synthetic societies: citizens with traits, and the social network that ties them.

    from scslab.society import SocietySpec, make_society
    soc = make_society(SocietySpec(n=100_000, municipalities=4), seed=1)
    soc.population.virtue, soc.network.indptr, soc.network.indices

Populations are synthetic, always. Citizen ids run municipality by municipality in
neighbourhood order (see ``population``): sample citizens with an rng, never by slicing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .network import Network, make_network
from .population import Population, make_population
from .spec import SocietySpec, parse_spec


@dataclass(eq=False)
class Society:
    """A population, its network, and the spec and seed that made them."""

    spec: SocietySpec
    seed: int
    population: Population
    network: Network

    @property
    def n(self) -> int:
        return self.population.n

    def summary(self, sample: int | None = None) -> dict[str, float]:
        """Headline network and homophily statistics (see ``measures.summary``)."""
        from .measures import summary

        return summary(self.network, self.population, sample)


def make_society(spec: SocietySpec | None = None, seed: int = 0) -> Society:
    """Population then network, each from its own random stream keyed by ``seed``."""
    spec = spec or SocietySpec()
    seed = int(seed)
    pop = make_population(spec, np.random.SeedSequence(seed))
    net = make_network(pop, spec, np.random.SeedSequence(seed))
    return Society(spec=spec, seed=seed, population=pop, network=net)


__all__ = [
    "Network", "Population", "Society", "SocietySpec", "make_network", "make_population",
    "make_society", "parse_spec",
]
