"""CIFAR-10 (Krizhevsky 2009): 60,000 32x32 colour images in 10 classes, python-pickle archive.

The archive is verified against its SHA-256 (the digest Keras pins for it) before it is opened;
its batches are read from the tar in memory (nothing is extracted to disk) and unpickled with
the restricted unpickler, which rebuilds numpy arrays and refuses anything else. Each batch is a
dict with ``data`` (uint8 [10000, 3072], channel-major) and ``labels``.
"""

from __future__ import annotations

import pickle
import tarfile
import zlib
from pathlib import Path

import numpy as np

from core.data.base import Dataset, DataUnavailable
from core.data.download import ProgressFn, RemoteFile, error_reason, fetch, shown_path
from core.data.info import DatasetInfo
from core.data.safe_pickle import safe_loads

CIFAR10_FILE = RemoteFile(
    filename="cifar-10-python.tar.gz",
    url="https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",
    sha256="6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce",
    size=170498071,
)
FOLDER = "cifar-10-batches-py"
TRAIN_BATCHES = tuple(f"data_batch_{i}" for i in range(1, 6))
CLASSES: tuple[str, ...] = (
    "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck",
)


def _read_batch(tar: tarfile.TarFile, name: str) -> dict:
    try:
        member = tar.extractfile(f"{FOLDER}/{name}")
    except KeyError:
        member = None
    if member is None:
        raise DataUnavailable(f"The CIFAR-10 archive has no {FOLDER}/{name}.")
    batch = safe_loads(member.read(), encoding="latin1")
    if not isinstance(batch, dict):
        raise DataUnavailable(f"CIFAR-10 {name} is not a batch dict.")
    return {k.decode() if isinstance(k, bytes) else k: v for k, v in batch.items()}


def _images(batches: list[dict], name: str) -> tuple[np.ndarray, np.ndarray]:
    try:
        data = np.concatenate([np.asarray(b["data"], dtype=np.uint8) for b in batches])
        labels = np.concatenate([np.asarray(b["labels"], dtype=np.int64) for b in batches])
    except (KeyError, ValueError) as exc:
        msg = f"CIFAR-10 {name}: batches lack 'data' or 'labels' ({exc})."
        raise DataUnavailable(msg) from exc
    if data.ndim != 2 or data.shape[1] != 3 * 32 * 32 or data.shape[0] != labels.shape[0]:
        raise DataUnavailable(f"CIFAR-10 {name}: data of shape {data.shape} is not 3x32x32.")
    if labels.size and (labels.min() < 0 or labels.max() >= len(CLASSES)):
        raise DataUnavailable(f"CIFAR-10 {name}: labels outside 0..9.")
    return data.reshape(-1, 3, 32, 32).astype(np.float32) / 255.0, labels


def load_cifar10(
    data_path: Path | None = None,
    progress: ProgressFn | None = None,
    remote: RemoteFile = CIFAR10_FILE,
    download: bool = True,
) -> Dataset:
    """Images [N, 3, 32, 32] float32 in [0, 1] (about 740 MB in all), the official split."""
    path = fetch(remote, data_path, progress, download)  # verified before anything is unpickled
    try:
        with tarfile.open(path, "r:gz") as tar:
            train = [_read_batch(tar, name) for name in TRAIN_BATCHES]
            test = [_read_batch(tar, "test_batch")]
    except (tarfile.TarError, OSError, EOFError, zlib.error, pickle.UnpicklingError) as exc:
        raise DataUnavailable(
            f"{shown_path(path)} is not a readable CIFAR-10 archive ({error_reason(exc)})."
        ) from exc
    x_train, y_train = _images(train, "train")
    x_test, y_test = _images(test, "test")
    return Dataset(
        name="cifar10",
        kind="image",
        x_train=x_train,
        y_train=y_train,
        x_test=x_test,
        y_test=y_test,
        classes=CLASSES,
        source=remote.url,
        location=str(path),
    )


INFO = DatasetInfo(
    name="cifar10",
    title="CIFAR-10",
    kind="image",
    description="60,000 32x32 colour images in 10 classes (Krizhevsky 2009); python archive, "
    "170 MB.",
    input_shape=(3, 32, 32),
    num_classes=len(CLASSES),
    classes=CLASSES,
    load=load_cifar10,
    sources=(CIFAR10_FILE,),
    defaults={"nas": {"preset": "study"}},
)
