"""MNIST's files given in place of Fashion-MNIST's are named as MNIST's (issue 28).

Run on the real MNIST files beside the checkout (../shared/data/mnist: the official
content, re-gzip'd there, so only the unpacked digests match); small foreign files check that
an unknown file is still not described and that no message tells a user to delete a file.
"""

from __future__ import annotations

import gzip
import shutil

import pytest

from core.data import DataUnavailable, load_dataset
from core.data.download import RemoteFile, verify_file
from core.data.fashion_mnist import FASHION_FILES
from core.data.lookalikes import KNOWN_FILES, identify
from tests.support import MNIST


def test_the_mnist_folder_as_fashion_mnists_data_path_is_named_as_mnist():
    with pytest.raises(DataUnavailable) as caught:
        load_dataset("fashion-mnist", MNIST)
    message = str(caught.value)
    size = (MNIST / "train-images-idx3-ubyte.gz").stat().st_size
    for part in ("MNIST's train-images-idx3-ubyte", f"{size:,} bytes", "47,040,016 bytes unpacked",
                 "not Fashion-MNIST's train-images-idx3-ubyte.gz (26,421,880 bytes)",
                 "--data-path", FASHION_FILES["train_images"].url):
        assert part in message
    assert "delete" not in message.lower() and "truncated" not in message


@pytest.mark.parametrize("known", [k for k in KNOWN_FILES if k.dataset == "MNIST"],
                         ids=lambda k: k.name)
def test_each_real_mnist_file_is_recognised_gzipped(known):
    match = identify(MNIST / f"{known.name}.gz")
    assert match is not None and match.known == known and match.packed


def test_an_unpacked_mnist_file_is_recognised_and_a_digest_mismatch_names_it(tmp_path):
    raw = tmp_path / "t10k-labels-idx1-ubyte"
    with gzip.open(MNIST / "t10k-labels-idx1-ubyte.gz") as src, open(raw, "wb") as out:
        shutil.copyfileobj(src, out)
    match = identify(raw)
    assert match is not None and not match.packed and match.size == 10008
    # the right size but another digest: verify_file's message names MNIST too
    gz = MNIST / "t10k-labels-idx1-ubyte.gz"
    remote = RemoteFile(gz.name, "https://example.org/labels.gz", sha256="0" * 64,
                        size=gz.stat().st_size, dataset="Fashion-MNIST")
    with pytest.raises(DataUnavailable, match="is MNIST's t10k-labels-idx1-ubyte, gzip'd"):
        verify_file(gz, remote)


def test_an_unknown_file_is_not_described_and_not_to_be_deleted(tmp_path):
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(b"\x00\x00\x08\x03" + bytes(1000)))
    assert identify(path) is None
    for remote in (FASHION_FILES["train_images"],
                   RemoteFile(path.name, "https://example.org/x.gz", sha256="0" * 64,
                              size=path.stat().st_size)):
        with pytest.raises(DataUnavailable) as caught:
            verify_file(path, remote)
        message = str(caught.value)
        assert f" {path.stat().st_size:,} bytes" not in message and "MNIST" not in message
        assert "delete" not in message.lower() and remote.url in message


def test_a_gzip_bomb_is_read_only_up_to_the_largest_known_file(tmp_path):
    path = tmp_path / "bomb.gz"
    path.write_bytes(gzip.compress(bytes(64 << 20), compresslevel=1))
    assert path.stat().st_size < 1 << 20 and identify(path) is None
