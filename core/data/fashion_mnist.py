"""Fashion-MNIST (Xiao, Rasul & Vollgraf 2017, arXiv:1708.07747): 70,000 28x28 grey images.

The four gzip'd IDX files of the official release, pinned by the SHA-256 digests and sizes that
TensorFlow Datasets records for them, parsed with numpy. IDX layout: two zero bytes, a type code
(0x08 = unsigned byte), the number of dimensions, then each dimension as a big-endian int32,
then the data.

Surrogate-gradient defaults: SpyTorch tutorial 2 (Zenke): 100 hidden units, feed-forward, 100
steps of 1 ms, tau_mem 10 ms, tau_syn 5 ms, weights std 7 (1 - beta) / sqrt(fan_in), TTFS inputs
(tau_eff 20 ms, threshold 0.2), Adam lr 2e-4, batch 256, 30 epochs (test accuracy about 0.85).

ReL-PSP defaults: the paper's fully connected shape, 784-800-10 (Zhang et al., IEEE TNNLS 2022,
about 0.88-0.90 test accuracy); its training settings are not published, so these are the ones
measured best here: Adam lr 3e-4 annealed by a cosine over 20 epochs, batch 64, seed 0: test
accuracy 0.891, 0.885 or more from epoch 13 on, 24 % of the hidden neurons dead. (lr 5e-4:
0.886, half of them dead; 4 epochs: 0.8705; batch 32, lr 1e-3, 5 epochs: 0.867.)
"""

from __future__ import annotations

import gzip
import math
import zlib
from pathlib import Path

import numpy as np

from core.data.base import Dataset, DataUnavailable
from core.data.download import ProgressFn, RemoteFile, error_reason, fetch, shown_path
from core.data.idx import idx_image_dataset, parse_idx
from core.data.info import DatasetInfo

BASE_URL = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"
CLASSES: tuple[str, ...] = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)
# Tutorial 2's weight scale 7 (1 - beta) with dt 1 ms and tau_mem 10 ms.
TUTORIAL2_WEIGHT_SCALE = 7.0 * (1.0 - math.exp(-1.0 / 10.0))
# Tutorial 2's surrogate-gradient settings (the docstring's), shared with MNIST's 28x28 images.
TUTORIAL2_SURROGATE = dict(
    hidden=100, steps=100, scale=100.0, reg=0.0, epochs=30, batch_size=256, lr=2e-4,
    optimizer="adam", recurrent=False, tau_mem_ms=10.0, tau_syn_ms=5.0,
    weight_scale=TUTORIAL2_WEIGHT_SCALE,
)
# The ReL-PSP paper's fully connected shape with the settings measured best here.
RELPSP_FC = dict(hidden=(800,), batch_size=64, lr=3e-4, epochs=20)


def _file(name: str, sha256: str, size: int) -> RemoteFile:
    return RemoteFile(name, BASE_URL + name, sha256=sha256, size=size, dataset="Fashion-MNIST")


FASHION_FILES: dict[str, RemoteFile] = {
    "train_images": _file(
        "train-images-idx3-ubyte.gz",
        "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84", 26421880,
    ),
    "train_labels": _file(
        "train-labels-idx1-ubyte.gz",
        "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845", 29515,
    ),
    "test_images": _file(
        "t10k-images-idx3-ubyte.gz",
        "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073", 4422102,
    ),
    "test_labels": _file(
        "t10k-labels-idx1-ubyte.gz",
        "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5", 5148,
    ),
}


def read_idx(path: Path) -> np.ndarray:
    """An unsigned-byte IDX array from a (gzip'd) file."""
    try:
        raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    except (OSError, EOFError, zlib.error) as exc:
        raise DataUnavailable(
            f"{shown_path(path)} is not a readable gzip file ({error_reason(exc)}).") from exc
    return parse_idx(raw, shown_path(path))


def load_fashion_mnist(
    data_path: Path | None = None,
    progress: ProgressFn | None = None,
    files: dict[str, RemoteFile] = FASHION_FILES,
    download: bool = True,
) -> Dataset:
    """Images scaled to [0, 1] as [N, 28, 28] float32, labels 0..9; the official split."""
    paths = {k: fetch(remote, data_path, progress, download) for k, remote in files.items()}
    arrays = {key: read_idx(path) for key, path in paths.items()}
    return idx_image_dataset("fashion-mnist", "Fashion-MNIST", arrays, CLASSES, BASE_URL,
                             str(paths["train_images"].parent))


INFO = DatasetInfo(
    name="fashion-mnist",
    title="Fashion-MNIST",
    kind="image",
    description="70,000 28x28 grey images of clothes in 10 classes (Xiao et al. 2017); "
    "four IDX files, 31 MB.",
    input_shape=(28, 28),
    num_classes=len(CLASSES),
    classes=CLASSES,
    load=load_fashion_mnist,
    sources=tuple(FASHION_FILES.values()),
    defaults={
        "surrogate": TUTORIAL2_SURROGATE,
        "relpsp": RELPSP_FC,
        "nas": {"preset": "fashion"},
    },
)
