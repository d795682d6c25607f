"""AppTest of the Encoding page: encoders, memory figures, data errors and the data browser."""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

import h5py
import numpy as np
import pytest
import torch
from streamlit.testing.v1 import AppTest

from core.data.braille import load_braille
from core.data.digits import load_digits
from core.data.download import RemoteFile
from core.data.shd import SHD_FILES
from core.encoders import DeltaParams, RateParams, TTFSParams, encode
from tests.support import BRAILLE
from tests.url_roundtrip import fresh, notices, roundtrip

PAGE = str(Path(__file__).resolve().parents[1] / "pages" / "encoding.py")
REAL = BRAILLE


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


@pytest.fixture
def at(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> AppTest:
    monkeypatch.setenv("SPIKELAB_DATA", str(tmp_path / "cache"))
    return AppTest.from_file(PAGE, default_timeout=60).run()


def digit_events(params: object, method: str = "ttfs", steps: int = 100, seed: int = 0) -> int:
    x = torch.as_tensor(load_digits().x_train[0].reshape(1, -1))
    gen = torch.Generator().manual_seed(seed)
    return encode(x, method, steps, params, generator=gen).num_events  # type: ignore[arg-type]


def test_defaults_encode_a_digit_with_ttfs(at: AppTest) -> None:
    assert not at.exception
    events = digit_events(TTFSParams())
    assert metric(at, "Events") == str(events)
    assert metric(at, "Dense bytes") == f"{100 * 64 * 4:,}"
    assert metric(at, "Sparse (COO) bytes") == f"{28 * events:,}"
    assert len(at.get("plotly_chart")) >= 3  # input, T(x) curve, raster
    assert len(at.dataframe[0].value) == events


def test_ttfs_parameters_change_the_spikes(at: AppTest) -> None:
    at.slider(key="enc_thr").set_value(0.6).run()
    at.slider(key="enc_tau").set_value(5.0).run()
    assert not at.exception
    assert metric(at, "Events") == str(digit_events(TTFSParams(tau=5.0, thr=0.6)))


def test_rate_code_is_seeded(at: AppTest) -> None:
    at.selectbox(key="enc_method").set_value("rate").run()
    at.number_input(key="enc_seed").set_value(11).run()
    assert not at.exception
    assert metric(at, "Events") == str(digit_events(RateParams(), "rate", seed=11))


def test_the_default_page_has_no_error(at: AppTest) -> None:
    # Digits work offline; the browser's Braille, not yet cached, says in a line how to get it
    # (no notice box: nothing went wrong).
    assert not at.exception and not at.error and not at.info
    assert any("not in the data cache yet" in c.value and "Allow downloads" in c.value
               for c in at.caption)


def test_missing_data_shows_what_to_do(at: AppTest, tmp_path: Path) -> None:
    at.selectbox(key="enc_dataset").set_value("fashion-mnist").run()
    assert not at.exception
    assert any("not in the cache" in e.value and "Data path" in e.value for e in at.error)
    at.text_input(key="enc_data_path").set_value(str(tmp_path / "nowhere")).run()
    assert not at.exception
    assert any("does not exist" in e.value for e in at.error)


def test_braille_delta_code_and_letter_browser(at: AppTest) -> None:
    at.selectbox(key="enc_dataset").set_value("braille").run()
    at.text_input(key="enc_data_path").set_value(str(REAL)).run()
    assert not at.exception
    assert at.selectbox(key="enc_method").value == "delta"
    ds = load_braille(REAL)
    x = torch.as_tensor(ds.x_train[0])[None]
    expected = encode(x, "delta", 1, DeltaParams(0.1, padding=True, off_spike=True)).num_events
    assert metric(at, "Events") == str(expected)
    at.text_input(key="enc_browse_path").set_value(str(REAL)).run()
    at.selectbox(key="enc_letter").set_value("K").run()
    assert not at.exception
    titles = [c.proto.spec for c in at.get("plotly_chart")]
    assert any("Braille 'K'" in t for t in titles)


def _shd_file(path: Path, events: list[tuple[list[float], list[int], int]]) -> RemoteFile:
    h5 = path.with_suffix("")
    with h5py.File(h5, "w") as fh:
        t = fh.create_dataset("spikes/times", (len(events),), dtype=h5py.vlen_dtype("float32"))
        u = fh.create_dataset("spikes/units", (len(events),), dtype=h5py.vlen_dtype("uint16"))
        for i, (times, units, _) in enumerate(events):
            t[i], u[i] = np.asarray(times, np.float32), np.asarray(units, np.uint16)
        fh.create_dataset("labels", data=np.asarray([e[2] for e in events], np.uint8))
    path.write_bytes(gzip.compress(h5.read_bytes()))
    h5.unlink()
    return RemoteFile(path.name, "file:///unused", md5=hashlib.md5(path.read_bytes()).hexdigest())


def test_shd_raster_browser(at: AppTest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    train = _shd_file(tmp_path / "shd_train.h5.gz",
                      [([0.01, 0.02, 0.5], [1, 300, 650], 3), ([0.2], [5], 7)])
    test = _shd_file(tmp_path / "shd_test.h5.gz", [([0.3], [2], 3)])
    monkeypatch.setitem(SHD_FILES, "train", train)  # pin the test's own small files
    monkeypatch.setitem(SHD_FILES, "test", test)
    at.selectbox(key="enc_browse_set").set_value("shd").run()
    at.text_input(key="enc_browse_path").set_value(str(tmp_path)).run()
    at.selectbox(key="enc_shd_class").set_value(3).run()
    assert not at.exception, at.exception
    specs = [c.proto.spec for c in at.get("plotly_chart")]
    assert any("SHD raster: 3 active bins" in s for s in specs)


def test_url_round_trips_the_configuration() -> None:
    def change(at: AppTest) -> None:
        at.number_input(key="enc_sample").set_value(7).run()
        at.slider(key="enc_thr").set_value(0.5).run()
        at.slider(key="enc_steps").set_value(50).run()
        at.selectbox(key="enc_method").set_value("rate").run()
        at.slider(key="enc_gain").set_value(0.5).run()

    keys = ["enc_sample", "enc_thr", "enc_steps", "enc_method", "enc_gain"]
    again, query = roundtrip(PAGE, change, keys)
    assert query == {"sample": "7", "thr": "0.5", "steps": "50", "method": "rate", "gain": "0.5"}
    assert again.toggle(key="enc_download").value is False  # a link never switches downloads on


def test_bad_link_values_fall_back_with_a_notice() -> None:
    at = fresh(PAGE, {"sample": "99999", "method": "morse", "dataset": "imagenet",
                      "tau": "NaN", "download": "1"})
    assert not at.exception
    text = notices(at)
    assert "`method`" in text and "`dataset`" in text and "`tau`" in text
    assert "`sample=99999`" in text and at.number_input(key="enc_sample").value == 1436
    assert at.session_state["enc_download"] is False
