"""Loading a site's sources: data files and articles, from what is remembered when it can, converted otherwise.

A `Loader` lives as long as its Session: it remembers each article by its file's (mtime, size) and each data file
by its bytes, so a preview rebuild reads only what changed, and it takes converted articles from the cache store.
A one-shot build keeps articles slim (content.slim): each is checked on its own before it is slimmed, and the
problems found are handed to assemble() with them.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from . import data as datafiles
from .assemble import checked_slim
from .content import internal_error
from .errors import Collector, Problem
from .limits import MAX_DATA_BYTES
from .model import Article, Role
from .sources import decode, discover, read_bytes
from .store import Cache, article_key
from .workers import Pool, convert_chunk, parse_one, set_convert_job

CONVERT_CHUNK = 16  # articles per task: one store transaction in the worker
Stamp = tuple[int, int]  # (mtime_ns, size) of a source file


class Loader:
    def __init__(self, root: Path, store: Cache, slim: bool):
        self.root = root
        self.store = store
        self.slim = slim
        self.files: dict[str, tuple[Stamp, Article]] = {}  # content/x.md -> (stamp, article), after each load
        self._data: dict[str, tuple[bytes, object, list[Problem]]] = {}  # data file -> (bytes, parsed, problems)

    # -- data ---------------------------------------------------------------------------------------------------
    def data_file(self, rel: str, parse: Callable, problems: Collector):
        """A data file parsed and validated, or None; parsed again only when its bytes changed."""
        raw = read_bytes(self.root / rel, rel, problems, MAX_DATA_BYTES)
        if raw is None:
            return None
        known = self._data.get(rel)
        if known is None or known[0] != raw:
            inner = Collector()
            text = decode(raw, rel, inner)
            try:
                parsed, found = parse(text) if text is not None else (None, [])
            except Exception as exc:  # noqa: BLE001 - reported against the file, never a traceback
                parsed, found = None, [Problem(rel, 1, internal_error(exc))]
            known = (raw, parsed, inner.problems + list(found))
            self._data[rel] = known
        problems.extend(known[2])
        return known[1]

    def roles(self, problems: Collector) -> dict[str, Role] | None:
        return self.data_file(datafiles.ROLES_FILE, self.parse_roles, problems)

    def parse_roles(self, text: str):
        return datafiles.parse_roles(text, known=self.store.valid)

    # -- articles -------------------------------------------------------------------------------------------------
    def articles(self, roles: dict[str, Role] | None, pool: Pool, progress, problems: Collector,
                 counts: dict[str, int]) -> tuple[list[Article], dict[str, list[Problem]]]:
        """Every article (remembered, from the store, or converted) and the problems found in slim ones."""
        articles, files, wanted = self._scan(problems)
        checked: dict[str, list[Problem]] = {}
        cached = self._from_store(wanted, roles, checked)
        counts["cache_hits"] = len(cached)
        tasks = []  # what to convert: a worker reads the file again, so the parent never holds every article's text
        for key, (rel, stamp) in wanted.items():
            if key in cached:
                files[rel] = (stamp, cached[key])
                articles.append(cached[key])
            else:
                tasks.append((rel, str(self.root / rel)))
        counts["converted"] = len(tasks)
        stamps = {rel: stamp for rel, stamp in wanted.values()}
        if self.slim and roles is not None and pool.wanted(len(tasks)):
            self._convert_in_workers(pool, tasks, roles, stamps, files, articles, checked, problems, progress)
        else:
            self._convert_here(pool, tasks, roles, stamps, files, articles, checked, problems, progress)
        self.files = files
        return articles, checked

    def _scan(self, problems: Collector):
        """Articles whose file is as it was, and the keys (source digests) of the others."""
        articles: list[Article] = []
        files: dict[str, tuple[Stamp, Article]] = {}
        wanted: dict[str, tuple[str, Stamp]] = {}  # key -> (rel, stamp); the bytes are not kept
        prefix = os.path.join(self.root, "")
        for path in discover(self.root / "content", ".md"):
            rel = str(path)[len(prefix):].replace(os.sep, "/")
            try:
                st = os.stat(path)
            except FileNotFoundError:
                continue  # deleted while we looked
            stamp = (st.st_mtime_ns, st.st_size)
            known = self.files.get(rel)
            if known is not None and known[0] == stamp:
                files[rel] = known
                articles.append(known[1])
                continue
            raw = read_bytes(path, rel, problems)
            if raw is not None:
                wanted[article_key(rel, raw)] = (rel, stamp)
        return articles, files, wanted

    def _keep(self, article: Article, roles, checked: dict[str, list[Problem]]) -> Article:
        """Check a complete article on its own, then keep it slim (when this loader does and roles loaded)."""
        if not self.slim or roles is None:
            return article
        kept, found = checked_slim(article, roles)
        if found:
            checked[article.path] = found
        return kept

    def _from_store(self, wanted, roles, checked: dict[str, list[Problem]]) -> dict[str, Article]:
        keep = lambda article: self._keep(article, roles, checked)  # noqa: E731
        if not (self.slim and roles is not None):
            return self.store.articles.get(list(wanted), each=keep)
        # checked when stored, against these role ids: the slim record and its problems, nothing else read
        cached: dict[str, Article] = {}
        for key, (article, found) in self.store.articles.checked_slim(list(wanted), roles).items():
            cached[key] = article
            if found:
                checked[article.path] = found
        rest = [key for key in wanted if key not in cached]
        rechecked = self.store.articles.get(rest, each=keep)  # stored without a check for these role ids
        if rechecked:
            self.store.articles.put_checks([(a, checked.get(a.path, [])) for a in rechecked.values()], roles)
        cached.update(rechecked)
        return cached

    def _convert_in_workers(self, pool: Pool, tasks, roles, stamps, files, articles, checked, problems: Collector,
                            progress) -> None:
        """A one-shot build's conversion: workers convert, store and check; slim articles come back."""
        chunks = [tasks[i : i + CONVERT_CHUNK] for i in range(0, len(tasks), CONVERT_CHUNK)]
        # each worker receives the job once, through the pool's initializer (inherited with fork)
        outcomes = (item for chunk in pool.imap(convert_chunk, chunks, initializer=set_convert_job,
                                                job=(roles, str(self.store.path))) for item in chunk)
        for done, (rel, article, found) in enumerate(outcomes, 1):
            progress.update(done, len(tasks), "converting")
            if article is None:
                problems.extend(found)
                continue
            if found:
                checked[article.path] = found
            files[rel] = (stamps[rel], article)
            articles.append(article)

    def _convert_here(self, pool: Pool, tasks, roles, stamps, files, articles, checked, problems: Collector,
                      progress) -> None:
        """Conversion with the results stored by this process (the preview, check, small builds)."""
        converted = []
        checks: dict[str, tuple[Article, list[Problem]]] = {}  # what _keep() found, for the store's check column
        outcomes = pool.imap(parse_one, tasks, chunksize=16) if pool.wanted(len(tasks)) else map(parse_one, tasks)
        for done, (rel, article, body, found) in enumerate(outcomes, 1):
            progress.update(done, len(tasks), "converting")
            if article is None:
                problems.extend(found)
                continue
            converted.append((article, body))
            article = self._keep(article, roles, checked)
            if not article.complete:
                checks[article.key] = (article, checked.get(article.path, []))
            files[rel] = (stamps[rel], article)
            articles.append(article)
            if len(converted) >= 500:
                self.store.articles.put_many(converted, roles, checks)
                converted.clear()
        self.store.articles.put_many(converted, roles, checks)
