"""The build, top to bottom: discover, load, assemble, plan, render, write. All pages are gathered first."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import time
from dataclasses import dataclass
from pathlib import Path

from . import data as datafiles
from .assemble import Assembled, Options, assemble
from .content import ArticleError, parse_article
from .errors import BuildError, Collector
from .contexts import context
from .pages import plan
from .render import Renderer, TemplateProblem
from .write import Staging, check_output_path, output_lock, recover


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

    def rel(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()


@dataclass(frozen=True)
class Result:
    pages: int
    static_files: int
    seconds: float
    out: Path


def today() -> dt.date:
    """The build's notion of today: SOURCE_DATE_EPOCH when set (reproducible builds), else the clock."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc).date()
    return dt.date.today()


def read_text(path: Path, rel: str, problems: Collector) -> str | None:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        problems.add(rel, 1, "file is missing")
        return None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        problems.add(rel, line, f"file is not UTF-8 text (byte 0x{raw[exc.start]:02x} cannot be decoded); save it as UTF-8")
        return None


def discover(directory: Path, suffix: str | None = None) -> list[Path]:
    """Source files under a directory, sorted, hidden files and folders skipped."""
    if not directory.is_dir():
        return []
    found = []
    for root, dirs, files in os.walk(directory):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        found.extend(Path(root) / f for f in files if not f.startswith(".") and (suffix is None or f.endswith(suffix)))
    return sorted(found)


def load(paths: SitePaths, options: Options) -> Assembled:
    """Read and validate every source; raises BuildError with all problems at once."""
    problems = Collector()
    site_text = read_text(paths.data / "site.yaml", "data/site.yaml", problems)
    roles_text = read_text(paths.data / "roles.yaml", "data/roles.yaml", problems)
    site = roles = None
    if site_text is not None:
        site, found = datafiles.parse_site(site_text, base_url=options.base_url)
        problems.extend(found)
    if roles_text is not None:
        roles, found = datafiles.parse_roles(roles_text)
        problems.extend(found)
    articles = []
    for path in discover(paths.content, ".md"):
        rel = paths.rel(path)
        text = read_text(path, rel, problems)
        if text is None:
            continue
        try:
            articles.append(parse_article(text, rel))
        except ArticleError as exc:
            problems.extend(exc.problems)
    if site is None or roles is None:
        problems.raise_if_any()
    # cross-references are checked even when some articles failed, so one run reports everything
    assembled, found = assemble(site, roles, articles, options)
    problems.extend(found)
    problems.raise_if_any()
    assert assembled is not None
    return assembled


def fingerprint(paths: SitePaths) -> dict[str, tuple[str, Path]]:
    """static/css/site.css -> ('static/css/site.1a2b3c4d5e.css', source path): names change when content does."""
    assets = {}
    for path in discover(paths.static):
        rel = path.relative_to(paths.static).as_posix()
        digest = hashlib.sha256(path.read_bytes()).hexdigest()[:10]
        stem, dot, suffix = rel.rpartition(".")
        name = f"{stem}.{digest}.{suffix}" if dot and "/" not in suffix else f"{rel}.{digest}"
        assets[rel] = (f"static/{name}", path)
    return assets


def build(root: Path, out: Path | None = None, options: Options | None = None) -> Result:
    started = time.perf_counter()
    paths = SitePaths(root.resolve(), (out or root / "output").resolve())
    options = options or Options(today=today())
    check_output_path(paths.root, paths.out)
    with output_lock(paths.out):
        recover(paths.out)  # a build killed earlier may have left output/ set aside: put it back first
        return _build(paths, options, started)


def _build(paths: SitePaths, options: Options, started: float) -> Result:
    # 1-3. discover, load and validate, assemble: every problem is reported before anything is written
    assembled = load(paths, options)
    assets = fingerprint(paths)

    # 4. plan every page
    pages = plan(assembled)

    # 5-6. render into a staging directory; swap it in only when every page rendered
    renderer = Renderer(assembled, str(paths.templates), "templates", {k: v[0] for k, v in assets.items()})
    staging = Staging(paths.out)
    problems = Collector()
    try:
        for page in pages:
            try:
                staging.write(page.output, renderer.render(page, lambda p: context(assembled, renderer, p)))
            except TemplateProblem as exc:
                problems.extend([exc.problem])
        problems.raise_if_any()
        for output_rel, source in assets.values():
            staging.copy(output_rel, source)
        staging.write(".nojekyll", b"")  # GitHub Pages: serve the files as they are, no Jekyll
        staging.commit()
    except BaseException:
        staging.discard()
        raise
    return Result(len(pages), len(assets), time.perf_counter() - started, paths.out)


__all__ = ["BuildError", "Options", "Result", "build", "load"]
