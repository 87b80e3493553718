"""The build's last two stages: render the pages that must render (in workers), and write the output through its
writer: a staging folder swapped in whole (write.Staging) or, in the preview, each changed file renamed into place
(write.InPlace). Pages that stay are kept as they are, static files are copied."""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

from .assemble import Assembled
from .images import KIND as IMAGE
from .deps import Entry, Fingerprints
from .errors import BuildError, Problem
from .model import Page
from .progress import Progress
from .search_output import OutputIndex
from .workers import Pool, Setup, render_chunk, render_range, set_render_job
from .write import Target
from .write import InPlace, Staging

HEAVY_KINDS = frozenset({"sitemap", "feed", "records", "record"})  # each costs 5-30 ms to render at 4,000 articles


def restore_missing(session, restore: dict[str, tuple[Page, Entry]]) -> list[Page]:
    """The pages of `restore` whose bytes the store does not have: they are taken out of it and render after all."""
    if not restore:
        return []
    stored = session.store.pages.known(sorted({entry.digest for _page, entry in restore.values()}))
    missing = [page for page, entry in restore.values() if entry.digest not in stored]
    for page in missing:
        del restore[page.output]
    return missing


def render_and_write(session, assembled: Assembled, todo: list[Page], fps: Fingerprints, *, pool: Pool,
                     progress: Progress, reuse: dict[str, Entry] | None = None,
                     assets: dict[str, tuple[str, Path]] | None = None,
                     restore: dict[str, tuple[Page, Entry]] | None = None,
                     prune: bool = True, writer=None) -> tuple[dict[str, Entry], list[str], list[str]]:
    """Render `todo` and write the stored bytes of the pages of `restore` (both in workers), keep `reuse` as it is,
    copy `assets`; swap the result in (or, in the preview, rename each changed file into place). `writer`: one the
    caller made (pipeline: a staging folder whose folders were made while the build loaded). Returns the new
    entries, the files whose bytes changed and those removed."""
    if writer is None:
        writer = InPlace(session.paths.out) if session.in_place else Staging(session.paths.out, session.spare)
    writer.ready()  # a staging folder that was the previous output: emptied before anything is written
    index = OutputIndex(session, assembled.site, writer) if assets is not None else None
    try:
        entries, written = render(session, assembled, todo, fps, pool, writer, progress, restore or {})
        pool.close()  # nothing after this needs the workers: their memory goes back before Pagefind runs
        entries.update(reuse or {})
        if index is not None:  # search hook: Pagefind runs while the unchanged files are linked (search_output.py)
            index.start(entries, set(reuse or ()), assets)
        for output in reuse or ():
            writer.keep(output)
        if assets is not None:
            for output_rel, source in assets.values():
                if writer.copy(output_rel, source):
                    written.append(output_rel)
            writer.write(".nojekyll", b"")  # GitHub Pages: serve the files as they are, no Jekyll
        _index_written, index_files = index.finish() if index is not None else ([], set())
        keep = set(entries) | {o for o, _ in (assets or {}).values()} | {".nojekyll"} | index_files if prune else None
        removed = writer.commit(keep=keep)
    except BaseException:
        if index is not None:
            index.close()
        writer.discard()
        raise
    return entries, written, removed


def setup_for(session, assembled: Assembled, fps: Fingerprints) -> Setup:
    """What a worker's renderer needs. Its ident is equal while site, data, assets and templates are: a worker
    then keeps its compiled templates."""
    stamps = []
    for root, dirs, files in os.walk(session.paths.templates):
        dirs.sort()
        for name in sorted(files):
            st = os.stat(os.path.join(root, name))
            stamps.append((root, name, st.st_mtime_ns, st.st_size))
    ident = hashlib.blake2b(repr((fps.base, fps.data_ident, stamps, str(session.store.path))).encode(),
                            digest_size=16).hexdigest()
    return Setup(ident=ident, site=assembled.site, data=assembled.data, templates_dir=str(session.paths.templates),
                 assets=session.asset_names, store=str(session.store.path),
                 keep_pages=not session.store.temporary and not session.in_place,
                 images=session.images.pictures if session.images is not None else None,
                 compiled=None if session.store.temporary else str(session.paths.cache / "templates"))


def render(session, assembled: Assembled, todo: list[Page], fps: Fingerprints, pool: Pool, writer,
           progress: Progress, restore: dict[str, tuple[Page, Entry]]) -> tuple[dict[str, Entry], list[str]]:
    """Render in workers (or here, for a few pages); the workers write the files themselves. A page of `restore`
    is not rendered: its stored bytes are written (its signature is the recorded one, so they are its bytes)."""
    started = time.perf_counter()
    if not todo and not restore:
        return {}, []
    setup = setup_for(session, assembled, fps)
    target = Target(str(session.paths.out), writer.stage_dir)
    old = session.manifest.entries
    # image variants first (made or stored), then the few expensive pages (sitemap, feed, collections), so no
    # worker is left with one at the end; the time until the last variant is done is the build's "images" stage
    def rank(page: Page) -> int:
        return 0 if page.kind == IMAGE else 3 if page.output in restore else 1 if page.kind in HEAVY_KINDS else 2

    ordered = sorted(todo + [page for page, _ in restore.values()], key=rank)
    images = sum(page.kind == IMAGE for page in ordered)
    items = [(page, old[page.output].digest if page.output in old else None,
              restore[page.output][1].digest if page.output in restore else None) for page in ordered]
    by_output = {p.output: p for p in ordered}
    if pool.wanted(len(items)):
        # fresh workers get this job's pages through the initializer (with fork: inherited, not pickled)
        tasks = pool.ranges(len(items))
        outcomes = (r for chunk in pool.imap(render_range, tasks, initializer=set_render_job,
                                             job=(setup, target, items), renew=pool.renewal(tasks)) for r in chunk)
    else:  # here, the variants first as a chunk of their own, so the images stage ends when they do
        outcomes = (r for part in (items[:images], items[images:]) if part for r in render_chunk((setup, target, part)))
    problems: list[Problem] = []
    entries: dict[str, Entry] = {}
    written: list[str] = []
    for done, r in enumerate(outcomes, 1):
        progress.update(done, len(items), "rendering")
        if done == images:
            session.image_seconds = time.perf_counter() - started
        if r.temp is not None:
            writer.adopt(r.temp, r.output)
        if r.problem is not None:
            problems.append(r.problem)
            continue
        if r.output in restore:
            entries[r.output] = restore[r.output][1]
        else:
            entries[r.output] = Entry(fps.signature(by_output[r.output], r.templates, r.data), r.digest, r.templates,
                                      r.data)
        if r.changed:
            written.append(r.output)
    if problems:
        raise BuildError(problems)
    return entries, written
