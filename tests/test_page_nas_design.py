"""NAS page: studies from a design run show the per-condition averages over seeds and the
study's orderings (core.nas.design); other studies do not."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core.nas import trainer
from core.nas.design import condition_averages, design_records, design_specs, run_design
from core.nas.study import make_storage
from tests.nas_support import TINY, single_thread

PAGE = str(Path(__file__).resolve().parents[1] / "pages" / "nas.py")


@pytest.fixture(autouse=True)
def _tiny(monkeypatch, tmp_path):
    monkeypatch.setitem(trainer.PRESETS, "small", TINY)
    monkeypatch.setenv("SPIKELAB_DB", str(tmp_path / "runs.db"))
    yield from single_thread()


@pytest.fixture
def design(tmp_path: Path) -> str:
    """Random search, LIF hard/soft and the DNN, seeds 0 and 1, one trial each (6 studies)."""
    url = f"sqlite:///{tmp_path / 'design.db'}"
    specs = [s for s in design_specs("digits", "small", ("random",)) if s.neuron != "IF"]
    run_design(make_storage(url), trainer.prepare_data("digits", TINY), specs, (0, 1), 1)
    return url


def frame(at: AppTest, column: str):
    return next(d.value for d in at.dataframe if column in d.value.columns)


def test_design_studies_show_the_table_over_seeds_and_the_orderings(design: str) -> None:
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.session_state["nas_storage"] = design
    at.run()
    assert not at.exception
    shown = at.multiselect(key="nas_studies").value
    assert len(shown) == 4  # the page opens the newest four
    at.button(key="nas_design_all").click().run()
    assert not at.exception and len(at.multiselect(key="nas_studies").value) == 6
    table = frame(at, "best_val_per_seed")
    expected = condition_averages(design_records(make_storage(design)))
    assert table["condition"].tolist() == [row["condition"] for row in expected]
    assert table["seeds"].tolist() == [2, 2, 2]
    assert table["best_val_mean"].tolist() == pytest.approx(
        [row["best_val_mean"] for row in expected], abs=1e-4)
    claims = frame(at, "claim")
    assert claims["claim"].tolist() == ["LIF above IF", "soft above hard",
                                        "Bayesian above Random", "Bayesian above Greedy"]
    assert claims.set_index("claim").loc["soft above hard", "pairs"] == 1
    assert any("design studies in this storage" in c.value for c in at.caption)


def test_a_plain_search_shows_no_design_table(tmp_path: Path) -> None:
    from core.nas.study import Budget, SearchSpec, open_study, run_search

    url = f"sqlite:///{tmp_path / 'plain.db'}"
    study, spec = open_study(make_storage(url), "plain", SearchSpec("random", "digits"), 0)
    run_search(study, spec, Budget(trials=1), trainer.prepare_data("digits", TINY))
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.session_state["nas_storage"] = url
    at.run()
    assert not at.exception
    assert not [d for d in at.dataframe if "best_val_per_seed" in d.value.columns]
