"""The preview's fast path: after an edit that leaves the site's structure as it was, render only what read it.

Three kinds of edit qualify: an article whose list-visible fields are unchanged (its body, usually), a template,
and role facts (the same role ids). Everything else (a new, deleted or renamed article, a changed title or date,
site settings, static files) takes the full incremental path in pipeline.Session, which re-plans the site and
compares every page's signature. Both end in the same renderer and writer, and the preview tests compare the
result with a clean full build after random edits of every kind.
"""

from __future__ import annotations

import os
import time
from dataclasses import replace
from pathlib import Path

from . import data as datafiles
from .assemble import article_problems
from .content import ArticleError, decode_source, internal_error, parse_article, read_source
from .deps import ALL, Fingerprints
from .errors import BuildError, Collector, Problem
from .model import Article, Page, shown
from .store import article_key
from .workers import Pool


def _with_article(page: Page, old: Article, new: Article) -> Page:
    """The page with every reference to `old` pointing at `new`."""
    def swap(a):
        return new if a is old else a

    return replace(page, article=swap(page.article), newer=swap(page.newer), older=swap(page.older),
                   items=tuple(swap(a) for a in page.items), related=tuple(swap(a) for a in page.related))


def quick_build(session, changed: set[str], result, started: float):
    """Rebuild after `changed` (absolute paths) in the preview, or None when the full path is needed."""
    if session.state is None:
        return None
    assembled, pages = session.state
    root = session.paths.root
    rels = set()
    for raw in changed:
        if os.path.islink(raw):
            return None  # the full path checks where a link leads
        try:
            rels.add(Path(raw).resolve().relative_to(root).as_posix())
        except ValueError:
            continue
    articles: list[str] = []
    templates: set[str] = set()
    roles_changed = False
    for rel in sorted(rels):
        top, _, rest = rel.partition("/")
        name = rel.rsplit("/", 1)[-1]
        if top == "content":
            if not rel.endswith(".md") or name.startswith("."):
                continue  # not a source (an editor's temporary file, say)
            if rel not in session.files or not (root / rel).is_file():
                return None  # created or deleted: the site's structure changes
            articles.append(rel)
        elif top == "templates":
            templates.add(rest)
        elif rel == "data/roles.yaml":
            roles_changed = True
        else:
            return None

    problems = Collector()
    roles = assembled.roles
    changed_roles: set[str] = set()
    if roles_changed:
        new_roles = session.data_file("data/roles.yaml", datafiles.parse_roles, problems)
        problems.raise_if_any()
        if new_roles is None or set(new_roles) != set(roles):
            return None
        changed_roles = {rid for rid in roles if new_roles[rid] != roles[rid]}
        if any((new_roles[r].title, new_roles[r].as_of) != (roles[r].title, roles[r].as_of) for r in changed_roles):
            return None  # a role's title and date are in the plan (its page's title, order, lastmod, the sitemap)
        roles = new_roles

    wpm = assembled.site.words_per_minute
    swaps: list[tuple[Article, Article]] = []
    stored = []
    new_files = {}
    for rel in articles:
        raw, problem = read_source(str(root / rel), rel)
        if raw is None:
            return None  # the full path reports it
        stamp = (root / rel).stat()
        key = article_key(rel, raw)
        old = session.files[rel][1]
        if key == old.key:
            continue
        cached = session.store.articles.get([key]).get(key)
        if cached is None:
            text, problem = decode_source(raw, rel)
            if text is None:
                return None  # the full path reports it with its line
            try:
                cached, body = parse_article(text, rel, key)
            except ArticleError as exc:
                problems.extend(exc.problems)
                continue
            except Exception as exc:  # noqa: BLE001 - reported against the file, never a traceback
                problems.add(rel, 1, internal_error(exc))
                continue
            stored.append((cached, body))
        if shown(cached, wpm) != shown(old, wpm):  # other pages show it differently: the full path re-plans
            session.store.articles.put_many(stored)
            return None
        problems.extend(article_problems(cached, roles))  # its roles are the old ones, checked already
        swaps.append((old, cached))
        new_files[rel] = ((stamp.st_mtime_ns, stamp.st_size), cached)
    problems.raise_if_any()  # the preview keeps its state: the next build starts from the same place
    session.store.articles.put_many(stored)
    session.files.update(new_files)

    entries = session.manifest.entries
    affected: set[str] = set()
    if swaps:
        olds = {id(old): new for old, new in swaps}
        for output, page in pages.items():
            refs = (page.article, page.newer, page.older, *page.items, *page.related)
            if any(id(a) in olds for a in refs if a is not None):
                for old, new in swaps:
                    page = _with_article(page, old, new)
                pages[output] = page
                full, _summary = page.refs()
                if any(a is new for a in full for _old, new in swaps):
                    affected.add(output)
    if templates:
        affected |= {o for o, e in entries.items() if templates & set(e.templates)}
    if changed_roles:
        affected |= {o for o, e in entries.items() if ALL in e.roles or changed_roles & set(e.roles)}
        for output, page in pages.items():  # a role page holds its Role itself (not looked up, so not recorded)
            if page.role is not None and page.role.id in changed_roles:
                new_role = roles[page.role.id]
                pages[output] = replace(page, role=new_role, description=new_role.summary)
                affected.add(output)
    affected &= set(pages)

    assembled = replace(assembled, roles=roles)
    session.state = (assembled, pages)
    todo = [pages[o] for o in sorted(affected)]
    fps = Fingerprints(assembled.site, roles, session.paths.templates, session.asset_names)
    pool = Pool(session.jobs)
    try:
        new_entries, written, _removed = session.render_and_write(assembled, todo, fps, pool=pool, prune=False)
    finally:
        pool.close()
    entries.update(new_entries)
    result.pages, result.rendered, result.written = len(pages), len(todo), tuple(written)
    result.seconds = time.perf_counter() - started
    result.stages["quick"] = result.seconds
    return result


__all__ = ["quick_build", "BuildError", "Problem"]
