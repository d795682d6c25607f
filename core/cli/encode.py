"""``encode`` (values -> firing times or spikes) and ``data`` (load a data set, report sizes)."""

from __future__ import annotations

import argparse
import time
from typing import Any

from core.cli.common import UserError, add_json_flag, float_list, number, progress, seed_int
from core.data.base import DataUnavailable
from core.data.download import cache_dir
from core.data.registry import DATASET_INFO, dataset_names, load_dataset
from core.encoders.api import METHODS
from core.neurons.params import MAX_STEPS


def register(sub: argparse._SubParsersAction) -> None:
    enc = sub.add_parser("encode", help="spike times (ttfs, latency) or spikes (rate, delta)")
    enc.add_argument("--method", choices=METHODS, default="ttfs")
    enc.add_argument("--values", type=float_list, required=True, help="inputs, e.g. 0.1,0.5,0.9")
    enc.add_argument("--tau", type=number, default=20.0, help="time constant (ttfs, latency)")
    enc.add_argument("--thr", type=number, default=0.2, help="threshold (ttfs, latency, delta)")
    enc.add_argument("--tmax", type=number, default=100.0, help="ttfs: time of silent inputs")
    enc.add_argument("--steps", type=int, help="number of time steps of the spike tensor")
    enc.add_argument("--dt", type=number, default=1.0, help="time per step (ttfs)")
    enc.add_argument("--linear", action="store_true", help="latency: linear code")
    enc.add_argument("--normalize", action="store_true", help="latency: fit spikes in --steps")
    enc.add_argument("--clip", action="store_true", help="latency: silence inputs below --thr")
    enc.add_argument("--gain", type=number, default=1.0, help="rate: probability = gain*x+offset")
    enc.add_argument("--offset", type=number, default=0.0, help="rate: see --gain")
    enc.add_argument("--seed", type=seed_int, default=0, help="rate: seed of the generator")
    add_json_flag(enc)
    enc.set_defaults(func=run_encode)

    data = sub.add_parser("data", help="load a data set and report its sizes and classes")
    data.add_argument("--dataset", choices=dataset_names(), help="data set name")
    data.add_argument("--data-path", help="a local copy (file or folder) instead of downloading")
    data.add_argument("--no-download", action="store_true",
                      help="fail instead of downloading a file missing from the cache")
    data.add_argument("--list", action="store_true", help="list the data sets without loading")
    add_json_flag(data)
    data.set_defaults(func=run_data)


def _spikes_payload(dense: Any) -> dict[str, Any]:
    """Dense spikes [steps][values] plus the memory of the dense and sparse forms."""
    from core.encoders import SpikeEncoding

    enc = SpikeEncoding.from_dense("cli", dense)
    flat = enc.dense.reshape(enc.dense.shape[0], -1)
    return {"spikes": [[int(v) for v in row] for row in flat.tolist()], "memory": enc.memory()}


def run_encode(args: argparse.Namespace) -> dict[str, Any]:
    import torch  # slow import: only for this command

    from core.encoders import (
        DeltaParams,
        LatencyParams,
        RateParams,
        TTFSParams,
        delta_spikes,
        latency_spikes,
        latency_times,
        rate_spikes,
        ttfs_spikes,
        ttfs_times,
    )

    if not args.values:
        raise UserError("--values needs at least one number, e.g. --values 0.1,0.5,0.9")
    if args.steps is not None and not 1 <= args.steps <= MAX_STEPS:
        raise UserError(f"--steps must be between 1 and {MAX_STEPS} (got {args.steps})")
    x = torch.tensor([args.values], dtype=torch.float64)
    out: dict[str, Any] = {"method": args.method, "values": args.values}
    if args.method == "ttfs":
        p = TTFSParams(tau=args.tau, thr=args.thr, tmax=args.tmax)
        out["times"] = [float(t) for t in ttfs_times(x[0], p)]
        if args.steps:
            out.update(_spikes_payload(ttfs_spikes(x, args.steps, p, args.dt)))
    elif args.method == "latency":
        p = LatencyParams(args.tau, args.thr, linear=args.linear, normalize=args.normalize,
                          clip=args.clip)
        out["times"] = [float(t) for t in latency_times(x[0], p, args.steps)]
        if args.steps:
            out.update(_spikes_payload(latency_spikes(x, args.steps, p)))
    elif args.method == "rate":
        steps = args.steps or 10
        gen = torch.Generator().manual_seed(args.seed)
        spikes = rate_spikes(x, steps, gen, RateParams(args.gain, args.offset))
        out.update(_spikes_payload(spikes))
        out["rates"] = [float(r) for r in spikes.mean(0)[0]]
        out["seed"] = args.seed
    else:  # delta: the values are one series in time
        series = x[0].reshape(-1, 1, 1)
        out.update(_spikes_payload(delta_spikes(series, DeltaParams(args.thr))))
    return out


def run_data(args: argparse.Namespace) -> dict[str, Any]:
    if args.list:
        return {
            "datasets": {
                name: {"title": i.title, "kind": i.kind, "offline": i.offline,
                       "description": i.description}
                for name, i in DATASET_INFO.items()
            },
            "cache": str(cache_dir()),
        }
    if not args.dataset:
        raise UserError(f"give --dataset NAME (one of {', '.join(dataset_names())}) or --list")
    last = [-1]

    def report(done: int, total: int | None) -> None:
        pct = int(100 * done / total) if total else -1
        if pct // 10 != last[0] // 10:
            last[0] = pct
            progress(f"downloading: {done / 1e6:.1f} MB" + (f" ({pct}%)" if total else ""))

    progress(f"loading {args.dataset}")
    start = time.perf_counter()
    try:
        ds = load_dataset(
            args.dataset, args.data_path, progress=report, download=not args.no_download
        )
    except DataUnavailable as exc:
        raise UserError(str(exc)) from None
    result = ds.summary()
    result["cache"] = str(cache_dir())
    result["seconds"] = round(time.perf_counter() - start, 3)
    return result
