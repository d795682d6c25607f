"""The work that the Hardware page runs as ``core.jobs.Job``s for imported networks.

``simulate`` is ``nir_run.simulate_run`` and ``neurobench`` is ``neurobench.energy_fields``,
run chunk by chunk (256 test samples) so that a page shows their progress and can stop them;
a stopped job stores nothing and returns None.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import torch

from core.progress import Count

Report = Callable[[Any], None]


class _Stopped(Exception):
    """The page asked the job to stop."""


class _Watched:
    """Test samples (``nir_run.TestSamples``) whose chunks report progress and honour stop."""

    def __init__(self, chosen: Any, stop: Any, report: Report, stage: str) -> None:
        self._chosen, self._stop, self._report, self.stage = chosen, stop, report, stage

    def __getattr__(self, name: str) -> Any:
        return getattr(self._chosen, name)

    def chunks(self, size: int = 256) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        done = 0
        for x, labels in self._chosen.chunks(size):
            if self._stop.is_set():
                raise _Stopped
            done += int(labels.shape[0])  # counted as it starts: a consumer may stop early
            self._report(Count(done, self._chosen.count, f"samples ({self.stage})"))
            yield x, labels


def simulate(db: str, run_id: int, dataset: str, data_path: str | None, samples: int,
             download: bool, encoding: str = "spikes", *, stop: Any, report: Report
             ) -> dict[str, Any] | None:
    """``simulate_run`` with progress per chunk; its result, or None when stopped."""
    from core.interop.nir_run import accuracy_note, load_net, measure, test_samples, widest
    from core.store import RunStore

    store = RunStore(db)
    net = load_net(store.get_run(run_id))
    report("loading data")
    chosen = test_samples(dataset, data_path, samples, None, download, hidden=widest(net),
                          encoding=encoding)
    try:
        metrics = measure(net, _Watched(chosen, stop, report, "simulated"), dataset)
    except _Stopped:
        return None
    store.update_metrics(run_id, metrics)
    return {"run_id": run_id, **metrics, "accuracy_note": accuracy_note(net, chosen, metrics)}


def neurobench(db: str, run_id: int, samples: int, data_path: str | None, download: bool, *,
               stop: Any, report: Report) -> dict[str, Any] | None:
    """``energy_fields`` of a run (SpikeLab's simulation, then NeuroBench's ``Benchmark`` on
    the same samples) with progress per chunk; None when stopped."""
    from core.hardware.ops import OpsModel
    from core.interop.neurobench import neurobench_counts, run_network, spikelab_workload
    from core.interop.nir_run import measure, test_samples, widest
    from core.store import RunStore

    run = RunStore(db).get_run(run_id)
    net = run_network(run)
    dataset = run.config.get("dataset") or run.metrics.get("dataset")
    if not dataset:
        raise ValueError(f"Run {run.id} names no data set: simulate it on one first.")
    steps = run.config.get("steps") if run.kind == "surrogate" else run.metrics.get("time_steps")
    report("loading data")
    chosen = test_samples(dataset, data_path, samples, steps, download, hidden=widest(net),
                          encoding=str(run.metrics.get("input_encoding", "spikes")))
    try:
        metrics = measure(net, _Watched(chosen, stop, report, "SpikeLab"), dataset)
        ours = OpsModel().estimate(spikelab_workload(run, net, metrics))
        report(Count(0, chosen.count, "samples (NeuroBench)"))
        theirs = neurobench_counts(net, _Watched(chosen, stop, report, "NeuroBench"))
    except _Stopped:
        return None
    acs = theirs["neurobench_acs"]
    return {
        "run_id": run_id, "neurobench_acs": acs, "neurobench_macs": theirs["neurobench_macs"],
        "neurobench_activation_sparsity": theirs["activation_sparsity"],
        "neurobench_membrane_updates": theirs["membrane_updates"],
        "neurobench_footprint_bytes": theirs["footprint_bytes"],
        "synops_ratio": ours.synaptic_ops / acs if acs else None,
        "neurobench_samples": chosen.count, "neurobench_dataset": dataset,
        "spikelab_synaptic_ops_same_samples": ours.synaptic_ops,
        "spikelab_macs_same_samples": ours.effective_macs,
        "spikelab_activation_sparsity": ours.activation_sparsity,
        "spikelab_nir_count": metrics["effective_acs"],
    }
