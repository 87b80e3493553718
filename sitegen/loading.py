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
from .assemble import Rules, checked_slim
from .data import DataSet
from .content import internal_error
from .errors import Collector, Problem
from .limits import MAX_DATA_BYTES
from .model import Article
from .schemas import Schemas
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
        self._schemas = ""  # the digest of the schemas they were read with
        self.schemas: Schemas | None = None
        self._data: dict[str, tuple[bytes, object, list[Problem]]] = {}  # data file -> (bytes, parsed, problems)

    # -- data ---------------------------------------------------------------------------------------------------
    def data_file(self, rel: str, parse: Callable, problems: Collector, salt: str = ""):
        """A data file parsed and validated, or None; parsed again only when its bytes (or `salt`: what else the
        parse reads, such as the schemas) changed."""
        raw = read_bytes(self.root / rel, rel, problems, MAX_DATA_BYTES)
        if raw is None:
            return None
        known = self._data.get(rel)
        if known is None or known[0] != (raw, salt):
            inner = Collector()
            text = decode(raw, rel, inner)
            try:
                parsed, found = parse(text) if text is not None else (None, [])
            except Exception as exc:  # noqa: BLE001 - reported against the file, never a traceback
                parsed, found = None, [Problem(rel, 1, internal_error(exc))]
            known = ((raw, salt), parsed, inner.problems + list(found))
            self._data[rel] = known
        problems.extend(known[2])
        return known[1]

    def data_files(self) -> set[str]:
        """The data files the last load read."""
        return set(self._data)

    def data(self, schemas: Schemas, base_url: str | None, problems: Collector) -> DataSet | None:
        """Every file under data/ (datafiles.SUFFIXES), or None when one has a problem."""
        prefix = os.path.join(self.root, "")
        rels = [str(p)[len(prefix):].replace(os.sep, "/") for p in discover(self.root / "data")]
        rels, clashes = datafiles.clashes(rels)
        problems.extend(clashes)
        salt = f"{schemas.digest}\0{base_url}"
        files: dict[str, datafiles.DataFile] = {}
        failed = bool(clashes)
        if datafiles.SITE_FILE not in rels:
            problems.add(datafiles.SITE_FILE, 1, "file is missing: the site settings (title, base_url, ...) live here")
            failed = True
        for rel in rels:
            parsed = self.data_file(rel, lambda text, rel=rel: datafiles.parse(
                text, rel, schemas, self.store.valid, base_url if rel == datafiles.SITE_FILE else None), problems, salt)
            if parsed is None:
                failed = True
            else:
                files[parsed.name] = parsed
        self._data = {rel: known for rel, known in self._data.items() if rel in rels}
        return None if failed else DataSet(files)

    # -- articles -------------------------------------------------------------------------------------------------
    def articles(self, schemas: Schemas, rules: Rules | None, pool: Pool, progress, problems: Collector,
                 counts: dict[str, int]) -> tuple[list[Article], dict[str, list[Problem]]]:
        """Every article and page (remembered, from the store, or converted) and the problems found in slim
        ones. `rules` (None when the data did not load): what each article is checked against."""
        if schemas.digest != self._schemas:  # another schema may read the same front matter differently
            self.files, self._schemas = {}, schemas.digest
        self.schemas = schemas
        articles, files, wanted = self._scan(schemas, problems)
        checked: dict[str, list[Problem]] = {}
        cached = self._from_store(wanted, rules, checked)
        counts["cache_hits"] = len(cached)
        tasks = []  # what to convert: a worker reads the file again, so the parent never holds every article's text
        for key, (rel, stamp) in wanted.items():
            if key in cached:
                files[rel] = (stamp, cached[key])
                articles.append(cached[key])
            else:
                tasks.append((rel, str(self.root / rel), schemas))
        counts["converted"] = len(tasks)
        stamps = {rel: stamp for rel, stamp in wanted.values()}
        if self.slim and rules is not None and pool.wanted(len(tasks)):
            self._convert_in_workers(pool, tasks, rules, stamps, files, articles, checked, problems, progress)
        else:
            self._convert_here(pool, tasks, rules, stamps, files, articles, checked, problems, progress)
        self.files = files
        return articles, checked

    def _scan(self, schemas: Schemas, problems: Collector):
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
                wanted[article_key(rel, raw, schemas)] = (rel, stamp)
        return articles, files, wanted

    def _keep(self, article: Article, rules, checked: dict[str, list[Problem]]) -> Article:
        """Check a complete article on its own, then keep it slim (when this loader does and the rules are known)."""
        if not self.slim or rules is None:
            return article
        kept, found = checked_slim(article, rules)
        if found:
            checked[article.path] = found
        return kept

    def _from_store(self, wanted, rules, checked: dict[str, list[Problem]]) -> dict[str, Article]:
        keep = lambda article: self._keep(article, rules, checked)  # noqa: E731
        if not (self.slim and rules is not None):
            return self.store.articles.get(list(wanted), each=keep)
        # checked when stored, against these role ids: the slim record and its problems, nothing else read
        cached: dict[str, Article] = {}
        for key, (article, found) in self.store.articles.checked_slim(list(wanted), rules).items():
            cached[key] = article
            if found:
                checked[article.path] = found
        rest = [key for key in wanted if key not in cached]
        rechecked = self.store.articles.get(rest, each=keep)  # stored without a check for these role ids
        if rechecked:
            self.store.articles.put_checks([(a, checked.get(a.path, [])) for a in rechecked.values()], rules)
        cached.update(rechecked)
        return cached

    def _convert_in_workers(self, pool: Pool, tasks, rules, stamps, files, articles, checked, problems: Collector,
                            progress) -> None:
        """A one-shot build's conversion: workers convert, store and check; slim articles come back."""
        tasks = [(rel, path) for rel, path, _schemas in tasks]  # the schemas go once, with the job
        chunks = [tasks[i : i + CONVERT_CHUNK] for i in range(0, len(tasks), CONVERT_CHUNK)]
        # each worker receives the job once, through the pool's initializer (inherited with fork)
        outcomes = (item for chunk in pool.imap(convert_chunk, chunks, initializer=set_convert_job,
                                                job=(rules, str(self.store.path), self.schemas)) for item in chunk)
        for done, (rel, article, found) in enumerate(outcomes, 1):
            progress.update(done, len(tasks), "converting")
            if article is None:
                problems.extend(found)
                continue
            if found:
                checked[article.path] = found
            files[rel] = (stamps[rel], article)
            articles.append(article)

    def _convert_here(self, pool: Pool, tasks, rules, stamps, files, articles, checked, problems: Collector,
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
            article = self._keep(article, rules, checked)
            if not article.complete:
                checks[article.key] = (article, checked.get(article.path, []))
            files[rel] = (stamps[rel], article)
            articles.append(article)
            if len(converted) >= 500:
                self.store.articles.put_many(converted, rules, checks)
                converted.clear()
        self.store.articles.put_many(converted, rules, checks)
