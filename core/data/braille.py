"""Tactile Braille Letters as used by SpyTorch tutorial 5 (27 classes x 50 repetitions).

Müller-Cleve et al. (2022), "Braille letter reading: a benchmark for spatio-temporal pattern
recognition on neuromorphic hardware", Front. Neurosci.; data: Zenodo 10.5281/zenodo.6556273;
pickled for F. Zenke's SpyTorch tutorials (CC BY 4.0). Each recording is time x 12 taxels of
sensor values 0..255. Preprocessing follows tutorial 5: x' = 1 - x/255, crop every recording to
the shortest, keep the taxels that are not constant, standardise each taxel over all samples and
times ((x - mean) / (std + 1e-3)), then upsample in time by repeating each step.

Surrogate-gradient defaults: SpyTorch tutorial 5: an encoder layer of 32 LIF neurons per taxel
with random gain and bias, 450 recurrent hidden units, tau_mem 20 ms, tau_syn 10 ms, 1 ms steps,
weights std 3 / sqrt(fan_in) (recurrent 0.03) with the (1 - beta) input factor, Adamax
(0.9, 0.995). The encoder's gain and bias are trained with the rest, as in the tutorial;
SpikeLab trains at lr 5e-3 for 60 epochs (measured: test accuracy 0.952 in 144 s on 2 CPU
cores).
"""

from __future__ import annotations

import gzip
import pickle
import zlib
from pathlib import Path

import numpy as np

from core.checks import check_probability, check_whole
from core.data.base import Dataset, DataUnavailable
from core.data.download import ProgressFn, RemoteFile, error_reason, fetch, shown_path
from core.data.info import DatasetInfo
from core.data.safe_pickle import safe_loads

LETTERS: tuple[str, ...] = ("Space", *(chr(c) for c in range(ord("A"), ord("Z") + 1)))

BRAILLE_FILE = RemoteFile(
    filename="tutorial5_braille_spiking_data.pkl.gz",
    url=(
        "https://raw.githubusercontent.com/fzenke/spytorch/main/notebooks/data/"
        "tutorial5_braille_spiking_data.pkl.gz"
    ),
    sha256="f48a449264a00ee665df62329f2364059e49d0d0faeee4993e595d08616e5a1c",
    size=301542,
)


def read_braille_records(path: Path) -> tuple[list[np.ndarray], np.ndarray]:
    """Raw recordings (time x taxels, 0..255) and labels from a *verified* pickle file."""
    try:
        records = safe_loads(gzip.decompress(path.read_bytes()))
    except (OSError, EOFError, zlib.error, pickle.UnpicklingError) as exc:
        raise DataUnavailable(
            f"{shown_path(path)} is not a readable Braille pickle ({error_reason(exc)}).") from exc
    if not isinstance(records, list) or not records:
        raise DataUnavailable(f"{shown_path(path)} does not hold a list of Braille recordings.")
    traces, labels = [], []
    for rec in records:
        if not isinstance(rec, dict) or rec.get("letter") not in LETTERS:
            raise DataUnavailable(f"{shown_path(path)}: a record has no known 'letter' field.")
        data = np.asarray(rec.get("taxel_data"), dtype=np.float64)
        if data.ndim != 2 or data.shape[0] < 1:
            raise DataUnavailable(f"{shown_path(path)}: 'taxel_data' must be time x taxels.")
        traces.append(data)
        labels.append(LETTERS.index(rec["letter"]))
    if len({t.shape[1] for t in traces}) != 1:
        raise DataUnavailable(f"{shown_path(path)}: recordings have different numbers of taxels.")
    return traces, np.asarray(labels, dtype=np.int64)


def preprocess_braille(
    traces: list[np.ndarray], upsample: int = 2
) -> tuple[np.ndarray, np.ndarray]:
    """Tutorial-5 preprocessing; returns x [N, T*upsample, kept taxels] and the kept indices."""
    check_whole("upsample", upsample, 1)
    length = min(t.shape[0] for t in traces)
    x = np.stack([1.0 - t[:length] / 255.0 for t in traces])  # [N, T, taxels]
    flat = x.reshape(-1, x.shape[2])
    kept = np.flatnonzero(flat.max(0) > flat.min(0))
    if kept.size == 0:
        raise DataUnavailable("Every taxel is constant: the Braille file holds no signal.")
    x = x[:, :, kept]
    flat = x.reshape(-1, kept.size)
    x = (x - flat.mean(0)) / (flat.std(0, ddof=1) + 1e-3)
    x = np.repeat(x, upsample, axis=1)
    return x.astype(np.float32), kept


def load_braille(
    data_path: Path | None = None,
    progress: ProgressFn | None = None,
    test_fraction: float = 0.2,
    seed: int = 0,
    upsample: int = 2,
    remote: RemoteFile = BRAILLE_FILE,
    download: bool = True,
) -> Dataset:
    """The Braille set as a ``timeseries`` Dataset, split stratified and seeded."""
    from sklearn.model_selection import train_test_split  # on use: listing stays cheap

    check_probability("test_fraction", test_fraction, zero=False, one=False)
    path = fetch(remote, data_path, progress, download)  # verified before unpickling
    traces, labels = read_braille_records(path)
    x, kept = preprocess_braille(traces, upsample)
    counts = np.bincount(labels, minlength=len(LETTERS))
    stratify = labels if counts[counts > 0].min() >= 2 else None
    x_tr, x_te, y_tr, y_te = train_test_split(
        x, labels, test_size=test_fraction, random_state=seed, stratify=stratify
    )
    return Dataset(
        name="braille",
        kind="timeseries",
        x_train=x_tr,
        y_train=y_tr,
        x_test=x_te,
        y_test=y_te,
        classes=LETTERS,
        source=f"{remote.url} (taxels kept: {', '.join(str(int(k)) for k in kept)})",
        location=str(path),
    )


INFO = DatasetInfo(
    name="braille",
    title="Tactile Braille letters",
    kind="timeseries",
    description="27 letters x 50 repetitions read by 12 taxels (Müller-Cleve et al. 2022), "
    "the SpyTorch tutorial 5 file (300 kB).",
    input_shape=(152, 4),  # the pinned file: 76 steps upsampled 2x, 4 taxels vary
    num_classes=len(LETTERS),
    classes=LETTERS,
    load=load_braille,
    sources=(BRAILLE_FILE,),
    defaults={
        "surrogate": dict(
            hidden=450, steps=152, scale=100.0, reg=1.7e-8, epochs=60, batch_size=128, lr=5e-3,
            optimizer="adamax", beta2=0.995, recurrent=True, tau_mem_ms=20.0, tau_syn_ms=10.0,
            encoder_tau_ms=20.0, weight_scale=3.0, rec_weight_scale=0.03, fan_out=32,
            normalised=True,
        ),
        "relpsp": {},
    },
)
