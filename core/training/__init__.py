"""Surrogate-gradient training of SpyTorch networks, with literature defaults per data set."""

from core.progress import Progress
from core.training.config import OPTIMIZERS, TrainConfig
from core.training.defaults import DEFAULTS, default_config
from core.training.loop import TrainingReport, evaluate, train
from core.training.runs import load_report, save_report

__all__ = [
    "DEFAULTS",
    "OPTIMIZERS",
    "Progress",
    "TrainConfig",
    "TrainingReport",
    "default_config",
    "evaluate",
    "load_report",
    "save_report",
    "train",
]
