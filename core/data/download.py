"""Download, checksum and cache the files behind the data sets (in the style of tonic).

A ``RemoteFile`` names one official file and its pinned digest. ``fetch`` finds it in a folder or
file the user gave (``--data-path``), else in the cache (``SPIKELAB_DATA`` or
``~/.cache/spikelab``), else downloads it. Every path it returns has been verified against the
pinned digest; nothing is parsed before that. Downloads go to ``NAME.part`` and are renamed only
once complete and verified, so a partial file never poses as a complete one. A ``RemoteFile``
with a ``cache_folder`` is cached in that sub-folder (MNIST and Fashion-MNIST share file names).

A gzip file whose unpacked content is pinned too (``unpacked_sha256``, ``unpacked_size``: MNIST)
is also accepted re-compressed (other gzip bytes around the official content) or unpacked (the
name without ``.gz``); its content is read at most to the pinned unpacked size, so a gzip bomb
costs no more than a genuine file, and ``read_unpacked`` hands a loader the verified bytes.

A path may come from a stranger (a link to a page). Its size is checked against the pinned size
(or ``max_size``, or ``LIMITS.data_file_mb``) before a byte is hashed, so naming a 5 GB file
costs a ``stat``; messages never say an unknown file's size or digest. A file recognised as
another data set's published file (``core.data.lookalikes``: MNIST given for Fashion-MNIST) is
named with its public sizes, and the message says what to pass instead; no message tells a user
to delete a file of theirs. In network mode
(``core.limits.network_mode``) a data path must resolve, symlinks followed, inside the cache.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import re
import urllib.error
import urllib.request
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from core.checks import is_whole
from core.data.base import DataUnavailable
from core.data.lookalikes import describe, identify
from core.limits import LIMITS, MB, network_mode

# progress(bytes_done, bytes_total or None)
ProgressFn = Callable[[int, int | None], None]

_CHUNK = 1 << 20
_HEX = re.compile(r"^[0-9a-f]+$")
_FOLDER = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_GZIP_MAGIC = b"\x1f\x8b"
_GZIP_HEADER_MAX = 1 << 16


@dataclass(frozen=True)
class RemoteFile:
    """One official file: where it lives and the digest it must have.

    ``sha256`` is preferred; ``md5`` is accepted where the publisher gives only that. ``size``
    is the exact size in bytes; where it is not pinned, ``max_size`` bounds it. For a ``.gz``
    file, ``unpacked_sha256`` and ``unpacked_size`` pin its content: a copy gzip'd otherwise, or
    unpacked, is then accepted too. ``cache_folder`` is the cache's sub-folder for the file.
    """

    filename: str
    url: str
    sha256: str | None = None
    md5: str | None = None
    size: int | None = None
    max_size: int | None = None
    dataset: str = ""  # the data set's name, for messages ("Fashion-MNIST")
    unpacked_sha256: str | None = None
    unpacked_size: int | None = None
    cache_folder: str = ""

    def __post_init__(self) -> None:
        if not self.filename or "/" in self.filename or self.filename.startswith("."):
            raise ValueError(f"A file name without folders is needed (got {self.filename!r}).")
        if self.sha256 is None and self.md5 is None:
            raise ValueError(f"{self.filename}: pin a SHA-256 (or MD5) digest.")
        for digest, length in ((self.sha256, 64), (self.md5, 32)):
            if digest is not None and (len(digest) != length or not _HEX.match(digest)):
                raise ValueError(f"{self.filename}: {digest!r} is not a lowercase hex digest.")
        for size in (self.size, self.max_size, self.unpacked_size):
            if size is not None and not is_whole(size, 1):
                raise ValueError(f"{self.filename}: sizes must be positive whole numbers "
                                 f"(got {size}).")
        if (self.unpacked_sha256 is None) != (self.unpacked_size is None):
            raise ValueError(f"{self.filename}: pin the unpacked content's SHA-256 and size both.")
        if self.unpacked_sha256 is not None:
            if not self.filename.endswith(".gz") or len(self.filename) < 4:
                raise ValueError(f"{self.filename}: only a .gz file has an unpacked content.")
            if len(self.unpacked_sha256) != 64 or not _HEX.match(self.unpacked_sha256):
                raise ValueError(
                    f"{self.filename}: {self.unpacked_sha256!r} is not a lowercase hex digest."
                )
        if self.cache_folder and not _FOLDER.match(self.cache_folder):
            raise ValueError(f"{self.filename}: {self.cache_folder!r} is not a plain folder name.")

    @property
    def largest(self) -> int:
        """The most bytes a genuine copy can have: the pinned size, else the bound."""
        return self.size or self.max_size or LIMITS.data_file_mb * MB

    @property
    def unpacked_name(self) -> str | None:
        """The unpacked file's name (without ``.gz``) where its content is pinned, else None."""
        return self.filename[:-3] if self.unpacked_sha256 else None

    @property
    def packed_limit(self) -> int:
        """The most bytes a re-compressed copy may have: deflate's stored blocks add 5 bytes per
        64 KiB, and a gzip header may hold up to 64 KiB of extra fields and names."""
        content = self.unpacked_size or 0
        return max(self.size or 0, content + content // 8192 + 4 * _GZIP_HEADER_MAX)

    @property
    def algorithm(self) -> str:
        return "sha256" if self.sha256 else "md5"

    @property
    def digest(self) -> str:
        return self.sha256 or self.md5 or ""


def cache_dir() -> Path:
    """The cache folder: ``$SPIKELAB_DATA`` if set, else ``~/.cache/spikelab``."""
    env = os.environ.get("SPIKELAB_DATA")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "spikelab"


def cache_folder(remote: RemoteFile) -> Path:
    """Where ``remote`` is cached: the cache, or its sub-folder ``remote.cache_folder``."""
    return cache_dir() / remote.cache_folder if remote.cache_folder else cache_dir()


def file_digest(path: Path, algorithm: str = "sha256") -> str:
    """Hex digest of a file, read in chunks."""
    h = hashlib.new(algorithm)
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(_CHUNK), b""):
            h.update(chunk)
    return h.hexdigest()


def check_size(path: Path, remote: RemoteFile) -> None:
    """Raise ``DataUnavailable`` unless ``path`` can be ``remote`` by its size (no byte read).

    The message names the official size only: a file that is not the data set's is not
    described."""
    size = path.stat().st_size
    pinned = remote.size is not None
    if size == (remote.size if pinned else size) and size <= remote.largest:
        return
    official = f"{remote.largest:,} bytes" if pinned else f"at most {remote.largest:,} bytes"
    raise DataUnavailable(_lookalike_message(path, remote, official) or (
        f"{shown_path(path)} is not the official {remote.filename} (that file has {official}): "
        f"the file is truncated or a different version. Download {remote.url} and pass that file."
    ))


def verify_file(path: Path, remote: RemoteFile) -> None:
    """Raise ``DataUnavailable`` unless ``path`` has the pinned size and digest (or, where the
    unpacked content is pinned, that content gzip'd or not).

    The size is checked first, so a file of the wrong size is never read."""
    if remote.unpacked_sha256 is not None:
        _verify_content(path, remote)
        return
    check_size(path, remote)
    got = file_digest(path, remote.algorithm)
    if got != remote.digest:
        raise DataUnavailable(_lookalike_message(path, remote) or (
            f"{shown_path(path)} does not match the official {remote.filename} (its "
            f"{remote.algorithm.upper()} differs): it is corrupt, truncated or a different "
            f"version. Download {remote.url} and pass that file."
        ))


def _verify_content(path: Path, remote: RemoteFile) -> None:
    """``verify_file`` for a gzip file whose unpacked content is pinned: the official file, the
    same content gzip'd otherwise (its size bounded, its gzip trailer's length checked, then
    read at most to the unpacked size), or the content itself (its exact size first)."""
    size = path.stat().st_size
    packed = _is_gzip(path)
    if packed and size == remote.size and file_digest(path, remote.algorithm) == remote.digest:
        return
    unpacked = remote.unpacked_size or 0
    if packed:
        fits = 18 <= size <= remote.packed_limit and _gzip_length(path) == unpacked % (1 << 32)
    else:
        fits = size == unpacked
    if not fits:
        official = f"{remote.largest:,} bytes; {unpacked:,} unpacked"
        raise DataUnavailable(_lookalike_message(path, remote, official) or (
            f"{shown_path(path)} is not the official {remote.filename} ({official}): the file is "
            f"truncated, corrupt or a different version. Download {remote.url} and pass that "
            f"file, or its unpacked content."
        ))
    got = _unpacked_digest(path, unpacked) if packed else file_digest(path)
    if got != remote.unpacked_sha256:
        raise DataUnavailable(
            _lookalike_message(path, remote, unpacked_sha256=(got or "") if packed else None)
            or _content_differs(path, remote)
        )


def _content_differs(path: Path, remote: RemoteFile) -> str:
    return (
        f"{shown_path(path)} does not hold the official {remote.unpacked_name} (the SHA-256 of "
        f"its {'unpacked ' if _is_gzip(path) else ''}content differs): it is corrupt, truncated "
        f"or a different version. Download {remote.url} and pass that file."
    )


def read_unpacked(path: Path, remote: RemoteFile) -> bytes:
    """The pinned content of ``path`` (a file ``fetch`` returned for ``remote``), unpacked if
    gzip'd: read at most to the pinned size and checked against the digest again, so the bytes
    a loader parses are the ones verified even if the file changed since."""
    if remote.unpacked_sha256 is None or remote.unpacked_size is None:
        raise ValueError(f"{remote.filename}: its unpacked content is not pinned.")
    try:
        with gzip.open(path, "rb") if _is_gzip(path) else open(path, "rb") as fh:
            raw = fh.read(remote.unpacked_size + 1)
    except (OSError, EOFError, zlib.error) as exc:
        raise DataUnavailable(
            f"{shown_path(path)} could not be read ({error_reason(exc)}).") from exc
    if len(raw) != remote.unpacked_size or hashlib.sha256(raw).hexdigest() != (
        remote.unpacked_sha256
    ):
        raise DataUnavailable(_content_differs(path, remote))
    return raw


def _is_gzip(path: Path) -> bool:
    with open(path, "rb") as fh:
        return fh.read(2) == _GZIP_MAGIC


def _gzip_length(path: Path) -> int:
    """The unpacked length a gzip file's trailer records (modulo 2**32; its last 4 bytes)."""
    with open(path, "rb") as fh:
        fh.seek(-4, os.SEEK_END)
        return int.from_bytes(fh.read(4), "little")


def _unpacked_digest(path: Path, limit: int) -> str | None:
    """SHA-256 of a gzip file's content; None past ``limit`` bytes or for a broken stream."""
    h, total = hashlib.sha256(), 0
    try:
        with gzip.open(path, "rb") as fh:
            while chunk := fh.read(_CHUNK):
                total += len(chunk)
                if total > limit:
                    return None
                h.update(chunk)
    except (OSError, EOFError, zlib.error):
        return None
    return h.hexdigest()


def _lookalike_message(
    path: Path, remote: RemoteFile, official: str = "", unpacked_sha256: str | None = None
) -> str | None:
    """What ``path`` is when it is a published file other than ``remote`` (another data set's,
    or its own data set's other form or other file), and what to pass instead; None for a file
    nobody published (it is not described). ``unpacked_sha256``: as ``identify`` takes it."""
    match = identify(path, unpacked_sha256)
    if match is None:
        return None
    wanted = f"{remote.dataset}'s {remote.filename}" if remote.dataset else remote.filename
    sizes = f" ({official})" if official else ""
    if match.known.dataset == remote.dataset:
        needs = (f"but {wanted} is read only as the official gzip file{sizes}"
                 if remote.filename == match.known.name + ".gz" else f"not {wanted}{sizes}")
        return (
            f"{shown_path(path)} is {describe(match)}, {needs}. Pass the file, or the folder, "
            f"that holds {wanted} with --data-path, or leave --data-path out to download it from "
            f"{remote.url}."
        )
    return (
        f"{shown_path(path)} is {describe(match)}, not {wanted}{sizes}: {match.known.dataset} and "
        f"{remote.dataset or 'this data set'} use the same file names. Pass the file, or the "
        f"folder, that holds {wanted} with --data-path, or "
        f"leave --data-path out to download it from {remote.url}."
    )


def shown_path(path: Path) -> str:
    """``path`` as a message names it. In network mode a path inside the cache is named from
    the cache (``<cache>/mnist/...``), any other by its file name: a visitor learns nothing of
    the host's folders."""
    if not network_mode():
        return str(path)
    root = cache_dir().expanduser().resolve()
    resolved = path.expanduser().resolve()
    if resolved.is_relative_to(root):
        return str(Path("<cache>") / resolved.relative_to(root))
    return path.name


def confine(path: Path) -> Path:
    """``path`` with symlinks resolved; in network mode, refused unless inside the cache.

    On a shared server a visitor's data path must not reach the host's other files."""
    resolved = path.expanduser().resolve()
    if network_mode() and not resolved.is_relative_to(cache_dir().expanduser().resolve()):
        raise DataUnavailable(
            "Data paths are confined to the data cache on a shared server (network mode): "
            "leave the data path empty to use the cached copy."
        )
    return resolved


def download(
    remote: RemoteFile, folder: Path, progress: ProgressFn | None = None, timeout: float = 60.0
) -> Path:
    """Download ``remote`` into ``folder`` atomically and verify it; return the final path."""
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / remote.filename
    part = folder / (remote.filename + ".part")
    try:
        request = urllib.request.Request(remote.url, headers={"User-Agent": "spikelab"})
        with urllib.request.urlopen(request, timeout=timeout) as response, open(part, "wb") as out:
            length = response.headers.get("Content-Length") if response.headers else None
            total = int(length) if length else remote.size
            done = 0
            for chunk in iter(lambda: response.read(_CHUNK), b""):
                out.write(chunk)
                done += len(chunk)
                if progress is not None:
                    progress(done, total)
        verify_file(part, remote)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        part.unlink(missing_ok=True)
        raise DataUnavailable(
            f"Could not download {remote.url} ({error_reason(exc)}). If this machine has no "
            f"network, download the file on one that has, then pass its path with --data-path "
            f"(or copy it to {final})."
        ) from exc
    except DataUnavailable:
        part.unlink(missing_ok=True)
        raise
    os.replace(part, final)
    return final


def error_reason(exc: BaseException) -> str:
    """Why ``exc`` happened, for a message that names its path already (``shown_path``): an
    OS error gives its reason without the raw path it carries, which would show the host's
    folders in network mode."""
    if isinstance(exc, urllib.error.URLError) and not isinstance(exc, urllib.error.HTTPError):
        return f"no network or host unreachable: {exc.reason}"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__


def fetch(
    remote: RemoteFile,
    data_path: Path | None = None,
    progress: ProgressFn | None = None,
    allow_download: bool = True,
) -> Path:
    """Path of a verified copy of ``remote``.

    ``data_path`` is the file itself or a folder holding it under its official name; when it is
    given, nothing is downloaded. Otherwise the cache is used, downloading on a miss.
    """
    if data_path is not None:
        folder = confine(data_path)
        path = confine(_in_folder(folder, remote) if folder.is_dir() else folder)
        if not path.is_file():
            unpacked = f" (or unpacked as {remote.unpacked_name})" if remote.unpacked_name else ""
            raise DataUnavailable(
                f"{shown_path(path)} does not exist. Download {remote.url} and pass the file, or "
                f"the folder holding it as {remote.filename}{unpacked}, with --data-path."
            )
        verify_file(path, remote)
        return path
    cached = cache_folder(remote) / remote.filename
    damaged = False
    if cached.is_file():
        try:
            verify_file(cached, remote)
            return cached
        except DataUnavailable:
            cached.unlink()  # a damaged cache entry is fetched again
            damaged = True
    if not allow_download:
        why = ("was corrupt (its checksum did not match) and has been removed from the cache"
               if damaged else "is not in the cache")
        raise DataUnavailable(
            f"{remote.filename} {why} ({shown_path(cache_folder(remote))}). Download {remote.url} "
            f"and pass it with --data-path."
        )
    return download(remote, cache_folder(remote), progress)


def _in_folder(folder: Path, remote: RemoteFile) -> Path:
    """``remote``'s file in ``folder``: under its official name, else unpacked where that is
    accepted and present."""
    path = folder / remote.filename
    if remote.unpacked_name and not path.is_file() and (folder / remote.unpacked_name).is_file():
        return folder / remote.unpacked_name
    return path
