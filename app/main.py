"""SpikeLab: ``streamlit run app/main.py``. Page config and navigation only."""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `streamlit run` puts app/ on the path, not the project root
    sys.path.insert(0, str(ROOT))

from app.registry import PAGES  # noqa: E402
from core.jobs import prepare_workers  # noqa: E402

st.set_page_config(page_title="SpikeLab", page_icon=":material/bolt:", layout="wide")
prepare_workers()  # the first job then starts without waiting for torch's import

home = st.Page(ROOT / "app" / "home.py", title="Home", icon=":material/home:", default=True)
pages = [st.Page(p.path, title=p.title, icon=p.icon, url_path=p.url_path) for p in PAGES]
st.navigation([home, *pages]).run()
