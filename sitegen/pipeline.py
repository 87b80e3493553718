"""The build, top to bottom: discover, load, assemble, plan, decide, render, write. All pages are gathered first.

`Session.build()` is the one build. The command line runs it once on a fresh Session; the preview keeps a Session
alive and runs it with the files its watcher saw change (decide.by_changes then picks the pages to render when the
plan stays as it was); `check` runs it with an inspection, which analyses the planned pages instead of writing
them (check.SiteCheck). Every caller goes through the same stages, so what the preview shows and what `check`
analyses is what a build writes.
"""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import replace
from pathlib import Path
from typing import Protocol

from . import __version__, cardspec
from . import data as datafiles
from . import decide
from .assemble import Assembled, Rules, assemble
from .components import Components, layouts
from .deps import Fingerprints, Manifest
from .errors import BuildError, Collector
from .images import ImageSet, is_raster
from .loading import Loader
from .model import Page
from .options import Options, today
from .schemas import Schemas
from .pages import output_problems, plan
from .paths import CACHE_DIR, SitePaths, asset_problems, fingerprint
from .progress import Progress, Result
from .publish import render_and_write, restore_missing
from .render import PRODUCERS
from .sources import SOURCE_FOLDERS, discover, walk
from .store import Cache
from .workers import Pool, default_jobs
from .write import MARKER, Staging, check_output_path, output_lock, overlaps, recover


class Inspection(Protocol):
    """What `check` hands the build instead of a writer: it sees the planned pages and writes nothing."""

    def run(self, session: "Session", assembled: Assembled, pages: list[Page], assets: dict[str, str],
            pool: Pool) -> None: ...


def _produced(pages) -> int:
    """How many of `pages` a producer makes (image variants, social cards): static files, not pages."""
    return sum(page.kind in PRODUCERS for page in pages)


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
        check_output_path(self.paths.root, self.paths.out)
        self.store = Cache(self.paths.cache / "store.sqlite" if cache else None)
        # one-shot builds keep slim articles (content.slim): memory for 100,000 of them; the preview and `check`
        # keep them complete, for the fast path and the source checks
        self.loader = Loader(self.paths.root, self.store, slim=slim and not in_place)
        manifest_name = hashlib.blake2b(str(self.paths.out).encode(), digest_size=8).hexdigest()
        keep_manifest = cache and not in_place  # the preview's folder is temporary: its record lives in memory
        self.manifest = Manifest.load(self.paths.cache / "manifests" / f"{manifest_name}.json" if keep_manifest else None)
        # the previous output, kept after the swap as the next staging folder's folders (write.Staging)
        spare = self.paths.cache / "previous-output" / manifest_name
        self.spare = spare if keep_manifest and not overlaps(spare, self.paths.out) else None
        self.site_base_path = "/"
        self.state: tuple[Assembled, dict[str, Page]] | None = None  # the last good build, for the preview's fast path
        self.asset_names: dict[str, str] = {}
        self.schemas: Schemas | None = None  # what the last load read the front matter and data with
        self.rules: Rules | None = None
        self.search_stats: dict | None = None  # the last build's search index: seconds, files, bytes (search.py)
        self.images: ImageSet | None = None  # static/images/ (images.py): scanned in load, with variants once planned
        self.image_pages: list[Page] = []  # the planned image variants (pages of kind "image")
        self.image_seconds = 0.0  # the last build's time until they were made or written (publish.render)

    @property
    def files(self):
        """content/x.md -> ((mtime_ns, size), Article) of the last load."""
        return self.loader.files

    def close(self) -> None:
        self.store.close()

    # -- the build ------------------------------------------------------------------------------------------------
    def build(self, changed: set[str] | None = None, inspect: Inspection | None = None) -> Result:
        """Build. `changed` (absolute paths from a watcher) lets the build skip what it did not touch; `inspect`
        analyses the planned pages instead of writing them (no output folder is touched)."""
        started = time.perf_counter()
        if inspect is not None:
            return self._build(started, None, inspect)
        with output_lock(self.paths.out):
            if not self.in_place:
                recover(self.paths.out)  # a build killed earlier may have left output/ set aside: put it back first
            try:
                return self._build(started, changed, None)
            except BaseException:
                self.state = None  # what is on disk may now differ from the plan: next time, check everything
                raise

    def _build(self, started: float, changed: set[str] | None, inspect: Inspection | None) -> Result:
        result = Result(0, 0, 0.0, self.paths.out)
        self.search_stats = None
        self.image_seconds = 0.0
        progress = Progress(started, self.progress)
        pool = Pool(self.jobs)
        staging: Staging | None = None
        try:
            # 1. discover: the files the watcher saw change (the preview), else every source's name, size and time
            fast = decide.by_changes(self, changed) if changed is not None and inspect is None else None
            if fast is not None:
                return self._write_changes(fast, pool, progress, result, started)
            stamp = self.sources_stamp()  # also refuses links out of the site, before anything is read
            if inspect is None and self._unchanged(stamp, result, started):
                return result
            if inspect is None and not self.in_place:  # the staging folder's folders are made while we load
                staging = Staging(self.paths.out, self.spare)
                staging.prepare(self.manifest.entries)
            # 2-3. load and validate every source, assemble: every problem is reported before anything is written
            assembled = self.load(pool, result, progress)
            self.site_base_path = assembled.site.base_path
            result.lap("load")
            # 4. plan every page
            assets = fingerprint(self.paths, self.options.fingerprint, skip=is_raster)  # images: their variants
            self.asset_names = {k: v[0] for k, v in assets.items()}
            pages = self.plan(assembled)
            BuildError.raise_if(output_problems(pages, self.asset_names, assembled.data) + asset_problems(assets))
            if inspect is not None:  # check: the pages are analysed, not written
                inspect.run(self, assembled, pages, self.asset_names, pool)
                return result
            # 5. decide which must render: those whose recorded inputs changed
            fps = self.fingerprints(assembled)
            todo, reuse, gone = decide.by_signature(pages, fps, self.manifest.entries, self.paths.out)
            todo += restore_missing(self, gone)  # what the store no longer has renders after all
            result.lap("plan")
            # 6-7. render what changed, write the stored bytes of the rest; write only files whose bytes changed
            entries, written, removed = render_and_write(self, assembled, todo, fps, pool=pool, progress=progress,
                                                         reuse=reuse, assets=assets, restore=gone, writer=staging)
            staging = None  # committed, or discarded by render_and_write
            result.lap("render")
            if self.image_seconds:  # the image variants' part of the render (publish.render) as their own stage
                result.stages["render"] -= self.image_seconds
                result.stages["images"] = self.image_seconds
            if self.search_stats:  # search hook: the indexing time as its own stage (sitegen/search.py)
                result.stages["render"] -= self.search_stats["seconds"]
                result.stages["search"] = self.search_stats["seconds"]
        finally:
            if staging is not None:  # the build stopped before writing: nothing of it stays
                staging.discard()
            pool.close()
            progress.done()
        produced = _produced(pages)
        result.pages = len(pages) - produced
        result.static_files = len(assets) + produced
        self._remember(assembled, pages, entries, stamp, (result.pages, result.static_files))
        result.made = _produced(todo)
        result.rendered, result.written, result.removed = len(todo) - result.made, tuple(written), tuple(removed)
        result.seconds = time.perf_counter() - started
        return result

    def plan(self, assembled: Assembled) -> list[Page]:
        """Stage 4: every page, the image variants last (images.ImageSet.plan). Raises BuildError for an image no
        article names that cannot be published (one an article names was reported at its line in stage 3)."""
        assert self.images is not None, "load() scans the images"
        problems = self.images.unpublishable()
        self.images, self.image_pages = self.images.plan(assembled.site.settings)
        BuildError.raise_if(problems)
        return plan(assembled) + self.image_pages

    def fingerprints(self, assembled: Assembled) -> Fingerprints:
        names = self.images.names() if self.images is not None else ()
        return Fingerprints(assembled.site, assembled.data, self.paths.templates, self.asset_names, names)

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
        return "" if self.in_place else h.hexdigest()

    def _unchanged(self, stamp: str, result: Result, started: float) -> bool:
        """Nothing changed since the output was written: leave it exactly as it is."""
        if not (stamp and stamp == self.manifest.stamp and (self.paths.out / MARKER).is_file()):
            return False
        result.pages, result.static_files = self.manifest.counts
        result.cache_hits = len(discover(self.paths.content, ".md"))
        result.stages["check"] = result.seconds = time.perf_counter() - started
        return True

    def load(self, pool: Pool, result: Result, progress: Progress) -> Assembled:
        """Stages 2 and 3: schemas, data files, components and articles, then assemble() across them. Stage 1
        (sources_stamp) has refused every link that leads out of the site, so nothing here is read through one."""
        problems = Collector()
        schemas = Schemas.load(self.paths.root, self.store.valid)
        problems.extend(schemas.problems)
        dataset = self.loader.data(schemas, self.options.base_url, problems)
        components = Components.find(self.paths.templates)
        problems.extend(components.problems)
        card_spec, found_cards = cardspec.load_spec(self.paths.root)  # the social cards' template, checked
        problems.extend(found_cards)
        self.images = ImageSet.scan(self.paths.static, self.store.images)  # read once; headers memoised
        rules = Rules(schemas, dataset, components, layouts(self.paths.templates), self.images) \
            if dataset is not None else None
        counts: dict[str, int] = {}
        articles, checked = self.loader.articles(schemas, rules, pool, progress, problems, counts)
        result.cache_hits, result.converted = counts["cache_hits"], counts["converted"]
        if dataset is None or rules is None:
            problems.raise_if_any()
        assert dataset is not None and rules is not None
        site = datafiles.site_settings(dataset.files["site"].value)
        # cross-references are checked even when some articles failed, so one run reports everything
        assembled, found = assemble(site, dataset, rules, articles, self.options, checked, self.store.related)
        problems.extend(found)
        problems.raise_if_any()
        assert assembled is not None
        assembled = replace(assembled, cards=card_spec is not None)
        self.schemas, self.rules = schemas, rules
        return assembled

    def _write_changes(self, fast, pool: Pool, progress: Progress, result: Result, started: float) -> Result:
        """Stages 6-7 for decide.by_changes(): the pages that read what changed, written in place."""
        assembled, pages, todo = fast
        fps = self.fingerprints(assembled)
        entries, written, _removed = render_and_write(self, assembled, todo, fps, pool=pool, progress=progress,
                                                      prune=False)
        self.state = (assembled, pages)
        self.manifest.entries.update(entries)
        result.made = _produced(todo)
        result.pages = len(pages) - _produced(pages.values())  # pages: output -> Page
        result.rendered, result.written = len(todo) - result.made, tuple(written)
        result.seconds = result.stages["quick"] = time.perf_counter() - started
        return result

    def _remember(self, assembled: Assembled, pages: list[Page], entries, stamp: str,
                  counts: tuple[int, int]) -> None:
        """What the next build starts from: the record of every page's reads, the state the preview's fast path
        needs, and the store without what the site no longer has."""
        self.state = (assembled, {p.output: p for p in pages}) if self.in_place else None
        self.manifest.entries = entries
        self.manifest.stamp = stamp
        self.manifest.counts = counts  # what an unchanged build reports
        self.manifest.save()
        if not self.in_place:
            self.store.prune({a.key for _, a in self.loader.files.values()})
            self.store.pages.prune({entry.digest for entry in entries.values()})


def build(root: Path, out: Path | None = None, options: Options | None = None, *, jobs: int | None = None,
          cache: bool = True, progress: bool = True) -> Result:
    """Build the site at `root` into `out` (default root/output), atomically."""
    session = Session(root, out, options, jobs=jobs, cache=cache, progress=progress, slim=True)
    try:
        return session.build()
    finally:
        session.close()


__all__ = ["BuildError", "CACHE_DIR", "Inspection", "Options", "Result", "Session", "build", "today"]
