"""One playground run: data, encoder, network and optimiser, stepped by the caller.

Everything is seeded from ``PlaygroundConfig.seed``: the same configuration gives the same
data, initial weights, batches and rate-code spikes, so a shared link reproduces a run.
Evaluation uses its own fixed generator so that accuracy does not flicker with code noise.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F

from core.checks import check_probability, check_range, check_whole
from core.hardware.constants import E_AC_J, E_MAC_J, PJ
from core.neurons.params import MAX_SEED
from core.playground.encoding import EncodingSpec, encode
from core.playground.network import NetworkSpec, SpikingMLP, Trace
from core.playground.toydata import ToySpec, make_toy

E_AC_PJ = E_AC_J / PJ  # the hardware models' cited 45 nm figures (Horowitz, ISSCC 2014)
E_MAC_PJ = E_MAC_J / PJ


@dataclass(frozen=True)
class PlaygroundConfig:
    toy: ToySpec = field(default_factory=ToySpec)
    encoding: EncodingSpec = field(default_factory=EncodingSpec)
    network: NetworkSpec = field(default_factory=NetworkSpec)
    lr: float = 0.03
    reg: float = 0.0
    batch: int = 32
    seed: int = 0

    def __post_init__(self) -> None:
        check_probability("The learning rate", self.lr, zero=False)
        check_range("The spike regularizer", self.reg, 0)
        object.__setattr__(self, "batch", check_whole("The batch size", self.batch, 1, 1024))
        object.__setattr__(self, "seed", check_whole("The seed", self.seed, 0, MAX_SEED))


@dataclass(frozen=True)
class Metrics:
    step: int
    epoch: float
    train_loss: float
    train_accuracy: float
    test_loss: float
    test_accuracy: float
    spikes_per_layer: list[float]  # per sample: input, hidden layers
    synaptic_ops: float  # per sample
    snn_energy_pj: float
    ann_energy_pj: float


@dataclass(frozen=True)
class Maps:
    axis: np.ndarray  # grid coordinates along each axis
    probability: np.ndarray  # [G, G] P(class 1)
    rates: list[np.ndarray]  # per hidden layer [n, G, G], spikes per step


class Playground:
    def __init__(self, config: PlaygroundConfig):
        self.config = config
        self.data = make_toy(config.toy)
        self._gen = torch.Generator().manual_seed(config.seed)
        self.model = SpikingMLP(config.encoding.channels, config.network, 2, self._gen)
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=config.lr)
        self.step = 0
        self._x_train = torch.from_numpy(self.data.x_train)
        self._y_train = torch.from_numpy(self.data.y_train)

    @property
    def epoch(self) -> float:
        return self.step * self.config.batch / len(self.data.y_train)

    def _run(self, points: torch.Tensor, generator: torch.Generator) -> Trace:
        return self.model(encode(points, self.config.encoding, generator))

    def train_steps(self, n: int = 1) -> float:
        """Take ``n`` optimiser steps on random mini-batches; return the last loss."""
        loss = torch.tensor(float("nan"))
        for _ in range(n):
            idx = torch.randint(len(self._y_train), (self.config.batch,), generator=self._gen)
            trace = self._run(self._x_train[idx], self._gen)
            spikes = sum(s.sum() for s in trace.spikes) / self.config.batch
            loss = F.cross_entropy(trace.logits, self._y_train[idx]) + self.config.reg * spikes
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()
            self.step += 1
        return float(loss.detach())

    @torch.no_grad()
    def _score(self, x: np.ndarray, y: np.ndarray) -> tuple[float, float, Trace, torch.Tensor]:
        gen = torch.Generator().manual_seed(self.config.seed + 1)
        inputs = encode(torch.from_numpy(x), self.config.encoding, gen)
        trace = self.model(inputs)
        target = torch.from_numpy(y)
        loss = float(F.cross_entropy(trace.logits, target))
        accuracy = float((trace.logits.argmax(1) == target).float().mean())
        return loss, accuracy, trace, inputs

    def evaluate(self) -> Metrics:
        """Loss and accuracy on both splits, spikes and energy per test sample."""
        tr_loss, tr_acc, _, _ = self._score(self.data.x_train, self.data.y_train)
        te_loss, te_acc, trace, inputs = self._score(self.data.x_test, self.data.y_test)
        n = inputs.shape[1]
        counts = [float(inputs.sum()) / n, *(float(s.sum()) / n for s in trace.spikes)]
        sizes = self.model.sizes
        synops = sum(c * fan_out for c, fan_out in zip(counts, sizes[1:], strict=True))
        macs = sum(a * b for a, b in zip(sizes[:-1], sizes[1:], strict=True))
        return Metrics(
            self.step,
            self.epoch,
            tr_loss,
            tr_acc,
            te_loss,
            te_acc,
            counts,
            synops,
            synops * E_AC_PJ,
            macs * E_MAC_PJ,
        )

    @torch.no_grad()
    def maps(self, grid: int = 40) -> Maps:
        """Decision surface and every hidden neuron's firing rate over the input plane."""
        axis = np.linspace(-1.2, 1.2, grid, dtype=np.float32)
        xx, yy = np.meshgrid(axis, axis)
        points = torch.from_numpy(np.stack([xx.ravel(), yy.ravel()], axis=1))
        trace = self._run(points, torch.Generator().manual_seed(self.config.seed + 2))
        prob = torch.softmax(trace.logits, dim=1)[:, 1].reshape(grid, grid).numpy()
        rates = [s.mean(0).T.reshape(-1, grid, grid).numpy() for s in trace.spikes]
        return Maps(axis, prob, rates)

    @torch.no_grad()
    def probe(
        self, point: tuple[float, float], layer: int, neuron: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """Membrane trace and spikes of one hidden neuron for one input point."""
        gen = torch.Generator().manual_seed(self.config.seed + 3)
        trace = self._run(torch.tensor([point], dtype=torch.float32), gen)
        return trace.mems[layer][:, 0, neuron].numpy(), trace.spikes[layer][:, 0, neuron].numpy()

    @torch.no_grad()
    def set_weight(self, layer: int, source: int, target: int, value: float) -> None:
        """Edit one connection (layer 0 connects the inputs to the first hidden layer)."""
        weights = self.model.weights[layer]
        if not (0 <= source < weights.shape[0] and 0 <= target < weights.shape[1]):
            raise ValueError(f"No connection {source} -> {target} in layer {layer}.")
        weights[source, target] = float(value)

    def weight(self, layer: int, source: int, target: int) -> float:
        return float(self.model.weights[layer][source, target].detach())
