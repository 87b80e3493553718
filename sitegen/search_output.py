"""The search index of a one-shot build: search.py's hook into publish.

The index is made in a thread of its own as soon as the pages are rendered, so Pagefind runs while the writer links
the unchanged files into the staging folder (on this kind of disk those links are most of a one-article rebuild).
The same thread puts its files into the staging folder's pagefind/ before the swap: the index is part of the atomic
output, and a failed build leaves the previous index with the previous pages. The thread reads each page where it
already is: a page rendered by this build in the staging folder, an unchanged one in the current output (the writer
links that same file into the staging folder), a static HTML page in static/.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
import threading
import time
from pathlib import Path

from .errors import BuildError, Problem
from .search import BUNDLE, CATALOGUE, SearchError, build_index, catalogue, index_files, language, names


class OutputIndex:
    """start() after rendering, finish() before the writer commits (or close() when the build fails)."""

    def __init__(self, session, site, writer):
        self.session, self.site, self.writer = session, site, writer
        self.started = 0.0  # when start() began the index
        self._thread: threading.Thread | None = None
        self._shards: dict[str, Path] = {}
        self._error: BaseException | None = None
        self._result: tuple[list[str], set[str]] = ([], set())
        self._temp: tempfile.TemporaryDirectory | None = None
        self._procs: dict[int, object] = {}  # the Pagefind runs under way, by the thread that waits for each
        self._stop = False
        self.index_seconds = 0.0

    def start(self, entries: dict, unchanged: set[str], assets: dict | None) -> None:
        """Index the HTML pages of `entries` (output path -> Entry; those in `unchanged` are read from the current
        output) and the static HTML pages of `assets`."""
        if self.writer.stage_dir is None:  # the preview: PreviewIndexer renews the index after the reload
            return
        self.started = time.perf_counter()
        stage, out = Path(self.writer.stage_dir), self.session.paths.out
        pages = {rel: entry.digest for rel, entry in entries.items() if rel.endswith(".html")}
        static: dict[str, Path] = {}
        for rel, source in (assets or {}).values():  # a static HTML file is a page to Pagefind too
            if rel.endswith(".html"):
                static[rel] = Path(source)
                pages[rel] = hashlib.blake2b(static[rel].read_bytes(), digest_size=16).hexdigest()

        def locate(rel: str) -> Path:
            return static[rel] if rel in static else (out if rel in unchanged else stage) / rel

        if self.session.store.temporary:  # --no-cache: index in a temporary folder, remember nothing
            self._temp = tempfile.TemporaryDirectory(prefix="sitegen-search-")
            cache = Path(self._temp.name)
        else:
            cache = self.session.paths.cache / "search"
        self._thread = threading.Thread(target=self._run, args=(locate, pages, language(self.site), cache),
                                        name="sitegen-search", daemon=True)
        self._thread.start()

    def _run(self, locate, pages: dict[str, str], lang: str, cache: Path) -> None:
        try:
            self._shards = build_index(locate, pages, lang, cache, self.session.jobs, track=self._track)
            self.index_seconds = time.perf_counter() - self.started
            self._result = self._publish()  # into the staging folder's pagefind/, beside the main thread's links
        except BaseException as exc:  # handed to the main thread by finish()
            self._error = exc

    def _track(self, proc) -> None:
        if self._stop and proc is not None:
            with contextlib.suppress(OSError):
                proc.kill()
        if proc is None:
            self._procs.pop(threading.get_ident(), None)
        else:
            self._procs[threading.get_ident()] = proc

    def finish(self) -> tuple[list[str], set[str]]:
        """Wait for the index and put its files into the staging folder. Returns the index files whose bytes changed
        and every index file (for the writer's keep)."""
        if self.writer.stage_dir is None:  # the preview: keep the files PreviewIndexer made
            return [], {f"{BUNDLE}/{rel}" for rel in names(self.session.paths.out / BUNDLE)}
        waited = time.perf_counter()
        try:
            if self._thread is not None:
                self._thread.join()
            if isinstance(self._error, SearchError):
                raise BuildError([Problem(BUNDLE, 1, f"search index: {self._error}")]) from None
            if self._error is not None:
                raise self._error
        finally:
            self._cleanup()
        # the index's own stage is what it added to the build: the wait for it (the indexing itself, most of it
        # while the writer linked the unchanged files, is "index_seconds")
        self.session.search_stats["seconds"] = time.perf_counter() - waited
        return self._result

    def close(self) -> None:
        """The build failed: stop Pagefind and wait for the thread, so nothing reads the staging folder it removes."""
        self._stop = True
        for proc in list(self._procs.values()):
            with contextlib.suppress(OSError):
                proc.kill()
        if self._thread is not None:
            self._thread.join()
        self._cleanup()

    def _cleanup(self) -> None:
        if self._temp is not None:
            self._temp.cleanup()
            self._temp = None

    def _publish(self) -> tuple[list[str], set[str]]:
        written, keep = [], set()
        files = index_files(self._shards)
        for target, source in sorted(files.items()):
            keep.add(target)
            if self.writer.copy(target, source):
                written.append(target)
        if self._shards:
            self.writer.write(f"{BUNDLE}/{CATALOGUE}", catalogue(self._shards))
            keep.add(f"{BUNDLE}/{CATALOGUE}")
        self.session.search_stats = {
            "seconds": 0.0, "index_seconds": self.index_seconds, "files": len(keep),
            "changed": len(written), "shards": len(self._shards),
            "bytes": sum(os.stat(p).st_size for p in files.values())}
        return written, keep
