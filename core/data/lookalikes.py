"""Other data sets' files that are easily given in place of the one a loader needs.

MNIST and Fashion-MNIST ship four files each under the same names, with the same unpacked
sizes. A user who passes an MNIST folder as Fashion-MNIST's ``--data-path`` (or the reverse)
should be told whose files these are, not that their file is "truncated" and to delete it
(issue 28).

``identify(path)`` recognises a known file by its published SHA-256: of the official gzip
file, or of its unpacked content (so a copy re-compressed elsewhere, with other gzip bytes,
is recognised too). Only public facts are reported, and only for a file that matches one:
an unrecognised file's size or digest is never described (see ``core.data.download``).

MNIST: LeCun, Cortes & Burges, yann.lecun.com/exdb/mnist; digests as many public projects
pin them (and /work/shared/data/README.md records them). Fashion-MNIST: the official release's
gzip digests (as ``core.data.fashion_mnist`` pins them) and those of their unpacked content, so
Fashion-MNIST's files given as MNIST's are named too.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import zlib
from dataclasses import dataclass
from pathlib import Path

_CHUNK = 1 << 20
_GZIP_MAGIC = b"\x1f\x8b"


@dataclass(frozen=True)
class KnownFile:
    """One published file of a data set: its gzip form and its unpacked content."""

    dataset: str  # e.g. "MNIST"
    name: str  # the unpacked file's name
    gz_size: int
    gz_sha256: str
    raw_size: int
    raw_sha256: str


@dataclass(frozen=True)
class Match:
    """A file recognised as ``known``: its size here, and whether it was gzip'd."""

    known: KnownFile
    size: int
    packed: bool


_MNIST = "MNIST"
_FASHION = "Fashion-MNIST"
KNOWN_FILES: tuple[KnownFile, ...] = (
    KnownFile(_MNIST, "train-images-idx3-ubyte", 9912422,
              "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609", 47040016,
              "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db"),
    KnownFile(_MNIST, "train-labels-idx1-ubyte", 28881,
              "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c", 60008,
              "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5"),
    KnownFile(_MNIST, "t10k-images-idx3-ubyte", 1648877,
              "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6", 7840016,
              "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7"),
    KnownFile(_MNIST, "t10k-labels-idx1-ubyte", 4542,
              "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6", 10008,
              "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2"),
    KnownFile(_FASHION, "train-images-idx3-ubyte", 26421880,
              "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84", 47040016,
              "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888"),
    KnownFile(_FASHION, "train-labels-idx1-ubyte", 29515,
              "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845", 60008,
              "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9"),
    KnownFile(_FASHION, "t10k-images-idx3-ubyte", 4422102,
              "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073", 7840016,
              "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b"),
    KnownFile(_FASHION, "t10k-labels-idx1-ubyte", 5148,
              "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5", 10008,
              "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34"),
)
#: The most bytes any known file has, packed or not: nothing larger is read.
_LARGEST = max(max(k.gz_size, k.raw_size) for k in KNOWN_FILES)


def _digest(path: Path, unpack: bool) -> str | None:
    """SHA-256 of the file, or of its gzip content; None past ``_LARGEST`` bytes or when the
    gzip stream is broken (a bounded read: a gzip bomb costs at most ``_LARGEST`` bytes)."""
    h, total = hashlib.sha256(), 0
    try:
        with gzip.open(path, "rb") if unpack else open(path, "rb") as fh:
            while chunk := fh.read(_CHUNK):
                total += len(chunk)
                if total > _LARGEST:
                    return None
                h.update(chunk)
    except (OSError, EOFError, zlib.error):
        return None
    return h.hexdigest()


def identify(path: Path, unpacked_sha256: str | None = None) -> Match | None:
    """The known file ``path`` holds (gzip'd or not), or None; reads nothing of a file whose
    size no known file can have, and unpacks no gzip file whose trailer records a length no
    known file has.

    ``unpacked_sha256`` is the gzip content's digest where the caller has computed it ("" where
    the content was unreadable or too long): the content is then not unpacked again."""
    raw_sizes = {k.raw_size for k in KNOWN_FILES}
    try:
        size = path.stat().st_size
        with open(path, "rb") as fh:
            packed = fh.read(2) == _GZIP_MAGIC
            if packed and size >= 18:
                fh.seek(-4, os.SEEK_END)
                packed_length = int.from_bytes(fh.read(4), "little")  # modulo 2**32
    except OSError:
        return None
    if size > _LARGEST or not (packed or size in raw_sizes):
        return None
    digests = {_digest(path, unpack=False)}
    if packed and unpacked_sha256 is not None:
        digests.add(unpacked_sha256)
    elif packed and size >= 18 and packed_length in raw_sizes:
        digests.add(_digest(path, unpack=True))
    for known in KNOWN_FILES:
        if digests & {known.gz_sha256, known.raw_sha256}:
            return Match(known, size, packed)
    return None


def describe(match: Match) -> str:
    """``match`` in words: the data set, the file and its sizes."""
    known = match.known
    if match.packed:
        return (f"{known.dataset}'s {known.name}, gzip'd ({match.size:,} bytes; "
                f"{known.raw_size:,} bytes unpacked, matching {known.dataset}'s published "
                "SHA-256)")
    return (f"{known.dataset}'s {known.name}, not gzip'd ({match.size:,} bytes, matching "
            f"{known.dataset}'s published SHA-256)")
