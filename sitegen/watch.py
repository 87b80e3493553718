"""The preview's watching: file system events become builds. Events that arrive together (an editor's save dance,
a `git checkout`) become one build; events during a build cause exactly one more; one build runs at a time."""

from __future__ import annotations

import os
import sys
import threading
import time
from typing import TYPE_CHECKING

from watchdog.events import FileSystemEventHandler

if TYPE_CHECKING:
    from .serve import Preview

QUIET = 0.03  # seconds without a new event before a burst counts as finished
MAX_WAIT = 0.5  # ... but never wait longer than this after the first event


class Events(FileSystemEventHandler):
    def __init__(self, preview: "Preview"):
        self.preview = preview

    def on_any_event(self, event) -> None:
        if event.event_type in ("opened", "closed_no_write"):
            return
        if event.is_directory and event.event_type == "modified":
            return
        for path in (event.src_path, getattr(event, "dest_path", "")):
            if path:
                self.preview.builder.notify(os.fsdecode(path))


class Builder:
    """One build at a time. Events that arrive together become one build; events during a build, one more."""

    def __init__(self, preview: "Preview"):
        self.preview = preview
        self.pending: set[str] = set()
        self.last_event = 0.0
        self.cv = threading.Condition()
        self.stopped = False
        self.thread = threading.Thread(target=self.run, name="sitegen-builder", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def notify(self, path: str) -> None:
        with self.cv:
            self.pending.add(path)
            self.last_event = time.monotonic()
            self.cv.notify()

    def stop(self) -> None:
        with self.cv:
            self.stopped = True
            self.cv.notify()
        if self.thread.is_alive() and threading.current_thread() is not self.thread:
            self.thread.join(timeout=30)

    def run(self) -> None:
        while True:
            with self.cv:
                while not self.pending and not self.stopped:
                    self.cv.wait()
                if self.stopped:
                    return
                first = time.monotonic()
                while True:  # debounce: until the burst is over
                    now = time.monotonic()
                    wait = min(self.last_event + QUIET - now, first + MAX_WAIT - now)
                    if wait <= 0 or self.stopped:
                        break
                    self.cv.wait(wait)
                changed, self.pending = self.pending, set()
            try:
                self.preview.build(changed)
            except Exception as exc:  # noqa: BLE001 - the preview must survive anything a build throws
                print(f"error: the rebuild crashed: {exc!r}", file=sys.stderr, flush=True)
