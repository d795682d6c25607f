"""Braille loader on the real SpyTorch file and on small files the tests write."""

from __future__ import annotations

import gzip
import hashlib
import pickle
from pathlib import Path

import numpy as np
import pytest
import torch

from core.data import DataUnavailable, load_dataset
from core.data.braille import BRAILLE_FILE, LETTERS, load_braille, read_braille_records
from tests.support import BRAILLE

REAL = BRAILLE


def test_real_file_shapes_classes_and_split() -> None:
    ds = load_dataset("braille", REAL)
    assert ds.kind == "timeseries" and ds.classes == LETTERS and len(LETTERS) == 27
    assert ds.x_train.shape == (1080, 152, 4) and ds.x_test.shape == (270, 152, 4)
    assert ds.x_train.dtype == np.float32
    assert np.bincount(ds.y_test, minlength=27).tolist() == [10] * 27  # stratified 20 %
    assert "1, 2, 6, 10" in ds.source  # the non-constant taxels SpyTorch keeps
    again = load_dataset("braille", REAL)
    np.testing.assert_array_equal(ds.x_test, again.x_test)  # seeded


def test_real_file_matches_spytorch_tutorial5_preprocessing() -> None:
    traces, labels = read_braille_records(REAL)
    # Tutorial 5, written out with torch as in the notebook.
    length = min(len(t) for t in traces)
    data = torch.tensor(np.stack([1.0 - t[:length] / 255 for t in traces]), dtype=torch.float)
    data = data[:, :, [1, 2, 6, 10]]
    rshp = data.reshape((-1, data.shape[2]))
    data = (data - rshp.mean(0)) / (rshp.std(0) + 1e-3)
    data = data.repeat_interleave(2, dim=1)
    ds = load_braille(REAL, test_fraction=0.2, seed=3)
    x = np.concatenate([ds.x_train, ds.x_test])
    y = np.concatenate([ds.y_train, ds.y_test])
    ref = data.numpy()
    # Each loaded sample equals one tutorial sample of the same label.
    for i in (0, 17, 500, 1349):
        dist = np.abs(ref - x[i]).max(axis=(1, 2))
        j = int(dist.argmin())
        assert dist[j] < 1e-4 and labels[j] == y[i]


def _write_small(path: Path, seed: int = 0) -> bytes:
    rng = np.random.default_rng(seed)
    records = []
    for letter in LETTERS[:3]:
        for rep in range(4):
            data = np.full((10 + rep % 2, 12), 200.0)
            data[:, 5] = rng.uniform(0, 255, data.shape[0])
            records.append({"letter": letter, "repetition": rep, "taxel_data": data})
    raw = gzip.compress(pickle.dumps(records, protocol=4))
    path.write_bytes(raw)
    return raw


def test_small_file_through_loader(tmp_path: Path) -> None:
    raw = _write_small(tmp_path / BRAILLE_FILE.filename)
    remote = BRAILLE_FILE.__class__(
        BRAILLE_FILE.filename, BRAILLE_FILE.url, sha256=hashlib.sha256(raw).hexdigest()
    )
    ds = load_braille(tmp_path, remote=remote, test_fraction=0.25, upsample=3)
    assert ds.x_train.shape == (9, 30, 1) and ds.x_test.shape == (3, 30, 1)  # only taxel 5 varies
    x = np.concatenate([ds.x_train, ds.x_test])
    assert abs(float(x.mean())) < 1e-5  # standardised
    assert set(ds.y_test.tolist()) == {0, 1, 2}


def test_checksum_mismatch_and_truncation_are_clear(tmp_path: Path) -> None:
    raw = REAL.read_bytes()
    flipped = bytearray(raw)
    flipped[1000] ^= 0xFF
    (tmp_path / "flipped.pkl.gz").write_bytes(bytes(flipped))
    with pytest.raises(DataUnavailable, match="does not match the official"):
        load_dataset("braille", tmp_path / "flipped.pkl.gz")
    _write_small(tmp_path / "small.pkl.gz")
    with pytest.raises(DataUnavailable, match="different version"):
        load_dataset("braille", tmp_path / "small.pkl.gz")
    (tmp_path / "cut.pkl.gz").write_bytes(raw[: len(raw) // 2])
    with pytest.raises(DataUnavailable, match="truncated"):
        load_dataset("braille", tmp_path / "cut.pkl.gz")


def test_corrupt_but_verified_file_gives_clear_error(tmp_path: Path) -> None:
    raw = b"not gzip at all"
    (tmp_path / "bad.gz").write_bytes(raw)
    remote = BRAILLE_FILE.__class__("bad.gz", "file:///x", sha256=hashlib.sha256(raw).hexdigest())
    with pytest.raises(DataUnavailable, match="not a readable Braille pickle"):
        load_braille(tmp_path / "bad.gz", remote=remote)
