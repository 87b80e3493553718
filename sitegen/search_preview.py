"""The preview's search index (issue 17 point 3): the preview folder indexed in a thread of its own, after the
reload is sent, through the same shards as a build (search.py)."""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

from .search import BUNDLE, CATALOGUE, SearchError, build_index, catalogue, index_files, names


class PreviewIndexer:
    """Indexes the preview's folder in a thread of its own, after each build that changed pages: the reload is
    not delayed, and a search right after it finds the previous index until the new one is swapped in. Requests
    made while it indexes become one more run. `lock` is the build's output lock: swapping files in never races a
    build's writes."""

    def __init__(self, out: Path, lang: Callable[[], str], lock, on_done: Callable[[int, str | None], None]):
        self.out = out
        self.lang = lang
        self.lock = lock
        self.on_done = on_done  # (build number, problem or None), on the indexer's thread
        self._wanted = 0
        self._cond = threading.Condition()
        self._stopped = False
        self._proc: subprocess.Popen | None = None
        self.cache = Path(tempfile.mkdtemp(prefix="sitegen-index-"))  # the shards made so far
        self._thread = threading.Thread(target=self._loop, name="sitegen-search-index", daemon=True)
        self._thread.start()

    def request(self, number: int) -> None:
        with self._cond:
            self._wanted = max(self._wanted, number)
            self._cond.notify_all()

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify_all()
            running = self._proc
        if running is not None:
            with contextlib.suppress(OSError):
                running.kill()
        self._thread.join(timeout=30)
        shutil.rmtree(self.cache, ignore_errors=True)

    def _track(self, proc) -> None:
        """Pagefind started (or ended): it runs at a lower priority than the preview's own work, and a run that
        starts after stop() is stopped at once, not waited for."""
        if proc is not None and hasattr(os, "setpriority"):
            with contextlib.suppress(OSError):
                os.setpriority(os.PRIO_PROCESS, proc.pid, 10)
        with self._cond:
            self._proc = proc
            stopped = self._stopped
        if stopped and proc is not None:
            with contextlib.suppress(OSError):
                proc.kill()

    def _loop(self) -> None:
        done = 0
        while True:
            with self._cond:
                while self._wanted <= done and not self._stopped:
                    self._cond.wait()
                if self._stopped:
                    return
                number = self._wanted
            problem = None
            try:
                self.index_once()
            except SearchError as exc:
                problem = f"search index: {exc}"
            except OSError as exc:  # the folder went away (the preview is stopping)
                problem = f"search index: {exc}"
            done = number
            self.on_done(number, problem)

    def index_once(self) -> None:
        """The preview folder's pages, by the digests of their bytes, through the same shards as a build (kept in a
        cache of the indexer's own, so an edit re-indexes only its shard); then the files swapped in."""
        pages = {}
        for path in sorted(self.out.rglob("*.html")):
            rel = path.relative_to(self.out).as_posix()
            if rel.split("/", 1)[0] != BUNDLE and not any(part.startswith(".") for part in rel.split("/")):
                pages[rel] = hashlib.blake2b(path.read_bytes(), digest_size=16).hexdigest()
        shards = build_index(self.out, pages, self.lang(), self.cache, jobs=1, track=self._track)
        with self._cond:
            if self._stopped:
                return
        with self.lock():
            self._swap(shards)

    def _swap(self, shards: dict[str, Path]) -> None:
        """Hashed files first, then the files that name them, then the catalogue; then what is no longer used."""
        bundle = self.out / BUNDLE
        new = {target[len(BUNDLE) + 1:]: source for target, source in index_files(shards).items()}
        last = ("pagefind-entry.json", "pagefind.js")
        for rel in sorted(new, key=lambda r: r.rsplit("/", 1)[-1] in last):
            target = bundle / rel
            if target.is_file() and target.read_bytes() == new[rel].read_bytes():
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            temp = target.with_name(f".{target.name}.sitegen-tmp")
            shutil.copyfile(new[rel], temp)
            os.replace(temp, target)
        bundle.mkdir(parents=True, exist_ok=True)
        temp = bundle / f".{CATALOGUE}.sitegen-tmp"
        temp.write_bytes(catalogue(shards))
        os.replace(temp, bundle / CATALOGUE)
        for rel in names(bundle):
            if rel not in new and rel != CATALOGUE:
                with contextlib.suppress(OSError):
                    (bundle / rel).unlink()
        for root, dirs, files in os.walk(bundle, topdown=False):
            if root != str(bundle) and not os.listdir(root):
                os.rmdir(root)
