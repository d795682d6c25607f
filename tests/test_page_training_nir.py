"""Training page, run inspector of an imported network: rasters and membranes of a sample."""

from __future__ import annotations

import json
from pathlib import Path

import nir
import pytest
from streamlit.testing.v1 import AppTest

from core.interop.nir_run import import_nir, trace_sample
from core.store import RunStore
from tests.nir_support import library_graph
from tests.support import open_page
from tests.url_roundtrip import fresh, query_of


@pytest.fixture
def run_id(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> int:
    """A 64-20-10 graph written with the ``nir`` package, imported into the page's store."""
    monkeypatch.setenv("SPIKELAB_DB", str(tmp_path / "runs.db"))
    path = tmp_path / "net.nir"
    nir.write(str(path), library_graph(n_in=64, hidden=20, n_out=10))
    return import_nir(path, RunStore(tmp_path / "runs.db"))["run_id"]


def titles(at: AppTest) -> list[str]:
    return [json.loads(c.proto.spec)["layout"].get("title", {}).get("text", "")
            for c in at.get("plotly_chart")]


def test_an_imported_run_opens_with_rasters_and_membranes(run_id: int, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    at = open_page("training.py", tmp_path, monkeypatch)
    assert at.selectbox(key="tr_open_nir").value == run_id
    at.button(key="tr_open_nir_btn").click().run()
    assert not at.exception and not at.error
    at.number_input(key="tr_sample").set_value(3).run()
    assert not at.exception and not at.error
    expected = trace_sample(RunStore(tmp_path / "runs.db").get_run(run_id), "digits", 3)
    caption = next(c.value for c in at.caption if "predicted" in c.value)
    assert f"Label **{expected['class_name']}**" in caption
    spikes = {x["name"]: int(x["spikes"].sum()) for x in expected["layers"]}
    shown = titles(at)
    for name, count in spikes.items():
        assert f"{name}: {count} spikes" in shown
    assert "lif1 membrane (threshold 1)" in shown
    at.selectbox(key="tr_nir_layer").set_value("lif2").run()
    assert not at.exception and "lif2 membrane (threshold 1)" in titles(at)
    at.multiselect(key="tr_nir_neurons_lif2").set_value([0, 9]).run()
    mem = next(json.loads(c.proto.spec) for c in at.get("plotly_chart")
               if "membrane" in c.proto.spec)
    assert [t["name"] for t in mem["data"]] == ["neuron 0", "neuron 9"]


def test_a_link_reopens_the_sample_and_a_bad_index_is_a_sentence(run_id: int) -> None:
    page = str(Path(__file__).resolve().parents[1] / "pages" / "training.py")
    at = fresh(page, {"run": str(run_id), "sample": "5"})
    assert not at.exception and not at.error
    assert at.number_input(key="tr_sample").value == 5
    assert query_of(at)["run"] == str(run_id)
    at.number_input(key="tr_sample").set_value(100_000).run()
    assert not at.exception
    assert "there is no sample 100000" in at.error[0].value
