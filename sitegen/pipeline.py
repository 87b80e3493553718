"""The build, top to bottom: discover, load, assemble, plan, decide, render, write. All pages are gathered first.

`Session` holds what one build learns (articles by file, the previous build's manifest) so that the preview server
can keep one alive and rebuild only what changed; the command line uses a fresh one per build. Both paths run the
same code, so incremental output is the full build's output.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import __version__
from . import data as datafiles
from .assemble import Assembled, Options, assemble, checked_slim
from .deps import ALL, Entry, Fingerprints, Manifest
from .errors import BuildError, Collector, Problem
from .content import decode_source, internal_error, read_source
from .limits import MAX_CONTENT_BYTES, MAX_DATA_BYTES
from .model import Article, Page
from .pages import output_problems, plan
from .sources import SOURCE_FOLDERS, outside_links, walk
from .store import Cache, article_key
from .incremental import quick_build
from .workers import (Pool, Setup, Target, convert_chunk, default_jobs, parse_one, render_chunk, render_range,
                      set_convert_job, set_render_job)
from .write import MARKER, InPlace, Staging, check_output_path, output_lock, recover, unsafe_reason

CONVERT_CHUNK = 16  # articles per task: one store transaction in the worker
HEAVY_KINDS = frozenset({"sitemap", "feed", "roles", "role"})  # each costs 5-30 ms to render at 4,000 articles

CACHE_DIR = ".sitegen-cache"


@dataclass(frozen=True)
class SitePaths:
    root: Path
    out: Path

    @property
    def content(self) -> Path:
        return self.root / "content"

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def templates(self) -> Path:
        return self.root / "templates"

    @property
    def static(self) -> Path:
        return self.root / "static"

    @property
    def cache(self) -> Path:
        return self.root / CACHE_DIR

    def rel(self, path: Path | str) -> str:
        """'content/x.md' for a path under the root (string slicing: the load step asks once per source file)."""
        name, root = os.fspath(path), os.path.join(self.root, "")
        if not name.startswith(root):
            raise ValueError(f"{name} is not under {self.root}")
        return name[len(root):].replace(os.sep, "/")


@dataclass
class Result:
    pages: int  # files rendered from templates (pages, feed, sitemap, host files)
    static_files: int
    seconds: float
    out: Path
    rendered: int = 0  # pages rendered this time (the rest were unchanged)
    converted: int = 0  # articles converted from Markdown this time
    cache_hits: int = 0  # articles taken from the store
    stages: dict[str, float] = field(default_factory=dict)
    written: tuple[str, ...] = ()  # output files whose bytes changed
    removed: tuple[str, ...] = ()


def today() -> dt.date:
    """The build's notion of today: SOURCE_DATE_EPOCH when set (reproducible builds), else the clock."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc).date()
    return dt.date.today()


def read_bytes(path: Path, rel: str, problems: Collector, limit: int = MAX_CONTENT_BYTES) -> bytes | None:
    raw, problem = read_source(str(path), rel, limit)
    if problem is not None:
        problems.extend([problem])
    return raw


def decode(raw: bytes, rel: str, problems: Collector) -> str | None:
    text, problem = decode_source(raw, rel)
    if problem is not None:
        problems.extend([problem])
    return text


def read_text(path: Path, rel: str, problems: Collector) -> str | None:
    raw = read_bytes(path, rel, problems)
    return None if raw is None else decode(raw, rel, problems)


def discover(directory: Path, suffix: str | None = None) -> list[Path]:
    """Source files under a folder of the site, sorted, hidden files and folders skipped, symbolic links followed
    while they stay inside the site (sources.walk; the build refuses the others before it gets here)."""
    return [Path(name) for name in walk(directory.parent, directory.name, suffix)[0]]


def asset_problems(assets: dict[str, tuple[str, Path]]) -> list[Problem]:
    """A static file whose name cannot be published as it is (a backslash, a control character ...)."""
    return [Problem(f"static/{rel}", 1, f"this file cannot be published under its name: {reason}")
            for rel, (out, _source) in assets.items() if (reason := unsafe_reason(out)) is not None]


def fingerprint(paths: SitePaths, enabled: bool = True) -> dict[str, tuple[str, Path]]:
    """static/css/site.css -> ('static/css/site.1a2b3c4d5e.css', source path): names change when content does."""
    assets = {}
    for path in discover(paths.static):
        rel = path.relative_to(paths.static).as_posix()
        if not enabled:
            assets[rel] = (f"static/{rel}", path)
            continue
        digest = hashlib.sha256(path.read_bytes()).hexdigest()[:10]
        stem, dot, suffix = rel.rpartition(".")
        name = f"{stem}.{digest}.{suffix}" if dot and "/" not in suffix else f"{rel}.{digest}"
        assets[rel] = (f"static/{name}", path)
    return assets


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


class Session:
    """One site and output folder. `build()` may run many times (the preview server does); each run renders only
    the pages whose inputs changed since the last one and writes only files whose bytes changed."""

    def __init__(self, root: Path, out: Path | None = None, options: Options | None = None, *, jobs: int | None = None,
                 cache: bool = True, in_place: bool = False, progress: bool = True, slim: bool = False):
        self.paths = SitePaths(root.resolve(), (out or root / "output").resolve())
        self.options = options or Options(today=today())
        self.jobs = jobs or default_jobs()
        self.in_place = in_place
        self.progress = progress
        # one-shot builds keep slim articles (content.slim): memory for 100,000 of them; the preview and `check`
        # keep them complete, for the fast path and the source checks
        self.slim = slim and not in_place
        check_output_path(self.paths.root, self.paths.out)
        self.store = Cache(self.paths.cache / "store.sqlite" if cache else None)
        manifest_name = hashlib.blake2b(str(self.paths.out).encode(), digest_size=8).hexdigest()
        keep_manifest = cache and not in_place  # the preview's folder is temporary: its record lives in memory
        self.manifest = Manifest.load(self.paths.cache / "manifests" / f"{manifest_name}.json" if keep_manifest else None)
        self.files: dict[str, tuple[tuple[int, int], Article]] = {}  # rel -> (mtime_ns, size), article
        self._data: dict[str, tuple[bytes, object, list[Problem]]] = {}  # data file -> (bytes, parsed, problems)
        self.site_base_path = "/"
        self.state: tuple[Assembled, dict[str, Page]] | None = None  # the last good build, for the preview's fast path
        self.asset_names: dict[str, str] = {}

    def close(self) -> None:
        self.store.close()

    # -- 1-3. load and assemble ------------------------------------------------------------------------------
    def load(self, pool: Pool, result: Result, progress: Progress) -> Assembled:
        problems = Collector()
        problems.extend(outside_links(self.paths.root))  # nothing is read through a link that leads out of the site
        problems.raise_if_any()
        site = self.data_file("data/site.yaml", lambda t: datafiles.parse_site(t, base_url=self.options.base_url,
                                                                                known=self.store.valid), problems)
        roles = self.data_file("data/roles.yaml", lambda t: datafiles.parse_roles(t, known=self.store.valid), problems)

        articles: list[Article] = []
        wanted: dict[str, tuple[str, tuple[int, int]]] = {}  # key -> (rel, stat); the bytes are not kept
        files: dict[str, tuple[tuple[int, int], Article]] = {}
        for path in discover(self.paths.content, ".md"):
            rel = self.paths.rel(path)
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
        checked: dict[str, list[Problem]] = {}

        def keep(article: Article) -> Article:
            """Check a complete article on its own, then keep it slim (when this session does and roles loaded)."""
            if not self.slim or roles is None:
                return article
            kept, found = checked_slim(article, roles)
            if found:
                checked[article.path] = found
            return kept

        cached: dict[str, Article] = {}
        if self.slim and roles is not None:
            # checked when stored, against these role ids: the slim record and its problems, nothing else read
            for key, (article, found) in self.store.articles.checked_slim(list(wanted), roles).items():
                cached[key] = article
                if found:
                    checked[article.path] = found
            rest = [key for key in wanted if key not in cached]
            rechecked = self.store.articles.get(rest, each=keep)  # stored without a check for these role ids
            if rechecked:
                self.store.articles.put_checks([(a, checked.get(a.path, [])) for a in rechecked.values()], roles)
            cached.update(rechecked)
        else:
            cached = self.store.articles.get(list(wanted), each=keep)
        result.cache_hits = len(cached)
        tasks = []  # what to convert: a worker reads the file again, so the parent never holds every article's text
        for key, (rel, stamp) in wanted.items():
            if key in cached:
                files[rel] = (stamp, cached[key])
                articles.append(cached[key])
            else:
                tasks.append((rel, str(self.paths.root / rel)))
        stamps = {rel: stamp for rel, stamp in wanted.values()}
        del wanted, cached
        here = tasks  # converted by parse_one, checked and stored here
        if self.slim and roles is not None and pool.wanted(len(tasks)):
            self._convert_in_workers(pool, tasks, roles, stamps, files, articles, checked, problems, progress)
            here = []
        converted = []
        checks: dict[str, tuple[Article, list[Problem]]] = {}  # what keep() found, for the store's check column
        outcomes = pool.imap(parse_one, here, chunksize=16) if pool.wanted(len(here)) else map(parse_one, here)
        for done, (rel, article, body, found) in enumerate(outcomes, 1):
            progress.update(done, len(here), "converting")
            if article is None:
                problems.extend(found)
                continue
            converted.append((article, body))
            article = keep(article)
            if not article.complete:
                checks[article.key] = (article, checked.get(article.path, []))
            files[rel] = (stamps[rel], article)
            articles.append(article)
            if len(converted) >= 500:
                self.store.articles.put_many(converted, roles, checks)
                converted.clear()
        self.store.articles.put_many(converted, roles, checks)
        result.converted = len(tasks)
        self.files = files

        if site is None or roles is None:
            problems.raise_if_any()
        assert site is not None and roles is not None
        # cross-references are checked even when some articles failed, so one run reports everything
        assembled, found = assemble(site, roles, articles, self.options, checked, self.store.related)
        problems.extend(found)
        problems.raise_if_any()
        assert assembled is not None
        return assembled

    def _convert_in_workers(self, pool: Pool, tasks: list[tuple[str, str]], roles, stamps, files, articles, checked,
                            problems: Collector, progress: Progress) -> None:
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

    def data_file(self, rel: str, parse, problems: Collector):
        """A data file parsed and validated, or None; parsed again only when its bytes changed."""
        raw = read_bytes(self.paths.root / rel, rel, problems, MAX_DATA_BYTES)
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

    # -- the whole build -------------------------------------------------------------------------------------
    def build(self, changed: set[str] | None = None) -> Result:
        """Build; `changed` (absolute paths from a watcher) is a hint only: every source is still checked."""
        started = time.perf_counter()
        with output_lock(self.paths.out):
            if not self.in_place:
                recover(self.paths.out)  # a build killed earlier may have left output/ set aside: put it back first
            try:
                return self._build(started, changed)
            except BaseException:
                self.state = None  # what is on disk may now differ from the plan: next time, check everything
                raise

    def sources_stamp(self) -> str:
        """Names, sizes and modification times of every source, with the options: equal stamps, equal output.
        Raises BuildError for a symbolic link that leads outside the site (sources.walk)."""
        h = hashlib.blake2b(repr((__version__, self.options, str(self.paths.out))).encode(), digest_size=16)
        problems = Collector()
        for folder in SOURCE_FOLDERS:
            files, found = walk(self.paths.root, folder)
            problems.extend(found)
            for name in files:
                st = os.stat(name)
                h.update(f"{name}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
        problems.raise_if_any()
        return h.hexdigest()

    def _build(self, started: float, changed: set[str] | None = None) -> Result:
        paths = self.paths
        result = Result(0, 0, 0.0, paths.out)
        if changed is not None and self.in_place:
            quick = quick_build(self, changed, result, started)
            if quick is not None:
                return quick
        stamp = self.sources_stamp()  # also refuses links out of the site, before anything is read
        if self.in_place:
            stamp = ""
        if stamp and stamp == self.manifest.stamp and (paths.out / MARKER).is_file():
            # nothing changed since the output was written: leave it exactly as it is
            result.pages = sum(1 for o in self.manifest.entries if not o.startswith("static/"))
            result.static_files = len(discover(paths.static))
            result.cache_hits = len(discover(paths.content, ".md"))
            result.stages["check"] = time.perf_counter() - started
            result.seconds = time.perf_counter() - started
            return result
        progress = Progress(started, self.progress)
        pool = Pool(self.jobs)
        clock = time.perf_counter()

        def lap(stage: str) -> None:
            nonlocal clock
            now = time.perf_counter()
            result.stages[stage] = result.stages.get(stage, 0.0) + now - clock
            clock = now

        try:
            # 1-3. discover, load and validate, assemble: every problem is reported before anything is written
            assembled = self.load(pool, result, progress)
            self.site_base_path = assembled.site.base_path
            lap("load")
            assets = fingerprint(paths, self.options.fingerprint)
            asset_names = {k: v[0] for k, v in assets.items()}

            # 4. plan every page; 5. decide which must render: those whose recorded inputs changed
            pages = plan(assembled)
            BuildError.raise_if(output_problems(pages, asset_names) + asset_problems(assets))
            fps = Fingerprints(assembled.site, assembled.roles, paths.templates, asset_names)
            old = self.manifest.entries if paths.out.is_dir() else {}  # no output (a fresh checkout): render all
            reuse: dict[str, Entry] = {}
            todo: list[Page] = []
            for page in pages:
                entry = old.get(page.output)
                if (entry is not None and (paths.out / page.output).is_file()
                        and fps.signature(page, entry.templates, entry.roles) == entry.signature):
                    reuse[page.output] = entry
                else:
                    todo.append(page)
            lap("plan")

            # 6. render what changed; write only files whose bytes changed
            self.asset_names = asset_names
            entries, written, removed = self.render_and_write(assembled, todo, fps, pool=pool, progress=progress,
                                                              reuse=reuse, assets=assets)
            lap("render")
        finally:
            pool.close()
            progress.done()

        self.state = (assembled, {p.output: p for p in pages}) if self.in_place else None
        self.manifest.entries = entries
        self.manifest.stamp = stamp
        self.manifest.save()
        if not self.in_place:
            self.store.prune({a.key for _, a in self.files.values()})
        result.pages, result.static_files = len(pages), len(assets)
        result.rendered, result.written, result.removed = len(todo), tuple(written), tuple(removed)
        result.seconds = time.perf_counter() - started
        return result

    def render_and_write(self, assembled: Assembled, todo: list[Page], fps: Fingerprints, *, pool: Pool | None = None,
                         progress: Progress | None = None, reuse: dict[str, Entry] | None = None,
                         assets: dict[str, tuple[str, Path]] | None = None,
                         prune: bool = True) -> tuple[dict[str, Entry], list[str], list[str]]:
        """Render `todo`, keep `reuse` as it is, copy `assets`; swap the result in (or, in the preview, rename each
        changed file into place). Returns the new entries, the files whose bytes changed and those removed."""
        writer = InPlace(self.paths.out) if self.in_place else Staging(self.paths.out)
        try:
            entries, written = self._render(assembled, todo, fps, pool or Pool(1), writer,
                                            progress or Progress(0, False))
            for output, entry in (reuse or {}).items():
                writer.keep(output)
                entries[output] = entry
            if assets is not None:
                for output_rel, source in assets.values():
                    if writer.copy(output_rel, source):
                        written.append(output_rel)
                writer.write(".nojekyll", b"")  # GitHub Pages: serve the files as they are, no Jekyll
            keep = set(entries) | {o for o, _ in (assets or {}).values()} | {".nojekyll"} if prune else None
            removed = writer.commit(keep=keep)
        except BaseException:
            writer.discard()
            raise
        return entries, written, removed

    def _setup_ident(self, fps: Fingerprints) -> str:
        """Equal while site, roles, assets and templates are: a worker then keeps its compiled templates."""
        stamps = []
        for root, dirs, files in os.walk(self.paths.templates):
            dirs.sort()
            for name in sorted(files):
                st = os.stat(os.path.join(root, name))
                stamps.append((root, name, st.st_mtime_ns, st.st_size))
        return hashlib.blake2b(repr((fps.base, fps.roles.get(ALL), stamps, str(self.store.path))).encode(),
                               digest_size=16).hexdigest()

    def _render(self, assembled: Assembled, todo: list[Page], fps: Fingerprints, pool: Pool,
                writer, progress: Progress) -> tuple[dict[str, Entry], list[str]]:
        """Render in workers (or here, for a few pages); the workers write the files themselves."""
        setup = Setup(ident=self._setup_ident(fps), site=assembled.site, roles=assembled.roles,
                      templates_dir=str(self.paths.templates), assets=self.asset_names, store=str(self.store.path))
        target = Target(str(self.paths.out), writer.stage_dir)
        old = self.manifest.entries
        # the few expensive pages (sitemap, feed, role pages) first, so no worker is left with one at the end
        ordered = sorted(todo, key=lambda page: page.kind not in HEAVY_KINDS)
        items = [(page, old[page.output].digest if page.output in old else None) for page in ordered]
        by_output = {p.output: p for p in todo}
        if pool.wanted(len(todo)):
            size = max(8, min(64, len(todo) // (pool.jobs * 8) or 1))
            # fresh workers get this job's pages through the initializer (with fork: inherited, not pickled)
            ranges = [(i, i + size) for i in range(0, len(items), size)]
            outcomes = (r for chunk in pool.imap(render_range, ranges, initializer=set_render_job,
                                                 job=(setup, target, items)) for r in chunk)
        else:
            outcomes = iter(render_chunk((setup, target, items)))
        problems: list[Problem] = []
        entries: dict[str, Entry] = {}
        written: list[str] = []
        for done, r in enumerate(outcomes, 1):
            progress.update(done, len(todo), "rendering")
            if r.temp is not None:
                writer.adopt(r.temp, r.output)
            if r.problem is not None:
                problems.append(r.problem)
                continue
            entries[r.output] = Entry(fps.signature(by_output[r.output], r.templates, r.roles), r.digest, r.templates, r.roles)
            if r.changed:
                written.append(r.output)
        if problems:
            raise BuildError(problems)
        return entries, written


def build(root: Path, out: Path | None = None, options: Options | None = None, *, jobs: int | None = None,
          cache: bool = True, progress: bool = True) -> Result:
    """Build the site at `root` into `out` (default root/output), atomically."""
    session = Session(root, out, options, jobs=jobs, cache=cache, progress=progress, slim=True)
    try:
        return session.build()
    finally:
        session.close()


__all__ = ["BuildError", "Options", "Result", "Session", "build"]
