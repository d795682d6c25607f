"""Helpers shared by the NAS tests: a tiny recipe so that one trial takes a fraction of a second.

The real ``small`` preset is timed by the CLI test and the speed-up bench; here trials search
2 conv layers of 4 or 8 filters and train one epoch on 400 digits.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import torch

from core.nas import trainer
from core.nas.work import search
from tests.support import single_thread

TINY_FIELDS = {"epochs": 1, "batch_size": 16, "max_train_samples": 400, "layers": 2,
               "filters": (4, 8), "kernels": (3, 5), "pool_after": (0,), "tpe_startup_trials": 3}
TINY = replace(trainer.PRESETS["small"], **TINY_FIELDS)



def tiny_search(*args: Any, **kwargs: Any) -> bool:
    """``core.nas.work.search`` with TINY as "small", on one thread: a job's work for tests.

    A job runs in a worker process, which a test's monkeypatch does not reach; this function
    sets the preset inside the worker (a process of its own, so nothing leaks back).
    """
    trainer.PRESETS["small"] = TINY
    torch.set_num_threads(1)
    return search(*args, **kwargs)


def tiny_cli(**overrides: object) -> str:
    """Code for ``python -c``: the command line with TINY (and ``overrides``) as "small"."""
    fields = {**TINY_FIELDS, **overrides}
    return (
        "import sys; from dataclasses import replace; from core.nas import trainer; "
        f"trainer.PRESETS['small'] = replace(trainer.PRESETS['small'], **{fields!r}); "
        "from core.cli import main; sys.exit(main(sys.argv[1:]))"
    )


def tiny_environment(monkeypatch: Any, tmp_path: Any) -> Iterator[None]:
    """Generator for an autouse fixture: TINY as "small", the run store and data cache in
    ``tmp_path``, torch on one thread while a test runs."""
    monkeypatch.setitem(trainer.PRESETS, "small", TINY)
    monkeypatch.setenv("SPIKELAB_DB", str(tmp_path / "runs.db"))
    monkeypatch.setenv("SPIKELAB_DATA", str(tmp_path / "cache"))
    yield from single_thread()
