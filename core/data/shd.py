"""Spiking Heidelberg Digits (Cramer, Stradmann, Schemmel & Zenke 2022, IEEE TNNLS 33(7)).

Spoken digits 0-9 in English and German (20 classes) as spikes of 700 cochlear channels. Each
HDF5 file holds ``spikes/times`` (seconds) and ``spikes/units`` (channel) as one ragged array per
sample, ``labels`` and, in ``extra/keys``, the class names. Samples are binned into
``nb_steps`` bins over ``max_time`` = 1.4 s (the window of SpyTorch tutorial 4):
bin = floor(t / dt), dt = max_time / nb_steps, events at t >= max_time dropped;
x[n, bin, unit] counts the spikes.

The publisher (zenkelab.org, ``md5sums.txt``) gives MD5 digests only; those are pinned for the
``.h5.gz`` files; their sizes are not pinned (``LIMITS.data_file_mb`` bounds a file before it is
hashed). A verified archive is decompressed once into the cache (atomically).

Surrogate-gradient defaults: SpyTorch tutorial 4: 200 recurrent hidden units, 100 steps,
tau_mem 10 ms, tau_syn 5 ms, weight scale 0.2 (input, recurrent and readout), Adamax lr 2e-4,
batch 256, reg 2e-6 on the spike count plus 2e-6 on the per-neuron quadratic term, 200 epochs
(test accuracy about 0.7).
"""

from __future__ import annotations

import gzip
import os
import shutil
import zlib
from pathlib import Path

import numpy as np

from core.checks import check_positive, check_whole
from core.data.base import Dataset, DataUnavailable
from core.data.download import ProgressFn, RemoteFile, cache_dir, error_reason, fetch, shown_path
from core.data.info import DatasetInfo

BASE_URL = "https://zenkelab.org/datasets/"
CHANNELS = 700
NUM_CLASSES = 20  # digits 0-9 in English and German
SHD_FILES: dict[str, RemoteFile] = {
    "train": RemoteFile("shd_train.h5.gz", BASE_URL + "shd_train.h5.gz",
                        md5="d47c9825dee33347913e8ce0f2be08b0"),
    "test": RemoteFile("shd_test.h5.gz", BASE_URL + "shd_test.h5.gz",
                       md5="3062a80ec0c5719404d5b02e166543b1"),
}
_CHUNK = 256  # samples binned at once (bounds the temporary count array)


def _decompressed(archive: Path, remote: RemoteFile) -> Path:
    """The .h5 inside a verified .h5.gz, decompressed once into the cache."""
    target = cache_dir() / f"{remote.filename[:-3]}.{remote.digest[:12]}"
    if target.is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    part = target.with_name(target.name + ".part")
    try:
        with gzip.open(archive, "rb") as src, open(part, "wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
    except (OSError, EOFError, zlib.error) as exc:
        part.unlink(missing_ok=True)
        raise DataUnavailable(
            f"{shown_path(archive)} could not be decompressed ({error_reason(exc)}).") from exc
    os.replace(part, target)
    return target


def bin_events(
    times: list[np.ndarray], units: list[np.ndarray], nb_steps: int, max_time: float
) -> np.ndarray:
    """Spike counts [N, nb_steps, 700] (uint8, clipped at 255) from ragged event lists."""
    n = len(times)
    out = np.zeros((n, nb_steps, CHANNELS), dtype=np.uint8)
    dt = max_time / nb_steps
    cells = nb_steps * CHANNELS
    for start in range(0, n, _CHUNK):
        stop = min(start + _CHUNK, n)
        t = np.concatenate([np.asarray(a, np.float64) for a in times[start:stop]] or [[]])
        u = np.concatenate([np.asarray(a, np.int64) for a in units[start:stop]] or [[]])
        lengths = [len(a) for a in times[start:stop]]
        sample = np.repeat(np.arange(stop - start), lengths)
        step = np.floor(t / dt).astype(np.int64)
        keep = (t >= 0) & (step < nb_steps) & (u >= 0) & (u < CHANNELS)
        flat = sample[keep] * cells + step[keep] * CHANNELS + u[keep]
        counts = np.bincount(flat, minlength=(stop - start) * cells)
        out[start:stop] = np.minimum(counts, 255).reshape(stop - start, nb_steps, CHANNELS)
    return out


def read_shd_file(
    path: Path, nb_steps: int, max_time: float
) -> tuple[np.ndarray, np.ndarray, tuple[str, ...] | None]:
    """Binned spikes, labels and class names (if stored) of one SHD HDF5 file."""
    import h5py  # optional at import time: only this loader needs it

    try:
        with h5py.File(path, "r") as fh:
            times = list(fh["spikes/times"][:])
            units = list(fh["spikes/units"][:])
            labels = np.asarray(fh["labels"][:], dtype=np.int64)
            keys = fh["extra/keys"][:] if "extra/keys" in fh else None
    except (OSError, KeyError, ValueError) as exc:
        raise DataUnavailable(
            f"{shown_path(path)} is not a readable SHD HDF5 file ({error_reason(exc)}).") from exc
    if len(times) != len(units) or len(times) != labels.shape[0]:
        raise DataUnavailable(f"{shown_path(path)}: spikes and labels have different lengths.")
    names = None
    if keys is not None:
        names = tuple(k.decode() if isinstance(k, bytes) else str(k) for k in keys)
    return bin_events(times, units, nb_steps, max_time), labels, names


def load_shd(
    data_path: Path | None = None,
    progress: ProgressFn | None = None,
    nb_steps: int = 100,
    max_time: float = 1.4,
    files: dict[str, RemoteFile] = SHD_FILES,
    download: bool = True,
) -> Dataset:
    """SHD as a ``spikes`` Dataset: x [N, nb_steps, 700] uint8 counts, the official split."""
    check_whole("nb_steps", nb_steps, 1, 2000)
    check_positive("max_time", max_time)
    parts = {}
    for split, remote in files.items():
        archive = fetch(remote, data_path, progress, download)
        parts[split] = read_shd_file(_decompressed(archive, remote), nb_steps, max_time)
    x_train, y_train, names = parts["train"]
    x_test, y_test, _ = parts["test"]
    n_classes = int(max(y_train.max(initial=0), y_test.max(initial=0))) + 1
    if names is None or len(names) < n_classes:
        names = tuple(f"class {k}" for k in range(max(n_classes, NUM_CLASSES)))
    return Dataset(
        name="shd",
        kind="spikes",
        x_train=x_train,
        y_train=y_train,
        x_test=x_test,
        y_test=y_test,
        classes=names,
        source=BASE_URL,
        dt_ms=1000.0 * max_time / nb_steps,
        location=str(archive.parent),
    )


INFO = DatasetInfo(
    name="shd",
    title="Spiking Heidelberg Digits",
    kind="spikes",
    description="Spoken digits 0-9 in English and German as spikes of 700 cochlear channels "
    "(Cramer et al. 2022), binned to 100 steps over 1.4 s; two gzip'd HDF5 files.",
    input_shape=(100, CHANNELS),  # load_shd's default binning
    num_classes=NUM_CLASSES,  # names come from the file
    load=load_shd,
    sources=tuple(SHD_FILES.values()),
    defaults={
        "surrogate": dict(
            hidden=200, steps=100, scale=100.0, reg=2e-6, reg_quadratic=2e-6, epochs=200,
            batch_size=256, lr=2e-4, optimizer="adamax", recurrent=True, tau_mem_ms=10.0,
            tau_syn_ms=5.0, weight_scale=0.2, rec_weight_scale=0.2,
        ),
    },
)
