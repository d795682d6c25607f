"""The NAS page's view of a design run (``python -m core nas-design``): the per-condition
averages over seeds and the study's three orderings (``core.nas.design``), for the design
studies among those shown."""

from __future__ import annotations

import re
from typing import Any

import pandas as pd
import streamlit as st

from app.charts import csv_button

P = "nas_"
SEEDED = re.compile(r"-seed\d+$")  # how core.nas.design names a study: <spec>-seed<n>


def _table(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """The averages as a flat table: each seed's best validation accuracy in one column."""
    flat = [{**{k: v for k, v in row.items() if k != "best_val_per_seed"},
             "best_val_per_seed": ", ".join(f"seed {s}: {v:.3f}"
                                            for s, v in row["best_val_per_seed"].items())}
            for row in rows]
    return pd.DataFrame(flat).round(4)


def _show_all(names: list[str]) -> None:
    st.session_state[P + "studies"] = names


def design_panel(storage: Any, shown: list[str]) -> None:
    """The per-condition table and the orderings when the shown studies come from a design."""
    from core.nas.design import condition_averages, design_records, orderings

    if not any(SEEDED.search(name) for name in shown):
        return
    every = design_records(storage)
    chosen = {key: recs for key, recs in every.items() if f"{key[0]}-seed{key[1]}" in shown}
    if not chosen:
        return
    rows = condition_averages(chosen)
    if not rows:
        return
    seeds = sorted({seed for _, seed in chosen})
    st.subheader("The design: per-condition averages over seeds")
    st.caption(f"{len(chosen)} of the {len(every)} design studies in this storage are shown "
               f"(seeds {', '.join(map(str, seeds))}). Per condition and algorithm: each "
               "seed's best validation accuracy, averaged over the seeds (std, min, max), and "
               "the mean of all its trials.")
    if len(chosen) < len(every):
        names = sorted(f"{base}-seed{seed}" for base, seed in every)
        st.button(f"Show all {len(every)} design studies", key=P + "design_all",
                  on_click=_show_all, args=(names,))
    averages = _table(rows)
    st.dataframe(averages, hide_index=True, key=P + "design_table")
    csv_button(averages, "nas_design", P + "design_csv", label="Download CSV")
    st.subheader("The study's orderings")
    claims = pd.DataFrame(orderings(rows)).round(4)
    st.dataframe(claims, hide_index=True, key=P + "orderings")
    csv_button(claims, "nas_orderings", P + "orderings_csv", label="Download CSV")
    st.caption("Pairs are rows that differ in that factor only; a claim holds when the mean "
               "difference of the seeds' best accuracies is above 0. seed_wins counts the "
               "pairs per seed; trial_mean_difference compares the means over all trials, "
               "less noisy than a search's best with few trials.")
