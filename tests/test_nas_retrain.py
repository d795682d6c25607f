"""``nas-retrain``: the JSON contract, pricing the saved run, stop and resume, bad inputs."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from core.cli import main
from core.nas import trainer
from core.nas.retrain import CHECKPOINTS, RetrainRequest, plan, retrain
from core.nas.study import Budget, SearchSpec, make_storage, open_study, run_search
from core.store import RunStore
from tests.nas_support import TINY, tiny_environment

ENTRY_KEYS = {"trial", "label", "model", "neuron", "reset", "layers", "parameters",
              "proxy_accuracy", "val_accuracy", "test_accuracy", "best_epoch",
              "spikes_per_layer", "spikes", "seconds", "epochs", "run_id", "skipped",
              # added with --as (core.nas.retrain_conditions)
              "condition", "proxy_source", "proxy_study", "proxy_trial"}
RECIPE_KEYS = {"epochs", "lr", "batch_size", "warmup_epochs", "seed", "max_train_samples",
               "time_steps", "train_samples", "val_samples", "test_samples"}
STUDY = "tiny"
ROOT = Path(__file__).resolve().parents[1]
REAL_SMALL = trainer.PRESETS["small"]  # what a shell's command line sees


@pytest.fixture(autouse=True)
def _tiny(monkeypatch, tmp_path):
    yield from tiny_environment(monkeypatch, tmp_path)


@pytest.fixture(scope="module")
def study_url(tmp_path_factory) -> str:
    """A tiny LIF study on the digits: three complete trials (TINY recipe)."""
    saved = trainer.PRESETS["small"]
    trainer.PRESETS["small"] = TINY
    try:
        url = f"sqlite:///{tmp_path_factory.mktemp('nas') / 'nas.db'}"
        spec = SearchSpec("random", neuron="LIF")
        study, spec = open_study(make_storage(url), STUDY, spec)
        run_search(study, spec, Budget(trials=3), trainer.prepare_data("digits", TINY))
    finally:
        trainer.PRESETS["small"] = saved
    return url


def _json(capsys, *argv: str) -> dict:
    assert main(list(argv)) == 0
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def _argv(url: str, *extra: str) -> list[str]:
    return ["nas-retrain", "--storage", url, "--study", STUDY, "--dataset", "digits",
            "--epochs", "1", "--max-train-samples", "400", "--json", *extra]


def test_json_contract_priced_run_and_rerun_skips(capsys, study_url, monkeypatch):
    out = _json(capsys, *_argv(study_url, "--top", "2"))
    assert set(out) == {"study", "storage", "dataset", "preset", "stopped", "recipe",
                        "architectures"}
    assert out["stopped"] is False and out["dataset"] == "digits"
    assert set(out["recipe"]) == RECIPE_KEYS
    assert out["recipe"]["train_samples"] == 320 and out["recipe"]["test_samples"] == 360
    rows = out["architectures"]
    assert len(rows) == 2 and all(set(r) == ENTRY_KEYS for r in rows)
    assert rows[0]["proxy_accuracy"] >= rows[1]["proxy_accuracy"]
    for row in rows:
        assert 0.0 <= row["test_accuracy"] <= 1.0 and row["epochs"] == 1
        assert len(row["spikes_per_layer"]) == TINY.layers and row["neuron"] == "LIF"
        assert row["label"].startswith("LIF, ") and not row["skipped"]
        assert row["label"].startswith(row["condition"]) and row["proxy_source"] == "study"
    energy = _json(capsys, "energy", "--hardware", "ops", "--run", str(rows[0]["run_id"]),
                   "--json")
    assert energy["energy_per_frame_j"] > 0
    run = RunStore().get_run(rows[0]["run_id"])
    assert run.kind == "nas" and run.config["stage"] == "retrain" and run.has_weights

    def no_data(_plan):
        raise ValueError("the data are not at hand")

    # a finished request is answered from its stored runs: the data are not needed again
    monkeypatch.setattr("core.nas.retrain.load_full", no_data)
    again = _json(capsys, *_argv(study_url, "--top", "2"))
    assert [r["run_id"] for r in again["architectures"]] == [r["run_id"] for r in rows]
    assert all(r["skipped"] for r in again["architectures"])
    assert again["recipe"] == out["recipe"]


def _request(url: str, **kw) -> RetrainRequest:
    return RetrainRequest(url, STUDY, "digits", epochs=2, max_train_samples=400, **kw)


class _StopAt:
    """Progress that sets the stop signal at batch ``batch`` of epoch ``epoch`` of the
    ``arch``-th architecture trained."""

    def __init__(self, arch: int, epoch: int, batch: int = 1) -> None:
        self.stop, self.arch, self.epoch, self.batch = threading.Event(), arch, epoch, batch
        self.seen = 0

    def __call__(self, item) -> None:
        if item.epoch == 1 and item.batch == 1:
            self.seen += 1
        if (self.seen, item.epoch, item.batch) == (self.arch, self.epoch, self.batch):
            self.stop.set()


def test_stop_then_resume_matches_an_uninterrupted_run(study_url, tmp_path):
    checked = plan(_request(study_url, top=2))
    whole = retrain(checked, RunStore(tmp_path / "a.db"))
    store = RunStore(tmp_path / "b.db")
    first = _StopAt(arch=1, epoch=1)  # stopped before any epoch finished
    out = retrain(checked, store, stop=first.stop, progress=first)
    assert out["stopped"] and out["architectures"] == []
    second = _StopAt(arch=2, epoch=2)  # the first architecture done, the second at epoch 2
    out = retrain(checked, store, stop=second.stop, progress=second)
    assert out["stopped"] and len(out["architectures"]) == 1
    assert len(list((tmp_path / CHECKPOINTS).glob("*.pt"))) == 1  # epoch 1 of the second
    resumed = retrain(checked, store)
    assert not resumed["stopped"]
    assert [r["skipped"] for r in resumed["architectures"]] == [True, False]
    keys = ("trial", "val_accuracy", "test_accuracy", "spikes_per_layer", "best_epoch")
    for done, ref in zip(resumed["architectures"], whole["architectures"], strict=True):
        assert {k: done[k] for k in keys} == {k: ref[k] for k in keys}
    assert not list((tmp_path / CHECKPOINTS).glob("*.pt"))


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--trial", "99"], "has no trial 99"),
        (["--study", "missing"], "no study named 'missing'"),
        (["--dataset", "shd"], "image data set"),
        (["--dataset", "nope"], "Unknown data set 'nope'"),
        (["--storage", "foo://nowhere"], "Cannot open the study storage"),
        (["--storage", "postgresql://me:s3cret@127.0.0.1:1/db"], "me:***@"),
    ],
)
def test_bad_inputs_are_one_line_and_touch_nothing(capsys, study_url, tmp_path, extra,
                                                   message):
    assert main([*_argv(study_url), *extra]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("error: ") and message in err[-1]
    assert "s3cret" not in err[-1] and not any("Traceback" in line for line in err)
    assert not (tmp_path / "runs.db").exists() and not (tmp_path / CHECKPOINTS).exists()


def test_missing_storage_file_and_bad_counts(capsys, tmp_path):
    missing = tmp_path / "none.db"
    assert main(_argv(str(missing))) == 2
    assert "No study storage" in capsys.readouterr().err and not missing.exists()
    for flag in (["--top", "0"], ["--trial", "-1"]):
        with pytest.raises(SystemExit) as exit_info:
            main(_argv(str(missing), *flag))
        assert exit_info.value.code == 2
        assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_presets_keep_older_ones_valid_and_full_ones_at_full_resolution():
    for name in ("fashion-full", "mnist-full"):
        preset = trainer.PRESETS[name]
        assert preset.input_pool == 1 and preset.filters == (16, 32, 64) and preset.layers == 4
        assert preset.retrain_batch_size == 128 and preset.retrain_warmup_epochs == 1
    assert trainer.PRESETS["mnist-full"].dataset == "mnist"
    with pytest.raises(ValueError, match="warm-up"):
        trainer.TrainPreset("x", "digits", 1, 8, 0.1, 0, layers=2, filters=(4,),
                            pool_after=(0,), retrain_epochs=1, retrain_warmup_epochs=1)
    recipe = _request("sqlite:///x.db", top=1).recipe(trainer.PRESETS["fashion"])
    assert (recipe.epochs, recipe.input_pool, recipe.batch_size) == (2, 1, 128)
    assert recipe.warmup_epochs == 1 and recipe.lr == pytest.approx(2e-3)


def test_dataset_of_a_non_image_set_is_refused_before_storage():
    with pytest.raises(ValueError, match="image data set"):
        RetrainRequest("sqlite:///never.db", STUDY, "shd")
    assert not Path("never.db").exists()


def test_ctrl_c_stops_at_the_next_batch_and_the_same_command_resumes(capsys, study_url,
                                                                      tmp_path, monkeypatch):
    """A user's Ctrl-C (SIGINT) in a shell: the JSON says stopped, a rerun finishes."""
    env = {**os.environ, "SPIKELAB_DB": str(tmp_path / "runs.db")}
    argv = [sys.executable, "-m", "core", *_argv(study_url, "--trial", "0"), "--epochs", "3",
            "--batch-size", "16", "--threads", "1"]
    proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    for line in proc.stderr:  # wait for the first finished epoch, then interrupt
        if line.startswith("epoch 1/3"):
            proc.send_signal(signal.SIGINT)
            break
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    stopped = json.loads(out.strip().splitlines()[-1])
    assert stopped["stopped"] and stopped["architectures"] == []
    assert len(list((tmp_path / CHECKPOINTS).glob("*.pt"))) == 1
    monkeypatch.setitem(trainer.PRESETS, "small", REAL_SMALL)  # as in the shell
    assert main(argv[3:]) == 0  # the same command again (in this process)
    captured = capsys.readouterr()
    assert "resuming after epoch 1/3" in captured.err
    rows = json.loads(captured.out.strip().splitlines()[-1])["architectures"]
    assert len(rows) == 1 and rows[0]["epochs"] == 3


def test_the_page_job_counts_architectures_done_before(study_url, tmp_path):
    """Pressing Retrain again on a finished request ends at "1 of 1", not "0 of 1"."""
    from core.nas.retrain import retrain_job
    from core.progress import Count

    request = _request(study_url, top=1)
    store = str(tmp_path / "job.db")
    for _ in range(2):
        seen: list = []
        out = retrain_job(request, store, stop=threading.Event(), report=seen.append)
    assert out["architectures"][0]["skipped"]
    counts = [item for item in seen if isinstance(item, Count)]
    assert (counts[-1].done, counts[-1].total) == (1, 1)
