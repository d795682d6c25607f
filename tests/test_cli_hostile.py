"""Hostile command-line values (issue 13, items 1-5 and 10): NaN, inf, absurd sizes.

Each case must end with a non-zero exit and one line on stderr, never a traceback; whatever
exits 0 with --json prints strict JSON (no NaN/Infinity).
"""

from __future__ import annotations

import json

import pytest

from core.cli import main


def run(argv: list[str], capsys) -> tuple[int, str, str]:
    """Exit code, stdout and stderr of ``python -m core ARGV``, in this process."""
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse's own errors
        code = exc.code if isinstance(exc.code, int) else 1
    out, err = capsys.readouterr()
    return code, out, err


def strict_json(text: str) -> dict:
    def refuse(name: str) -> None:
        raise ValueError(f"non-standard JSON constant {name}")

    return json.loads(text.strip().splitlines()[-1], parse_constant=refuse)


REFUSED = [
    ["simulate", "--amplitude", "inf", "--steps", "5", "--json"],
    ["simulate", "--amplitude", "nan", "--steps", "5", "--json"],
    ["simulate", "--amplitude", "-inf", "--steps", "5", "--json"],
    ["simulate", "--input", "spikes", "--times", "1,2", "--weights", "nan,inf", "--json"],
    ["simulate", "--threshold", "inf", "--json"],
    ["simulate", "--tau-mem", "nan", "--json"],
    ["simulate", "--neuron", "alif", "--adapt-b", "nan", "--json"],
    ["simulate", "--steps", "100000000", "--json"],
    ["simulate", "--steps", "0", "--json"],
    ["relpsp", "spike-time", "--times", "nan,2,3", "--weights", "0.5,0.5,0.5", "--json"],
    ["relpsp", "spike-time", "--times", "1,2,3", "--weights", "inf,0.5,nan", "--json"],
    ["relpsp", "spike-time", "--times", "1,2", "--weights", "1,1", "--threshold", "nan"],
    ["encode", "--method", "ttfs", "--values", "0.1,nan,0.9", "--json"],
    ["encode", "--method", "ttfs", "--values", "0.1,inf,-5", "--json"],
    ["encode", "--method", "latency", "--values", "0.5,nan", "--json"],
    ["encode", "--method", "delta", "--values", "0.1,nan,0.3", "--json"],
    ["encode", "--method", "rate", "--values", "0.5,nan", "--steps", "5", "--json"],
    ["encode", "--method", "ttfs", "--values", "0.5", "--tau", "inf", "--json"],
    ["runs", "--limit", "-1", "--json"],
    ["runs", "--limit", "0", "--json"],
]


@pytest.mark.parametrize("argv", REFUSED, ids=[" ".join(a) for a in REFUSED])
def test_bad_values_are_refused_in_one_line(argv, capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("SPIKELAB_DB", str(tmp_path / "runs.db"))
    code, out, err = run(argv, capsys)
    assert code != 0
    assert "Traceback" not in err and "Traceback" not in out
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith("error"), err


def test_valid_inputs_still_answer_in_strict_json(capsys):
    code, out, _ = run(["simulate", "--amplitude", "0.3", "--steps", "20", "--json"], capsys)
    assert code == 0 and len(strict_json(out)["mem"]) == 20
    # the case without its nan: (theta + 0.5*2 + 0.5*3) / (0.5 + 0.5) = 3.5
    code, out, _ = run(["relpsp", "spike-time", "--times", "2,3", "--weights", "0.5,0.5",
                        "--json"], capsys)
    assert code == 0 and strict_json(out)["spike_time"] == pytest.approx(3.5)
    code, out, _ = run(["simulate", "--steps", "100000", "--json"], capsys)
    assert code == 0 and len(strict_json(out)["spikes"]) == 100_000


def test_an_overflowing_result_is_an_error_not_invalid_json(capsys):
    # finite inputs whose membrane overflows float64: never "Infinity" in the output
    argv = ["simulate", "--neuron", "if", "--reset", "none", "--amplitude", "1e308",
            "--steps", "5", "--json"]
    code, out, err = run(argv, capsys)
    assert code != 0 and not out.strip()
    last = err.strip().splitlines()[-1]  # after the progress line
    assert last.startswith("error:") and "overflowed" in last
    assert "Warning" not in err and "Traceback" not in err


@pytest.mark.parametrize("value", ["reg=nan", "reg=-1", "scale=inf", "hidden=0"])
def test_a_bad_grid_value_leaves_no_study_behind(value, capsys, tmp_path, monkeypatch):
    """Validate before touching storage: no database file, no RUNNING trial (item 8)."""
    monkeypatch.setenv("SPIKELAB_DB", str(tmp_path / "runs.db"))
    db = tmp_path / "sweeps.db"
    argv = ["sweep", "--dataset", "digits", "--grid", value, "--storage", f"sqlite:///{db}",
            "--study", "s", "--json"]
    code, _, err = run(argv, capsys)
    assert code != 0 and "Traceback" not in err
    assert err.strip().splitlines()[-1].startswith("error")
    assert not db.exists()


def test_sweep_masks_the_storage_password(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("SPIKELAB_DB", str(tmp_path / "runs.db"))
    argv = ["sweep", "--dataset", "digits", "--grid", "hidden=10", "--storage",
            "postgresql://alice:S3cretPW@127.0.0.1:1/db", "--study", "s1", "--json"]
    code, out, err = run(argv, capsys)
    assert code != 0
    assert "S3cretPW" not in out + err and "alice:***@" in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("argv", [
    ["train", "--dataset", "digits", "--hidden", "10000000", "--epochs", "1", "--json"],
    ["train", "--dataset", "digits", "--steps", "10000000", "--hidden", "10", "--json"],
])
def test_a_run_that_cannot_fit_is_refused_before_allocating(argv, capsys, tmp_path,
                                                            monkeypatch):
    monkeypatch.setenv("SPIKELAB_DB", str(tmp_path / "runs.db"))
    code, _, err = run(argv, capsys)
    assert code != 0 and "Traceback" not in err
    last = err.strip().splitlines()[-1]
    assert "GB of memory" in last and "this machine can give" in last


def test_the_memory_estimate_passes_the_defaults_and_counts_what_grows():
    from core.training import default_config
    from core.training.memory import check_fits, needed_bytes

    config = default_config("digits")
    check_fits(config, 64, 10)  # the default run fits anywhere
    small = needed_bytes(config, 64, 10)
    assert needed_bytes(config, 64, 10, stored=10**6) == small + 10**6
    wider = needed_bytes(default_config("digits", hidden=200), 64, 10)
    assert 1.5 * small < wider < 2.5 * small  # grows about linearly with the hidden size
    with pytest.raises(ValueError, match="GB of memory"):
        check_fits(config, 64, 10, limit=small - 1)


def test_a_relpsp_run_that_cannot_fit_is_refused_before_allocating(capsys, tmp_path,
                                                                   monkeypatch):
    monkeypatch.setenv("SPIKELAB_DB", str(tmp_path / "runs.db"))
    argv = ["relpsp", "train", "--dataset", "digits", "--hidden", "10000000", "--json"]
    code, _, err = run(argv, capsys)
    assert code != 0 and "Traceback" not in err
    assert "GB of memory" in err.strip().splitlines()[-1]


def test_a_negative_list_after_a_flag_is_read_as_its_value(capsys):
    argv = ["simulate", "--input", "spikes", "--times", "1,2", "--weights", "-0.5,0.3",
            "--amplitude", "1", "--steps", "4", "--json"]
    code, out, err = run(argv, capsys)
    assert code == 0, err
    assert strict_json(out)["input"] == [0.0, -0.5, 0.3, 0.0]


@pytest.mark.parametrize("value", ["0", "0.5", "-1", "nan"])
def test_nas_heartbeat_below_a_second_is_refused_not_rounded(value, capsys):
    code, _, err = run(["nas", "--heartbeat", value, "--trials", "1", "--json"], capsys)
    assert code != 0 and "heartbeat" in err and "Traceback" not in err


def test_a_data_path_for_digits_is_said_to_be_unused_not_ignored_silently(capsys):
    code, out, err = run(["data", "--dataset", "digits", "--data-path", "/nowhere", "--json"],
                         capsys)
    assert code == 0 and strict_json(out)
    assert "--data-path /nowhere is not used" in err
