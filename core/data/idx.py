"""IDX files (MNIST's format, Fashion-MNIST's too) and the image data set built from them.

IDX layout: two zero bytes, a type code (0x08 = unsigned byte), the number of dimensions, each
dimension as a big-endian int32, then the data. Both loaders verify their files first
(``core.data.download``); these only parse and check what was verified.
"""

from __future__ import annotations

import numpy as np

from core.data.base import Dataset, DataUnavailable


def parse_idx(raw: bytes, where: str) -> np.ndarray:
    """An unsigned-byte IDX array from a file's (verified, unpacked) bytes."""
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise DataUnavailable(f"{where} is not an unsigned-byte IDX file.")
    ndim = raw[3]
    header = 4 + 4 * ndim
    if ndim == 0 or len(raw) < header:
        raise DataUnavailable(f"{where}: the IDX header is cut short.")
    shape = tuple(int(d) for d in np.frombuffer(raw, ">i4", count=ndim, offset=4))
    if len(raw) - header != int(np.prod(shape)):
        raise DataUnavailable(
            f"{where}: the IDX header promises {shape} bytes of data but the file holds "
            f"{len(raw) - header}; the file is truncated or corrupt."
        )
    return np.frombuffer(raw, np.uint8, offset=header).reshape(shape)


def idx_image_dataset(name: str, title: str, arrays: dict[str, np.ndarray],
                      classes: tuple[str, ...], source: str, location: str) -> Dataset:
    """The data set of the four arrays ``{train,test}_{images,labels}``: images scaled to
    [0, 1] as float32, labels int64, each split's images and labels checked to match."""
    for split in ("train", "test"):
        images, labels = arrays[f"{split}_images"], arrays[f"{split}_labels"]
        if images.ndim != 3 or labels.ndim != 1 or images.shape[0] != labels.shape[0]:
            raise DataUnavailable(
                f"{title} {split}: {images.shape} images do not match {labels.shape} labels."
            )
        if labels.size and labels.max() >= len(classes):
            raise DataUnavailable(f"{title} {split}: a label is above {len(classes) - 1}.")
    return Dataset(
        name=name,
        kind="image",
        x_train=arrays["train_images"].astype(np.float32) / 255.0,
        y_train=arrays["train_labels"].astype(np.int64),
        x_test=arrays["test_images"].astype(np.float32) / 255.0,
        y_test=arrays["test_labels"].astype(np.int64),
        classes=classes,
        source=source,
        location=location,
    )
