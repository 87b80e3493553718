"""Plan: every file the site emits (articles, lists, taxonomies, role pages, feed, sitemap, host files). Pure."""

from __future__ import annotations

import math
from collections import defaultdict

from .assemble import Assembled, alias_url
from .content import slugify
from .model import Article, Page

FEED_SIZE = 20


def article_url(article: Article) -> str:
    return f"blog/{article.slug}/"


def category_url(name: str) -> str:
    return f"category/{slugify(name)}/"


def tag_url(name: str) -> str:
    return f"tag/{slugify(name)}/"


def role_url(role_id: str) -> str:
    return f"roles/{role_id}/"


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
        pages.append(Page(url, out_file(url), "article.html", "article", article.title, article.description,
                          article=article, related=a.related[article.slug], newer=newer, older=older,
                          lastmod=article.updated or article.date))

    by_category: dict[str, list[Article]] = defaultdict(list)
    by_tag: dict[str, list[Article]] = defaultdict(list)
    by_role: dict[str, list[Article]] = defaultdict(list)
    for article in a.articles:
        by_category[article.category].append(article)
        for tag in article.tags:
            by_tag[tag].append(article)
        for role_id in article.roles:
            by_role[role_id].append(article)
    for name in sorted(by_category):
        pages += _listing(a, category_url(name), "category", name, f"Articles in the category {name}.",
                          tuple(by_category[name]), crumb="Categories")
    for name in sorted(by_tag):
        pages += _listing(a, tag_url(name), "tag", f"Tagged {name}", f"Articles tagged {name}.", tuple(by_tag[name]),
                          crumb="Tags")

    roles = sorted(a.roles.values(), key=lambda r: r.title.lower())
    pages.append(Page("roles/", "roles/index.html", "roles.html", "roles", "Roles we hire for",
                      f"Salaries, job postings, responsibilities and skills for {len(roles)} roles.",
                      lastmod=max((r.as_of for r in roles), default=None)))
    for role in roles:
        url = role_url(role.id)
        comparing = tuple(by_role.get(role.id, ()))
        lastmod = max([role.as_of] + [(x.updated or x.date) for x in comparing])
        pages.append(Page(url, out_file(url), "role.html", "role", role.title, role.summary, role=role, items=comparing,
                          lastmod=lastmod))

    for article in a.articles:
        for alias in article.aliases:
            url = alias_url(alias)
            pages.append(Page(url, out_file(url) if url.endswith("/") else url, "redirect.html", "redirect",
                              article.title, article.description, article=article))

    pages.append(Page("404.html", "404.html", "404.html", "404", "Page not found",
                      "The page you asked for does not exist."))
    pages.append(Page("feed.xml", "feed.xml", "feed.xml", "feed", site.title, site.description,
                      items=a.articles[:FEED_SIZE]))
    return pages + site_files(a, pages)


def site_files(a: Assembled, pages: list[Page]) -> list[Page]:
    """Files derived from the other pages: sitemap, robots.txt, and the static hosts' own files."""
    entries = tuple((p.url, p.lastmod) for p in pages if p.lastmod is not None and p.kind not in ("redirect", "404"))
    redirects = tuple((p.url, article_url(p.article)) for p in pages if p.kind == "redirect" and p.article)
    return [
        Page("sitemap.xml", "sitemap.xml", "sitemap.xml", "sitemap", "", "", extra={"entries": entries}),
        Page("robots.txt", "robots.txt", "robots.txt", "robots", "", ""),
        Page("_redirects", "_redirects", "_redirects", "redirects", "", "", extra={"redirects": redirects}),
        Page("_headers", "_headers", "_headers", "headers", "", ""),
    ]
