"""The epoch loop of a full-scale retraining, with a checkpoint after every epoch.

``train_full`` runs ``core.fit`` one epoch at a time on the trial's recipe (``TrialTask``:
Adam, warm-up then cosine decay per step), measures the validation accuracy after each epoch,
keeps the weights of the best one and writes the checkpoint: model, Adam, schedule, the
shuffling generator, the best weights and the history. Resuming loads it and goes on with the
next epoch exactly as an uninterrupted run would (same shuffles, same schedule). A stop drops
the unfinished epoch only. At the end the best weights are measured on the test set.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import torch

from core.fit import PreparedData, StopSignal, fit, pick_device
from core.nas.model import ConvNet, count_parameters
from core.nas.space import Architecture
from core.nas.trainer import TrainPreset, TrialTask, evaluate
from core.progress import ProgressFn


@dataclass
class EpochState:
    """Where a retraining stands after its last finished epoch (what a checkpoint holds)."""

    epoch: int = 0
    best_val: float = -1.0
    best_epoch: int = 0
    best_weights: dict[str, torch.Tensor] | None = None
    history: list[dict[str, float]] = field(default_factory=list)
    seconds: float = 0.0


@dataclass(frozen=True, eq=False)
class Trained:
    """A finished retraining: the best epoch's weights and what they score."""

    val_accuracy: float
    test_accuracy: float
    best_epoch: int
    epochs: int
    spikes_per_layer: list[float] | None
    parameters: int
    seconds: float
    history: list[dict[str, float]]
    weights: dict[str, torch.Tensor] = field(repr=False)

    def metrics(self) -> dict[str, Any]:
        spikes = None if self.spikes_per_layer is None else float(sum(self.spikes_per_layer))
        return {"val_accuracy": self.val_accuracy, "test_accuracy": self.test_accuracy,
                "best_epoch": self.best_epoch, "epochs": self.epochs,
                "spikes_per_layer": self.spikes_per_layer, "spikes": spikes,
                "spikes_per_sample": spikes, "parameters": self.parameters,
                "seconds": self.seconds}


def _cpu(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return {k: v.detach().cpu().clone() for k, v in state.items()}


def save_checkpoint(path: Path, task: TrialTask, generator: torch.Generator,
                    state: EpochState) -> None:
    """Write the checkpoint atomically (a temporary file renamed over the old one)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    blob = {"epoch": state.epoch, "best_val": state.best_val, "best_epoch": state.best_epoch,
            "best_weights": state.best_weights, "history": state.history,
            "seconds": state.seconds, "model": _cpu(task.model.state_dict()),
            "optimizer": task.optimizer.state_dict(), "schedule": task.schedule.state_dict(),
            "generator": generator.get_state()}
    tmp = path.with_suffix(".tmp")
    torch.save(blob, tmp)
    os.replace(tmp, path)


def load_checkpoint(path: Path, task: TrialTask, generator: torch.Generator) -> EpochState:
    """Restore a checkpoint into ``task`` and ``generator``; a fresh state when there is
    none (or it cannot be read: then the architecture starts over, nothing is mixed)."""
    if not path.is_file():
        return EpochState()
    try:
        blob = torch.load(path, map_location="cpu", weights_only=True)
        task.model.load_state_dict(blob["model"])
        task.optimizer.load_state_dict(blob["optimizer"])
        task.schedule.load_state_dict(blob["schedule"])
        generator.set_state(blob["generator"])
    except Exception:  # noqa: BLE001 - a torn or foreign file: start this architecture over
        return EpochState()
    return EpochState(int(blob["epoch"]), float(blob["best_val"]), int(blob["best_epoch"]),
                      blob["best_weights"], list(blob["history"]), float(blob["seconds"]))


def _in_epoch(progress: ProgressFn | None, epoch: int,
              epochs: int) -> ProgressFn | None:
    """``fit`` runs one epoch at a time here: report it as epoch ``epoch`` of ``epochs``."""
    if progress is None:
        return None
    return lambda p: progress(replace(p, epoch=epoch, epochs=epochs))


def train_full(arch: Architecture, data: PreparedData, x_test: torch.Tensor,
               y_test: torch.Tensor, recipe: TrainPreset, pool_after: tuple[int, ...],
               seed: int, checkpoint: Path, stop: StopSignal | None = None,
               progress: ProgressFn | None = None,
               say: Callable[[str], None] | None = None) -> Trained | None:
    """Train ``arch`` with ``recipe`` from its checkpoint (if any); None when stopped."""
    say = say or (lambda _text: None)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = ConvNet(arch, data.channels, data.num_classes, pool_after, recipe.neuron)
    model.to(pick_device())
    task = TrialTask(model, data, recipe, next(model.parameters()).device)
    generator = torch.Generator().manual_seed(seed)
    state = load_checkpoint(checkpoint, task, generator)
    if state.epoch:
        say(f"resuming after epoch {state.epoch}/{recipe.epochs} (checkpoint {checkpoint})")
    for epoch in range(state.epoch + 1, recipe.epochs + 1):
        if not _one_epoch(task, data, recipe, generator, epoch, state, stop, progress):
            return None
        save_checkpoint(checkpoint, task, generator, state)
        say(f"epoch {epoch}/{recipe.epochs}: loss {state.history[-1]['loss']:.4f}, "
            f"val accuracy {state.history[-1]['val_accuracy']:.4f}")
    return _finish(task, state, x_test, y_test, recipe)


def _one_epoch(task: TrialTask, data: PreparedData, recipe: TrainPreset,
               generator: torch.Generator, epoch: int, state: EpochState,
               stop: StopSignal | None, progress: ProgressFn | None) -> bool:
    """One epoch, then validation; updates ``state``. False when stopped mid-epoch."""
    start = time.perf_counter()
    fitted = fit(task, len(data.y_train), 1, recipe.batch_size, generator, stop,
                 _in_epoch(progress, epoch, recipe.epochs))
    if fitted.stopped:
        return False
    val_acc, _ = evaluate(task.model, data.x_test, data.y_test, recipe.batch_size * 4)
    state.epoch = epoch
    state.seconds += time.perf_counter() - start
    state.history.append({"epoch": epoch, "loss": fitted.history[0]["loss"],
                          "val_accuracy": val_acc, "seconds": state.seconds})
    if val_acc > state.best_val:
        state.best_val, state.best_epoch = val_acc, epoch
        state.best_weights = _cpu(task.model.state_dict())
    return True


def _finish(task: TrialTask, state: EpochState, x_test: torch.Tensor, y_test: torch.Tensor,
            recipe: TrainPreset) -> Trained:
    """Load the best epoch's weights and measure them on the test set."""
    start = time.perf_counter()
    model = task.model
    if state.best_weights is None:
        raise RuntimeError("No epoch finished: there are no weights to measure.")
    model.load_state_dict(state.best_weights)
    test_acc, counts = evaluate(model, x_test, y_test, recipe.batch_size * 4)
    spikes = None if model.arch.model == "dnn" else [float(c) for c in counts]
    return Trained(
        val_accuracy=state.best_val, test_accuracy=test_acc, best_epoch=state.best_epoch,
        epochs=state.epoch, spikes_per_layer=spikes, parameters=count_parameters(model),
        seconds=state.seconds + time.perf_counter() - start, history=state.history,
        weights=state.best_weights,
    )
