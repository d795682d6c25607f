"""Seeded 2-D toy data sets, as in TensorFlow Playground: moons, circles, XOR, spirals.

Points lie in [-1, 1]^2 (before noise); labels are 0/1. The same seed gives the same points.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.datasets import make_circles, make_moons

from core.checks import check_choice, check_range, check_whole
from core.neurons.params import MAX_SEED

TOY_SETS: tuple[str, ...] = ("moons", "circles", "xor", "spirals")


@dataclass(frozen=True)
class ToySpec:
    name: str = "moons"
    points: int = 400
    noise: float = 0.1
    test_fraction: float = 0.3
    seed: int = 0

    def __post_init__(self) -> None:
        check_choice("The data set", self.name, TOY_SETS)
        object.__setattr__(self, "points", check_whole("The number of points", self.points,
                                                       20, 5000))
        check_range("The noise", self.noise, 0, 1)
        check_range("The test fraction", self.test_fraction, 0.05, 0.9)
        object.__setattr__(self, "seed", check_whole("The seed", self.seed, 0, MAX_SEED))


@dataclass(frozen=True, eq=False)
class ToyData:
    x_train: np.ndarray  # [N, 2] float32
    y_train: np.ndarray  # [N] int64
    x_test: np.ndarray
    y_test: np.ndarray


def _xor(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    x = rng.uniform(-1, 1, (n, 2))
    y = (x[:, 0] * x[:, 1] < 0).astype(np.int64)
    return x + rng.normal(0, noise, x.shape), y


def _spirals(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    y = np.arange(n) % 2
    r = rng.uniform(0.05, 1.0, n)
    angle = 1.75 * 2 * np.pi * r + np.pi * y
    x = np.stack([r * np.cos(angle), r * np.sin(angle)], axis=1)
    return x + rng.normal(0, noise * 0.5, x.shape), y.astype(np.int64)


def make_toy(spec: ToySpec) -> ToyData:
    """Generate the data set of ``spec`` and split it (seeded, shuffled)."""
    rng = np.random.default_rng(spec.seed)
    if spec.name == "moons":
        x, y = make_moons(spec.points, noise=spec.noise, random_state=spec.seed)
        x = (x - [0.5, 0.25]) / [1.5, 1.0]  # centre the moons in [-1, 1]^2
    elif spec.name == "circles":
        x, y = make_circles(
            spec.points, noise=spec.noise * 0.5, factor=0.5, random_state=spec.seed
        )
    elif spec.name == "xor":
        x, y = _xor(spec.points, spec.noise * 0.5, rng)
    else:
        x, y = _spirals(spec.points, spec.noise, rng)
    order = rng.permutation(spec.points)
    x, y = x[order].astype(np.float32), y[order].astype(np.int64)
    n_test = int(round(spec.points * spec.test_fraction))
    return ToyData(x[n_test:], y[n_test:], x[:n_test], y[:n_test])
