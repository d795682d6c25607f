"""The shared download / checksum / cache layer and the restricted unpickler (no network)."""

from __future__ import annotations

import hashlib
import os
import pickle
from pathlib import Path

import numpy as np
import pytest

from core.data import DataUnavailable
from core.data.download import RemoteFile, cache_dir, download, fetch, verify_file
from core.data.safe_pickle import safe_loads

PAYLOAD = b"spikelab test payload " * 5000


def _remote(src: Path, payload: bytes = PAYLOAD, **kw: object) -> RemoteFile:
    src.write_bytes(payload)
    return RemoteFile(
        filename="blob.bin",
        url=src.as_uri(),
        sha256=hashlib.sha256(payload).hexdigest(),
        **kw,  # type: ignore[arg-type]
    )


def test_cache_dir_follows_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SPIKELAB_DATA", str(tmp_path / "c"))
    assert cache_dir() == tmp_path / "c"
    monkeypatch.delenv("SPIKELAB_DATA")
    assert cache_dir() == Path.home() / ".cache" / "spikelab"


def test_download_is_verified_atomic_and_reports_progress(tmp_path: Path) -> None:
    remote = _remote(tmp_path / "src.bin")
    seen: list[tuple[int, int | None]] = []
    out = download(remote, tmp_path / "cache", progress=lambda d, t: seen.append((d, t)))
    assert out.read_bytes() == PAYLOAD
    assert not (tmp_path / "cache" / "blob.bin.part").exists()
    assert seen and seen[-1][0] == len(PAYLOAD)
    assert all(a[0] <= b[0] for a, b in zip(seen, seen[1:], strict=False))


def test_download_with_wrong_digest_leaves_nothing(tmp_path: Path) -> None:
    good = _remote(tmp_path / "src.bin")
    bad = RemoteFile(good.filename, good.url, sha256="0" * 64)
    with pytest.raises(DataUnavailable, match="does not match the official blob.bin"):
        download(bad, tmp_path / "cache")
    assert list((tmp_path / "cache").iterdir()) == []  # no .part, no final file


def test_unreachable_host_says_what_to_do(tmp_path: Path) -> None:
    remote = RemoteFile("blob.bin", "http://127.0.0.1:9/blob.bin", sha256="0" * 64)
    with pytest.raises(DataUnavailable, match="--data-path"):
        download(remote, tmp_path / "cache", timeout=5)
    assert not (tmp_path / "cache" / "blob.bin.part").exists()


def test_fetch_uses_cache_then_redownloads_damaged_copy(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("SPIKELAB_DATA", str(tmp_path / "cache"))
    remote = _remote(tmp_path / "src.bin")
    first = fetch(remote)
    assert first == tmp_path / "cache" / "blob.bin"
    first.write_bytes(b"damaged")
    again = fetch(remote)
    assert again.read_bytes() == PAYLOAD
    (tmp_path / "cache" / "blob.bin").unlink()
    with pytest.raises(DataUnavailable, match="not in the cache"):
        fetch(remote, allow_download=False)
    fetch(remote).write_bytes(b"damaged")  # a corrupt copy is removed, and the message says so
    with pytest.raises(DataUnavailable, match="was corrupt .* has been removed"):
        fetch(remote, allow_download=False)
    assert not (tmp_path / "cache" / "blob.bin").exists()


def test_fetch_local_path_file_or_folder_is_verified(tmp_path: Path) -> None:
    remote = _remote(tmp_path / "blob.bin")
    assert fetch(remote, tmp_path / "blob.bin") == tmp_path / "blob.bin"
    assert fetch(remote, tmp_path) == tmp_path / "blob.bin"
    with pytest.raises(DataUnavailable, match="does not exist"):
        fetch(remote, tmp_path / "missing.bin")
    (tmp_path / "blob.bin").write_bytes(PAYLOAD[:-10])  # truncated
    with pytest.raises(DataUnavailable, match="corrupt, truncated"):
        fetch(remote, tmp_path)


def test_size_mismatch_is_reported_as_truncated(tmp_path: Path) -> None:
    remote = _remote(tmp_path / "blob.bin", size=len(PAYLOAD) + 1)
    with pytest.raises(DataUnavailable, match="truncated"):
        verify_file(tmp_path / "blob.bin", remote)


def test_md5_pins_work(tmp_path: Path) -> None:
    (tmp_path / "blob.bin").write_bytes(PAYLOAD)
    remote = RemoteFile("blob.bin", "file:///x", md5=hashlib.md5(PAYLOAD).hexdigest())
    verify_file(tmp_path / "blob.bin", remote)
    assert remote.algorithm == "md5"


@pytest.mark.parametrize(
    "kwargs",
    [
        {"filename": "a/b", "sha256": "0" * 64},
        {"filename": "x"},
        {"filename": "x", "sha256": "abc"},
        {"filename": "x", "md5": "Z" * 32},
    ],
)
def test_remote_file_validation(kwargs: dict[str, str]) -> None:
    with pytest.raises(ValueError):
        RemoteFile(url="file:///x", **kwargs)


class _Evil:
    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.system, ("echo pwned",))


def test_restricted_unpickler_rebuilds_arrays_and_refuses_code() -> None:
    data = [{"letter": "A", "taxel_data": np.arange(6.0).reshape(3, 2)}]
    out = safe_loads(pickle.dumps(data, protocol=4))
    np.testing.assert_array_equal(out[0]["taxel_data"], data[0]["taxel_data"])  # type: ignore[index]
    with pytest.raises(pickle.UnpicklingError, match="refusing"):
        safe_loads(pickle.dumps(_Evil()))
