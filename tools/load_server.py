"""The server's own cost of many visitors on the Neuron dynamics page, without browsers.

Dev script, not a test (run it on a quiet machine):

    .venv/bin/python tools/load_server.py                      # 12 sessions, a training job
    .venv/bin/python tools/load_server.py --distinct           # every session its own value

``tools/load_neurons.py`` drives real browsers, but on a 2-core machine the 12 headless
Chromiums take about six times the server's CPU: they measure the browsers, which at a lab
meeting run on the visitors' laptops. This script speaks Streamlit's own websocket protocol
instead (the protobuf messages its frontend sends): it opens ``--sessions`` sessions on the
page, then round after round sends every session a rerun with neuron A's threshold moved one
step (the same value in every session, as when a room follows a demo, or with ``--distinct``
a value of its own) and times each session from the request until the server says the script
finished. It prints the median and 95th percentile and the server's CPU seconds per rerun.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

sys.path.insert(0, str(Path(__file__).resolve().parent))
from load_neurons import cpu_seconds, start_job, start_network_app  # noqa: E402

LABEL = "Threshold θ"  # neuron A's is the first slider with this label


class Session:
    """One visitor: a websocket to the server and the id of neuron A's threshold slider."""

    def __init__(self, ws: websockets.ClientConnection) -> None:
        self.ws, self.slider = ws, ""

    async def rerun(self, value: float | None) -> float:
        """Ask for a rerun (with the slider at ``value``); seconds until the script finished."""
        msg = BackMsg()
        msg.rerun_script.query_string = ""
        msg.rerun_script.page_name = "neurons"
        if value is not None:
            state = msg.rerun_script.widget_states.widgets.add()
            state.id, state.double_array_value.data[:] = self.slider, [value]
        start = time.monotonic()
        await self.ws.send(msg.SerializeToString())
        while True:
            reply = ForwardMsg()
            reply.ParseFromString(await self.ws.recv())
            kind = reply.WhichOneof("type")
            if kind == "delta" and not self.slider:
                self._find_slider(reply)
            if kind == "script_finished":
                return time.monotonic() - start

    def _find_slider(self, reply: ForwardMsg) -> None:
        element = reply.delta.new_element
        if element.WhichOneof("type") == "slider" and element.slider.label == LABEL:
            self.slider = element.slider.id


async def measure(url: str, sessions: int, rounds: int, distinct: bool) -> list[float]:
    """Open the sessions, then time ``rounds`` simultaneous reruns in all of them."""
    stream = url.replace("http://", "ws://") + "/_stcore/stream"
    opened = [Session(await websockets.connect(stream, max_size=None)) for _ in range(sessions)]
    await asyncio.gather(*(s.rerun(None) for s in opened))
    times: list[float] = []
    for r in range(rounds):
        step = 0.05 * (1 + r % 2)
        values = [1.0 + step + (0.05 * i if distinct else 0.0) for i in range(sessions)]
        times += await asyncio.gather(*(s.rerun(v) for s, v in zip(opened, values, strict=True)))
        await asyncio.sleep(0.5)
    for s in opened:
        await s.ws.close()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=12)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--distinct", action="store_true",
                        help="every session moves to a value of its own (no shared cache)")
    parser.add_argument("--no-job", action="store_true", help="no training run in the background")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        app, url = start_network_app(Path(tmp))
        job = None if args.no_job else start_job(Path(tmp))
        try:
            time.sleep(3)  # the job's start-up is not part of the measurement
            before = cpu_seconds("streamlit")
            times = asyncio.run(measure(url, args.sessions, args.rounds, args.distinct))
            server = (cpu_seconds("streamlit") - before) / (len(times) + args.sessions)
            alive = job is not None and job.poll() is None
        finally:
            for proc in (job, app):
                if proc is not None:
                    proc.terminate()
                    proc.wait(timeout=30)
    values = np.array(times)
    print(f"{args.sessions} sessions x {args.rounds} rounds, values "
          f"{'distinct' if args.distinct else 'shared'}, training job running: {alive}")
    print(f"rerun request to script finished: median {np.median(values):.2f} s, "
          f"p95 {np.percentile(values, 95):.2f} s, max {values.max():.2f} s; "
          f"server CPU {server * 1e3:.0f} ms per rerun")


if __name__ == "__main__":
    main()
