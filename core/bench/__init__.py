"""Benchmarks that compare SpikeLab with the field: ``python -m core bench --suite peers`` and
``--suite scaling``.

- ``core.bench.workload``: the SHD-shaped workload every implementation trains (data, weights,
  loss, one Adam step);
- ``core.bench.peers``: one module per library, each building that workload the way its
  library's tutorials do;
- ``core.bench.suite``: the peers suite (round-robin timing, medians, ratios, step-1 losses);
- ``core.bench.peak``: peak memory of one step, each implementation in a fresh process;
- ``core.bench.scaling``: how the fast engine's step time grows with T, hidden size, batch and
  input density (fitted log-log exponents).
"""
