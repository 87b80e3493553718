"""Typed values passed between stages. Frozen: no stage mutates what an earlier stage produced."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Item:
    name: str
    detail: str


@dataclass(frozen=True, slots=True)
class Role:
    id: str
    title: str
    summary: str
    median_base: int
    currency: str
    job_postings: int
    as_of: dt.date
    source: str
    responsibilities: tuple[Item, ...]
    skills: tuple[Item, ...]
    frameworks: tuple[str, ...]
    tools: tuple[str, ...]
    line: int  # where the role starts in data/roles.yaml
    url: str = ""


@dataclass(frozen=True, slots=True)
class NavLink:
    title: str
    url: str


@dataclass(frozen=True, slots=True)
class CallToAction:
    heading: str
    text: str
    link_text: str
    link_url: str


@dataclass(frozen=True, slots=True)
class Site:
    title: str
    description: str
    base_url: str  # absolute, ends with "/"
    base_path: str  # the path part of base_url, "/" or "/insights/"
    language: str
    organisation_name: str
    organisation_url: str
    organisation_logo: str | None
    author: str | None
    navigation: tuple[NavLink, ...]
    cta: CallToAction
    faq_schema: bool
    page_size: int
    words_per_minute: int


@dataclass(frozen=True, slots=True)
class Component:
    """A `{{ name(args) }}` call written in Markdown, found at `line` of the article."""

    token: str
    name: str
    args: tuple[Any, ...]
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
    quick_answer_html: str


@dataclass(frozen=True, slots=True)
class Article:
    path: str  # relative to the site root, e.g. content/x.md
    slug: str
    title: str
    description: str
    date: dt.date
    updated: dt.date | None
    category: str
    tags: tuple[str, ...]
    roles: tuple[str, ...]
    draft: bool
    faq_schema: bool | None
    cta: bool
    related: tuple[str, ...]
    aliases: tuple[str, ...]
    author: str | None
    converted: Converted
    key: str  # digest of the source bytes (with the converter's fingerprint): the store's key for its Body
    lines: dict = field(compare=False, repr=False)  # front-matter field -> line (for cross-reference errors)
    # False for the slim copy a one-shot build keeps (content.slim): no components or headings, and only the lines
    # of cross-references; the article's own page loads the complete record from the store
    complete: bool = True

    def line_of(self, key: str) -> int:
        return self.lines.get((key,), 1)


def shown(article: Article, words_per_minute: int) -> tuple:
    """What any page but the article's own shows of it, or reads to place it: lists and cards, related reading,
    neighbours, taxonomies, role pages, redirects, the sitemap. The one definition that page signatures (deps), the
    preview's fast path (decide.by_changes) and the related-reading memo (assemble) all use, so they cannot drift apart.
    Cards show reading minutes, not words: an edit that keeps the minutes leaves every other page as it was."""
    return (article.path, article.slug, article.title, article.description, article.date, article.updated,
            article.category, article.tags, article.roles, article.draft, article.related, article.aliases,
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
    role: Role | None = None
    items: tuple[Article, ...] = ()  # the articles a list, role page or feed shows
    related: tuple[Article, ...] = ()  # an article's related reading
    newer: Article | None = None
    older: Article | None = None
    lastmod: dt.date | None = None  # for sitemap.xml; None keeps the page out of the sitemap
    extra: dict = field(default_factory=dict, compare=False)

    def refs(self) -> tuple[tuple[Article, ...], tuple[Article, ...]]:
        """The articles this page reads: (in full, by summary). With the templates and data the render records,
        this is everything a page depends on (see deps.py)."""
        if self.kind == "feed":
            return self.items, ()
        own = (self.article,) if self.article is not None else ()
        if self.kind == "article":
            neighbours = tuple(a for a in (self.newer, self.older) if a is not None)
            return own, self.related + neighbours
        return (), own + self.items
