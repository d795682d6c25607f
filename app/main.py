"""SpikeLab: ``streamlit run app/main.py``. Page config, navigation and the app-wide settings."""

from __future__ import annotations

import os
import sys
from importlib.machinery import ModuleSpec
from pathlib import Path

import streamlit as st

# Streamlit runs this script as the module ``__main__`` (sys.modules["__main__"], its file this
# one). multiprocessing tells a job's worker to import ``__main__`` again; core.jobs hides it
# while a job starts, but another session's rerun may install it meanwhile, and a worker that
# imported this file ran the whole app: "missing ScriptRunContext" warnings by the hundred, and
# its prepare_workers thread's RuntimeError ("... before the current process has finished its
# bootstrapping phase"). A main module named like a package's __main__ is never re-imported.
__spec__ = ModuleSpec("app.__main__", None, origin=__file__)

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `streamlit run` puts app/ on the path, not the project root
    sys.path.insert(0, str(ROOT))

from app.charts import presentation_style  # noqa: E402
from app.demo_look import look_for, warm_up  # noqa: E402
from app.jobs_panel import jobs_panel  # noqa: E402
from app.registry import PAGES  # noqa: E402
from app.url_state import GLOBAL_FIELDS, GLOBAL_PREFIX, restore  # noqa: E402
from core.demos import DEMOS  # noqa: E402
from core.jobs import prepare_workers  # noqa: E402
from core.limits import NETWORK_ENV, is_network_address  # noqa: E402

st.set_page_config(page_title="SpikeLab", page_icon=":material/bolt:", layout="wide")
if is_network_address(st.get_option("server.address")):  # network mode: see core/limits.py
    os.environ[NETWORK_ENV] = "1"
prepare_workers()  # the first job then starts without waiting for torch's import
warm_up()  # the demos' numbers, for a demo page's banner


def app_settings() -> None:
    """Presentation mode and the charts' download format, for every page (and in its URL)."""
    restore(GLOBAL_PREFIX, GLOBAL_FIELDS, notice=False)
    with st.sidebar:
        st.toggle("Presentation mode", key=GLOBAL_PREFIX + "present",
                  help="Larger fonts, lines and markers for a projector (present=1 in a link).")
        st.segmented_control("Chart download", ("png", "svg"), key=GLOBAL_PREFIX + "fmt",
                             format_func=str.upper, required=True,
                             help="What a chart's camera button saves: a 1600x900 slide as "
                                  "PNG (at 2x) or SVG.")
    presentation_style()


def demo_banner(url_path: str) -> None:
    """The gallery card of the demo this page was opened for (``demo=ID`` in the link): what to
    look at and what to press. Leaving the demo's page drops it."""
    key = GLOBAL_PREFIX + "demo"
    demo = next((d for d in DEMOS if d.id == st.session_state.get(key)), None)
    if demo is None or demo.page != url_path:
        st.session_state[key] = ""
        return
    text = f"**Demo: {demo.title}.** {demo.look}"
    look = look_for(demo.id)
    if look:  # the number to look for, as the gallery's card quotes it
        text += f" **Look for:** {look}"
    if demo.needs:
        text += f" **{demo.needs}**"
    st.info(text, icon=":material/co_present:")


home = st.Page(ROOT / "app" / "home.py", title="Home", icon=":material/home:", default=True)
pages = [st.Page(p.path, title=p.title, icon=p.icon, url_path=p.url_path) for p in PAGES]
navigation = st.navigation([home, *pages])
app_settings()
jobs_panel()  # every session's running jobs, each with Stop (a closed tab's job too)
demo_banner(navigation.url_path)
navigation.run()
