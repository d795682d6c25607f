"""Configuration of a ReL-PSP (or alpha-PSP) network trained with STDBP.

``RelpspConfig``'s field defaults hold for every data set; a data set's loader may override
some of them in ``INFO.defaults["relpsp"]`` (e.g. ``core.data.fashion_mnist``), which
``default_config`` applies: the command line and the ReL-PSP page start from it.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any, NamedTuple

from core.checks import MAX_FLOAT32, check_positive, check_range, check_whole
from core.data.registry import dataset_info, dataset_names
from core.neurons.params import MAX_EPOCHS, MAX_SEED

ARCHS = ("fc", "conv")
PRESET_ARCHS = ("csnn",)  # names ``default_config`` expands into a conv configuration
PSPS = ("relpsp", "alpha")
ENCODINGS = ("latency", "ttfs")
LR_SCALINGS = ("none", "fan-in")
MAX_DROPOUT = 0.9  # a higher rate leaves a layer almost no input to learn from
MAX_SHIFT = 8  # pixels; --augment beyond a third of a 28-pixel image moves it off its frame
REFERENCE_FAN_IN = 784  # lr_scaling "fan-in": a layer of this many inputs learns at lr
DATASETS = dataset_names("relpsp")  # the data sets whose loaders declare ReL-PSP use


MAX_CONV_LAYERS = 8
# The widest conv layer: VGG's and ResNet's widest have 512 maps, the C-SNN preset 16 and 32.
# Two 512c5 layers on MNIST already need about 6 GB at batch 64 (``core.relpsp.train``'s
# estimate) and hours an epoch on a CPU; 9999c5,9999c5 would need about 146 GB.
MAX_CONV_CHANNELS = 512
_CONV_TOKEN = re.compile(r"(\d{1,4})c(\d{1,2})(?:s(\d{1,2}))?(?:p(\d{1,2}))?")


class ConvSpec(NamedTuple):
    """One convolution: ``channels`` feature maps of ``kernel`` x ``kernel`` ReL-PSP neurons,
    moved by ``stride``, over an input padded by ``padding`` silent pixels on each side."""

    channels: int
    kernel: int
    stride: int = 1
    padding: int = 0

    @property
    def text(self) -> str:
        stride = f"s{self.stride}" if self.stride != 1 else ""
        pad = f"p{self.padding}" if self.padding else ""
        return f"{self.channels}c{self.kernel}{stride}{pad}"


def parse_conv(text: str) -> tuple[ConvSpec, ...]:
    """``"16c5,32c5"`` -> conv layers: ``<channels>c<kernel>`` with optional ``s<stride>``
    and ``p<padding>`` (``"32c3s2p1"``); ``""`` -> none. Raises ``ValueError`` with the
    token at fault."""
    specs = []
    for token in (t.strip().lower() for t in str(text).split(",") if t.strip()):
        match = _CONV_TOKEN.fullmatch(token)
        if match is None:
            raise ValueError(f"Conv layer {token!r} is not <channels>c<kernel>[s<stride>]"
                             "[p<padding>], e.g. 16c5 or 32c3s2p1.")
        channels, kernel, stride, pad = (int(g) if g else None for g in match.groups())
        spec = ConvSpec(channels, kernel, stride or 1, pad or 0)
        if spec.channels < 1 or spec.kernel < 1 or spec.stride < 1:
            raise ValueError(f"Conv layer {token!r}: channels, kernel and stride must be >= 1.")
        check_whole(f"The channels of conv layer {token!r}", spec.channels, 1,
                    MAX_CONV_CHANNELS, hint="two 512c5 layers on MNIST need about 6 GB")
        if spec.padding >= spec.kernel:
            raise ValueError(f"Conv layer {token!r}: padding must be smaller than the kernel.")
        specs.append(spec)
    if len(specs) > MAX_CONV_LAYERS:
        raise ValueError(f"At most {MAX_CONV_LAYERS} conv layers (got {len(specs)}).")
    return tuple(specs)


def out_side(side: int, spec: ConvSpec) -> int:
    """The side of a conv layer's square maps for square inputs of ``side`` pixels."""
    return (side + 2 * spec.padding - spec.kernel) // spec.stride + 1


def conv_plan(
    specs: tuple[ConvSpec, ...], side: int, channels: int, pool: int
) -> list[tuple[ConvSpec, int, int, int, int]]:
    """(spec, input channels, input side, output side, pooled side) of every conv layer.

    Raises ``ValueError`` when the maps shrink to nothing.
    """
    plan = []
    for spec in specs:
        conv_side = out_side(side, spec)
        pooled = conv_side // pool
        if conv_side < 1 or pooled < 1:
            raise ValueError(
                f"Conv layer {spec.text} leaves no pixel of the {side}x{side} maps it gets "
                f"(with {pool}x{pool} pooling): use fewer or smaller conv layers."
            )
        plan.append((spec, channels, side, conv_side, pooled))
        side, channels = pooled, spec.channels
    return plan


@dataclass(frozen=True)
class RelpspConfig:
    """Everything that defines a run; hashable, so pages can cache on it.

    Times are in units of the input window: an input spikes in [0, ``t_max``]. ``theta`` is
    the threshold, ``min_slope`` STDBP's bound on 1 / V'(t_j) (see ``core.relpsp.functional``).
    ``conv``: the convolutional layers (``parse_conv``: ``"16c5,32c5"``), each followed by
    ``pool`` x ``pool`` earliest-spike pooling (1: none), then the hidden layers; giving it
    makes ``arch`` ``"conv"``. ``arch = "conv"`` without it is the first C-SNN here, one
    ``conv_channels``-map 3x3 layer padded by 1 (``"16c3p1"``).
    ``tau_alpha`` is the alpha kernel's time to peak, used by ``psp = "alpha"`` only; by default
    2 * ``t_max``, where alpha-PSP trained best on digits (0.57 test accuracy after 15 epochs,
    against 0.45 at 1 * t_max and 0.19 at 0.5 * t_max after 5).
    ``lr_scaling``: ``"none"``, one Adam learning rate for every layer; ``"fan-in"``, a layer
    with n input rows (its weight matrix's, the bias spike's included) learns at
    lr * ``REFERENCE_FAN_IN`` / n. Weights start near 2 * init_gain / n, and Adam moves each by
    about lr a step whatever its size, so one rate moves a 25-input conv layer's weights by
    a small fraction of their size and a 400-input layer's by a large one; scaled, every
    layer moves by the same fraction (see ``CSNN``).
    ``clip_grad``: a batch whose gradient (all layers' weights together) is longer than this
    is scaled down to it before Adam's step; 0 for no bound. ``min_slope`` bounds 1 / V' but
    not the other factor of dt_j/dw_ij, t_i - t_j, which grows without bound when a hidden
    neuron's spike runs late (see ``CSNN``).
    ``amsgrad``: Adam's AMSGrad variant (Reddi et al. 2018), whose step size never grows back
    when a weight's gradients go quiet: a weight that is rarely in a causal set otherwise
    takes a full-size step each time it is.
    ``augment``: each training image is moved by a random offset of up to this many pixels
    along each axis, every time it is drawn (``core.relpsp.augment``); images only.
    ``margin``: in the loss, an output later than the target's by more than this counts as
    this much later, so a sample whose target leads every other output by ``margin`` adds no
    gradient (0: the plain softmax, which keeps pushing the others later without end).
    ``dropout``: while training, each spike into a fully connected layer is dropped with this
    probability and that layer's weights scaled by 1 / (1 - dropout) (``drop_spikes``).
    """

    dataset: str = "digits"
    arch: str = "fc"
    psp: str = "relpsp"
    hidden: tuple[int, ...] = (128,)
    conv_channels: int = 16
    conv: str = ""
    pool: int = 2
    encoding: str = "latency"
    epochs: int = 20
    batch_size: int = 32
    lr: float = 1e-3
    seed: int = 0
    theta: float = 5.0
    t_max: float = 5.0
    min_slope: float = 0.3
    clip_grad: float = 0.0
    amsgrad: bool = False
    time_penalty: float = 0.0
    augment: int = 0
    dropout: float = 0.0
    margin: float = 0.0
    tau_alpha: float | None = None
    init_gain: float = 1.0
    bias_spike: bool = True
    silent_penalty: float = 1.0
    lr_scaling: str = "none"
    max_train: int | None = None
    eval_size: int = 256
    data_path: str | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        for name, allowed in (
            ("dataset", DATASETS), ("arch", ARCHS), ("psp", PSPS), ("encoding", ENCODINGS),
            ("lr_scaling", LR_SCALINGS),
        ):
            if getattr(self, name) not in allowed:
                raise ValueError(
                    f"Unknown {name} {getattr(self, name)!r}; choose one of {', '.join(allowed)}."
                )
        object.__setattr__(self, "hidden", tuple(self.hidden))
        if not isinstance(self.conv, str):
            raise ValueError(f"conv must be text such as '16c5,32c5' (got {self.conv!r}).")
        specs = parse_conv(self.conv)
        object.__setattr__(self, "conv", ",".join(spec.text for spec in specs))
        if specs and self.arch == "fc":
            object.__setattr__(self, "arch", "conv")
        object.__setattr__(self, "hidden", tuple(
            check_whole("Each hidden layer size", size, 1) for size in self.hidden))
        self._whole("pool", 1, 8)
        self._whole("conv_channels", 1, MAX_CONV_CHANNELS)
        self._whole("augment", 0, MAX_SHIFT)
        if self.augment and dataset_info(self.dataset).kind != "image":
            raise ValueError(f"--augment shifts images; {self.dataset} has none (use 0).")
        side = dataset_info(self.dataset).input_shape[-1]
        if self.augment and 3 * self.augment > side:
            raise ValueError(f"--augment {self.augment} moves {self.dataset}'s {side}-pixel "
                             f"images by more than a third of their side; use at most "
                             f"{side // 3}.")
        if self.arch == "conv":
            info = dataset_info(self.dataset)
            if info.kind != "image":
                raise ValueError(
                    f"The convolutional network needs images; use --arch fc for {self.dataset}."
                )
            conv_plan(self.conv_layers, info.input_shape[-1], 1, self.pool)
        self._whole("epochs", 1, MAX_EPOCHS)
        self._whole("batch_size", 1)
        self._whole("eval_size", 1)
        self._whole("seed", 0, MAX_SEED)
        if self.max_train is not None:
            self._whole("max_train", 1)
        for name in ("lr", "theta", "t_max", "min_slope", "init_gain"):
            check_positive(name, getattr(self, name), MAX_FLOAT32)
        if self.tau_alpha is not None:
            check_positive("tau_alpha", self.tau_alpha, MAX_FLOAT32)
        check_range("silent_penalty", self.silent_penalty, 0, MAX_FLOAT32,
                    hint="0 turns the push on silent outputs off")
        check_range("clip_grad", self.clip_grad, 0, MAX_FLOAT32, hint="0 for no bound")
        check_range("time_penalty", self.time_penalty, 0, MAX_FLOAT32, hint="0 for none")
        check_range("dropout", self.dropout, 0, MAX_DROPOUT, hint="0 for none")
        check_range("margin", self.margin, 0, MAX_FLOAT32, hint="0 for none")

    def _whole(self, name: str, low: int, high: int | None = None) -> None:
        """Check that field ``name`` is a whole number from ``low`` to ``high``; keep it an int."""
        object.__setattr__(self, name, check_whole(name, getattr(self, name), low, high))

    @property
    def tau(self) -> float:
        """The alpha kernel's time to peak."""
        return 2.0 * self.t_max if self.tau_alpha is None else self.tau_alpha

    @property
    def conv_layers(self) -> tuple[ConvSpec, ...]:
        """The convolutional layers (none for ``arch = "fc"``)."""
        if self.arch != "conv":
            return ()
        return parse_conv(self.conv) or (ConvSpec(self.conv_channels, 3, 1, 1),)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["hidden"] = list(self.hidden)
        return out


# The C-SNN for MNIST and Fashion-MNIST (``--arch csnn``): 28x28-16C5-P2-32C5-P2-800-128-10,
# all ReL-PSP neurons, earliest-spike pooling, the shape SpikeLab takes as the paper's (Zhang et
# al. 2022; its training settings are not published). Chosen on stratified MNIST subsets (test
# on the first 100-200 test images of each class, one thread, seed 0):
# - without the layer rates scaled by fan-in the conv layers learn far slower than the dense
#   ones: 5,000 images x 3 epochs, lr 3e-4: test 0.927 with one rate, 0.963 scaled;
# - the rate: scaled, lr 3e-4 kills more neurons the longer it runs (20,000 x 6: conv1 0.48 and
#   fc1 0.26 dead, test 0.966); 1.5e-4: conv1 0.17 dead, test 0.973; 1e-4: conv0 0.08 and
#   conv1 0.10 dead, test 0.977 (0.959 after the first epoch; train 0.999);
# - without bias spikes: with them conv1 dies more (5,000 x 3, scaled 3e-4: 0.55 dead against
#   0.37, test 0.944 against 0.963); background patches then stay silent instead of firing late.
# Silent outputs never entered these runs' losses: every output fired (at t = 40-100, after
# the stand-in 3 * t_max of ``core.relpsp.network.loss_fn``).
CSNN: dict[str, Any] = dict(
    conv="16c5,32c5", pool=2, hidden=(800, 128), bias_spike=False, lr_scaling="fan-in",
    batch_size=64, lr=1e-4, epochs=10,
)


def dataset_defaults(dataset: str) -> dict[str, Any]:
    """The ``RelpspConfig`` values that ``dataset``'s loader sets (``INFO.defaults``)."""
    if dataset not in DATASETS:
        raise ValueError(f"Unknown dataset {dataset!r}; choose one of {', '.join(DATASETS)}.")
    return dataset_info(dataset).defaults_for("relpsp")


def default_config(dataset: str, **overrides: Any) -> RelpspConfig:
    """``dataset``'s configuration: the field defaults, then the data set's, then
    ``overrides`` (None values are ignored: flags the user did not give). ``arch="csnn"``
    is the conv network ``CSNN``: its settings come after the data set's, before the
    other overrides."""
    given = {k: v for k, v in overrides.items() if v is not None}
    preset: dict[str, Any] = {}
    if given.get("arch") == "csnn":
        given["arch"], preset = "conv", dict(CSNN)
    return RelpspConfig(dataset=dataset, **{**dataset_defaults(dataset), **preset, **given})
