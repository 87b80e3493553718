"""Worker processes: Markdown conversion and page rendering on every core, same bytes as one process.

Each worker keeps one Markdown converter (reset between articles) and one Renderer per site setup, so templates
compile once per process. Tasks and results are plain picklable values; the parent alone writes files.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
from dataclasses import dataclass
from pathlib import Path

from .content import ArticleError, parse_article
from .contexts import context
from .errors import Problem
from .model import Article, Body, Page, Role, Site
from .render import Renderer, TemplateProblem
from .store import Reader

PARALLEL_MIN = 48  # below this many tasks, a pool costs more than it saves


def parse_one(task: tuple[str, str, str]) -> tuple[str, Article | None, Body | None, list[Problem]]:
    rel, text, key = task
    try:
        article, body = parse_article(text, rel, key)
    except ArticleError as exc:
        return rel, None, None, exc.problems
    return rel, article, body, []


@dataclass(frozen=True)
class Setup:
    """Everything a renderer needs besides the pages: small, sent with each chunk of pages."""

    ident: str
    site: Site
    roles: dict[str, Role]
    templates_dir: str
    assets: dict[str, str]
    store: str


_renderers: dict[str, Renderer] = {}


def renderer_for(setup: Setup) -> Renderer:
    renderer = _renderers.get(setup.ident)
    if renderer is None:
        _renderers.clear()
        reader = Reader(Path(setup.store))
        renderer = Renderer(setup.site, setup.roles, setup.templates_dir, "templates", setup.assets, reader.body)
        _renderers[setup.ident] = renderer
    return renderer


RenderResult = tuple[str, bytes | None, str, tuple[str, ...], tuple[str, ...], Problem | None]


def render_one(renderer: Renderer, page: Page) -> RenderResult:
    """(output path, bytes, digest, templates read, roles read, problem)."""
    try:
        data, deps = renderer.render(page, context)
    except TemplateProblem as exc:
        return page.output, None, "", (), (), exc.problem
    templates, roles = deps.frozen()
    return page.output, data, hashlib.blake2b(data, digest_size=16).hexdigest(), templates, roles, None


def render_chunk(task: tuple[Setup, list[Page]]) -> list[RenderResult]:
    setup, pages = task
    renderer = renderer_for(setup)
    return [render_one(renderer, page) for page in pages]


class Pool:
    """A lazily started process pool (fork: workers start in milliseconds and share the loaded code)."""

    def __init__(self, jobs: int):
        self.jobs = max(1, jobs)
        self._pool = None

    def wanted(self, tasks: int) -> bool:
        return self.jobs > 1 and tasks >= PARALLEL_MIN

    def imap(self, fn, tasks, chunksize: int = 1):
        if self._pool is None:
            self._pool = multiprocessing.get_context("fork").Pool(self.jobs)
        return self._pool.imap(fn, tasks, chunksize)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
            self._pool.join()
            self._pool = None


def default_jobs() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
