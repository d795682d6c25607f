"""``python -m core encode`` and ``python -m core data``: the JSON contracts and error exits."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from core.cli import main
from tests.support import BRAILLE

REAL = BRAILLE


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> dict:
    assert main(list(argv)) == 0
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def test_encode_ttfs_contract(capsys: pytest.CaptureFixture[str]) -> None:
    out = _run(
        capsys, "encode", "--method", "ttfs", "--tau", "20", "--thr", "0.2", "--tmax", "100",
        "--values", "0.1,0.5,0.9", "--json",
    )
    assert out["times"][0] == 100.0
    assert out["times"][1] == pytest.approx(20 * math.log(0.5 / 0.3))
    assert out["times"][2] == pytest.approx(20 * math.log(0.9 / 0.7))


def test_encode_ttfs_with_steps_gives_spikes(capsys: pytest.CaptureFixture[str]) -> None:
    out = _run(capsys, "encode", "--method", "ttfs", "--values", "0.1,0.5,0.9", "--steps", "20",
               "--json")
    spikes = out["spikes"]
    assert len(spikes) == 20 and len(spikes[0]) == 3
    assert [row[1] for row in spikes].index(1) == 10 and [row[2] for row in spikes].index(1) == 5
    assert sum(row[0] for row in spikes) == 0  # t = tmax = 100 is past 20 steps
    assert out["memory"]["events"] == 2 and out["memory"]["dense_bytes"] == 20 * 3 * 4


def test_encode_latency_and_rate(capsys: pytest.CaptureFixture[str]) -> None:
    lat = _run(capsys, "encode", "--method", "latency", "--tau", "5", "--thr", "0.01",
               "--values", "0.2,1.0", "--json")
    assert lat["times"][0] > lat["times"][1] > 0
    r1 = _run(capsys, "encode", "--method", "rate", "--values", "0,0.5,1", "--steps", "200",
              "--seed", "4", "--json")
    r2 = _run(capsys, "encode", "--method", "rate", "--values", "0,0.5,1", "--steps", "200",
              "--seed", "4", "--json")
    assert r1["spikes"] == r2["spikes"] and len(r1["spikes"]) == 200
    assert r1["rates"][0] == 0 and r1["rates"][2] == 1 and 0.35 < r1["rates"][1] < 0.65


def test_encode_delta_series(capsys: pytest.CaptureFixture[str]) -> None:
    out = _run(capsys, "encode", "--method", "delta", "--thr", "1", "--values", "1,2,2.9,3,3.9",
               "--json")
    assert [row[0] for row in out["spikes"]] == [1, 1, 0, 0, 0]


@pytest.mark.parametrize(
    "argv",
    [
        ["encode", "--method", "ttfs", "--thr", "1.5", "--values", "0.1"],
        ["encode", "--method", "ttfs", "--values", "a,b"],
        ["encode", "--method", "morse", "--values", "0.1"],
        ["encode", "--method", "rate", "--values", "0.1", "--steps", "0"],
        ["data", "--dataset", "nope"],
        ["data"],
        ["data", "--dataset", "braille", "--data-path", "/nonexistent/braille.pkl.gz"],
    ],
)
def test_errors_exit_2_with_one_line(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        raise SystemExit(main(argv))
    assert info.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("error:") and "Traceback" not in "".join(err)


def test_data_digits_and_list(capsys: pytest.CaptureFixture[str]) -> None:
    out = _run(capsys, "data", "--dataset", "digits", "--json")
    assert out["train_size"] + out["test_size"] == 1797
    assert out["input_shape"] == [8, 8] and out["num_classes"] == 10 and "cache" in out
    listing = _run(capsys, "data", "--list", "--json")
    assert listing["datasets"]["digits"]["offline"] is True
    assert {"braille", "fashion-mnist", "shd", "cifar10"} <= set(listing["datasets"])


def test_data_no_download_says_where_to_put_the_file(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("SPIKELAB_DATA", str(tmp_path))
    assert main(["data", "--dataset", "braille", "--no-download", "--json"]) == 2
    err = capsys.readouterr().err
    assert "not in the cache" in err and "--data-path" in err and str(tmp_path) in err


def test_data_braille_real_file_in_subprocess() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "core", "data", "--dataset", "braille", "--data-path", str(REAL),
         "--json"],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["num_classes"] == 27 and out["input_shape"] == [152, 4]
    assert out["train_size"] == 1080 and out["test_size"] == 270
    assert out["location"] == str(REAL)
