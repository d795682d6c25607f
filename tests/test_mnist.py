"""MNIST: the real files beside the checkout (../shared/data/mnist, re-gzip'd there, so only
the unpacked content's digests match), an unpacked copy, damaged and hostile copies, the
registry's entry, and a download from a local ``file://`` address (no network)."""

from __future__ import annotations

import gzip
import hashlib
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

import core.data.download as download_module
from core.data import DataUnavailable, dataset_info, dataset_names, load_dataset
from core.data.download import RemoteFile, fetch, read_unpacked, verify_file
from core.data.fashion_mnist import FASHION_FILES
from core.data.mnist import MNIST_FILES, load_mnist
from tests.support import FASHION, MNIST

TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def _unpack(src: Path, dst: Path) -> Path:
    with gzip.open(src, "rb") as fh, open(dst, "wb") as out:
        shutil.copyfileobj(fh, out)
    return dst


def _no_reading(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make any hashing of a whole file, packed or not, fail the test."""
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the file was read")

    monkeypatch.setattr(download_module, "file_digest", refuse)
    monkeypatch.setattr(download_module, "_unpacked_digest", refuse)


def test_the_real_files_load_with_the_official_split_and_statistics() -> None:
    data = load_dataset("mnist", MNIST, download=False)
    assert data.name == "mnist" and data.kind == "image" and data.classes == tuple("0123456789")
    assert data.x_train.shape == (60000, 28, 28) and data.x_test.shape == (10000, 28, 28)
    assert data.x_train.dtype == np.float32
    assert 0.0 <= data.x_train.min() <= data.x_train.max() <= 1.0
    assert np.bincount(data.y_train).tolist() == TRAIN_COUNTS
    assert np.bincount(data.y_test).tolist() == TEST_COUNTS
    assert round(float(data.x_train.mean(dtype=np.float64)), 4) == 0.1307
    assert round(float(data.x_train.std(dtype=np.float64)), 4) == 0.3081
    assert data.location == str(MNIST.resolve())


def test_an_unpacked_copy_is_accepted(tmp_path: Path) -> None:
    for remote in MNIST_FILES.values():
        _unpack(MNIST / remote.filename, tmp_path / str(remote.unpacked_name))
    data = load_dataset("mnist", tmp_path, download=False)
    assert np.bincount(data.y_train).tolist() == TRAIN_COUNTS and len(data.x_test) == 10000
    # one unpacked file named directly is verified and read the same way
    labels = MNIST_FILES["test_labels"]
    path = fetch(labels, tmp_path / "t10k-labels-idx1-ubyte", allow_download=False)
    assert read_unpacked(path, labels) == gzip.decompress((MNIST / labels.filename).read_bytes())


def test_a_corrupted_copy_is_refused_naming_the_file_and_keeping_it(tmp_path: Path) -> None:
    for remote in MNIST_FILES.values():
        shutil.copy(MNIST / remote.filename, tmp_path / remote.filename)
    damaged = tmp_path / "t10k-labels-idx1-ubyte.gz"
    content = bytearray(gzip.decompress(damaged.read_bytes()))
    content[100] = (content[100] + 1) % 10  # one label changed, still a valid IDX file
    damaged.write_bytes(gzip.compress(bytes(content), mtime=0))
    with pytest.raises(DataUnavailable) as caught:
        load_dataset("mnist", tmp_path, download=False)
    message = str(caught.value)
    assert str(damaged) in message and "corrupt" in message and "\n" not in message
    assert MNIST_FILES["test_labels"].url in message and "delete" not in message.lower()
    assert damaged.is_file()


class _CountingGzip:
    """``gzip.open`` that records how many unpacked bytes each read returns."""

    real_open = staticmethod(gzip.open)
    counts: list[int] = []

    def __init__(self, *args: object, **kwargs: object) -> None:
        self.fh = self.real_open(*args, **kwargs)  # type: ignore[call-overload]

    def __enter__(self) -> _CountingGzip:
        return self

    def __exit__(self, *exc: object) -> None:
        self.fh.close()

    def read(self, n: int = -1) -> bytes:
        chunk = self.fh.read(n)
        self.counts.append(len(chunk))
        return chunk


def test_a_gzip_bomb_is_refused_and_unpacked_at_most_to_the_pinned_size(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bomb = tmp_path / "train-images-idx3-ubyte.gz"
    with gzip.open(bomb, "wb", compresslevel=1) as out:
        for _ in range(64):
            out.write(bytes(1 << 20))  # 64 MiB of zeros in about 300 KB
    monkeypatch.setattr(_CountingGzip, "counts", [])
    monkeypatch.setattr(gzip, "open", _CountingGzip)
    remote = MNIST_FILES["train_images"]
    # the gzip trailer records another length: refused before anything is unpacked
    with pytest.raises(DataUnavailable, match="is not the official train-images") as caught:
        verify_file(bomb, remote)
    assert sum(_CountingGzip.counts) == 0 and "delete" not in str(caught.value).lower()
    # a forged trailer: unpacked once, and only up to the pinned size
    size = remote.unpacked_size or 0
    with open(bomb, "r+b") as fh:
        fh.seek(-4, os.SEEK_END)
        fh.write(size.to_bytes(4, "little"))
    with pytest.raises(DataUnavailable, match="corrupt"):
        verify_file(bomb, remote)
    assert size < sum(_CountingGzip.counts) <= size + (1 << 20)


@pytest.mark.parametrize("name", ["train-images-idx3-ubyte", "train-images-idx3-ubyte.gz"])
def test_an_oversized_file_is_refused_by_its_size_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    path = tmp_path / name
    with open(path, "wb") as fh:
        fh.write(b"\x1f\x8b\x08\x00" if name.endswith(".gz") else b"\x00\x00\x08\x03")
        fh.truncate(5 << 30)  # 5 GB, sparse: reading it would take minutes
    _no_reading(monkeypatch)
    with pytest.raises(DataUnavailable) as caught:
        fetch(MNIST_FILES["train_images"], path, allow_download=False)
    message = str(caught.value)
    assert "47,040,016 unpacked" in message and "delete" not in message.lower()
    assert f"{5 << 30:,}" not in message  # an unknown file's size is not described


def test_the_registry_offers_mnist_to_every_method() -> None:
    for method in ("surrogate", "relpsp", "nas"):
        assert "mnist" in dataset_names(method)
    names = dataset_names()
    assert names.index("mnist") == names.index("fashion-mnist") + 1
    info = dataset_info("mnist")
    assert info.image_shape == (1, 28, 28) and info.num_classes == 10 and not info.offline
    assert info.defaults_for("relpsp") == dict(hidden=(800,), batch_size=64, lr=3e-4, epochs=12)
    assert info.defaults_for("nas") == {"preset": "mnist-full"}
    assert all(r.url.startswith("https://storage.googleapis.com/cvdf-datasets/mnist/")
               for r in info.sources)


def test_the_fashion_mnist_folder_as_mnists_data_path_is_named_as_fashion_mnist() -> None:
    with pytest.raises(DataUnavailable) as caught:
        load_dataset("mnist", FASHION, download=False)
    message = str(caught.value)
    for part in ("is Fashion-MNIST's train-images-idx3-ubyte, gzip'd (26,421,880 bytes",
                 "not MNIST's train-images-idx3-ubyte.gz", "--data-path",
                 MNIST_FILES["train_images"].url):
        assert part in message
    assert "delete" not in message.lower() and "corrupt" not in message


def test_an_unpacked_fashion_file_given_to_fashion_mnist_says_it_needs_the_gzip(
    tmp_path: Path,
) -> None:
    raw = _unpack(FASHION / "t10k-labels-idx1-ubyte.gz", tmp_path / "t10k-labels-idx1-ubyte")
    with pytest.raises(DataUnavailable) as caught:
        verify_file(raw, FASHION_FILES["test_labels"])
    message = str(caught.value)
    assert "is Fashion-MNIST's t10k-labels-idx1-ubyte, not gzip'd (10,008 bytes" in message
    assert "is read only as the official gzip file (5,148 bytes)" in message


def _idx(shape: tuple[int, ...], values: np.ndarray) -> bytes:
    header = bytes([0, 0, 8, len(shape)]) + b"".join(d.to_bytes(4, "big") for d in shape)
    return header + values.astype(np.uint8).tobytes()


def test_a_download_is_cached_in_mnists_folder_and_loaded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SPIKELAB_DATA", str(tmp_path / "cache"))
    rng = np.random.default_rng(0)
    contents = {
        "train_images": _idx((20, 28, 28), rng.integers(0, 256, (20, 28, 28))),
        "train_labels": _idx((20,), np.arange(20) % 10),
        "test_images": _idx((5, 28, 28), rng.integers(0, 256, (5, 28, 28))),
        "test_labels": _idx((5,), np.arange(5)),
    }
    files = {}
    for key, content in contents.items():
        official = MNIST_FILES[key]
        src = tmp_path / "mirror" / official.filename
        src.parent.mkdir(exist_ok=True)
        src.write_bytes(gzip.compress(content, mtime=0))
        files[key] = RemoteFile(
            official.filename, src.as_uri(), sha256=hashlib.sha256(src.read_bytes()).hexdigest(),
            size=src.stat().st_size, dataset="MNIST", cache_folder="mnist",
            unpacked_sha256=hashlib.sha256(content).hexdigest(), unpacked_size=len(content),
        )
    data = load_mnist(files=files)
    assert data.x_train.shape == (20, 28, 28) and data.y_test.tolist() == [0, 1, 2, 3, 4]
    cached = tmp_path / "cache" / "mnist"
    assert sorted(p.name for p in cached.iterdir()) == sorted(r.filename for r in files.values())
    assert not list((tmp_path / "cache").glob("*.gz"))  # Fashion-MNIST's names stay free
    assert load_mnist(files=files, download=False).x_train.shape == (20, 28, 28)
