"""Train a ``Playground`` in a background thread that a page can poll.

The page's script runs stay short: play/pause/step only flip flags, and ``snapshot`` copies
the latest metrics and maps under a lock. A runner that nobody polls for ``idle_timeout``
seconds pauses itself, so a closed browser tab does not keep a core busy.

Unlike ``core.jobs.Job`` it stays a thread of the server: the page edits, probes and draws the
live in-memory network between steps, which a worker process could not share. Its snapshot
uses the jobs' words for its state: "running" while it plays, "stopped" while paused.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from core.playground.session import Maps, Metrics, Playground, PlaygroundConfig


@dataclass(frozen=True)
class Snapshot:
    """The playground at one moment: metrics, decision maps and the metrics so far."""

    playing: bool
    metrics: Metrics
    maps: Maps
    history: list[Metrics]

    @property
    def state(self) -> str:
        return "running" if self.playing else "stopped"


class PlaygroundRunner:
    """Owns one playground and a daemon thread that trains it while playing."""

    def __init__(
        self,
        config: PlaygroundConfig,
        grid: int = 40,
        steps_per_update: int = 5,
        idle_timeout: float = 60.0,
    ):
        self.config = config
        self._grid = grid
        self._chunk = steps_per_update
        self._idle_timeout = idle_timeout
        self._lock = threading.Lock()
        self._playing = threading.Event()
        self._closed = threading.Event()
        self._last_poll = time.monotonic()
        self.playground = Playground(config)
        self._refresh()
        self._thread = threading.Thread(target=self._loop, daemon=True, name="playground")
        self._thread.start()

    def _refresh(self) -> None:
        metrics = self.playground.evaluate()
        self._maps = self.playground.maps(self._grid)
        history = [*getattr(self, "_history", [])]
        if not history or history[-1].step != metrics.step:
            history.append(metrics)
        self._metrics, self._history = metrics, history[-500:]

    def _loop(self) -> None:
        while not self._closed.is_set():
            if not self._playing.wait(timeout=0.2):
                continue
            if time.monotonic() - self._last_poll > self._idle_timeout:
                self._playing.clear()
                continue
            with self._lock:
                self.playground.train_steps(self._chunk)
                self._refresh()

    def play(self) -> None:
        self._last_poll = time.monotonic()
        self._playing.set()

    def pause(self) -> None:
        self._playing.clear()

    def single_step(self) -> None:
        """Pause and take exactly one optimiser step."""
        self.pause()
        with self._lock:
            self.playground.train_steps(1)
            self._refresh()

    def set_weight(self, layer: int, source: int, target: int, value: float) -> None:
        with self._lock:
            self.playground.set_weight(layer, source, target, value)
            self._refresh()

    def probe(self, point: tuple[float, float], layer: int, neuron: int):
        with self._lock:
            return self.playground.probe(point, layer, neuron)

    def weight(self, layer: int, source: int, target: int) -> float:
        with self._lock:
            return self.playground.weight(layer, source, target)

    def snapshot(self) -> Snapshot:
        self._last_poll = time.monotonic()
        with self._lock:
            return Snapshot(self._playing.is_set(), self._metrics, self._maps, list(self._history))

    def close(self) -> None:
        self._closed.set()
        self._playing.clear()
        self._thread.join(timeout=5)
