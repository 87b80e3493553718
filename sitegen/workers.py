"""Worker processes: Markdown conversion and page rendering on every core, same bytes as one process.

Each worker keeps one Markdown converter (reset between articles) and one Renderer per site setup, so templates
compile once per process. Tasks and results are plain picklable values.

A build's job (the rules, store and schemas for conversion; the setup, target and pages for rendering) goes to each worker
once, through the pool's initializer: with `fork` (the default on Linux) the worker inherits it
from the parent's memory without pickling, so a task is just a range of indexes; with `spawn` (Python's default on
macOS and Windows) or `forkserver` it is pickled once per worker. The initializer keeps it in this module
(`_convert_job`, `_job`): that hand-over, and the per-worker caches (`_writers`, `_renderers`, and write.made_dirs), are the only
module-level state.
`SITEGEN_START_METHOD=spawn|fork|forkserver` forces a start method; the output is the same byte for byte.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from .assemble import Rules, checked_slim
from .content import ArticleError, decode_source, internal_error, parse_article, read_source
from .contexts import context
from .errors import Problem
from .data import DataSet
from .model import Article, Body, Page, Site
from .schemas import Schemas
from .render import Renderer, TemplateProblem
from .store import Reader, Writer, article_key, page_digest
from .write import Target, made_dirs, place

PARALLEL_MIN = 48  # below this many tasks, a pool costs more than it saves


def parse_one(task: tuple[str, str, Schemas]) -> tuple[str, Article | None, Body | None, list[Problem]]:
    """Read, decode and convert one article (site-relative path, absolute path, the site's schemas). Whatever the
    file holds, the answer is an article or its problems: an exception no input should cause is reported as an
    internal error of that file, so one bad file cannot crash the build."""
    rel, path, schemas = task
    raw, problem = read_source(path, rel)
    if raw is None:
        return rel, None, None, [problem]
    text, problem = decode_source(raw, rel)
    if text is None:
        return rel, None, None, [problem]
    try:
        article, body = parse_article(text, rel, article_key(rel, raw, schemas), schemas)
    except ArticleError as exc:
        return rel, None, None, exc.problems
    except Exception as exc:  # noqa: BLE001 - reported against the file, never a traceback
        return rel, None, None, [Problem(rel, 1, internal_error(exc))]
    return rel, article, body, []


# The conversion job of a one-shot build (rules, store path, schemas), set in each worker by the pool's initializer.
_convert_job: tuple[Rules, str, Schemas] | None = None
_writers: dict[str, Writer] = {}


def writer_for(store_path: str) -> Writer:
    """This process's connection to the build's store (one per store, kept while the worker lives)."""
    writer = _writers.get(store_path)
    if writer is None:
        writer = _writers[store_path] = Writer(Path(store_path))
    return writer


def set_convert_job(job: tuple[Rules, str, Schemas] | None) -> None:
    """The pool initializer of a conversion (Pool(initializer=set_convert_job, initargs=(job,)))."""
    global _convert_job
    _convert_job = job


def convert_chunk(tasks: list[tuple[str, str]]) -> list[tuple[str, Article | None, list[Problem]]]:
    """Convert a chunk of articles in a worker, store them there, and return each one slim with its own problems
    (assemble.article_problems): the parent then never unpickles, packs or checks a complete article."""
    assert _convert_job is not None, "start the pool with initializer=set_convert_job"
    rules, store_path, schemas = _convert_job
    writer = writer_for(store_path)
    out: list[tuple[str, Article | None, list[Problem]]] = []
    done = []
    checks = {}
    for task in tasks:
        rel, article, body, found = parse_one((*task, schemas))
        if article is None or body is None:
            out.append((rel, None, found))
            continue
        done.append((article, body))
        kept, found = checks[article.key] = checked_slim(article, rules)
        out.append((rel, kept, found))
    writer.put_many(done, rules, checks)
    return out


@dataclass(frozen=True)
class Setup:
    """Everything a renderer needs besides the pages: small, sent with each chunk of pages."""

    ident: str
    site: Site
    data: DataSet
    templates_dir: str
    assets: dict[str, str]
    store: str
    keep_pages: bool = False  # put each rendered page into the store (a persistent cache: store.PageStore)
    images: dict | None = None  # 'images/team.jpg' -> images.Picture with its variants: the templates' image()
    compiled: str | None = None  # where Jinja keeps compiled templates (.sitegen-cache/templates), None: nowhere


_renderers: dict[str, Renderer] = {}
_readers: dict[str, Reader] = {}  # the store reader of each renderer (stored pages are read through it)


def forget_renderer(ident: str) -> None:
    """Drop this process's renderer for a setup whose store is about to be deleted (check's temporary one)."""
    _renderers.pop(ident, None)


def renderer_for(setup: Setup) -> Renderer:
    renderer = _renderers.get(setup.ident)
    if renderer is None:
        _renderers.clear()
        reader = Reader(Path(setup.store))
        renderer = Renderer(setup.site, setup.data, setup.templates_dir, "templates", setup.assets, reader.body,
                            reader.article, setup.images, reader.product, setup.compiled)
        _renderers[setup.ident] = renderer
        _readers.clear()
        _readers[setup.ident] = reader
    return renderer


@dataclass(frozen=True)
class Rendered:
    output: str
    digest: str
    templates: tuple[str, ...]
    data: tuple[str, ...]
    changed: bool  # bytes differ from the current output's
    temp: str | None  # the preview's file to rename into place at commit
    problem: Problem | None = None


def render_one(renderer: Renderer, page: Page, target: Target, previous: str | None, stored: str | None = None,
               read_stored=None) -> tuple[Rendered, bytes]:
    """The page rendered (or, with `stored`, the digest of its bytes in the store, read from there) and placed,
    and its bytes (b"" when it could not be rendered or was read from the store)."""
    try:
        data = None
        if stored is not None:
            try:
                data, templates, read = read_stored(stored), (), ()
            except KeyError:  # damaged or gone since the parent looked: render it (its signature says same bytes)
                stored = None
        if data is None:
            data, deps = renderer.render(page, context)
            templates, read = deps.frozen()
        digest = page_digest(data)
        changed, temp = place(target, page.output, data, digest, previous)
    except TemplateProblem as exc:
        return Rendered(page.output, "", (), (), False, None, exc.problem), b""
    except Exception as exc:  # noqa: BLE001 - reported against the page's source, never a traceback
        source = page.article.path if page.article is not None else f"templates/{page.template}"
        return Rendered(page.output, "", (), (), False, None, Problem(source, 1, internal_error(exc))), b""
    return Rendered(page.output, digest, templates, read, changed, temp), b"" if stored is not None else data


def render_chunk(task: tuple[Setup, Target, list[tuple[Page, str | None, str | None]]]) -> list[Rendered]:
    setup, target, items = task
    renderer = renderer_for(setup)
    made_dirs.clear()
    results, pages = [], []
    for page, previous, stored in items:
        rendered, data = render_one(renderer, page, target, previous, stored, _readers[setup.ident].page)
        results.append(rendered)
        if data and setup.keep_pages:
            pages.append((rendered.digest, data))
    if pages:
        writer_for(setup.store).put_pages(pages)  # one transaction a chunk
    if renderer.new_products and setup.keep_pages:  # what producers made, pointing at those pages' bytes
        writer_for(setup.store).put_products([(key, page_digest(data)) for key, data in renderer.new_products])
    renderer.new_products.clear()
    return results


# The render job of the current build, set in each worker by the pool's initializer: a task is just a range of
# indexes into its pages.
_job: tuple[Setup, Target, list[tuple[Page, str | None, str | None]]] | None = None


def set_render_job(job: tuple[Setup, Target, list[tuple[Page, str | None, str | None]]] | None) -> None:
    """The pool initializer of a render (Pool(initializer=set_render_job, initargs=(job,)))."""
    global _job
    _job = job


def render_range(bounds: tuple[int, int]) -> list[Rendered]:
    assert _job is not None, "start the pool with initializer=set_render_job"
    setup, target, items = _job
    return render_chunk((setup, target, items[bounds[0] : bounds[1]]))


START_METHODS = ("fork", "spawn", "forkserver")
RENEW_ITEMS = 8000  # pages a forked render worker renders before a fresh one replaces it (Pool.renewal)


def start_method() -> str:
    """SITEGEN_START_METHOD when set (fork, spawn or forkserver), else fork on Linux and spawn elsewhere: on macOS
    forking a process that runs threads (the preview does) can crash, which is why Python made spawn its default
    there; Windows has only spawn."""
    available = multiprocessing.get_all_start_methods()
    forced = os.environ.get("SITEGEN_START_METHOD", "").strip().lower()
    if forced:
        if forced not in START_METHODS:
            raise ValueError(f"SITEGEN_START_METHOD={forced!r}: expected one of {', '.join(START_METHODS)}")
        if forced not in available:
            raise ValueError(f"SITEGEN_START_METHOD={forced!r}: this system has only {', '.join(available)}")
        return forced
    return "fork" if sys.platform.startswith("linux") and "fork" in available else "spawn"


class Pool:
    """A lazily started process pool. With fork, workers start in milliseconds, share the loaded code and inherit
    the job; with spawn or forkserver they import sitegen and receive the job pickled, once each."""

    def __init__(self, jobs: int, method: str | None = None):
        self.jobs = max(1, jobs)
        self.method = method or start_method()
        self._pool = None
        self._job: tuple | None = None  # (initializer, job) the running workers were started with
        self._frozen = False

    def wanted(self, tasks: int) -> bool:
        return self.jobs > 1 and tasks >= PARALLEL_MIN

    def ranges(self, count: int) -> list[tuple[int, int]]:
        """`count` tasks cut into index ranges, about eight per worker, 8 to 64 tasks each: few enough to keep
        the workers' results flowing, small enough that no worker is left alone with a long one at the end."""
        size = max(8, min(64, count // (self.jobs * 8) or 1))
        return [(i, min(i + size, count)) for i in range(0, count, size)]

    def renewal(self, tasks: list[tuple[int, int]]) -> int | None:
        """How many of these index-range tasks a forked worker does before a fresh one replaces it, None for never.
        A forked worker shares the parent's memory until it touches it, and touching an object (its reference
        count) copies the memory page it sits on: a worker that renders 100,000 articles' pages ends up with a
        private copy of most of the parent's heap (0.69 GB each, measured). One renewed after RENEW_ITEMS pages
        holds only what those touched; a fork costs milliseconds, so small sites never renew."""
        if self.method != "fork" or not tasks:
            return None
        every = int(os.environ.get("SITEGEN_RENEW_PAGES", "") or RENEW_ITEMS)  # for tests and tuning
        count, size = tasks[-1][1], tasks[0][1] - tasks[0][0]
        return max(1, every // size) if count > every * self.jobs else None

    def imap(self, fn, tasks, chunksize: int = 1, *, initializer=None, job=None, renew: int | None = None):
        """`fn` over `tasks` in the workers; `initializer(job)` runs first in each worker (a new job restarts them);
        a worker is replaced by a fresh one after `renew` tasks when it is given."""
        wanted = None if initializer is None else (initializer, job, renew)
        if self._pool is not None and wanted is not None and (self._job is None or self._job[0] is not initializer
                                                              or self._job[1] is not job or self._job[2] != renew):
            self.close()
        if self._pool is None:
            if self.method == "fork":
                # Freeze what exists now out of the garbage collector's reach: otherwise each worker's first
                # collection walks (and so copies) the parent's whole heap, which costs seconds on a large site.
                gc.freeze()
                self._frozen = True
            context = multiprocessing.get_context(self.method)
            if wanted is None:
                self._pool = context.Pool(self.jobs)
            else:
                self._pool = context.Pool(self.jobs, initializer=initializer, initargs=(job,), maxtasksperchild=renew)
            self._job = wanted
        return self._pool.imap(fn, tasks, chunksize)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
            self._pool.join()
            self._pool = None
            self._job = None
            if self._frozen:
                gc.unfreeze()
                self._frozen = False


def default_jobs() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
