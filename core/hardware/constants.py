"""Cited energy figures and published results the hardware models start from.

Every number here is an *input* with its source; results are computed from them, never stored.

* Horowitz, "Computing's energy problem (and what we can do about it)", ISSCC 2014, Fig. 1.1.9
  (45 nm, 0.9 V): 32-bit float add 0.9 pJ, 32-bit float multiply 3.7 pJ (so a float MAC is
  4.6 pJ), 8-bit integer add 0.03 pJ, 32-bit integer add 0.1 pJ; a 64-bit read from an 8 KB SRAM
  10 pJ, from a 32 KB SRAM 20 pJ, from a 1 MB SRAM 100 pJ. The per-bit SRAM figures below are
  those reads divided by 64 bits. Writes are taken to cost as much as reads (an assumption:
  Horowitz gives reads only).
* Davies et al., "Loihi: a neuromorphic manycore processor with on-chip learning", IEEE Micro
  38(1), 2018, Table 2 (14 nm): one spike packet costs 3.0 pJ per east-west tile hop and 4.0 pJ
  per north-south hop. Used as the router-hop energy of the mesh (a different node from 45 nm:
  change it together with the others for one process).
* Zhang et al., "Rectified linear postsynaptic potential function for backpropagation in deep
  spiking neural networks", IEEE TNNLS 33(5), 2022: the ReL-PSP MNIST network on the YOSO
  accelerator (Srivatsa et al., "You only spike once", arXiv:2006.09982, 2020) draws 0.751 mW
  with 47.71 ms per image. The calibration compares the model against these figures.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

PJ = 1e-12

# Horowitz, ISSCC 2014 (45 nm).
E_AC_J = 0.9 * PJ  # 32-bit float add: one accumulate of a spike's weight
E_MAC_J = 4.6 * PJ  # 32-bit float multiply (3.7 pJ) + add (0.9 pJ)
E_INT8_ADD_J = 0.03 * PJ
E_INT32_ADD_J = 0.1 * PJ
# (SRAM size in bytes, energy per bit read) from the 64-bit reads above.
SRAM_READ_J_PER_BIT: tuple[tuple[int, float], ...] = (
    (8 * 1024, 10.0 * PJ / 64),
    (32 * 1024, 20.0 * PJ / 64),
    (1024 * 1024, 100.0 * PJ / 64),
)

# Davies et al., IEEE Micro 2018, Table 2 (14 nm).
E_HOP_EW_J = 3.0 * PJ
E_HOP_NS_J = 4.0 * PJ


@dataclass(frozen=True)
class PublishedFigure:
    """A published hardware measurement to compare a model against."""

    label: str
    sizes: tuple[int, ...]  # layer sizes, input first
    power_w: float
    latency_s: float
    source: str

    @property
    def energy_per_frame_j(self) -> float:
        """Energy per image: power x time per image."""
        return self.power_w * self.latency_s


RELPSP_YOSO_MNIST = PublishedFigure(
    label="ReL-PSP MNIST network on YOSO",
    sizes=(784, 800, 10),
    power_w=0.751e-3,
    latency_s=47.71e-3,
    source="Zhang et al., IEEE TNNLS 33(5), 2022 (YOSO: Srivatsa et al., arXiv:2006.09982)",
)


def sram_read_energy_per_bit(size_bytes: float) -> float:
    """Energy per bit read from an SRAM of this size, log-interpolated between Horowitz's points.

    Sizes outside 8 KB-1 MB take the nearest end point (no extrapolation).
    """
    points = SRAM_READ_J_PER_BIT
    if size_bytes <= points[0][0]:
        return points[0][1]
    for (s0, e0), (s1, e1) in zip(points[:-1], points[1:], strict=True):
        if size_bytes <= s1:
            f = (math.log(size_bytes) - math.log(s0)) / (math.log(s1) - math.log(s0))
            return e0 + f * (e1 - e0)
    return points[-1][1]
