"""ReL-PSP networks trained with STDBP (Zhang et al., IEEE TNNLS 33(5), 2022), and alpha-PSP
networks trained by the same spike-timing rule for comparison."""

from core.fit import PreparedData
from core.progress import Progress
from core.relpsp.alpha import alpha_layer, alpha_times, lambert_w0
from core.relpsp.config import RelpspConfig
from core.relpsp.functional import STDBP, relpsp_layer, relpsp_times, stdbp_grads
from core.relpsp.train import RelpspReport, prepare, train

__all__ = [
    "STDBP",
    "PreparedData",
    "Progress",
    "RelpspConfig",
    "RelpspReport",
    "alpha_layer",
    "alpha_times",
    "lambert_w0",
    "prepare",
    "relpsp_layer",
    "relpsp_times",
    "stdbp_grads",
    "train",
]
