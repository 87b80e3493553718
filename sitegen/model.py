"""Typed values passed between stages. Frozen: no stage mutates what an earlier stage produced."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Site:
    """The engine's reading of `data/site.yaml`; templates read any other setting as `site.<name>` (settings)."""

    title: str
    description: str
    base_url: str  # absolute, ends with "/"
    base_path: str  # the path part of base_url, "/" or "/insights/"
    language: str
    author: str | None
    faq_schema: bool
    page_size: int
    words_per_minute: int
    settings: dict = field(repr=False)  # the whole file, with --base-url applied

    def __getitem__(self, name: str) -> Any:  # Jinja's `site.cta` when Site has no attribute of that name
        return self.settings[name]

    def get(self, name: str, default: Any = None) -> Any:
        return self.settings.get(name, default)


@dataclass(frozen=True, slots=True)
class Component:
    """A `{{ name(args) }}` call written in Markdown, found at `line` of the article."""

    token: str
    name: str
    args: tuple[Any, ...]
    kwargs: tuple[tuple[str, Any], ...]
    source: str  # the literal text, shown again if the call sits in code (emptied after conversion)
    line: int
    block: bool = False  # stands alone as a paragraph (where block components must be)


@dataclass(frozen=True, slots=True)
class Heading:
    level: int
    id: str
    text: str


@dataclass(frozen=True, slots=True)
class Converted:
    """What Markdown conversion yields for one article besides its HTML: cacheable, independent of data and
    templates. The HTML itself (`Body`) lives in the build's store, not in memory, so 100,000 articles fit."""

    components: tuple[Component, ...]
    headings: tuple[Heading, ...]
    words: int


@dataclass(frozen=True, slots=True)
class Body:
    html: str  # with component tokens still in place
    fields: dict[str, str]  # the HTML of each Markdown field of the front matter (schemas: x-markdown)


@dataclass(frozen=True, slots=True)
class Article:
    """An article (`content/*.md`, section 'blog') or a page (`content/pages/**.md`, section 'pages')."""

    path: str  # relative to the site root, e.g. content/x.md
    section: str  # 'blog' or 'pages'
    url: str  # site-relative: 'blog/x/', 'about-us/'
    slug: str
    title: str
    description: str
    date: dt.date | None  # None only for a page without one
    updated: dt.date | None
    category: str  # '' for a page
    tags: tuple[str, ...]
    draft: bool
    faq_schema: bool | None
    related: tuple[str, ...]
    aliases: tuple[str, ...]
    author: str | None
    layout: str | None
    fields: dict  # the front matter's other fields (the site's schema allows them): `page.<field>` in templates
    refs: tuple[str, ...]  # data keys its x-data-ref fields name (deps.data_key(name, key)), in order
    converted: Converted
    key: str  # digest of the source bytes (with the converter's fingerprint): the store's key for its Body
    lines: dict = field(compare=False, repr=False)  # front-matter field -> line (for cross-reference errors)
    # False for the slim copy a one-shot build keeps (content.slim): no components or headings, and only the lines
    # of cross-references; the article's own page loads the complete record from the store
    complete: bool = True

    def line_of(self, key: str) -> int:
        return self.lines.get((key,), 1)

    def __getitem__(self, name: str) -> Any:
        """A front-matter field of the site's own (Jinja's `page.roles`, `article.cta` when there is no such
        attribute). Markdown fields are the article's own page's (`page.<field>` in components), not here."""
        return self.fields[name]

    def get(self, name: str, default: Any = None) -> Any:
        return self.fields.get(name, default)

    def calls(self, name: str) -> bool:
        """Whether the body calls the component `name` (complete articles only)."""
        return any(c.name == name for c in self.converted.components)


def shown(article: Article, words_per_minute: int) -> tuple:
    """What any page but the article's own shows of it, or reads to place it: lists and cards, related reading,
    neighbours, taxonomies, role pages, redirects, the sitemap. The one definition that page signatures (deps), the
    preview's fast path (decide.by_changes) and the related-reading memo (assemble) all use, so they cannot drift apart.
    Cards show reading minutes, not words: an edit that keeps the minutes leaves every other page as it was."""
    return (article.path, article.section, article.url, article.slug, article.title, article.description,
            article.date, article.updated, article.category, article.tags, article.refs, article.draft,
            article.related, article.aliases, article.author, article.layout, sorted(article.fields.items()),
            max(1, round(article.converted.words / words_per_minute)))


@dataclass(frozen=True, slots=True)
class Page:
    """One file to write. `url` is relative to the site root ('' for the home page, 'blog/x/' for an article)."""

    url: str
    output: str  # file path relative to the output directory
    template: str
    kind: str
    title: str
    description: str
    article: Article | None = None
    record: str | None = None  # the data key of a collection's record (deps.data_key), for its page
    items: tuple[Article, ...] = ()  # the articles a list, a record's page or the feed shows
    related: tuple[Article, ...] = ()  # an article's related reading
    newer: Article | None = None
    older: Article | None = None
    lastmod: dt.date | None = None  # for sitemap.xml; None keeps the page out of the sitemap
    extra: dict = field(default_factory=dict, compare=False)

    def __getitem__(self, name: str) -> Any:  # Jinja's `page.roles`: the article's front matter
        if self.article is None:
            raise KeyError(name)
        return self.article[name]

    def get(self, name: str, default: Any = None) -> Any:
        return self.article.get(name, default) if self.article is not None else default

    def calls(self, name: str) -> bool:
        return self.article is not None and self.article.calls(name)

    def refs(self) -> tuple[tuple[Article, ...], tuple[Article, ...]]:
        """The articles this page reads: (in full, by summary). With the templates and data the render records,
        this is everything a page depends on (see deps.py)."""
        if self.kind == "feed":
            return self.items, ()
        own = (self.article,) if self.article is not None else ()
        if self.kind == "page":
            return own, ()
        if self.kind == "article":
            neighbours = tuple(a for a in (self.newer, self.older) if a is not None)
            return own, self.related + neighbours
        return (), own + self.items


def data_key(name: str, key: str = "") -> str:
    """How a read of data is recorded: 'roles/ai-engineer' for one record of `data.roles`, 'roles/' for the whole
    of it (iterated, counted, or a value that is not a mapping). Names have no '/', so the first one splits."""
    return f"{name}/{key}"
