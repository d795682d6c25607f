"""The NAS page's full-scale tables: one row per study, trial, data set and condition; a
condition's full-scale columns only from its own condition retrained on the data set its proxy
searched; the command line's table with the conditions side by side."""

from __future__ import annotations

from types import SimpleNamespace

from core.nas.retrain_views import condition_rows, full_scale_rows, text_lines

LIF = {"model": "snn", "neuron": "LIF", "reset": "soft", "layers": [[64, 5], [64, 3]]}
DNN = {"model": "dnn", "neuron": None, "reset": None, "layers": [[64, 5], [64, 3]]}


def _run(run_id: int, dataset: str, val: float, test: float, arch: dict | None = None,
         proxy: float = 0.80, trial: int = 7) -> SimpleNamespace:
    config = {"study": "s", "trial": trial, "dataset": dataset,
              "proxy_dataset": "fashion-mnist", "architecture": arch or LIF}
    metrics = {"label": "LIF, Soft (Bayesian)", "proxy_accuracy": proxy, "val_accuracy": val,
               "test_accuracy": test, "epochs": 6}
    if arch is DNN:  # a run of --as dnn; runs before --as record no condition
        metrics.update(condition="DNN", proxy_source="measured")
    return SimpleNamespace(id=run_id, config=config, metrics=metrics)


def test_a_trial_retrained_on_two_data_sets_gives_two_rows_and_its_own_in_the_table() -> None:
    runs = [_run(2, "mnist", 0.996, 0.995), _run(1, "fashion-mnist", 0.927, 0.923)]  # newest first
    full = full_scale_rows(runs, ["s"])
    assert [(r["dataset"], r["run_id"]) for r in full] == [("fashion-mnist", 1), ("mnist", 2)]
    assert {(r["searched"], r["condition"], r["proxy_source"]) for r in full} == {
        ("LIF, Soft (Bayesian)", "LIF, Soft", "study")}
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


def test_the_dnn_of_a_trial_sits_beside_it_and_never_stands_for_the_snns_condition() -> None:
    runs = [_run(5, "fashion-mnist", 0.95, 0.94, DNN, proxy=0.85),
            _run(4, "fashion-mnist", 0.93, 0.92, LIF, proxy=0.90, trial=2),
            _run(3, "fashion-mnist", 0.92, 0.91)]
    full = full_scale_rows(runs, ["s"])
    # trial 2 (proxy 0.90) first; trial 7's SNN (0.80) then its DNN, though the DNN's is 0.85
    assert [(r["trial"], r["condition"]) for r in full] == [(2, "LIF, Soft"), (7, "LIF, Soft"),
                                                           (7, "DNN")]
    (row,) = condition_rows([{"condition": "LIF, Soft (Bayesian)", "val_accuracy": 0.9}], full)
    assert row["full_val_accuracy"] == 0.93  # trial 2's SNN; the DNN's 0.95 is not the SNN's


def test_the_command_lines_table_puts_an_architectures_conditions_on_adjacent_lines() -> None:
    row = {"trial": 7, "label": "LIF, Soft (Bayesian)", "layers": [[64, 5], [64, 3]],
           "proxy_accuracy": 0.8, "val_accuracy": 0.93, "test_accuracy": 0.92, "spikes": 12.5,
           "run_id": 3, "condition": "LIF, Soft", "proxy_source": "study"}
    dnn = {**row, "condition": "DNN", "proxy_source": "measured", "spikes": None, "run_id": 4}
    lines = text_lines({"study": "s", "dataset": "fashion-mnist",
                        "architectures": [row, dnn]})
    assert lines[2].split()[:6] == ["7", "LIF,", "Soft", "(Bayesian)", "64x5-64x3", "LIF,"]
    assert lines[3].split() == ["DNN", "0.800", "measured", "0.9300", "0.9200", "-", "4"]
    assert lines[2].rindex("LIF, Soft") == lines[3].index("DNN")  # the same column
