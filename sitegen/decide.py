"""Decide which pages render: those whose recorded inputs changed. One rule, two ways to apply it.

- `by_signature`: every planned page's signature (deps.Fingerprints: the templates and data keys it read, the articles
  its plan shows, the site) is compared with the one recorded for its file by the last build. Always right; costs
  a digest per page.
- `by_changes`: the preview knows what changed (its watcher says which files). When the change leaves the plan as it
  was, the pages whose recorded inputs include a changed one are the pages to render, and nothing else is looked at:
  an article whose `model.shown` is the same (its body was edited) is swapped into the pages that show it and
  renders the pages that read it in full; a template renders the pages that loaded it; a data file renders the
  pages that read one of the keys whose value changed, once the plan made with the new data is found to be the
  plan there was. Anything else (a new or deleted file, settings, static files, a changed plan) answers None, and
  the build plans again and decides by signature. The preview tests compare the result of random edits of every
  kind with a clean build.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

from . import cardspec
from . import data as datafiles
from .assemble import Assembled, article_problems
from .components import Components, layouts
from .content import ArticleError, decode_source, internal_error, parse_article, read_source
from .deps import Entry, Fingerprints
from .errors import Collector
from .model import Article, Page, data_key, shown
from .pages import plan
from .store import article_key


def by_signature(pages: list[Page], fps: Fingerprints, entries: dict[str, Entry],
                 out: Path) -> tuple[list[Page], dict[str, Entry], dict[str, tuple[Page, Entry]]]:
    """(pages to render, entries of pages whose file stays as it is, pages whose file is gone but whose signature
    is the recorded one, with their entries: their bytes are in the store, if it kept them)."""
    reuse: dict[str, Entry] = {}
    restore: dict[str, tuple[Page, Entry]] = {}
    todo: list[Page] = []
    present = out.is_dir()
    for page in pages:
        entry = entries.get(page.output)
        if entry is None or fps.signature(page, entry.templates, entry.data) != entry.signature:
            todo.append(page)
        elif present and (out / page.output).is_file():
            reuse[page.output] = entry
        else:
            restore[page.output] = (page, entry)
    return todo, reuse, restore


def plan_view(page: Page) -> tuple:
    """What the plan decides about a page, apart from the articles it shows (compared through model.shown)."""
    return (page.url, page.output, page.template, page.kind, page.title, page.description, page.lastmod,
            sorted(page.extra.items()), page.record)


def _classify(session, changed: set[str]) -> tuple[list[str], set[str], list[str]] | None:
    """(articles, templates, data files) among the changed paths, or None for any other kind of change."""
    root = session.paths.root
    articles: list[str] = []
    templates: set[str] = set()
    data: list[str] = []
    for raw in sorted(changed):
        if os.path.islink(raw):
            return None  # the full path checks where a link leads
        try:
            rel = Path(raw).resolve().relative_to(root).as_posix()
        except ValueError:
            continue
        top, _, rest = rel.partition("/")
        name = rel.rsplit("/", 1)[-1]
        if top == "content":
            if not rel.endswith(".md") or name.startswith("."):
                continue  # not a source (an editor's temporary file, say)
            if rel not in session.loader.files or not (root / rel).is_file():
                return None  # created or deleted: the site's structure changes
            articles.append(rel)
        elif top == "templates" and rest == cardspec.CARD_FILE:
            return None  # the card template: checked again, and the cards it plans may come or go
        elif top == "templates":
            templates.add(rest)
        elif top == "data" and rel != datafiles.SITE_FILE and datafiles.name_of(rel) is not None:
            if not (root / rel).is_file() or rel not in session.loader.data_files():
                return None  # created or deleted: other data, other checks
            data.append(rel)
        elif top == "data" and datafiles.name_of(rel) is None:
            continue  # not a data file
        else:
            return None
    return articles, templates, data


def _reparse(session, rels: list[str], problems: Collector) -> list[tuple[Article, Article]] | None:
    """(old, new) for each edited article, or None when another page would show one differently."""
    root = session.paths.root
    wpm = session.state[0].site.words_per_minute
    swaps, stored, files = [], [], {}
    for rel in rels:
        raw, problem = read_source(str(root / rel), rel)
        if raw is None:
            return None  # the full path reports it
        stat = (root / rel).stat()
        key = article_key(rel, raw, session.schemas)
        old = session.loader.files[rel][1]
        if key == old.key:
            continue
        new = session.store.articles.get([key]).get(key)
        if new is None:
            text, problem = decode_source(raw, rel)
            if text is None:
                return None  # the full path reports it with its line
            try:
                new, body = parse_article(text, rel, key, session.schemas)
            except ArticleError as exc:
                problems.extend(exc.problems)
                continue
            except Exception as exc:  # noqa: BLE001 - reported against the file, never a traceback
                problems.add(rel, 1, internal_error(exc))
                continue
            stored.append((new, body))
        if shown(new, wpm) != shown(old, wpm):
            session.store.articles.put_many(stored)
            return None  # other pages show it differently: the plan changes
        problems.extend(article_problems(new, session.rules))
        swaps.append((old, new))
        files[rel] = ((stat.st_mtime_ns, stat.st_size), new)
    problems.raise_if_any()  # the preview keeps its state: the next build starts from the same place
    session.store.articles.put_many(stored)
    session.loader.files.update(files)
    return swaps


def _with_article(page: Page, old: Article, new: Article) -> Page:
    """The page with every reference to `old` pointing at `new`."""
    def swap(a):
        return new if a is old else a

    return replace(page, article=swap(page.article), newer=swap(page.newer), older=swap(page.older),
                   items=tuple(swap(a) for a in page.items), related=tuple(swap(a) for a in page.related))


def _swap_articles(pages: dict[str, Page], swaps: list[tuple[Article, Article]]) -> set[str]:
    """Put the edited articles into the pages that show them; the outputs of those that read one in full."""
    affected: set[str] = set()
    olds = {id(old) for old, _new in swaps}
    news = {id(new) for _old, new in swaps}
    for output, page in pages.items():
        refs = (page.article, page.newer, page.older, *page.items, *page.related)
        if any(id(a) in olds for a in refs if a is not None):
            for old, new in swaps:
                page = _with_article(page, old, new)
            pages[output] = page
            if any(id(a) in news for a in page.refs()[0]):
                affected.add(output)
    return affected


def _new_data(session, assembled: Assembled, pages: dict[str, Page], problems: Collector):
    """(assembled, pages, changed data keys) after a data edit that leaves the plan as it was, or None."""
    old = assembled.data
    new = session.loader.data(session.schemas, session.options.base_url, problems)
    problems.raise_if_any()
    if new is None or new.files.keys() != old.files.keys():
        return None
    changed: set[str] = set()
    for name, found in new.files.items():
        before = old.files[name]
        if found.value == before.value:
            continue
        if type(found.value) is not type(before.value) or (isinstance(found.value, dict)
                                                           and list(found.value) != list(before.value)):
            return None  # other keys: other pages, other checks
        changed.add(data_key(name))
        if isinstance(found.value, dict):
            changed |= {data_key(name, k) for k, v in found.value.items() if before.value.get(k) != v}
    if not changed:
        return assembled, pages, changed
    assembled = replace(assembled, data=new)
    planned = {p.output: p for p in plan(assembled) + session.image_pages}  # images read no data
    if planned.keys() != pages.keys() or any(plan_view(planned[o]) != plan_view(p) for o, p in pages.items()):
        return None  # the plan read something that changed
    # the new plan's pages carry the new values; their articles are the ones already shown
    return assembled, {o: replace(planned[o], article=p.article, newer=p.newer, older=p.older, items=p.items,
                                  related=p.related) for o, p in pages.items()}, changed


def _same_rules(session) -> bool:
    """Whether the components' signatures and the layouts are what the last full build checked articles against."""
    rules = session.rules
    if rules is None:
        return False
    found = Components.find(session.paths.templates)
    return not found.problems and found.ident == rules.components.ident and \
        layouts(session.paths.templates) == rules.layouts


def by_changes(session, changed: set[str]) -> tuple[Assembled, dict[str, Page], list[Page]] | None:
    """(assembled, pages, pages to render) after `changed` (absolute paths a watcher saw), or None when the plan
    may have changed. Raises BuildError for problems in the edited files (the last good state is kept)."""
    if session.state is None:
        return None
    kinds = _classify(session, changed)
    if kinds is None:
        return None
    articles, templates, data = kinds
    if templates and not _same_rules(session):
        return None  # a component's signature or the set of layouts changed: every call and layout is checked again
    assembled, pages = session.state[0], dict(session.state[1])
    problems = Collector()
    changed_keys: set[str] = set()
    if data:
        found = _new_data(session, assembled, pages, problems)
        if found is None:
            return None
        assembled, pages, changed_keys = found
    swaps = _reparse(session, articles, problems)
    if swaps is None:
        return None
    affected = _swap_articles(pages, swaps)
    entries = session.manifest.entries
    if templates:
        affected |= {o for o, e in entries.items() if templates & set(e.templates)}
    if changed_keys:
        affected |= {o for o, e in entries.items() if changed_keys & set(e.data)}
        affected |= {o for o, p in pages.items() if p.record is not None and p.record in changed_keys}
    return assembled, pages, [pages[o] for o in sorted(affected & pages.keys())]
