"""What a build reports: its result, and a progress bar while it runs."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Result:
    pages: int  # files rendered from templates (pages, feed, sitemap, host files)
    static_files: int
    seconds: float
    out: Path
    rendered: int = 0  # pages rendered this time (the rest were unchanged)
    made: int = 0  # static files made this time by a producer (image variants, social cards: render.PRODUCERS)
    converted: int = 0  # articles converted from Markdown this time
    cache_hits: int = 0  # articles taken from the store
    stages: dict[str, float] = field(default_factory=dict)
    written: tuple[str, ...] = ()  # output files whose bytes changed
    removed: tuple[str, ...] = ()
    _clock: float = field(default_factory=time.perf_counter, repr=False, compare=False)

    def lap(self, stage: str) -> None:
        """Add the time since the last lap (or since the result was made) to `stage`."""
        now = time.perf_counter()
        self.stages[stage] = self.stages.get(stage, 0.0) + now - self._clock
        self._clock = now


class Progress:
    """A one-line progress bar on a terminal, shown only once a build has run for about two seconds."""

    def __init__(self, started: float, enabled: bool):
        self.started = started
        self.enabled = enabled and sys.stderr.isatty()
        self.shown = False

    def update(self, done: int, total: int, what: str) -> None:
        if not self.enabled or time.perf_counter() - self.started < 2 or total == 0:
            return
        width = 30
        filled = int(width * done / total)
        sys.stderr.write(f"\r{what:10} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
        sys.stderr.flush()
        self.shown = True

    def done(self) -> None:
        if self.shown:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()
            self.shown = False
