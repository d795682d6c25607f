"""Every benchmark of ``python -m core bench`` and its pieces, in one home.

- ``core.bench.timing``: the one timing loop (warm-up, interleaved rotating rounds, medians);
- ``core.bench.peak``: the one peak-memory probe (one step in a fresh process);
- ``core.bench.workload``: the SHD-shaped workload every implementation trains (data, weights,
  loss, one Adam step);
- ``core.bench.peers``: one builder per implementation (SpikeLab fast and reference, snnTorch,
  Norse, SpikingJelly, plain PyTorch), the dense-GEMM floor, and the conv networks;
- the suites: ``core.bench.training`` (the default), ``core.bench.interactive`` (explorer and
  playground), ``core.bench.suite`` (peers: ratios, step-1 losses), ``core.bench.scaling``
  (fitted log-log exponents in T, hidden size, batch and density) and ``core.bench.conv``;
- reading results: ``core.bench.results``, ``core.bench.verdicts``, ``core.bench.curves``.

``core.cli.bench`` is the command line only; ``core.nas.bench`` times NAS workers with
``core.bench.timing``. Nothing in ``core.engine`` imports this package.
"""
