"""Runs that other sessions left in a shared store (issue 25: pages must not open on them),
trained for real on the digits at tiny sizes, in a second or two each."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from core.relpsp.config import RelpspConfig
from core.relpsp.work import train_configs

#: What a tiny ReL-PSP run trains on: few samples, one small hidden layer.
TINY_RELPSP = {"max_train": 200, "hidden": (16,)}


def relpsp_run(db: Path, **settings: Any) -> int:
    """Train and store one ReL-PSP run on the digits (``TINY_RELPSP``, then ``settings``,
    with 1 epoch unless given); its run id."""
    config = RelpspConfig(**{"epochs": 1, **TINY_RELPSP, **settings})
    (run_id,) = train_configs([config], str(db), False, stop=threading.Event(),
                              report=lambda item: None)
    return run_id
