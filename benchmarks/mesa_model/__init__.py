"""scslab's model written as an ordinary Mesa 3 model, for speed and equivalence benchmarks.

    from mesa_model import run_mesa   # with benchmarks/ on sys.path
    out = run_mesa("rongcheng", population=1_000, steps=30, seed=1)
"""

from .agents import Citizen
from .model import ScsModel, run_mesa

__all__ = ["Citizen", "ScsModel", "run_mesa"]
