"""``demos``: the gallery of ready-made demos, to open from a script or a slide.

``python -m core demos --json`` prints ``{"demos": [{"id", "title", "page", "query", "url",
"look", "citation", "needs", "expect"}, ...]}``: ``url`` is relative to the app's address
(``--base http://localhost:8501`` makes it absolute); ``expect`` holds what a computed demo's
page shows (spike counts, times), None where the demo needs a trained run first.
"""

from __future__ import annotations

import argparse
from typing import Any

from core.cli.common import add_json_flag


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demos", help="list the demo gallery (title, page, link, what to see)")
    p.add_argument("--base", default="", help="the app's address, e.g. http://localhost:8501")
    p.add_argument("--no-expect", action="store_true",
                   help="skip computing what each computed demo's page shows (faster)")
    add_json_flag(p)
    p.set_defaults(func=run_demos)


def run_demos(args: argparse.Namespace) -> dict[str, Any]:
    from core.demos import gallery

    base = args.base.rstrip("/")
    demos = gallery(with_expectations=not args.no_expect)
    if base:
        for demo in demos:
            demo["url"] = f"{base}/{demo['url']}"
    return {"demos": demos}
