"""The ReL-PSP page's sidebar: its settings and their link fields, each data set's defaults,
the conv controls and the C-SNN preset, and the configurations the sidebar describes."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import streamlit as st

from app.param_widgets import keep
from app.url_state import Field, add_note, restore, shown
from core.data.registry import dataset_info
from core.demos import TAKES, about
from core.relpsp.config import (
    ARCHS,
    CSNN,
    DATASETS,
    ENCODINGS,
    LR_SCALINGS,
    MAX_DROPOUT,
    MAX_SHIFT,
    RelpspConfig,
    default_config,
    parse_conv,
)

P = "rp_"
JOB = P + "job"
BATCHES, LRS = (8, 16, 32, 64, 128), (1e-4, 3e-4, 5e-4, 1e-3, 3e-3, 1e-2)
SLOPES = (1e-3, 0.01, 0.03, 0.1, 0.3, 1.0)
MAX_CLIP = 1e6
CLIP_HELP = ("A batch whose gradient (all weights together) is longer than this is scaled "
             "down to it before Adam's step; 0 = no bound. The min-slope guard bounds 1 / V' "
             "but not t_i - t_j, which a hidden spike that runs late makes huge.")
AMSGRAD_HELP = ("Adam's AMSGrad variant: a weight's step size never grows back after its "
                "gradients go quiet, so a weight rarely in a causal set takes no full-size step "
                "each time it is.")
PENALTY_HELP = ("Adds this times the target output's spike time / t_max to the loss. The "
                "softmax over -t does not change when every output moves later, so without it "
                "nothing holds the outputs early; 0 = none.")
MARGIN_HELP = ("In the loss, an output more than this much later than the target counts as "
               "this much later, so a sample whose target leads by the margin adds no gradient "
               "and the other outputs are not pushed ever later; 0 = none.")
DROPOUT_HELP = ("While training, each spike into a fully connected layer is dropped with this "
                "probability (that layer's weights scaled up to match), so no hidden neuron can "
                "rely on a few others; 0 = none.")
SHIFT_HELP = ("Each training image moves by a random offset of up to this many pixels along "
              "each axis, each time it is drawn (pixels that come in are silent); 0 = none.")
# The page's settings, the run shown and its test sample, in the URL (downloads stay off).
BASE_FIELDS = {
    "dataset": Field(RelpspConfig.dataset, choices=DATASETS), "data_path": Field(""),
    "max_train": Field(0, 0, 100_000), "compare": Field(False),
    "run": Field(None, 1, None, kind=int), "sample": Field(0, 0, 10**6),
}


def widget_values(cfg: RelpspConfig) -> dict[str, Any]:
    """``cfg``'s network settings as the sidebar's widgets hold them."""
    return {
        "arch": cfg.arch, "hidden": ",".join(map(str, cfg.hidden)) or "0", "conv": cfg.conv,
        "pool": cfg.pool, "bias_spike": cfg.bias_spike, "lr_scaling": cfg.lr_scaling,
        "epochs": cfg.epochs, "batch": cfg.batch_size, "lr": cfg.lr, "min_slope": cfg.min_slope,
        "theta": cfg.theta, "t_max": cfg.t_max, "encoding": cfg.encoding, "seed": cfg.seed,
        "clip_grad": cfg.clip_grad, "augment": cfg.augment, "amsgrad": cfg.amsgrad,
        "time_penalty": cfg.time_penalty, "dropout": cfg.dropout,
        "margin": cfg.margin,
    }


def param_fields(dataset: str) -> dict[str, Field]:
    """The network's settings, defaulting to ``dataset``'s (``default_config``)."""
    v = widget_values(default_config(dataset))
    return {
        "arch": Field(v["arch"], choices=ARCHS), "hidden": Field(v["hidden"]),
        "conv": Field(v["conv"]), "pool": Field(v["pool"], 1, 8),
        "bias_spike": Field(v["bias_spike"]),
        "lr_scaling": Field(v["lr_scaling"], choices=LR_SCALINGS),
        "epochs": Field(v["epochs"], 1, 60), "batch": Field(v["batch"], choices=BATCHES),
        "lr": Field(v["lr"], choices=LRS), "min_slope": Field(v["min_slope"], choices=SLOPES),
        "theta": Field(v["theta"], 0.1, 50.0), "t_max": Field(v["t_max"], 0.5, 100.0),
        "encoding": Field(v["encoding"], choices=ENCODINGS), "seed": Field(v["seed"], 0, 9999),
        "clip_grad": Field(float(v["clip_grad"]), 0.0, MAX_CLIP),
        "augment": Field(v["augment"], 0, MAX_SHIFT), "amsgrad": Field(v["amsgrad"]),
        "time_penalty": Field(float(v["time_penalty"]), 0.0, 10.0),
        "dropout": Field(float(v["dropout"]), 0.0, MAX_DROPOUT),
        "margin": Field(float(v["margin"]), 0.0, 1000.0),
    }


def url_fields() -> dict[str, Field]:
    """The page's link fields: the settings, then the network's for the chosen data set."""
    return {**BASE_FIELDS, **param_fields(st.session_state[P + "dataset"])}


def apply_defaults() -> None:
    """A new data set: the settings still at the previous data set's defaults take the new
    one's; those the user changed stay."""
    s = st.session_state
    before = param_fields(s.get(P + "defaults_of", s[P + "dataset"]))
    for name, field in param_fields(s[P + "dataset"]).items():
        if s.get(P + name) == before[name].default:
            s[P + name] = field.default
    s[P + "defaults_of"] = s[P + "dataset"]


ALPHA_SLOWER = TAKES["alpha-digits"].seconds / TAKES["relpsp-digits"].seconds
# Measured on 2 cores (core.demos.TAKES, the gallery's cards quote the same figures).
TRAIN_TAKES = f"digits with the page's defaults trains in {about('relpsp-digits')}"
COMPARE_TAKES = (f"alpha-PSP trains about {round(ALPHA_SLOWER)} times slower than ReL-PSP (its "
                 "spike times are searched on a time grid): with digits' defaults it adds "
                 f"{about('alpha-digits')}, with 5 epochs {about('alpha-digits-5')}.")
# The C-SNN's time is not measured on 2 cores yet (no core.demos.TAKES entry): said in words.
CSNN_TAKES = ("a conv network such as the C-SNN takes several minutes an epoch on 2 cores on "
              "the full MNIST or Fashion-MNIST set (60,000 images; the C-SNN's preset trains "
              f"{CSNN['epochs']} epochs): *Training samples* trains it on fewer")
CSNN_SHAPE = (f"conv {CSNN['conv']}, each followed by {CSNN['pool']}x{CSNN['pool']} "
              f"earliest-spike pooling, then hidden {','.join(map(str, CSNN['hidden']))}")
PRESET = ("arch", *({"batch_size": "batch"}.get(k, k) for k in CSNN))  # what the preset sets
ARCH_HELP = ("conv: the *Conv layers* (none given: one 16-map 3x3 layer padded by 1), each "
             "followed by earliest-spike pooling, then the hidden layers")
CONV_HELP = ("e.g. 16c5,32c5 (the C-SNN): <maps>c<kernel>[s<stride>][p<padding>], comma "
             "separated; empty = none (with Architecture conv: one 16c3p1 layer); any layer "
             "makes the network conv")
COMPARE_HELP = ("Trains a second, alpha-PSP network with the same settings after the ReL-PSP "
                "one, to compare their dead neurons and gradients. " + COMPARE_TAKES)


def init_state() -> None:
    """The page's settings from its link (or their defaults), once per session."""
    s = st.session_state
    restore(P, BASE_FIELDS, notice=False)
    linked = P + "conv" not in s
    restore(P, param_fields(s[P + "dataset"]), notice=False)
    if linked:
        refuse_bad_conv()
    s.setdefault(P + "defaults_of", s[P + "dataset"])
    if P + "download" not in st.session_state:
        st.session_state[P + "download"] = False


def refuse_bad_conv() -> None:
    """A link's conv layers that do not parse are refused, saying so, as other fields are."""
    s = st.session_state
    try:
        parse_conv(s[P + "conv"])
    except ValueError as exc:
        add_note(f"`conv`: {shown(str(exc).rstrip('.'))}, so the page uses none")
        s[P + "conv"] = ""


def conv_applies(dataset: str) -> bool:
    """Whether ``dataset`` holds images, which conv layers can take."""
    return dataset_info(dataset).kind == "image"


def csnn_preset(dataset: str) -> RelpspConfig | None:
    """``dataset``'s C-SNN (``--arch csnn``), or None where its maps do not fit the images."""
    try:
        return default_config(dataset, arch="csnn")
    except ValueError:
        return None


def apply_csnn() -> None:
    """The preset button: the C-SNN's settings (``core.relpsp.config.CSNN``) into the sidebar;
    the others (seed, threshold, input code...) stay."""
    s = st.session_state
    preset = csnn_preset(s[P + "dataset"])
    if preset is not None:
        values = widget_values(preset)
        for name in PRESET:
            s[P + name] = values[name]


def big_csnn() -> bool:
    """Whether the sidebar describes a conv network on 28x28 images (minutes an epoch)."""
    s = st.session_state
    info = dataset_info(s[P + "dataset"])
    return (info.kind == "image" and info.input_shape[-1] >= 28
            and (s[P + "arch"] == "conv" or bool(s[P + "conv"].strip())))


def settings() -> None:
    """Draw the sidebar: data, network and training settings."""
    s = st.session_state
    with st.sidebar:
        st.header("Network and training")
        st.selectbox("Data set", DATASETS, key=P + "dataset", on_change=apply_defaults,
                     help="Settings still at a data set's defaults follow the data set chosen.")
        st.text_input("Data path (local copy)", key=P + "data_path",
                      help="fashion-mnist, mnist and braille need their files; digits works "
                           "offline.")
        st.toggle("Allow downloads", key=P + "download")
        st.selectbox("Architecture", ARCHS, key=P + "arch", help=ARCH_HELP)
        conv_settings()
        st.checkbox("Bias spike at t = 0", key=P + "bias_spike",
                    help="An extra input that fires at t = 0 into every layer. Off in the "
                         "C-SNN: with it, background patches fire late instead of staying "
                         "silent and the second conv layer dies more.")
        st.selectbox("Layer learning rates", LR_SCALINGS, key=P + "lr_scaling",
                     help="fan-in: a layer with n inputs learns at lr * 784 / n, so small conv "
                          "kernels learn as fast as wide dense layers (the C-SNN needs it); "
                          "none: one rate for every layer")
        st.text_input("Hidden layers", key=P + "hidden", help="e.g. 128 or 256,128; 0 = none")
        st.slider("Epochs", 1, 60, key=P + "epochs")
        st.select_slider("Batch size", BATCHES, key=P + "batch")
        st.select_slider("Learning rate", LRS, key=P + "lr")
        st.select_slider("Min slope (gradient guard)", SLOPES, key=P + "min_slope")
        st.number_input("Gradient bound (0 = none)", 0.0, MAX_CLIP, step=5.0,
                        key=P + "clip_grad", help=CLIP_HELP)
        st.checkbox("AMSGrad", key=P + "amsgrad", help=AMSGRAD_HELP)
        st.number_input("Time penalty (0 = none)", 0.0, 10.0, step=0.001, format="%.3f",
                        key=P + "time_penalty", help=PENALTY_HELP)
        st.number_input("Dropout (0 = none)", 0.0, MAX_DROPOUT, step=0.05, key=P + "dropout",
                        help=DROPOUT_HELP)
        st.number_input("Loss margin (0 = none)", 0.0, 1000.0, step=1.0, key=P + "margin",
                        help=MARGIN_HELP)
        keep([P + "augment"])
        if conv_applies(s[P + "dataset"]):
            st.number_input("Random shifts (pixels)", 0, MAX_SHIFT, key=P + "augment",
                            help=SHIFT_HELP)
        st.number_input("Threshold theta", 0.1, 50.0, key=P + "theta")
        st.number_input("Input window t_max", 0.5, 100.0, key=P + "t_max")
        st.selectbox("Input code", ENCODINGS, key=P + "encoding")
        st.number_input("Training samples (0 = all)", 0, 100_000, step=100, key=P + "max_train")
        st.number_input("Seed", 0, 9999, key=P + "seed")
        st.checkbox("Also train alpha-PSP for comparison", key=P + "compare",
                    help=COMPARE_HELP)
        st.caption(f"The comparison is opt-in: {COMPARE_TAKES}")


def conv_settings() -> None:
    """The conv layers, their pooling and the C-SNN preset, for image data sets only (their
    values stay through a look at another data set)."""
    s = st.session_state
    keep([P + "conv", P + "pool"])
    if not conv_applies(s[P + "dataset"]):
        return
    st.text_input("Conv layers", key=P + "conv", help=CONV_HELP)
    st.number_input("Earliest-spike pooling (N x N)", 1, 8, key=P + "pool",
                    help="after every conv layer: the earliest spike of each N x N patch; "
                         "1 = none")
    fits = csnn_preset(s[P + "dataset"]) is not None
    if fits:
        why = (f"Fills the sidebar with the C-SNN ({CSNN_SHAPE}; no bias spike, fan-in "
               f"learning rates, batch {CSNN['batch_size']}, lr {CSNN['lr']:g}, "
               f"{CSNN['epochs']} epochs); the other settings stay.")
    else:
        fit = ", ".join(d for d in DATASETS if csnn_preset(d) is not None)
        why = f"The C-SNN ({CSNN_SHAPE}) leaves no pixel of these images: use {fit}."
    st.button("C-SNN preset", key=P + "csnn", on_click=apply_csnn, disabled=not fits,
              icon=":material/tune:", help=why)
    if fits:
        st.caption(CSNN_TAKES[0].upper() + CSNN_TAKES[1:] + ".")


def hidden_sizes(text: str) -> tuple[int, ...]:
    """The hidden layer sizes typed as ``128`` or ``256,128`` (``0``: none)."""
    try:
        sizes = tuple(int(v) for v in text.replace(" ", "").split(",") if v)
    except ValueError:
        raise ValueError(
            f"Hidden layers must be numbers separated by commas, e.g. 128 or 256,128 "
            f"(got {text!r})."
        ) from None
    return () if sizes == (0,) else sizes


def configs() -> list[RelpspConfig]:
    """The configurations the sidebar describes (with the alpha-PSP one when compared)."""
    s = st.session_state
    image = conv_applies(s[P + "dataset"])  # the conv controls are shown (and count) for images
    base = RelpspConfig(
        dataset=s[P + "dataset"], arch=s[P + "arch"], hidden=hidden_sizes(s[P + "hidden"]),
        conv=s[P + "conv"] if image else "", pool=int(s[P + "pool"]) if image else 2,
        bias_spike=bool(s[P + "bias_spike"]), lr_scaling=s[P + "lr_scaling"],
        epochs=int(s[P + "epochs"]), batch_size=int(s[P + "batch"]), lr=float(s[P + "lr"]),
        seed=int(s[P + "seed"]), theta=float(s[P + "theta"]), t_max=float(s[P + "t_max"]),
        min_slope=float(s[P + "min_slope"]), encoding=s[P + "encoding"],
        clip_grad=float(s[P + "clip_grad"]), augment=int(s[P + "augment"]) if image else 0,
        amsgrad=bool(s[P + "amsgrad"]), time_penalty=float(s[P + "time_penalty"]),
        dropout=float(s[P + "dropout"]), margin=float(s[P + "margin"]),
        max_train=int(s[P + "max_train"]) or None,
        data_path=s[P + "data_path"].strip() or None,
    )
    out = [base]
    if s[P + "compare"]:
        out.append(replace(base, psp="alpha"))
    return out


