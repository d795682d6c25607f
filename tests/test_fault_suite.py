"""The fault suite (issue 13): bad values for every numeric flag of every command.

The flags are read from ``core.cli.build_parser()``, so a new numeric flag is covered without
editing this file; ``test_every_flag_is_classified`` fails for a flag whose kind this file does
not know yet (add its parser type to ``KINDS``, or it to ``NOT_NUMERIC`` with the reason).

Each case runs ``python -m core CMD ... --flag=VALUE --json`` in this process (base command
lines are tiny: digits, one epoch, a few hidden neurons and steps) and asserts: no exception
escapes ``core.cli.main``; no traceback; either a non-zero exit whose error is one line (the
last line of stderr), or exit 0 with strict JSON (no NaN/Infinity) as the last stdout line.
A per-case timeout fails any value that starts endless work. A few cases run as real
subprocesses to prove the ``python -m core`` path prints no traceback either.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch

import core.cli
from core.cli import build_parser, main
from core.cli.bench import batch_list
from core.cli.common import float_list, number, positive_int, seed_int, thread_count
from core.cli.nas import heartbeat_seconds
from core.cli.nas_design import _seed_list
from core.cli.nas_retrain import _trial_number
from core.cli.relpsp_train import hidden_sizes
from core.nas import trainer
from tests.nas_support import TINY

# An exception in a thread a command started (Optuna's heartbeat) is a failure too.
pytestmark = pytest.mark.filterwarnings("error::pytest.PytestUnhandledThreadExceptionWarning")
ROOT = Path(__file__).resolve().parents[1]
CASE_TIMEOUT = 40  # seconds; a tiny run takes well under one even on a busy machine

FLOATS = ["nan", "inf", "-inf", "0", "-1", "1e12", "1e300", "", "abc"]
INTS = ["nan", "inf", "-inf", "0", "-1", str(10**12), str(10**20), "", "abc", "1.5"]
# parser type -> the bad values it is fed
KINDS = {
    int: INTS, positive_int: INTS, seed_int: INTS, hidden_sizes: INTS, batch_list: INTS,
    thread_count: INTS, _seed_list: INTS, _trial_number: INTS,
    float: FLOATS, number: FLOATS, heartbeat_seconds: FLOATS, float_list: FLOATS,
}
# Options whose values are not numbers (names, paths, URLs): not fed numbers.
NOT_NUMERIC = {
    "--data-path": "a file or folder",
    "--db": "a database file",
    "--storage": "a storage URL",
    "--study": "a study name",
    "--name": "a run's name",
    "--nir": "an output file",
    "--out": "an output file",
    "--kind": "a run kind (an unknown kind lists nothing)",
    "--file": "an input file",
    "--base": "a URL path prefix",
    "--preset": "a preset name (nas-design; nas has choices)",
    "--dataset": "a data set name (nas-retrain; the others have choices)",
    "--algorithms": "algorithm names",
    "--neurons": "neuron names (IF,LIF,...), checked by tests/test_nas_cli.py",
    "--objectives": "accuracy or accuracy,energy, checked by tests/test_nas_energy.py",
    "--as": "condition names (nas-retrain), checked by tests/test_nas_retrain_conditions.py",
}
# Options that are text holding numbers: each bad value goes into this template.
TEMPLATES = {
    ("sweep", "--grid"): ["hidden={v}", "steps=5", "scale=100", "reg=0"],
    ("energy", "--arch"): ["784-{v}-10"],
    ("relpsp train", "--conv"): ["{v}c3"],
}
# List options get the bad value among good ones, so that only it is wrong.
LIST_TEMPLATES = {
    ("simulate", "--times"): "1,{v}", ("simulate", "--weights"): "0.5,{v}",
    ("relpsp spike-time", "--times"): "1,{v}", ("relpsp spike-time", "--weights"): "0.5,{v}",
    ("encode", "--values"): "0.1,{v}", ("energy", "--spikes"): "100,{v},10",
    ("energy", "--sweep"): "1,{v}",
}

_TRAIN = {"--dataset": "digits", "--epochs": "1", "--hidden": "4", "--steps": "5",
          "--max-train": "32", "--max-test": "16", "--batch-size": "16", "--no-save": None}
_SWEEP = {**{k: v for k, v in _TRAIN.items() if k not in ("--hidden", "--steps")},
          "--grid": ["hidden=4", "steps=5", "scale=100", "reg=0"],
          "--storage": "sqlite:///{shared}/sweep.db", "--study": "{case}"}
_NAS = {"--trials": "1", "--storage": "sqlite:///{tmp}/nas.db", "--no-store": None}
# The tiny, valid command line of each command; a case replaces one option's value.
BASES: dict[str, dict[str, object]] = {
    "simulate": {"--steps": "5"},
    "relpsp spike-time": {"--times": "1,2", "--weights": "0.5,0.5"},
    "relpsp train": {"--dataset": "digits", "--hidden": "4", "--epochs": "1",
                     "--max-train": "32", "--batch-size": "16", "--no-save": None},
    # explorer: a flag the suite ignores costs a second; the training suite's peak-memory
    # processes take ten (its flags get it as a variant, below)
    "bench": {"--suite": "explorer", "--batch": "2", "--steps": "20", "--inputs": "4",
              "--hidden": "4", "--outputs": "2", "--repeats": "1"},
    "encode": {"--method": "ttfs", "--values": "0.1,0.5", "--steps": "5"},
    "data": {"--dataset": "digits"},
    "nas": {"--algorithm": "random", "--dataset": "digits", **_NAS,
            "--storage": "sqlite:///{shared}/nas.db", "--study": "{case}"},
    "nas-worker": {"--study": "w", **_NAS},
    # the worker's study "w" (small preset, digits): one epoch on 64 images
    "nas-retrain": {"--study": "w", "--storage": "sqlite:///{tmp}/nas.db", "--dataset": "digits",
                    "--epochs": "1", "--max-train-samples": "64", "--batch-size": "32"},
    "nas-design": {"--dataset": "digits", "--preset": "small", "--seeds": "0",
                   "--algorithms": "random", "--trials": "1",
                   "--storage": "sqlite:///{tmp}/design.db"},
    "train": _TRAIN,
    "sweep": _SWEEP,
    "runs": {},
    "export-nir": {"--run": "{run}", "--out": "{tmp}/net.nir", "--db": "{saved}"},
    "import-nir": {"--file": "{nir}"},
    "simulate-net": {"--run": "{nir_run}", "--samples": "8", "--steps": "5", "--db": "{saved}"},
    "neurobench": {"--run": "{run}", "--samples": "8", "--db": "{saved}"},
    "demos": {},
    "energy": {"--arch": "784-100-10", "--spikes": "100,80,10"},
}
_BENCH_TRAINING = {"--suite": "training", "--steps": "2"}
# Flags that matter only in some settings are tried in each: (command, flag) -> variants.
VARIANTS: dict[tuple[str, str], list[dict[str, object]]] = {
    ("simulate", "--times"): [{"--input": "spikes", "--times": "1,2", "--weights": "0.5,0.5"}],
    ("simulate", "--weights"): [{"--input": "spikes", "--times": "1,2", "--weights": "0.5,0.5"}],
    ("simulate", "--amplitude"): [{}, {"--input": "spikes", "--times": "1", "--weights": "1"}],
    ("simulate", "--rate"): [{"--input": "poisson"}],
    ("simulate", "--period"): [{"--input": "sine"}],
    ("simulate", "--adapt-tau"): [{"--neuron": "alif"}],
    ("simulate", "--adapt-b"): [{"--neuron": "alif"}],
    ("simulate", "--tau-mem"): [{}, {"--neuron": "alif"}],
    **{("bench", flag): [_BENCH_TRAINING] for flag in
       ("--batch", "--inputs", "--hidden", "--outputs", "--density")},
    ("bench", "--steps"): [_BENCH_TRAINING, {}],
    ("bench", "--repeats"): [_BENCH_TRAINING, {}, {"--suite": "playground"}],
    ("bench", "--batches"): [{"--suite": "peers"}],
    ("bench", "--threads"): [{"--suite": "peers"}],
    ("encode", "--tau"): [{}, {"--method": "latency"}],
    ("encode", "--thr"): [{}, {"--method": "latency"}, {"--method": "delta"}],
    ("encode", "--steps"): [{}, {"--method": "latency"}, {"--method": "rate"}],
    ("encode", "--values"): [{"--method": m} for m in ("ttfs", "latency", "rate", "delta")],
    ("encode", "--gain"): [{"--method": "rate"}],
    ("encode", "--offset"): [{"--method": "rate"}],
    ("encode", "--seed"): [{"--method": "rate"}],
    ("energy", "--time-steps"): [{}, {"--hardware": "ops"}],
}


def commands(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()):
    """(command name, its parser) for every leaf sub-command, e.g. ("relpsp train", p)."""
    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subs:
        yield " ".join(path), parser
    for action in subs:
        for name, child in action.choices.items():
            yield from commands(child, (*path, name))


def valued_options(parser: argparse.ArgumentParser) -> list[argparse.Action]:
    """The options that take a value and are not a fixed choice."""
    return [a for a in parser._actions if a.option_strings and a.nargs != 0
            and not isinstance(a, argparse.BooleanOptionalAction) and a.choices is None]


def numeric_flags() -> list[tuple[str, str, list[str]]]:
    """(command, flag, bad values) for every numeric option of every command with a base
    line (``test_the_suite_covers_every_command`` asks for the missing ones)."""
    out = []
    for command, parser in commands(build_parser()):
        if command not in BASES:
            continue
        for action in valued_options(parser):
            flag = action.option_strings[-1]
            if (command, flag) in TEMPLATES:
                out.append((command, flag, INTS))
            elif action.type in KINDS:
                out.append((command, flag, KINDS[action.type]))
    return out


def cases() -> list[tuple[str, str, str, dict[str, object]]]:
    """Every (command, flag, value, variant) of the suite."""
    return [(command, flag, value, variant)
            for command, flag, values in numeric_flags()
            for variant in VARIANTS.get((command, flag), [{}])
            for value in values]


def argv_for(command: str, flag: str, value: str, variant: dict[str, object],
             places: dict[str, str]) -> list[str]:
    """The base command line with ``flag`` set to ``value`` (as ``--flag=value``);
    ``places`` fills the base's ``{tmp}``, ``{saved}`` etc."""
    options = {**BASES[command], **variant}
    options.pop(flag, None)
    argv = command.split()
    for name, setting in options.items():
        values = [] if setting is None else setting if isinstance(setting, list) else [setting]
        argv += [name, *(str(v).format(**places) for v in values)]
    if (command, flag) in TEMPLATES:
        argv += [flag, *(t.format(v=value) for t in TEMPLATES[command, flag])]
    else:
        template = LIST_TEMPLATES.get((command, flag), "{v}")
        argv.append(f"{flag}={template.format(v=value)}")
    return [*argv, "--json"]


def strict_json(line: str) -> object:
    def refuse(name: str) -> None:
        raise ValueError(f"not strict JSON: {name}")

    return json.loads(line, parse_constant=refuse)


def check_outcome(code: int, out: str, err: str) -> None:
    """Non-zero with a one-line error, or 0 with strict JSON; never a traceback."""
    assert "Traceback" not in err + out, err
    if code == 0:
        lines = out.strip().splitlines()
        assert lines, "exit 0 printed nothing"
        strict_json(lines[-1])
        return
    errors = [line for line in err.splitlines() if line.startswith("error")]
    assert len(errors) == 1, f"expected one error line, got: {err!r}"
    assert err.strip().splitlines()[-1] == errors[0], f"the error is not the last line: {err!r}"


@pytest.fixture(autouse=True)
def _scratch(tmp_path_factory, tmp_path, monkeypatch):
    """Own run store and data cache; NAS on its tiny recipe; torch threads restored; main's
    parser built once (13 ms a build, a fifth of the suite; parsing leaves it unchanged)."""
    monkeypatch.setattr(core.cli, "build_parser", lambda: PARSER)
    monkeypatch.setenv("SPIKELAB_DB", str(tmp_path / "runs.db"))
    monkeypatch.setenv("SPIKELAB_DATA", str(tmp_path_factory.getbasetemp() / "data"))
    monkeypatch.setitem(trainer.PRESETS, "small", TINY)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def shared(tmp_path_factory) -> Path:
    """A folder the cases share (their study storages)."""
    return tmp_path_factory.mktemp("shared")


@pytest.fixture(scope="module")
def saved(tmp_path_factory) -> dict[str, str]:
    """A run store holding one tiny trained run, its NIR file and that file imported."""
    folder = tmp_path_factory.mktemp("saved")
    db, nir = folder / "runs.db", folder / "net.nir"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SPIKELAB_DB", str(db))
        out = []
        for argv in (["train", "--dataset", "digits", "--epochs", "1", "--hidden", "4",
                      "--steps", "5", "--max-train", "32", "--max-test", "16"],
                     ["export-nir", "--run", "1", "--out", str(nir)],
                     ["import-nir", "--file", str(nir)]):
            stdout = io.StringIO()
            with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(io.StringIO()):
                assert main([*argv, "--db", str(db), "--json"]) == 0, argv
            out.append(json.loads(stdout.getvalue().strip().splitlines()[-1]))
    return {"saved": str(db), "nir": str(nir), "run": str(out[0]["run_id"]),
            "nir_run": str(out[2]["run_id"])}


@pytest.fixture(scope="module")
def nas_study(tmp_path_factory) -> Path:
    """A NAS study named "w" with one tiny trial, made once for the ``nas-worker`` cases."""
    path = tmp_path_factory.mktemp("nas") / "nas.db"
    with pytest.MonkeyPatch.context() as mp, contextlib.redirect_stdout(io.StringIO()), \
            contextlib.redirect_stderr(io.StringIO()):
        mp.setitem(trainer.PRESETS, "small", TINY)
        assert main(["nas", "--algorithm", "random", "--dataset", "digits", "--study", "w",
                     "--trials", "1", "--storage", f"sqlite:///{path}", "--no-store"]) == 0
    return path


@pytest.fixture()
def worker_study(nas_study, tmp_path):
    """A copy of ``nas_study`` in ``tmp_path/nas.db``, for one ``nas-worker`` case."""
    shutil.copy(nas_study, tmp_path / "nas.db")


def run_main(argv: list[str], capsys) -> tuple[int, str, str]:
    """Exit code, stdout and stderr of ``core.cli.main(argv)``; any exception fails."""
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse's errors
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException as exc:  # noqa: BLE001 - this is what the suite looks for
        pytest.fail(f"{type(exc).__name__} escaped core.cli.main: {exc}")
    out, err = capsys.readouterr()
    return code, out, err


def _id(case: tuple[str, str, str, dict[str, object]]) -> str:
    command, flag, value, variant = case
    extra = ",".join(f"{k}={v}" for k, v in variant.items() if k in ("--input", "--neuron",
                                                                       "--suite", "--method",
                                                                       "--hardware"))
    return f"{command} {flag}={value!r}" + (f" [{extra}]" if extra else "")


CASES = cases()
PARSER = build_parser()


@pytest.mark.timeout(CASE_TIMEOUT)
@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_a_bad_value_is_refused_in_one_line_or_answered_in_strict_json(case, request, tmp_path,
                                                                       shared, capsys):
    command, flag, value, variant = case
    if command in ("nas-worker", "nas-retrain"):
        request.getfixturevalue("worker_study")
    # one storage for all cases (each its own study): a new SQLite storage takes a second
    places = {"tmp": str(tmp_path), "case": tmp_path.name, "shared": str(shared)}
    if any(p in str(v) for v in BASES[command].values() for p in ("{saved}", "{run}", "{nir")):
        places.update(request.getfixturevalue("saved"))
    code, out, err = run_main(argv_for(command, flag, value, variant, places), capsys)
    check_outcome(code, out, err)


def test_every_flag_is_classified():
    """A new option is numeric (a known parser type), a template, or named as not numeric."""
    unknown = []
    for command, parser in commands(build_parser()):
        for action in valued_options(parser):
            flag = action.option_strings[-1]
            if not (action.type in KINDS or (command, flag) in TEMPLATES
                    or flag in NOT_NUMERIC):
                unknown.append(f"{command} {flag} (type {action.type!r})")
    assert not unknown, f"classify these options in tests/test_fault_suite.py: {unknown}"


def test_the_suite_covers_every_command():
    numeric = {command for command, parser in commands(build_parser())
               if any(a.type in KINDS or (command, a.option_strings[-1]) in TEMPLATES
                      for a in valued_options(parser))}
    missing = numeric - set(BASES)
    assert not missing, f"give these commands a tiny base line in BASES: {sorted(missing)}"
    assert {command for command, _, _ in numeric_flags()} == numeric
    assert len(CASES) > 500


@pytest.mark.parametrize("command", ["nas", "nas-worker", "relpsp train", "nas-design"])
def test_a_thread_count_torch_cannot_take_is_refused(command, tmp_path, capsys):
    """torch.set_num_threads(100_000) is accepted, then the process dies of a segmentation
    fault: no command may pass such a count on."""
    places = {"tmp": str(tmp_path), "case": "t", "shared": str(tmp_path)}
    argv = argv_for(command, "--threads", "100000", {}, places)
    code, out, err = run_main(argv, capsys)
    assert code == 2 and "threads" in err
    check_outcome(code, out, err)


SUBPROCESS = [  # argparse's refusal, an encoder's ValueError, the memory estimate
    ["simulate", "--amplitude", "nan", "--steps", "5", "--json"],
    ["encode", "--method", "rate", "--values", "0.5,nan", "--steps", "5", "--json"],
    ["train", "--dataset", "digits", "--hidden", "10000000", "--epochs", "1", "--json"],
]


def test_the_real_commands_print_no_traceback(tmp_path):
    """``python -m core`` as a user runs it, the processes started together (their start-up
    is most of their time)."""
    env = {**os.environ, "SPIKELAB_DB": str(tmp_path / "runs.db"),
           "SPIKELAB_DATA": str(tmp_path / "data")}
    env.pop("SPIKELAB_DEBUG", None)
    procs = [subprocess.Popen([sys.executable, "-m", "core", *argv], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for argv in SUBPROCESS]
    for argv, proc in zip(SUBPROCESS, procs, strict=True):
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 2, (argv, err)
        check_outcome(proc.returncode, out, err)
