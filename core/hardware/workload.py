"""What a network asks of the hardware for one frame: layers, spikes and synapses.

A ``Workload`` lists the layers, input first. For each layer: how many neurons it has, how many
spikes it emits in one frame (summed over the time steps), how many synapses one of its spikes
drives (its fan-out), and the multiply-accumulates the ANN of the same shape does on that
projection. Fully connected networks (``fc_workload``) are what the YOSO mesh maps; convolutional
ones (``conv_workload``, the NAS networks) are counted by the operation models.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from core.checks import check_range, check_whole


@dataclass(frozen=True)
class LayerLoad:
    """One layer and its outgoing projection, per frame.

    ``spikes`` is ``None`` for a layer whose output is not spikes (an image fed as currents);
    its projection then costs ``snn_macs`` multiply-accumulates instead of spike-driven adds.
    """

    name: str
    neurons: int
    spikes: float | None
    fan_out: int
    ann_macs: int
    snn_macs: int = 0
    recurrent: bool = False

    def __post_init__(self) -> None:
        layer = f"Layer {self.name!r}"
        object.__setattr__(self, "neurons", check_whole(f"{layer}: neurons", self.neurons, 1))
        if self.spikes is not None:
            check_range(f"{layer}: spikes per frame", self.spikes, 0)
        for field in ("fan_out", "ann_macs", "snn_macs"):
            check_range(f"{layer}: {field}", getattr(self, field), 0)


@dataclass(frozen=True)
class Workload:
    """The layers of a network (input first) and the time steps a frame takes."""

    layers: tuple[LayerLoad, ...]
    time_steps: int = 1
    label: str = ""

    def __post_init__(self) -> None:
        if len(self.layers) < 2:
            raise ValueError("A network needs at least an input and an output layer.")
        object.__setattr__(self, "time_steps", check_whole("Time steps", self.time_steps, 1))
        for layer in self.layers:
            limit = layer.neurons * self.time_steps
            if layer.spikes is not None and layer.spikes > limit * (1 + 1e-9):
                raise ValueError(
                    f"Layer {layer.name!r} cannot emit {layer.spikes:g} spikes per frame: its "
                    f"{layer.neurons} neurons fire at most once per step, {limit} in "
                    f"{self.time_steps} step(s)."
                )

    @property
    def sizes(self) -> tuple[int, ...]:
        return tuple(layer.neurons for layer in self.layers)

    @property
    def spikes(self) -> tuple[float, ...]:
        """Spikes per frame of each layer (0 for a layer that does not spike)."""
        return tuple(layer.spikes or 0.0 for layer in self.layers)

    @property
    def fully_connected(self) -> bool:
        """True when every projection is dense onto the next layer (what YOSO maps)."""
        pairs = zip(self.layers[:-1], self.layers[1:], strict=True)
        return all(_dense(a, b) for a, b in pairs) and self.layers[-1].fan_out == 0

    @property
    def recurrent(self) -> bool:
        return any(self.recurrent_layers)

    @property
    def recurrent_layers(self) -> tuple[bool, ...]:
        """Per layer, input first: whether it also projects onto itself."""
        return tuple(layer.recurrent for layer in self.layers)

    def scaled(self, factor: float) -> Workload:
        """The same network with every layer's spikes times ``factor``, capped at the most its
        neurons can fire (once per step)."""
        check_range("A spike scale factor", factor, 0)
        layers = tuple(
            layer if layer.spikes is None else replace(
                layer, spikes=min(layer.spikes * factor, float(layer.neurons * self.time_steps))
            )
            for layer in self.layers
        )
        return replace(self, layers=layers)


def _dense(a: LayerLoad, b: LayerLoad) -> bool:
    """Whether ``a`` projects onto every neuron of ``b`` (and of itself, when recurrent).

    A spike driving all of them is dense; so is a pruned dense matrix, whose zero weights
    drive no synapse (``fan_out`` is the non-zero count, issue 22 defect 10) but whose ANN
    shape is the whole matrix, every input times every target: the mesh stores it whole."""
    targets = b.neurons + (a.neurons if a.recurrent else 0)
    if a.fan_out == targets:
        return True
    return 0 <= a.fan_out <= targets and a.ann_macs == a.neurons * targets


def parse_arch(text: str) -> tuple[int, ...]:
    """``"784-800-10"`` -> (784, 800, 10); a ValueError a user understands otherwise."""
    parts = [p.strip() for p in str(text).replace(",", "-").split("-")]
    try:
        sizes = tuple(int(p) for p in parts if p)
    except ValueError:
        raise ValueError(
            f"An architecture is layer sizes joined by '-', such as 784-800-10 (got {text!r})."
        ) from None
    if len(sizes) < 2 or any(n < 1 for n in sizes):
        raise ValueError(
            f"An architecture needs two or more positive layer sizes, such as 784-800-10 "
            f"(got {text!r})."
        )
    return sizes


def parse_spikes(text: str) -> tuple[float, ...] | None:
    """``"100,80,10"`` -> spikes per layer in one frame; blank -> None (the recorded counts)."""
    if not text.strip():
        return None
    try:
        return tuple(float(v) for v in text.split(",") if v.strip())
    except ValueError:
        raise ValueError(f"Spike counts are numbers separated by commas (got {text!r}).") from None


def fc_workload(
    sizes: Sequence[int],
    spikes: Sequence[float],
    time_steps: int = 1,
    recurrent: bool = False,
    label: str = "",
) -> Workload:
    """A fully connected network; ``spikes`` per layer per frame, input first.

    With ``recurrent`` every hidden layer also projects onto itself.
    """
    sizes, spikes = tuple(int(n) for n in sizes), tuple(float(s) for s in spikes)
    if len(spikes) != len(sizes):
        raise ValueError(
            f"Give one spike count per layer: {len(sizes)} layers "
            f"({'-'.join(map(str, sizes))}) but {len(spikes)} counts."
        )
    layers = []
    for i, (n, s) in enumerate(zip(sizes, spikes, strict=True)):
        last = i == len(sizes) - 1
        rec = recurrent and 0 < i < len(sizes) - 1
        fan_out = (0 if last else sizes[i + 1]) + (n if rec else 0)
        name = "input" if i == 0 else "output" if last else f"hidden {i}"
        layers.append(LayerLoad(name, n, s, fan_out, ann_macs=n * fan_out, recurrent=rec))
    return Workload(tuple(layers), time_steps, label or "-".join(map(str, sizes)))


def conv_workload(
    in_shape: tuple[int, int, int],
    conv_layers: Sequence[tuple[int, int]],
    pool_after: Sequence[int],
    classes: int,
    spikes: Sequence[float],
    time_steps: int,
    label: str = "",
) -> Workload:
    """A NAS network: the image feeds conv 1 as currents (computed once: MACs), each conv layer
    spikes into the next (same padding, stride 1, 2x2 max pooling after ``pool_after``), the
    last into a head that averages each map to 2x2 and reads out ``classes`` units.

    ``spikes`` gives each conv layer's spikes per frame, counted before pooling; a pooled layer
    passes at most that many on, so its synaptic operations are an upper bound.
    """
    if len(spikes) != len(conv_layers):
        raise ValueError(
            f"Give one spike count per conv layer: {len(conv_layers)} layers, "
            f"{len(spikes)} counts."
        )
    c, h, w = in_shape
    pools = set(pool_after)
    layers = [LayerLoad("input", c * h * w, None, conv_layers[0][0] * conv_layers[0][1] ** 2,
                        ann_macs=0)]
    macs_in = h * w * conv_layers[0][0] * c * conv_layers[0][1] ** 2
    layers[0] = replace(layers[0], ann_macs=macs_in, snn_macs=macs_in)
    for i, ((filters, _), s) in enumerate(zip(conv_layers, spikes, strict=True)):
        neurons = filters * h * w
        if i in pools and min(h, w) >= 2:
            h, w = h // 2, w // 2
        if i + 1 < len(conv_layers):
            nxt_f, nxt_k = conv_layers[i + 1]
            fan_out, ann = nxt_f * nxt_k**2, h * w * nxt_f * filters * nxt_k**2
            layers.append(LayerLoad(f"conv {i + 1}", neurons, float(s), fan_out, ann))
        else:
            # avg-pooling is linear: each spike adds its scaled weights to ``classes`` units.
            layers.append(LayerLoad(f"conv {i + 1}", neurons, float(s), classes,
                                    filters * 4 * classes))
    layers.append(LayerLoad("output", classes, None, 0, 0))
    return Workload(tuple(layers), time_steps, label or "conv")
