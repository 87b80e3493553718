"""Plan: every file the site emits (articles, pages, lists, taxonomies, collections, feed, sitemap, host files)."""

from __future__ import annotations

import math
from collections import defaultdict

from . import cardspec, datapages, images
from .assemble import Assembled, alias_url
from .content import slugify
from . import search
from .errors import BuildError, Problem
from .model import Article, Page
from .outpaths import unsafe_reason

FEED_SIZE = 20


def article_url(article: Article) -> str:
    return article.url


def category_url(name: str) -> str:
    return f"category/{slugify(name)}/"


def tag_url(name: str) -> str:
    return f"tag/{slugify(name)}/"


def paged_url(base: str, number: int) -> str:
    return base if number == 1 else f"{base}page/{number}/"


def out_file(url: str) -> str:
    return url + "index.html"


def newest(articles) -> object:
    return max(((a.updated or a.date) for a in articles), default=None)


def _listing(a: Assembled, base: str, kind: str, heading: str, description: str, articles: tuple[Article, ...],
             crumb: str | None = None) -> list[Page]:
    """A paginated list of articles at `base`, `base`page/2/, ..."""
    size = a.site.page_size
    total = max(1, math.ceil(len(articles) / size))
    pages = []
    for number in range(1, total + 1):
        chunk = articles[(number - 1) * size : number * size]
        url = paged_url(base, number)
        title = heading if number == 1 else f"{heading} (page {number} of {total})"
        pages.append(Page(url, out_file(url), "list.html", kind, title, description, items=chunk, lastmod=newest(chunk),
                          extra={"number": number, "total": total, "base": base, "heading": heading, "crumb": crumb}))
    return pages


def plan(a: Assembled) -> list[Page]:
    """Every page, in a stable order."""
    site = a.site
    pages = _listing(a, "", "index", site.title, site.description, a.articles)
    for article in a.articles:
        url = article_url(article)
        newer, older = a.neighbours[article.slug]
        pages.append(Page(url, out_file(url), f"{article.layout or 'article'}.html", "article", article.title,
                          article.description,
                          article=article, related=a.related[article.slug], newer=newer, older=older,
                          lastmod=article.updated or article.date))

    for page in a.pages:
        pages.append(Page(page.url, out_file(page.url), f"{page.layout or 'page'}.html", "page", page.title,
                          page.description, article=page, lastmod=page.updated or page.date))

    by_category: dict[str, list[Article]] = defaultdict(list)
    by_tag: dict[str, list[Article]] = defaultdict(list)
    for article in a.articles:
        by_category[article.category].append(article)
        for tag in article.tags:
            by_tag[tag].append(article)
    for name in sorted(by_category):
        pages += _listing(a, category_url(name), "category", name, f"Articles in the category {name}.",
                          tuple(by_category[name]), crumb="Categories")
    for name in sorted(by_tag):
        pages += _listing(a, tag_url(name), "tag", f"Tagged {name}", f"Articles tagged {name}.", tuple(by_tag[name]),
                          crumb="Tags")

    try:
        pages += datapages.plan(site.settings, a.data, a.articles)
    except datapages.CollectionError as exc:
        raise BuildError(exc.problems) from None

    for article in a.articles + a.pages:
        for alias in article.aliases:
            url = alias_url(alias)
            pages.append(Page(url, out_file(url) if url.endswith("/") else url, "redirect.html", "redirect",
                              article.title, article.description, article=article))

    pages += search.pages(a)  # search hook: the /search/ page, when the theme has templates/search.html
    pages.append(Page("404.html", "404.html", "404.html", "404", "Page not found",
                      "The page you asked for does not exist."))
    pages.append(Page("feed.xml", "feed.xml", "feed.xml", "feed", site.title, site.description,
                      items=a.articles[:FEED_SIZE]))
    if a.cards:  # cards hook: a social card for each article, page and record, and the site's (sitegen/cardspec.py)
        pages = cardspec.with_cards(pages, site.title, site.description)
    return pages + site_files(a, pages)


def site_files(a: Assembled, pages: list[Page]) -> list[Page]:
    """Files derived from the other pages: sitemap, robots.txt, and the static hosts' own files."""
    entries = tuple((p.url, p.lastmod) for p in pages
                    if (p.lastmod is not None or p.kind in ALWAYS_MAPPED) and p.kind not in ("redirect", "404"))
    redirects = tuple((p.url, article_url(p.article)) for p in pages if p.kind == "redirect" and p.article)
    return [
        Page("sitemap.xml", "sitemap.xml", "sitemap.xml", "sitemap", "", "", extra={"entries": entries}),
        Page("robots.txt", "robots.txt", "robots.txt", "robots", "", ""),
        Page("_redirects", "_redirects", "_redirects", "redirects", "", "", extra={"redirects": redirects}),
        Page("_headers", "_headers", "_headers", "headers", "", ""),
    ]


ALWAYS_MAPPED = frozenset({"page", "record", "records"})  # in the sitemap even without a date
FIXED_KINDS = frozenset({"index", "404", "feed", "sitemap", "robots", "redirects", "headers", "records"})


def origin(page: Page, data=None) -> tuple[str, int, str]:
    """The source file, line and field a page's address comes from, for a problem with that address."""
    art = page.article
    if page.kind == "redirect" and art is not None:
        for index, alias in enumerate(art.aliases):
            if alias_url(alias) == page.url:
                return art.path, art.lines.get(("aliases", index), art.line_of("aliases")), f"aliases: '{alias}'"
    if page.kind == "article" and art is not None:
        return art.path, art.line_of("slug") if ("slug",) in art.lines else 1, f"slug '{art.slug}'"
    if page.kind in ("category", "tag") and page.items:
        first = page.items[0]
        if page.kind == "category":
            return first.path, first.line_of("category"), f"category '{first.category}'"
        name = page.extra.get("heading", "").removeprefix("Tagged ")
        index = first.tags.index(name) if name in first.tags else 0
        return first.path, first.lines.get(("tags", index), first.line_of("tags")), f"tags: '{name}'"
    if page.kind == "page" and art is not None:
        return art.path, 1, f"page {art.path.removeprefix('content/')}"
    if page.kind == cardspec.KIND and art is not None:
        return art.path, 1, f"the social card of {art.path.removeprefix('content/')}"
    if page.kind == images.KIND and "source" in page.extra:
        return page.extra["source"], 1, f"image {page.extra['source']}"
    if page.kind == "record" and page.record is not None and data is not None:
        name, _, key = page.record.partition("/")
        return (*data.record_line(name, key), f"collection {page.extra['collection']} id '{key}'")
    return f"templates/{page.template}", 1, f"page {page.url!r}"


def output_problems(pages: list[Page], static_outputs: dict[str, str], data=None) -> list[Problem]:
    """Every page's output path passes the writer's own check (write.unsafe_reason), and no two files share one;
    each problem names the source field the path came from. `static_outputs`: output path -> static/ source."""
    problems = []
    taken: dict[str, str] = {out: f"static/{rel}" for rel, out in static_outputs.items()}
    # the site's own files first: a page whose address a source field chose is the one reported for a clash
    for page in sorted(pages, key=lambda p: p.kind not in FIXED_KINDS):
        reason = unsafe_reason(page.output)
        if reason is None and page.output not in taken:
            taken[page.output] = page.url
            continue
        path, line, field = origin(page, data)
        if reason is not None:
            problems.append(Problem(path, line, f"{field} would be written to {page.output!r}, outside the site's "
                                                f"pages: {reason}"))
        else:
            problems.append(Problem(path, line, f"{field} would be written to {page.output!r}, which another page "
                                                f"({taken[page.output] or '/'}) is already written to"))
    return problems
