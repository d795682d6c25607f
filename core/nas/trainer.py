"""Training one candidate of the search: the study's recipe and a small preset for CPUs.

Study recipe (``--preset study``): Adam, initial learning rate 0.1, 5 warm-up epochs (linear)
then cosine decay to zero, 200 epochs, the training set split train:val = 8:2, CIFAR-10, 4 time
steps. The ``small`` preset trains the restricted space on the 8x8 digits for 2 epochs, a few
seconds a trial on two CPU cores. The ``fashion`` preset searches conv SNNs on Fashion-MNIST on
two CPU cores: a stratified subset of 3,000 training images (2,400 train, 600 validation),
averaged to 14x14, 4 layers of 8-32 filters, T = 4, 2 epochs.

Full resolution (``fashion-full``, ``mnist-full``): the proxy search runs on 28x28 images (no
input pooling), a stratified subset of 6,000 training images (4,800 train, 1,200 validation),
2 epochs, 4 layers of 16-64 filters pooled after the second and fourth (28 -> 14 -> 7): about a
minute a trial on two CPU cores, some 60 trials an hour. Every preset also carries the recipe
that ``core.nas.retrain`` trains the best architectures with at full scale (``retrain_*``):
the whole training set split train:val = 8:2 (the weights of the best validation epoch are
kept), Adam at 2e-3, batch 128, one epoch of linear warm-up then cosine decay, T = 4 and
direct encoding. Few epochs on purpose: a 4-layer conv SNN took ~319 s per Fashion-MNIST epoch
on two cores, so 5-6 epochs fit the 30 minutes one architecture may take.

Every trial is seeded: the weights are drawn inside ``torch.random.fork_rng`` (the global RNG is
left as it was) and the batches are shuffled by an explicit ``torch.Generator``.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from sklearn.model_selection import train_test_split
from torch.nn import functional as F

from core.checks import MAX_FLOAT32, check_positive, check_probability, check_whole
from core.data.base import Dataset
from core.data.registry import load_dataset
from core.fit import EpochStats, PreparedData, Step, StopSignal, fit, pick_device
from core.nas.model import ConvNet, NeuronConfig, count_parameters
from core.nas.space import KERNELS, STUDY_FILTERS, Architecture, SearchSpace
from core.progress import ProgressFn


@dataclass(frozen=True)
class TrainPreset:
    """The training recipe of every trial of a search, and the space it searches.

    ``layers``, ``filters``, ``kernels`` and ``pool_after`` restrict the study's space (see
    ``core.nas.space.SearchSpace``); ``max_train_samples`` cuts the training set (stratified);
    ``input_pool`` averages the images over input_pool x input_pool blocks (1: as loaded).
    The ``retrain_*`` fields are the full-scale recipe (``core.nas.retrain``): epochs, Adam's
    learning rate, batch size and linear warm-up epochs before the cosine decay.
    """

    name: str
    dataset: str
    epochs: int
    batch_size: int
    lr: float
    warmup_epochs: float
    layers: int = 9
    filters: tuple[int, ...] = STUDY_FILTERS
    kernels: tuple[int, ...] = KERNELS
    pool_after: tuple[int, ...] = (2, 5)
    val_fraction: float = 0.2
    neuron: NeuronConfig = field(default_factory=NeuronConfig)
    tpe_startup_trials: int = 10
    max_train_samples: int | None = None
    input_pool: int = 1
    retrain_epochs: int = 6
    retrain_lr: float = 2e-3
    retrain_batch_size: int = 128
    retrain_warmup_epochs: float = 1.0

    def __post_init__(self) -> None:
        check_whole("A trial's number of epochs", self.epochs, 1)
        check_whole("The batch size", self.batch_size, 1)
        check_whole("TPE's start-up trials", self.tpe_startup_trials, 1)
        if self.max_train_samples is not None:
            check_whole("max_train_samples", self.max_train_samples, 1, hint="or leave it out")
        check_positive("The learning rate", self.lr, MAX_FLOAT32)
        if not 0 <= self.warmup_epochs < self.epochs:
            raise ValueError("Warm-up must last at least 0 epochs and fewer than all of them.")
        check_probability("The validation fraction", self.val_fraction, zero=False, one=False)
        check_whole("The input pooling", self.input_pool, 1)
        self._check_retrain()
        self.space("snn")  # the layers, filters, kernels and pooling it searches

    def _check_retrain(self) -> None:
        check_whole("Retraining's number of epochs", self.retrain_epochs, 1)
        check_whole("The retraining batch size", self.retrain_batch_size, 1)
        check_positive("The retraining learning rate", self.retrain_lr, MAX_FLOAT32)
        if not 0 <= self.retrain_warmup_epochs < self.retrain_epochs:
            raise ValueError("Retraining's warm-up must last at least 0 epochs and fewer than "
                             "all of them.")

    def space(self, model: str) -> SearchSpace:
        """The preset's space for ``model`` (snn or dnn)."""
        return SearchSpace(model, self.layers, self.filters, self.kernels,
                           pool_after=self.pool_after)


PRESETS: dict[str, TrainPreset] = {
    "study": TrainPreset("study", "cifar10", epochs=200, batch_size=128, lr=0.1,
                         warmup_epochs=5),
    # The study's space restricted to 4 layers and filters <= 64 (pooling 8x8 -> 4x4 -> 2x2).
    "small": TrainPreset("small", "digits", epochs=2, batch_size=32, lr=0.01,
                         warmup_epochs=0, layers=4, filters=(16, 32, 64), pool_after=(0, 2),
                         tpe_startup_trials=4),
    # Real images on two CPU cores: 14x14 Fashion-MNIST (pooling 14 -> 7 -> 3), filters <= 32.
    "fashion": TrainPreset("fashion", "fashion-mnist", epochs=2, batch_size=64, lr=0.01,
                           warmup_epochs=0, layers=4, filters=(8, 16, 32), pool_after=(0, 1),
                           tpe_startup_trials=3, max_train_samples=3000, input_pool=2),
    # Full resolution, 32-32-pool-64-64-pool shaped (28 -> 14 -> 7), filters <= 64.
    "fashion-full": TrainPreset("fashion-full", "fashion-mnist", epochs=2, batch_size=64,
                                lr=0.01, warmup_epochs=0, layers=4, filters=(16, 32, 64),
                                pool_after=(1, 3), tpe_startup_trials=5,
                                max_train_samples=6000, retrain_epochs=6),
    "mnist-full": TrainPreset("mnist-full", "mnist", epochs=2, batch_size=64, lr=0.01,
                              warmup_epochs=0, layers=4, filters=(16, 32, 64),
                              pool_after=(1, 3), tpe_startup_trials=5, max_train_samples=6000,
                              retrain_epochs=5),
}


@dataclass(frozen=True, eq=False)
class TrialOutcome:
    """What training one architecture gave; spike fields are ``None`` for the DNN."""

    train_accuracy: float
    val_accuracy: float
    spikes_per_sample: float | None
    spikes_per_layer: list[float] | None
    parameters: int
    seconds: float
    history: list[dict[str, float]]
    weights: dict[str, torch.Tensor] = field(repr=False)


def prepare_data(
    dataset: str, preset: TrainPreset, data_path: str | Path | None = None, download: bool = True
) -> PreparedData:
    """Load the data set's training images and split them train:val with a fixed seed.

    The validation split is the held-out one (``x_test``, ``y_test``): images [N, C, H, W]
    in [0, 1], averaged over the preset's ``input_pool`` blocks; ``channels`` is C.
    """
    data = load_dataset(dataset, data_path, download=download)
    if data.kind != "image":
        raise ValueError(f"NAS searches image data; {dataset!r} holds {data.kind} data.")
    return split_training(data, preset)


def split_training(data: Dataset, preset: TrainPreset) -> PreparedData:
    """``prepare_data`` on a loaded image data set: its training images, cut and split."""
    x, y = image_tensor(data.x_train), data.y_train
    if preset.max_train_samples is not None and len(y) > preset.max_train_samples:
        x, _, y, _ = train_test_split(
            x, y, train_size=preset.max_train_samples, random_state=0, stratify=y
        )
    x_tr, x_va, y_tr, y_va = train_test_split(
        x, y, test_size=preset.val_fraction, random_state=0, stratify=y
    )
    x_train, x_val = (_pooled(a, preset.input_pool) for a in (x_tr, x_va))
    return PreparedData(
        kind=data.kind,
        x_train=x_train,
        y_train=torch.as_tensor(y_tr, dtype=torch.long),
        x_test=x_val,
        y_test=torch.as_tensor(y_va, dtype=torch.long),
        classes=tuple(data.classes),
        channels=int(x.shape[1]),
        side=int(x_train.shape[-1]),
    )


def image_tensor(images: np.ndarray) -> np.ndarray:
    """Images as [N, C, H, W] (a grey image set [N, H, W] gets its channel axis)."""
    return images if images.ndim == 4 else images[:, None]


def _pooled(images: np.ndarray, pool: int) -> torch.Tensor:
    """Images [N, C, H, W] as float32, averaged over ``pool`` x ``pool`` blocks when pool > 1."""
    x = torch.as_tensor(np.ascontiguousarray(images), dtype=torch.float32)
    return F.avg_pool2d(x, pool) if pool > 1 else x


def lr_factor(step: int, total: int, warmup: int) -> float:
    """Linear warm-up over ``warmup`` steps, then cosine decay to zero at ``total``."""
    if step < warmup:
        return (step + 1) / warmup
    span = max(total - warmup, 1)
    return 0.5 * (1.0 + math.cos(math.pi * (step - warmup) / span))


def train_architecture(
    arch: Architecture,
    data: PreparedData,
    preset: TrainPreset,
    pool_after: tuple[int, ...],
    seed: int = 0,
    stop: StopSignal | None = None,
    progress: ProgressFn | None = None,
) -> TrialOutcome | None:
    """Train ``arch`` with the preset's recipe; measure accuracies and spikes per sample.

    ``None`` when ``stop`` was set before the training ended: a search abandons that trial.
    """
    start = time.perf_counter()
    device = pick_device()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = ConvNet(arch, data.channels, data.num_classes, pool_after, preset.neuron)
    model.to(device)
    task = TrialTask(model, data, preset, device)
    generator = torch.Generator().manual_seed(seed)
    fitted = fit(task, len(data.y_train), preset.epochs, preset.batch_size, generator, stop,
                 progress)
    if fitted.stopped:
        return None
    train_acc, _ = evaluate(model, data.x_train, data.y_train, preset.batch_size * 4)
    val_acc, counts = evaluate(model, data.x_test, data.y_test, preset.batch_size * 4)
    per_layer = None if arch.model == "dnn" else [float(c) for c in counts]
    return TrialOutcome(
        train_accuracy=train_acc,
        val_accuracy=val_acc,
        spikes_per_sample=None if per_layer is None else float(sum(per_layer)),
        spikes_per_layer=per_layer,
        parameters=count_parameters(model),
        seconds=time.perf_counter() - start,
        history=fitted.history,
        weights={k: v.detach().cpu() for k, v in model.state_dict().items()},
    )


class TrialTask:
    """One candidate network, its cross-entropy loss and the recipe's schedule, for ``fit``."""

    def __init__(
        self, model: ConvNet, data: PreparedData, preset: TrainPreset, device: torch.device
    ) -> None:
        self.model, self.data, self.device = model, data, device
        self.optimizer = torch.optim.Adam(model.parameters(), lr=preset.lr)
        per_epoch = math.ceil(len(data.y_train) / preset.batch_size)
        total, warmup = per_epoch * preset.epochs, round(per_epoch * preset.warmup_epochs)
        self.schedule = torch.optim.lr_scheduler.LambdaLR(
            self.optimizer, lambda step: lr_factor(step, total, warmup)
        )

    def start_epoch(self, epoch: int) -> None:
        self.model.train()

    def train_batch(self, indices: torch.Tensor) -> Step:
        """One Adam step, then one step of the learning-rate schedule."""
        logits, _ = self.model(self.data.x_train[indices].to(self.device))
        loss = F.cross_entropy(logits, self.data.y_train[indices].to(self.device))
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        self.schedule.step()
        return Step(loss=float(loss.detach()), size=len(indices))

    def end_epoch(self, stats: EpochStats) -> dict[str, float]:
        return {"epoch": stats.epoch, "loss": stats.sample_loss}


@torch.no_grad()
def evaluate(
    model: ConvNet, x: torch.Tensor, y: torch.Tensor, batch_size: int
) -> tuple[float, torch.Tensor]:
    """Accuracy and mean spikes per sample of each layer, in evaluation mode."""
    model.eval()
    device = next(model.parameters()).device
    correct, counts = 0, torch.zeros(len(model.convs))
    for start in range(0, len(y), batch_size):
        logits, spikes = model(x[start : start + batch_size].to(device))
        correct += int((logits.argmax(1).cpu() == y[start : start + batch_size]).sum())
        counts += spikes.cpu()
    return correct / len(y), counts / len(y)
