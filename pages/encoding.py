"""Encoding: turn a sample into spikes (TTFS, latency, rate, delta); browse the data sets."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st
import torch

from app.charts import chart, csv_button
from app.figures.encoding import braille_figure, curve_figure, input_figure
from app.figures.layout import TALL
from app.figures.raster import raster_figure
from app.page import run_page
from app.text import md
from app.url_state import Field, add_note, asked, publish, restore, show_notes, shown
from core.data import Dataset, DataUnavailable, load_dataset
from core.data.registry import DATASET_INFO, DATASETS
from core.encoders import (
    DeltaParams,
    EncoderParams,
    LatencyParams,
    RateParams,
    TTFSParams,
    encode,
)
from core.encoders.curve import firing_curve
from core.raster import spike_raster

P = "enc_"
METHODS_BY_KIND = {"image": ("ttfs", "latency", "rate"), "timeseries": ("delta",), "spikes": ()}
EQUATIONS = {
    "ttfs": r"$T(x) = \tau \ln\frac{x}{x-\vartheta}$ for $x \ge \vartheta$, else $t_{max}$; "
    r"one spike at step $\lfloor T/\Delta t \rfloor$ (SpyTorch; Zenke's thesis, fig. 5).",
    "latency": r"snnTorch `latency`: log $T = \tau\ln\frac{x}{x-\vartheta}$ or linear "
    r"$T = \tau(1-x)$; *normalize* stretches the latest spike to the last step.",
    "rate": r"$S[t] \sim \mathrm{Bernoulli}(\mathrm{clip}(g\,x + o, 0, 1))$ at every step, "
    r"drawn with a seeded generator (snnTorch `rate`).",
    "delta": r"$S[t] = +1$ if $x[t]-x[t-1] \ge \vartheta$, $-1$ if $\le -\vartheta$ "
    r"(snnTorch `delta`).",
}


BROWSABLE = tuple(n for n, info in DATASET_INFO.items() if info.kind in ("timeseries", "spikes"))
# The page's settings, in its URL. Downloads stay off in a link: opening one never fetches.
FIELDS = {
    "dataset": Field("digits", choices=tuple(DATASETS)), "data_path": Field(""),
    "sample": Field(0, 0, 10**6), "method": Field("ttfs", choices=("ttfs", "latency", "rate",
                                                                   "delta")),
    "steps": Field(100, 5, 300), "dt": Field(1.0, 0.1, 5.0), "tau": Field(20.0, 1.0, 100.0),
    "thr": Field(0.2, 0.01, 0.99), "tmax": Field(100.0, 10.0, 500.0),
    "lat_tau": Field(5.0, 0.1, 50.0), "lat_thr": Field(0.01, 0.001, 0.5),
    "linear": Field(False), "normalize": Field(True), "clip": Field(False),
    "gain": Field(1.0, 0.0, 2.0), "offset": Field(0.0, -1.0, 1.0), "seed": Field(0, 0, 10**6),
    "delta_thr": Field(0.1, 0.01, 2.0), "off_spike": Field(True),
    "browse_set": Field("braille", choices=BROWSABLE), "browse_path": Field(""),
    "letter": Field("A"), "reps": Field(5, 1, 10), "shd_class": Field(0, 0, 10**3),
    "shd_sample": Field(0, 0, 10**6),
}


def init_state() -> None:
    """Fill the page's settings from its link (or defaults), noting whether a link opened it."""
    opened = P + "dataset" not in st.session_state
    st.session_state[P + "opened"] = opened  # from a link
    if opened:  # the data browser may pick a data set that is at hand, unless the link names one
        st.session_state[P + "browse_pick"] = "browse_set" not in st.query_params
    restore(P, FIELDS, notice=False)
    if P + "download" not in st.session_state:
        st.session_state[P + "download"] = False


@st.cache_resource(max_entries=4, show_spinner=False)
def load(name: str, data_path: str, download: bool) -> Dataset:
    """Datasets are shared read-only between runs (no copy per rerun, unlike cache_data)."""
    bar = st.progress(0.0, text=f"Loading {name} ...")

    def report(done: int, total: int | None) -> None:
        frac = min(done / total, 1.0) if total else 0.0
        bar.progress(frac, text=f"Downloading {name}: {done / 1e6:.1f} MB")

    try:
        return load_dataset(name, data_path.strip() or None, progress=report, download=download)
    finally:
        bar.empty()


def load_or_explain(name: str, data_path: str, missing_is_error: bool = True) -> Dataset | None:
    """The data set, or a message saying how to get it (an error only where it was asked for)."""
    try:
        return load(name, data_path, bool(st.session_state[P + "download"]))
    except DataUnavailable as exc:
        (st.error if missing_is_error or data_path.strip() else st.info)(
            f"{shown(exc, 1000)}\n\nIn the app: give the path of a local copy (file or folder) in "
            "*Data path*, or switch on *Allow downloads*; to work offline pick **digits**."
        )
    except ValueError as exc:
        st.error(shown(exc, 1000))
    return None


def dataset_controls() -> Dataset | None:
    """Draw the data-set picker, its path and the downloads toggle; return the data set."""
    c1, c2 = st.columns([1, 2])
    c1.selectbox("Data set", tuple(DATASETS), key=P + "dataset",
                 format_func=lambda n: DATASET_INFO[n].title)
    name = st.session_state[P + "dataset"]
    if not DATASET_INFO[name].offline:
        c2.text_input("Data path (optional)", key=P + "data_path",
                      help="A local copy: the file or the folder holding it. Empty: the cache "
                      "(SPIKELAB_DATA or ~/.cache/spikelab), downloading on a miss.")
    st.caption(DATASET_INFO[name].description)
    st.toggle("Allow downloads", key=P + "download",
              help="Fetch missing files from their official source (checksum-verified).")
    return load_or_explain(name, st.session_state[P + "data_path"] if name != "digits" else "")


def encoder_controls(kind: str) -> tuple[str, EncoderParams, int, float] | None:
    """Draw the encoder's widgets for this kind of data; return method, params, steps and dt."""
    methods = METHODS_BY_KIND[kind]
    if not methods:
        st.info("This data set is already spikes: see its rasters in the data browser below.")
        return None
    if st.session_state[P + "method"] not in methods:
        if st.session_state[P + "opened"] and st.session_state[P + "method"] != "ttfs":
            add_note(f"`method={st.session_state[P + 'method']}` does not encode this kind of "
                     f"data, so the page uses {methods[0]}")
        st.session_state[P + "method"] = methods[0]
    c = st.columns(4)
    c[0].selectbox("Encoder", methods, key=P + "method")
    method = st.session_state[P + "method"]
    if method != "delta":
        c[1].slider("Time steps", 5, 300, key=P + "steps")
    if method == "ttfs":
        c[2].slider("tau (ms)", 1.0, 100.0, key=P + "tau")
        c[3].slider("threshold thr", 0.01, 0.99, key=P + "thr")
        c[1].slider("tmax (ms)", 10.0, 500.0, key=P + "tmax")
        c[2].slider("dt (ms per step)", 0.1, 5.0, key=P + "dt")
        params: EncoderParams = TTFSParams(
            st.session_state[P + "tau"], st.session_state[P + "thr"], st.session_state[P + "tmax"]
        )
    elif method == "latency":
        c[2].slider("tau (steps)", 0.1, 50.0, key=P + "lat_tau")
        c[3].slider("threshold", 0.001, 0.5, key=P + "lat_thr")
        c[1].toggle("linear", key=P + "linear")
        c[2].toggle("normalize", key=P + "normalize")
        c[3].toggle("clip below threshold", key=P + "clip")
        s = st.session_state
        params = LatencyParams(s[P + "lat_tau"], s[P + "lat_thr"], linear=s[P + "linear"],
                               normalize=s[P + "normalize"], clip=s[P + "clip"])
    elif method == "rate":
        c[2].slider("gain", 0.0, 2.0, key=P + "gain")
        c[3].slider("offset", -1.0, 1.0, key=P + "offset")
        c[1].number_input("seed", 0, 10**6, key=P + "seed")
        params = RateParams(st.session_state[P + "gain"], st.session_state[P + "offset"])
    else:
        c[1].slider("delta threshold", 0.01, 2.0, key=P + "delta_thr")
        c[2].toggle("off-spikes (-1)", key=P + "off_spike")
        params = DeltaParams(st.session_state[P + "delta_thr"], padding=True,
                             off_spike=st.session_state[P + "off_spike"])
    st.caption(EQUATIONS[method])
    dt = st.session_state[P + "dt"] if method == "ttfs" else 1.0
    return method, params, int(st.session_state[P + "steps"]), dt


def encode_section(ds: Dataset) -> None:
    """Draw one sample, its spikes (firing curve, raster), their memory and the events table."""
    n = ds.x_train.shape[0]
    if int(st.session_state[P + "sample"]) > n - 1 and st.session_state[P + "opened"]:
        add_note(f"`sample={st.session_state[P + 'sample']}` is beyond this data set's "
                 f"{n} training samples, so the page shows {n - 1}")
    st.session_state[P + "sample"] = min(int(st.session_state[P + "sample"]), n - 1)
    st.number_input(f"Sample (0 to {n - 1} of the training set)", 0, n - 1, key=P + "sample")
    idx = int(st.session_state[P + "sample"])
    x = ds.x_train[idx]
    st.markdown(f"Label: **{md(ds.classes[int(ds.y_train[idx])])}**")  # SHD: from the file
    chosen = encoder_controls(ds.kind)
    left, right = st.columns(2)
    chart(input_figure(ds.kind, x), P + "input_chart", left)
    if chosen is None:
        return
    method, params, steps, dt = chosen
    if method == "delta":
        batch = torch.as_tensor(x, dtype=torch.float32)[None]
    else:
        batch = torch.as_tensor(x.reshape(1, -1), dtype=torch.float32)
    gen = torch.Generator().manual_seed(int(st.session_state[P + "seed"]))
    try:
        enc = encode(batch, method, steps, params, generator=gen, dt=dt)
    except ValueError as exc:
        st.error(shown(exc, 1000))
        return
    if method in ("ttfs", "latency"):
        curve = firing_curve(params, x.reshape(-1), steps)
        chart(curve_figure(curve), P + "curve", right)
    unit = "time (ms)" if method == "ttfs" else "time step"
    chart(raster_figure(spike_raster(enc.dense[:, 0].numpy(), enc.dt), f"Spike raster ({method})",
                        y_title="input", x_title=unit, height=TALL, ticks=True, full_window=True),
          P + "raster_chart")
    mem = enc.memory()
    m = st.columns(4)
    m[0].metric("Events", f"{mem['events']}")
    m[1].metric("Density", f"{100 * mem['density']:.2f} %")
    m[2].metric("Dense bytes", f"{mem['dense_bytes']:,}")
    m[3].metric("Sparse (COO) bytes", f"{mem['sparse_bytes']:,}")
    st.caption("Dense: 4 bytes per cell [time, batch, inputs]. Sparse COO: 3 int64 indices and "
               "one float per event (28 bytes); it wins below 1/7 density.")
    table = pd.DataFrame(enc.events(batch_index=0)).drop(columns="batch")
    st.dataframe(table.head(500), key=P + "events_table", height=220)
    st.caption(f"{len(table)} events (first 500 shown).")
    csv_button(table, f"events_{method}", P + "events_csv", label="Download all events (CSV)")


def braille_browser(ds: Dataset) -> None:
    """Draw a Braille letter's taxel traces, a few repetitions of it."""
    c1, c2 = st.columns(2)
    if st.session_state[P + "letter"] not in ds.classes:
        add_note(f"{asked('letter', st.session_state[P + 'letter'])} is not a Braille letter "
                 f"here, so the page shows {ds.classes[0]}")
        st.session_state[P + "letter"] = ds.classes[0]
    c1.selectbox("Letter", ds.classes, key=P + "letter")
    c2.slider("Repetitions shown", 1, 10, key=P + "reps")
    label = ds.classes.index(st.session_state[P + "letter"])
    x = np.concatenate([ds.x_train, ds.x_test])[np.concatenate([ds.y_train, ds.y_test]) == label]
    reps = x[: int(st.session_state[P + "reps"])]
    chart(braille_figure(reps, ds.classes[label], len(x)), P + "braille_chart")


def shd_browser(ds: Dataset) -> None:
    """Draw one SHD sample of a spoken digit as a spike raster."""
    c1, c2 = st.columns(2)
    st.session_state[P + "shd_class"] = min(int(st.session_state[P + "shd_class"]),
                                            len(ds.classes) - 1)
    c1.selectbox("Digit", range(len(ds.classes)), key=P + "shd_class",
                 format_func=lambda k: ds.classes[k])
    picks = np.flatnonzero(ds.y_train == int(st.session_state[P + "shd_class"]))
    if picks.size == 0:
        st.warning("No training sample has this label.")
        return
    st.session_state[P + "shd_sample"] = min(int(st.session_state[P + "shd_sample"]),
                                             picks.size - 1)
    c2.number_input(f"Sample (0 to {picks.size - 1})", 0, picks.size - 1, key=P + "shd_sample")
    counts = ds.x_train[picks[int(st.session_state[P + "shd_sample"])]]
    raster = spike_raster(counts, ds.dt_ms or 1.0)
    chart(raster_figure(raster, f"SHD raster: {raster.count} active bins", y_title="channel",
                        height=TALL), P + "shd_chart")


def in_cache(name: str) -> bool:
    """Whether ``name`` loads from the data cache without a download."""
    try:
        load(name, "", False)
    except (DataUnavailable, ValueError):
        return False
    return True


def browser_section() -> None:
    """Draw the data browser: a time-series data set at hand, and its letter or digit view."""
    browsers = {"timeseries": braille_browser, "spikes": shd_browser}  # by data kind
    names = BROWSABLE
    if st.session_state.pop(P + "browse_pick", False) and not in_cache(
            st.session_state[P + "browse_set"]):  # open on a data set at hand, if any
        st.session_state[P + "browse_set"] = next((n for n in names if in_cache(n)),
                                                  st.session_state[P + "browse_set"])
    c1, c2 = st.columns([1, 2])
    c1.selectbox("Time-series data set", names, key=P + "browse_set",
                 format_func=lambda n: DATASET_INFO[n].title)
    c2.text_input("Data path (optional)", key=P + "browse_path")
    name, path = st.session_state[P + "browse_set"], st.session_state[P + "browse_path"]
    if not path.strip() and not st.session_state[P + "download"] and not in_cache(name):
        st.caption(f"{DATASET_INFO[name].title} is not in the data cache yet: give the path of "
                   "a local copy (file or folder) above, or switch on *Allow downloads* at the "
                   "top of the page to fetch it.")
        return
    ds = load_or_explain(name, path, missing_is_error=False)
    if ds is not None:
        browsers[DATASET_INFO[name].kind](ds)


def main() -> None:
    """Draw the Encoding page: a sample encoded as spikes, then the time-series data browser."""
    st.title("Encoding")
    st.caption("Spike codes turn values into spikes: when (TTFS, latency), how often (rate) or "
               "when the signal changes (delta). Pick a sample, an encoder and its parameters.")
    init_state()
    notices = st.container()  # what the link asked for that the page cannot show, said on top
    dataset = dataset_controls()
    if dataset is not None:
        encode_section(dataset)
    st.divider()
    st.subheader("Data browser")
    st.caption("Braille taxel traces per letter and SHD spike rasters per digit.")
    browser_section()
    with notices:
        show_notes()


run_page(main, lambda: publish(P, FIELDS))
