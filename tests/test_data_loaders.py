"""Fashion-MNIST, SHD and CIFAR-10 loaders on small files in the real formats (tonic-style).

The pinned digests belong to the official files, so the tests pin their own small files where
they exercise parsing, and check that the real pins reject them through the registry.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import pickle
import tarfile
from pathlib import Path

import h5py
import numpy as np
import pytest

from core.data import DataUnavailable, load_dataset
from core.data.cifar10 import CIFAR10_FILE, load_cifar10
from core.data.download import RemoteFile
from core.data.fashion_mnist import FASHION_FILES, load_fashion_mnist
from core.data.shd import SHD_FILES, load_shd


def _pin(path: Path, md5: bool = False) -> RemoteFile:
    data = path.read_bytes()
    if md5:
        return RemoteFile(path.name, "file:///unused", md5=hashlib.md5(data).hexdigest())
    return RemoteFile(path.name, "file:///unused", sha256=hashlib.sha256(data).hexdigest())


def _idx(array: np.ndarray) -> bytes:
    header = bytes([0, 0, 0x08, array.ndim]) + np.asarray(array.shape, ">i4").tobytes()
    return gzip.compress(header + array.astype(np.uint8).tobytes())


def _write_fashion(folder: Path, rng: np.random.Generator) -> dict[str, np.ndarray]:
    arrays = {
        "train_images": rng.integers(0, 256, (12, 28, 28)),
        "train_labels": rng.integers(0, 10, 12),
        "test_images": rng.integers(0, 256, (5, 28, 28)),
        "test_labels": rng.integers(0, 10, 5),
    }
    for key, arr in arrays.items():
        (folder / FASHION_FILES[key].filename).write_bytes(_idx(arr))
    return arrays


def test_fashion_mnist_small_idx_files(tmp_path: Path) -> None:
    arrays = _write_fashion(tmp_path, np.random.default_rng(0))
    files = {k: _pin(tmp_path / r.filename) for k, r in FASHION_FILES.items()}
    ds = load_fashion_mnist(tmp_path, files=files)
    assert ds.x_train.shape == (12, 28, 28) and ds.x_test.shape == (5, 28, 28)
    np.testing.assert_allclose(ds.x_train * 255, arrays["train_images"], atol=1e-4)
    np.testing.assert_array_equal(ds.y_test, arrays["test_labels"])
    assert ds.classes[9] == "Ankle boot" and ds.kind == "image"
    with pytest.raises(DataUnavailable, match="truncated or a different version"):
        load_dataset("fashion-mnist", tmp_path)  # the real pins reject the small files


def test_fashion_mnist_truncated_idx_is_clear(tmp_path: Path) -> None:
    _write_fashion(tmp_path, np.random.default_rng(1))
    name = FASHION_FILES["train_images"].filename
    raw = gzip.decompress((tmp_path / name).read_bytes())
    (tmp_path / name).write_bytes(gzip.compress(raw[:-100]))
    files = {k: _pin(tmp_path / r.filename) for k, r in FASHION_FILES.items()}
    with pytest.raises(DataUnavailable, match="truncated or corrupt"):
        load_fashion_mnist(tmp_path, files=files)
    (tmp_path / name).write_bytes((tmp_path / name).read_bytes()[:50])  # cut gzip stream
    files = {k: _pin(tmp_path / r.filename) for k, r in FASHION_FILES.items()}
    with pytest.raises(DataUnavailable, match="not a readable gzip"):
        load_fashion_mnist(tmp_path, files=files)


def _write_shd(path: Path, samples: list[tuple[list[float], list[int], int]]) -> None:
    h5 = path.with_suffix("")
    with h5py.File(h5, "w") as fh:
        f_t = h5py.vlen_dtype(np.dtype("float32"))
        u_t = h5py.vlen_dtype(np.dtype("uint16"))
        times = fh.create_dataset("spikes/times", (len(samples),), dtype=f_t)
        units = fh.create_dataset("spikes/units", (len(samples),), dtype=u_t)
        for i, (t, u, _) in enumerate(samples):
            times[i] = np.asarray(t, np.float32)
            units[i] = np.asarray(u, np.uint16)
        fh.create_dataset("labels", data=np.asarray([s[2] for s in samples], np.uint8))
        keys = [f"digit-{k}".encode() for k in range(20)]
        fh.create_dataset("extra/keys", data=np.asarray(keys))
    path.write_bytes(gzip.compress(h5.read_bytes()))
    h5.unlink()


def test_shd_small_hdf5_binned(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPIKELAB_DATA", str(tmp_path / "cache"))
    train = [
        ([0.0, 0.0005, 0.75, 1.3999, 1.5], [3, 3, 699, 10, 5], 4),  # 1.5 s is past max_time
        ([0.35], [0], 19),
    ]
    _write_shd(tmp_path / "shd_train.h5.gz", train)
    _write_shd(tmp_path / "shd_test.h5.gz", [([0.1], [1], 7)])
    files = {k: _pin(tmp_path / r.filename, md5=True) for k, r in SHD_FILES.items()}
    ds = load_shd(tmp_path, nb_steps=14, files=files)  # 100 ms bins
    assert ds.kind == "spikes" and ds.x_train.shape == (2, 14, 700) and ds.dt_ms == 100.0
    assert ds.x_train.dtype == np.uint8
    assert ds.x_train[0, 0, 3] == 2 and ds.x_train[0, 7, 699] == 1 and ds.x_train[0, 13, 10] == 1
    assert int(ds.x_train[0].sum()) == 4 and ds.x_train[1, 3, 0] == 1
    assert ds.y_train.tolist() == [4, 19] and ds.x_test[0, 1, 1] == 1
    assert ds.classes[19] == "digit-19"
    again = load_shd(tmp_path, nb_steps=14, files=files)  # reuses the decompressed cache copy
    np.testing.assert_array_equal(again.x_train, ds.x_train)
    assert len(list((tmp_path / "cache").glob("*.part"))) == 0
    with pytest.raises(DataUnavailable, match="does not match the official shd_train"):
        load_dataset("shd", tmp_path)


def test_shd_corrupt_archive_is_clear(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPIKELAB_DATA", str(tmp_path / "cache"))
    _write_shd(tmp_path / "shd_train.h5.gz", [([0.1], [1], 0)])
    (tmp_path / "shd_test.h5.gz").write_bytes(gzip.compress(b"not an hdf5 file"))
    files = {k: _pin(tmp_path / r.filename, md5=True) for k, r in SHD_FILES.items()}
    with pytest.raises(DataUnavailable, match="not a readable SHD HDF5"):
        load_shd(tmp_path, files=files)


def _batch(rng: np.random.Generator, n: int) -> bytes:
    batch = {b"data": rng.integers(0, 256, (n, 3072)).astype(np.uint8),
             b"labels": rng.integers(0, 10, n).tolist(), b"batch_label": b"test"}
    return pickle.dumps(batch, protocol=2)


def _write_cifar(path: Path, members: dict[str, bytes]) -> None:
    with tarfile.open(path, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def test_cifar10_small_archive(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    members = {f"data_batch_{i}": _batch(rng, 4) for i in range(1, 6)}
    members["test_batch"] = _batch(rng, 3)
    _write_cifar(tmp_path / CIFAR10_FILE.filename, members)
    ds = load_cifar10(tmp_path, remote=_pin(tmp_path / CIFAR10_FILE.filename))
    assert ds.x_train.shape == (20, 3, 32, 32) and ds.x_test.shape == (3, 3, 32, 32)
    first = pickle.loads(members["data_batch_1"])
    np.testing.assert_allclose(ds.x_train[0].reshape(-1) * 255, first[b"data"][0], atol=1e-3)
    assert ds.y_train[:4].tolist() == first[b"labels"] and ds.classes[0] == "airplane"
    with pytest.raises(DataUnavailable, match="official cifar-10-python.tar.gz"):
        load_dataset("cifar10", tmp_path)


class _Evil:
    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.system, ("echo pwned",))


def test_cifar10_refuses_code_and_truncation(tmp_path: Path) -> None:
    members = {f"data_batch_{i}": pickle.dumps(_Evil()) for i in range(1, 6)}
    members["test_batch"] = pickle.dumps(_Evil())
    path = tmp_path / "evil.tar.gz"
    _write_cifar(path, members)
    with pytest.raises(DataUnavailable, match="refusing to load"):
        load_cifar10(path, remote=_pin(path))
    cut = tmp_path / "cut.tar.gz"
    cut.write_bytes(path.read_bytes()[:200])
    with pytest.raises(DataUnavailable, match="not a readable CIFAR-10 archive"):
        load_cifar10(cut, remote=_pin(cut))
