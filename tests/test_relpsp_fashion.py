"""ReL-PSP / STDBP learns the real Fashion-MNIST (the shipped IDX files); the page takes the
data set's ReL-PSP defaults.

A small stratified subset of ``../shared/data/fashion-mnist`` (no network) trains a 784-128-10
network (its layers the compiled kernels of ``core.relpsp.kernels``) for a few short epochs: the
test accuracy must be far above chance (10 %).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core.data import Dataset
from core.relpsp.config import RelpspConfig, default_config
from core.relpsp.train import prepare, train
from tests.support import fashion_subset, single_thread

PAGE = Path(__file__).resolve().parents[1] / "pages" / "relpsp.py"


@pytest.fixture(scope="module", name="fashion_subset")
def fashion_subset_fixture() -> Dataset:
    return fashion_subset(150, 50)


@pytest.fixture(autouse=True)
def one_thread():
    """Tiny tensors: one thread avoids the stalls of idle worker threads on a busy machine."""
    yield from single_thread()


def test_fashion_subset_is_learnt_far_above_chance(fashion_subset: Dataset) -> None:
    config = RelpspConfig(dataset="fashion-mnist", hidden=(128,), epochs=3, eval_size=128)
    data = prepare(fashion_subset, config)
    report = train(config, data)
    assert len(report.history) == 3 and not report.stopped
    assert report.history[-1]["loss"] < report.history[0]["loss"]
    assert report.test_accuracy > 0.6  # chance is 0.1 on the 500 balanced test images (0.81)
    assert report.dead_neuron_ratio < 0.5  # most hidden neurons fire on some image
    assert 300 < report.spikes_per_layer[0] < 784  # latency code: every non-zero pixel spikes


def test_the_page_takes_fashion_mnist_defaults_where_the_user_kept_the_defaults(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SPIKELAB_DB", str(tmp_path / "runs.db"))
    monkeypatch.setenv("SPIKELAB_DATA", str(tmp_path / "cache"))
    at = AppTest.from_file(str(PAGE), default_timeout=60).run()
    at.slider(key="rp_epochs").set_value(3).run()  # the user's: kept across data sets
    at.selectbox(key="rp_dataset").set_value("fashion-mnist").run()
    fashion, digits = default_config("fashion-mnist"), default_config("digits")
    assert (at.select_slider(key="rp_batch").value, at.select_slider(key="rp_lr").value,
            at.text_input(key="rp_hidden").value) == (
        fashion.batch_size, fashion.lr, ",".join(map(str, fashion.hidden)))
    assert at.slider(key="rp_epochs").value == 3
    at.selectbox(key="rp_dataset").set_value("digits").run()
    assert (at.select_slider(key="rp_batch").value, at.select_slider(key="rp_lr").value) == (
        digits.batch_size, digits.lr)
    assert not at.exception
