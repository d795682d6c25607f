"""The ``train``, ``runs`` and ``export-nir`` commands: JSON contract and one-line errors."""

from __future__ import annotations

import io
import json
import os
from contextlib import redirect_stdout

import nir
import pytest

from core.cli import main


def _run(argv: list[str]) -> tuple[int, dict]:
    out = io.StringIO()
    with redirect_stdout(out):
        code = main(argv)
    lines = out.getvalue().strip().splitlines()
    return code, (json.loads(lines[-1]) if lines else {})


def test_train_prints_the_contract_and_saves_the_run(tmp_path, monkeypatch):
    monkeypatch.setenv("SPIKELAB_DB", str(tmp_path / "runs.db"))
    code, result = _run(["train", "--dataset", "digits", "--epochs", "2", "--hidden", "20",
                         "--steps", "20", "--max-train", "96", "--max-test", "48",
                         "--no-recurrent", "--seed", "3", "--nir", str(tmp_path / "n.nir"),
                         "--json"])
    assert code == 0
    for key in ("train_accuracy", "test_accuracy", "seconds", "spikes_per_sample", "run_id"):
        assert key in result
    assert result["config"]["hidden"] == 20 and result["config"]["recurrent"] is False
    assert len(result["history"]) == 2
    assert isinstance(nir.read(result["nir"]), nir.NIRGraph)

    code, listing = _run(["runs", "--kind", "surrogate", "--json"])
    assert code == 0 and [r["id"] for r in listing["runs"]] == [result["run_id"]]
    code, exported = _run(["export-nir", "--run", str(result["run_id"]),
                           "--out", str(tmp_path / "again.nir"), "--json"])
    assert code == 0 and exported["nir"].endswith("again.nir")


def test_bad_values_and_missing_runs_are_one_line_errors(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SPIKELAB_DB", str(tmp_path / "runs.db"))
    assert main(["train", "--hidden", "0", "--json"]) == 2
    assert main(["export-nir", "--run", "99", "--out", str(tmp_path / "x.nir")]) == 2
    errors = capsys.readouterr().err.strip().splitlines()
    assert errors[0] == "error: hidden must be a whole number of at least 1 (got 0)."
    assert errors[-1].startswith("error: There is no run 99")


def test_missing_data_without_download_is_a_one_line_error(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SPIKELAB_DB", str(tmp_path / "runs.db"))
    monkeypatch.setenv("SPIKELAB_DATA", str(tmp_path / "cache"))
    assert main(["train", "--dataset", "braille", "--no-download", "--epochs", "1"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error:") and "\n" not in err


def test_threads_flag_sets_torchs_threads_and_zero_is_refused(tmp_path, monkeypatch, capsys):
    import torch

    monkeypatch.setenv("SPIKELAB_DB", str(tmp_path / "runs.db"))
    before = torch.get_num_threads()
    try:
        code, result = _run(["train", "--dataset", "digits", "--epochs", "1", "--hidden", "8",
                             "--steps", "10", "--max-train", "32", "--max-test", "16",
                             "--threads", "1", "--no-save", "--json"])
        assert code == 0 and "test_accuracy" in result
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)
    with pytest.raises(SystemExit) as refused:  # argparse: not a whole number of at least 1
        main(["train", "--threads", "0", "--json"])
    assert refused.value.code == 2
    many = str((os.cpu_count() or 1) + 1)
    assert main(["train", "--dataset", "digits", "--threads", many, "--json"]) == 2
    assert capsys.readouterr().err.strip().splitlines()[-1].startswith("error: --threads must")
