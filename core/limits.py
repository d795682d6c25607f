"""What a server lets its visitors do: every server-wide limit in one place, and network mode.

SpikeLab listens on localhost by default: the person at the keyboard is the only user, and
every storage URL, data path and size the engine can handle is theirs to choose. A presenter
who starts it with ``--server.address 0.0.0.0`` for a lab meeting puts it in **network mode**:
any visitor on that network can open links, upload files and start jobs. Then

- study storages are only SQLite files inside the run store's folder (no other database server,
  no other folder, and no folder is created);
- data paths are confined to the data cache (``$SPIKELAB_DATA``);
- the limits below hold for everybody together, not for one session.

``network_mode()`` reads ``$SPIKELAB_NETWORK`` ("1"), which ``app/main.py`` sets when the
server's address is not a loopback one; setting it by hand shows a local app as visitors see it.
The limits apply in both modes; ``$SPIKELAB_MAX_JOBS`` overrides the job limit.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

NETWORK_ENV = "SPIKELAB_NETWORK"
MAX_JOBS_ENV = "SPIKELAB_MAX_JOBS"
LOOPBACK = ("localhost", "127.0.0.1", "::1")
MB = 1 << 20


@dataclass(frozen=True)
class Limits:
    """Server-wide limits. Each one is a reason a visitor's request can be refused."""

    max_jobs: int = 2  # worker jobs running at once, all sessions together (2-core laptops)
    upload_mb: int = 50  # any one uploaded file; .streamlit/config.toml's maxUploadSize agrees
    stored_upload_mb: int = 50  # one uploaded file kept in the run store (NIR, benchmark JSON)
    store_quota_mb: int = 2048  # the run store's SQLite file may not grow past this
    nir_dataset_mb: int = 256  # one HDF5 dataset of a NIR file, as declared, before it is read
    nir_nodes: int = 1000  # nodes in one NIR graph
    nir_file_mb: int = 512  # all datasets of one NIR file together, as declared
    nir_depth: int = 8  # HDF5 group nesting (a flat graph: node/nodes/<name>/metadata/<key>)
    nir_strings: int = 100_000  # variable-length entries (names, edges) in one dataset
    nir_links_per_node: int = 32  # HDF5 links per node (type, parameters, metadata)
    nir_name_chars: int = 200  # characters in a node's name
    json_depth: int = 64  # nesting of a JSON file read from a user
    message_chars: int = 300  # a user-supplied value echoed in a message is cut to this
    url_value_chars: int = 200  # a link's value shown back in a notice
    bench_json_mb: int = 2  # a benchmark result file (a real one is a few kB)
    url_field_chars: int = 2000  # one text value a link may set (longer: the default, a note)
    url_query_chars: int = 4000  # the query a page publishes (the server refuses ~64 kB)
    data_file_mb: int = 512  # a data file whose exact size is not pinned, before hashing it


LIMITS = Limits()


def is_network_address(address: str | None) -> bool:
    """Whether a server listening on ``address`` is reachable from other machines.

    Streamlit's empty address means every interface."""
    return (address or "").strip().strip("[]").lower() not in LOOPBACK


def network_mode() -> bool:
    """True when the app is served to a network (see the module docstring)."""
    return os.environ.get(NETWORK_ENV, "") == "1"


def max_jobs() -> int:
    """Worker jobs allowed at once on this server (``$SPIKELAB_MAX_JOBS`` or the default)."""
    text = os.environ.get(MAX_JOBS_ENV, "")
    return int(text) if text.isdigit() and int(text) > 0 else LIMITS.max_jobs


def clip(text: object, limit: int = LIMITS.message_chars) -> str:
    """``text`` cut to ``limit`` characters with an ellipsis, for echoing input in messages."""
    text = str(text)
    return text if len(text) <= limit else text[: max(limit - 1, 0)] + "…"
