"""Hostile ``.nir`` files (issue 22): storage outside the file, declared sizes, long chains,
non-finite weights, long names and Markdown, each refused in one line by the core function,
the ``import-nir`` command and the Hardware page's upload; and YOSO on a pruned network.

Every file starts as a valid graph written by ``nir.write`` (``tests.nir_support``); ``h5py``
then swaps in the hostile part. The "secret" is a file the test writes itself.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import h5py
import nir
import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from core.interop.nir_graph import import_graph, read_graph
from core.interop.nir_run import import_nir
from core.limits import LIMITS
from core.store import RunStore
from tests.nir_support import library_graph

ROOT = Path(__file__).resolve().parents[1]
PAGE = str(ROOT / "pages" / "hardware.py")
SECRET = b"SPIKELAB-TEST-SECRET:root:x:0:0:hunter2-" + bytes(range(65, 65 + 56))  # 96 bytes
PEAK_MB = 700  # the CLI's peak memory on a refused file (torch's import alone is ~430 MB)


def _leaks(text: str) -> bool:
    """Whether ``text`` shows the secret: as text, or as the numbers of its first bytes."""
    numbers = [", ".join(str(b) for b in SECRET[i:i + 4]) for i in range(0, 12, 4)]
    return "SECRET" in text or "hunter2" in text or any(n in text for n in numbers)


def _valid(tmp_path: Path, name: str = "net.nir") -> Path:
    """A 64-20-10 graph (digits' shape) as the libraries write it."""
    path = tmp_path / name
    nir.write(str(path), library_graph(n_in=64, hidden=20, n_out=10))
    return path


def _edit(tmp_path: Path, change: Callable[[h5py.File, Path], None], name: str) -> Path:
    """A copy of the valid file with ``change(file, folder)`` applied."""
    path = _valid(tmp_path, name)
    (tmp_path / "secret.txt").write_bytes(SECRET)
    with h5py.File(path, "r+") as f:
        change(f, tmp_path)
    return path


def _swap(f: h5py.File, key: str, **dataset: object) -> None:
    del f[key]
    f.create_dataset(key, **dataset)


def external_weight(f: h5py.File, d: Path) -> None:
    """fc1's weight (20 x 64 float32 = 5120 bytes) stored in the secret file, repeated."""
    (d / "secret.txt").write_bytes(SECRET * 60)
    _swap(f, "node/nodes/fc1/weight", shape=(20, 64), dtype="f4",
          external=[(str(d / "secret.txt"), 0, 20 * 64 * 4)])


def external_shape(f: h5py.File, d: Path) -> None:
    """The input's shape read from the secret file: its bytes as 96 sizes."""
    _swap(f, "node/nodes/input/shape", shape=(96,), dtype="u1",
          external=[(str(d / "secret.txt"), 0, 96)])


def virtual_weight(f: h5py.File, d: Path) -> None:
    """fc1's weight as a virtual dataset mapping another HDF5 file's data."""
    with h5py.File(d / "other.h5", "w") as other:
        other["w"] = np.frombuffer(SECRET * 60, np.float32)[: 20 * 64].reshape(20, 64)
    layout = h5py.VirtualLayout(shape=(20, 64), dtype="f4")
    layout[:] = h5py.VirtualSource(str(d / "other.h5"), "w", shape=(20, 64))
    del f["node/nodes/fc1/weight"]
    f["node/nodes/fc1"].create_virtual_dataset("weight", layout)


def external_link(f: h5py.File, d: Path) -> None:
    """fc2 is a link to a group of another HDF5 file."""
    with h5py.File(d / "other.h5", "w") as other:
        other["fc2/type"] = b"Linear"
        other["fc2/weight"] = np.frombuffer(SECRET * 9, np.float32)[:200].reshape(10, 20)
    del f["node/nodes/fc2"]
    f["node/nodes/fc2"] = h5py.ExternalLink(str(d / "other.h5"), "/fc2")


def soft_link(f: h5py.File, d: Path) -> None:
    del f["node/nodes/fc2/weight"]
    f["node/nodes/fc2/weight"] = h5py.SoftLink("/node/nodes/fc1/weight")


def huge_weight(f: h5py.File, d: Path) -> None:
    """A 20,000 x 25,000 float32 weight (1.9 GB) that is a few KB on disk: chunked, gzip."""
    _swap(f, "node/nodes/fc1/weight", shape=(20_000, 25_000), dtype="f4", chunks=(1000, 1000),
          compression="gzip")


def huge_chunk(f: h5py.File, d: Path) -> None:
    """A 20-value bias whose one chunk declares 400 MB (read whole to read any value)."""
    _swap(f, "node/nodes/fc1/bias", shape=(20,), maxshape=(None,), dtype="f4",
          chunks=(100_000_000,), compression="gzip")


def nan_weight(f: h5py.File, d: Path) -> None:
    w = f["node/nodes/fc2/weight"][()]
    w[3, 4] = np.nan
    _swap(f, "node/nodes/fc2/weight", data=w)


def inf_bias(f: h5py.File, d: Path) -> None:
    _swap(f, "node/nodes/fc1/bias", data=np.full(20, np.inf, np.float32))


def long_shape(f: h5py.File, d: Path) -> None:
    """An input that declares 200,000 dimensions (a multi-MB message, echoed whole before)."""
    _swap(f, "node/nodes/input/shape", data=np.full(200_000, 7, np.int64))


def long_type(f: h5py.File, d: Path) -> None:
    _swap(f, "node/nodes/lif1/type", data=b"Foo" * 200_000)


def markdown_type(f: h5py.File, d: Path) -> None:
    _swap(f, "node/nodes/lif1/type", data=b"![p](http://127.0.0.1:9/pixel.png) [Re-login](x)")


def _chain(path: Path, n: int) -> Path:
    """Input -> n - 2 Linear 1 x 1 nodes -> Output, written as nir.write lays a graph out."""
    with h5py.File(path, "w", libver="latest") as f:
        f["version"] = b"0.5.0"
        f["node/type"] = b"NIRGraph"
        names = ["input", *(f"fc{i}" for i in range(n - 2)), "output"]
        for name in names:
            g = f.create_group(f"node/nodes/{name}")
            if name in ("input", "output"):
                g["type"], g["shape"] = name.capitalize().encode(), np.array([1])
            else:
                g["type"], g["weight"] = b"Linear", np.ones((1, 1), np.float32)
        edges = [[a.encode(), b.encode()] for a, b in zip(names[:-1], names[1:], strict=True)]
        f["node/edges"] = np.array(edges, dtype=object)
    return path


# (file builder, what the refusal says): one per defect of issue 22 on NIR files.
HOSTILE = {
    "external_weight": (external_weight, "keeps its data in external files"),
    "external_shape": (external_shape, "keeps its data in external files"),
    "virtual_weight": (virtual_weight, "is a virtual dataset"),
    "external_link": (external_link, "is an external link to another file"),
    "soft_link": (soft_link, "is a soft link"),
    "huge_weight": (huge_weight, "SpikeLab reads datasets of up to 256 MB"),
    "huge_chunk": (huge_chunk, "SpikeLab reads datasets of up to 256 MB"),
    "nan_weight": (nan_weight, "Node 'fc2': weight holds 1 value(s) that are not finite"),
    "inf_bias": (inf_bias, "Node 'fc1': bias holds 20 value(s) that are not finite"),
    "long_shape": (long_shape, "Node 'input' gives shape (7, 7, 7, 7, 7, 7, …) per sample"),
    "long_type": (long_type, "Node 'lif1' is a FooFooFoo"),
}


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "runs.db"
    monkeypatch.setenv("SPIKELAB_DB", str(path))
    monkeypatch.setenv("SPIKELAB_DATA", str(tmp_path / "empty-cache"))
    return path


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_core_import_refuses_in_one_short_sentence(case: str, tmp_path: Path, db: Path) -> None:
    build, expected = HOSTILE[case]
    path = _edit(tmp_path, build, f"{case}.nir")
    for source in (path, path.read_bytes()):
        with pytest.raises(ValueError) as info:
            import_nir(source, RunStore(db), name="x.nir")
        text = str(info.value)
        assert expected in text and "\n" not in text and len(text) < 600, text
        assert not _leaks(text)
    assert not RunStore(db).list_runs(kind="nir")  # nothing stored: no secret as weights


# Runs ``python -m core ARGS`` and writes the process's own peak memory (VmHWM, of its own
# address space) at exit. A child's ru_maxrss is no good here: Linux carries the parent's
# high-water mark through fork and exec, so it reads as large as the pytest process.
PEAK_WRAPPER = (
    "import atexit, runpy, sys\n"
    "out = sys.argv.pop(1)\n"
    "def peak():\n"
    "    status = open('/proc/self/status').read().split('VmHWM:')[1].split()[0]\n"
    "    open(out, 'w').write(status)\n"
    "atexit.register(peak)\n"
    "sys.argv[0] = 'core'\n"
    "runpy.run_module('core', run_name='__main__')\n"
)


def _cli(path: Path, db: Path) -> tuple[int, str, float]:
    """``python -m core import-nir --file path``: exit code, stderr, peak memory in MB."""
    err, peak = path.with_suffix(".err"), path.with_suffix(".peak")
    env = {**os.environ, "SPIKELAB_DB": str(db)}
    with err.open("wb") as e:
        proc = subprocess.run([sys.executable, "-c", PEAK_WRAPPER, str(peak), "import-nir",
                               "--file", str(path)], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=e, timeout=300)
    return proc.returncode, err.read_text(), int(peak.read_text()) / 1024


@pytest.mark.parametrize("case", ["external_weight", "external_shape", "virtual_weight",
                                  "external_link", "huge_weight", "nan_weight", "long_shape"])
def test_cli_refuses_in_one_line_without_the_secret(case: str, tmp_path: Path, db: Path) -> None:
    build, expected = HOSTILE[case]
    code, err, peak = _cli(_edit(tmp_path, build, f"{case}.nir"), db)
    assert code != 0 and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1 and expected in err and len(err) < 700, err
    assert not _leaks(err)
    assert peak < PEAK_MB, f"import-nir peaked at {peak:.0f} MB on {case}"


def test_a_tiny_file_declaring_2_gb_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = _edit(tmp_path, huge_weight, "huge.nir")
    assert path.stat().st_size < 200_000
    with h5py.File(path) as f:
        declared = math.prod(f["node/nodes/fc1/weight"].shape) * 4
    assert declared > 1.8e9
    with pytest.raises(ValueError, match="declares 1,907 MB"):
        read_graph(path.read_bytes())


def test_a_file_larger_than_any_graph_is_refused_unread(tmp_path: Path, db: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    big = tmp_path / "big.nir"
    with big.open("wb") as f:  # sparse: no disk is used
        f.truncate((LIMITS.nir_file_mb + 1) * (1 << 20))
    monkeypatch.setattr(Path, "read_bytes", lambda self: pytest.fail("the file was read"))
    with pytest.raises(ValueError, match=f"more than the {LIMITS.nir_file_mb} MB") as caught:
        import_nir(big, RunStore(db))
    assert len(str(caught.value)) < 300


def test_a_chain_above_the_node_limit_is_refused_in_one_line(tmp_path: Path, db: Path) -> None:
    path = _chain(tmp_path / "chain.nir", LIMITS.nir_nodes + 500)
    code, err, _ = _cli(path, db)
    assert code != 0 and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert f"up to {LIMITS.nir_nodes:,} nodes" in err
    with pytest.raises(ValueError, match="1,500 nodes"):
        read_graph(path)


def test_a_chain_at_the_node_limit_imports_without_recursion(tmp_path: Path) -> None:
    """The cycle check walked the graph recursively: 1,000 nodes exhausted Python's stack."""
    net = import_graph(read_graph(_chain(tmp_path / "chain.nir", LIMITS.nir_nodes)))
    assert net.layer_sizes == [1, 1] and len(net.layers[0].ops) == LIMITS.nir_nodes - 2


def test_a_deeply_nested_file_and_a_long_name_are_refused_shortly(tmp_path: Path) -> None:
    def deep(f: h5py.File, d: Path) -> None:
        f.create_group("node/nodes/lif1/metadata/" + "/".join(["g"] * 50))

    def long_name(f: h5py.File, d: Path) -> None:
        f.move("node/nodes/lif2", "node/nodes/" + "n" * 50_000)

    with pytest.raises(ValueError, match="nests HDF5 groups deeper than"):
        read_graph(_edit(tmp_path, deep, "deep.nir"))
    with pytest.raises(ValueError, match="has a name of 50,000 characters") as info:
        read_graph(_edit(tmp_path, long_name, "name.nir"))
    assert len(str(info.value)) < 400


# The Hardware page: the same refusals over the network, escaped; uploads stored once.

def _upload(at: AppTest, name: str, data: bytes) -> AppTest:
    at.radio(key="hw_source").set_value("A NIR file").run()
    at.file_uploader(key="hw_nir_file").set_value((name, data, "application/x-hdf5"))
    return at.run()


@pytest.mark.parametrize("case", ["external_weight", "external_shape", "huge_weight"])
def test_page_upload_refuses_without_the_secret(case: str, tmp_path: Path, db: Path) -> None:
    data = _edit(tmp_path, HOSTILE[case][0], f"{case}.nir").read_bytes()
    at = _upload(AppTest.from_file(PAGE, default_timeout=60).run(), f"{case}.nir", data)
    assert not at.exception and len(at.error) == 1 and HOSTILE[case][1] in at.error[0].value
    assert not _leaks(at.error[0].value) and len(at.error[0].value) < 1200
    assert not RunStore(db).list_runs(kind="nir")


def test_page_escapes_a_node_type_written_as_markdown(tmp_path: Path, db: Path) -> None:
    data = _edit(tmp_path, markdown_type, "md.nir").read_bytes()
    name = "![x](http://127.0.0.1:9/n.png).nir"
    at = _upload(AppTest.from_file(PAGE, default_timeout=60).run(), name, data)
    assert not at.exception
    shown = at.error[0].value
    assert "pixel" in shown and "Re" in shown
    assert "![" not in shown and "](" not in shown  # escaped: literal text, no image, no link
    assert "://" not in shown.replace("\\", "")  # and no bare link that GFM would autolink


def test_page_stores_an_identical_upload_once(tmp_path: Path, db: Path) -> None:
    data = _valid(tmp_path).read_bytes()
    for name in ("net.nir", "again.nir"):  # two visitors (two sessions), the same file
        at = _upload(AppTest.from_file(PAGE, default_timeout=60).run(), name, data)
        assert not at.exception and not at.error
    runs = RunStore(db).list_runs(kind="nir")
    assert len(runs) == 1 and f"run {runs[0].id}" in at.success[0].value


def test_page_refuses_an_upload_over_the_stored_limit(tmp_path: Path, db: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("core.store.runs.LIMITS", replace(LIMITS, stored_upload_mb=1))
    data = _valid(tmp_path).read_bytes() + bytes(2 << 20)
    at = _upload(AppTest.from_file(PAGE, default_timeout=60).run(), "big.nir", data)
    assert not at.exception and "1 MB an uploaded file kept in the run store" in at.error[0].value
    assert not RunStore(db).list_runs(kind="nir")


# Defect 10: a pruned fully connected network is still fully connected for YOSO.

def test_yoso_takes_a_pruned_fully_connected_workload() -> None:
    from core.hardware.workload import LayerLoad, Workload
    from core.hardware.yoso import YosoModel

    layers = (LayerLoad("input", 64, 30.0, 10, ann_macs=64 * 20),  # half of 20 weights are 0
              LayerLoad("hidden", 20, 12.0, 6.5, ann_macs=20 * 10),
              LayerLoad("output", 10, 4.0, 0, ann_macs=0))
    workload = Workload(layers, time_steps=5, label="pruned")
    assert workload.fully_connected
    assert YosoModel().estimate(workload).latency_s > 0


def test_yoso_prices_a_pruned_nir_network(tmp_path: Path, db: Path) -> None:
    from core.hardware.runs import workload_from_run
    from core.hardware.yoso import YosoModel
    from core.interop.nir_run import simulate_run

    graph = library_graph(n_in=64, hidden=20, n_out=10)
    for name in ("fc1", "fc2"):  # prune: every other weight exactly 0
        w = graph.nodes[name].weight
        w.reshape(-1)[::2] = 0.0
    nir.write(str(tmp_path / "pruned.nir"), graph)
    store = RunStore(db)
    run_id = import_nir(tmp_path / "pruned.nir", store)["run_id"]
    simulate_run(store, run_id, "digits", samples=12, steps=20, download=False)
    workload = workload_from_run(store.get_run(run_id))
    assert workload.layers[0].fan_out < 20  # non-zero synapses only
    assert workload.fully_connected
    assert YosoModel().estimate(workload).latency_s > 0
