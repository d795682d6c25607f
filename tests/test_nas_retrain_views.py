"""The NAS page's full-scale tables: one row per study, trial and data set; a condition's
full-scale columns only from a retraining on the data set its proxy searched."""

from __future__ import annotations

from types import SimpleNamespace

from core.nas.retrain_views import condition_rows, full_scale_rows


def _run(run_id: int, dataset: str, val: float, test: float) -> SimpleNamespace:
    config = {"study": "s", "trial": 7, "dataset": dataset, "proxy_dataset": "fashion-mnist",
              "architecture": {"layers": [[64, 5], [64, 3]]}}
    metrics = {"label": "LIF, Soft (Bayesian)", "proxy_accuracy": 0.80, "val_accuracy": val,
               "test_accuracy": test, "epochs": 6}
    return SimpleNamespace(id=run_id, config=config, metrics=metrics)


def test_a_trial_retrained_on_two_data_sets_gives_two_rows_and_its_own_in_the_table() -> None:
    runs = [_run(2, "mnist", 0.996, 0.995), _run(1, "fashion-mnist", 0.927, 0.923)]  # newest first
    full = full_scale_rows(runs, ["s"])
    assert [(r["dataset"], r["run_id"]) for r in full] == [("fashion-mnist", 1), ("mnist", 2)]
    table = [{"condition": "LIF, Soft (Bayesian)", "val_accuracy": 0.80}]
    (row,) = condition_rows(table, full)
    assert row["proxy_accuracy"] == 0.80
    assert (row["full_val_accuracy"], row["full_test_accuracy"]) == (0.927, 0.923)
    (alone,) = condition_rows(table, full_scale_rows(runs[:1], ["s"]))  # MNIST only
    assert alone["full_val_accuracy"] is None and alone["full_test_accuracy"] is None


def test_the_newest_run_per_study_trial_and_data_set_wins_other_studies_left_out() -> None:
    runs = [_run(3, "fashion-mnist", 0.93, 0.925), _run(1, "fashion-mnist", 0.92, 0.91)]
    assert [r["run_id"] for r in full_scale_rows(runs, ["s"])] == [3]
    assert full_scale_rows(runs, ["other"]) == []
