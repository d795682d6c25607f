"""SpikeLab's two engines on the peers workload (``core.engine``: fast and reference).

The fast engine takes the batch in the sparse event form the data sets provide; the reference
loop takes it dense.
"""

from __future__ import annotations

from core.bench.workload import Problem, Step, adam_step, leaf
from core.engine import Weights, forward, spytorch_loss
from core.engine.compiled import warm_up


def _build(problem: Problem, engine: str, sparse: bool) -> Step:
    cfg = problem.cfg
    params = [leaf(problem.w1), leaf(problem.v1), leaf(problem.w2)]
    x = problem.x_sparse if sparse else problem.x

    def loss():
        output = forward(engine, x, Weights(*params), cfg.alpha, cfg.beta, cfg.scale)
        return spytorch_loss(output, problem.y)

    return adam_step(params, loss)


def build_fast(problem: Problem) -> Step:
    """SpikeLab's fast engine (its compiled loops loaded here, with the code, not in the
    first step that peak memory measures)."""
    warm_up()
    return _build(problem, "fast", sparse=True)


def build_fast_dense(problem: Problem) -> Step:
    """The fast engine given the batch dense: the step includes its scan for the non-zeros
    (``bench --suite training``'s ``ours_dense_input``; not one of the peers)."""
    warm_up()
    return _build(problem, "fast", sparse=False)


def build_reference(problem: Problem) -> Step:
    """SpikeLab's reference engine (the oracle the fast one is tested against)."""
    return _build(problem, "reference", sparse=False)
