"""Plan: the list of pages a site emits, and the template context of each. Pure functions of the assembly."""

from __future__ import annotations

import math
from typing import Any

from . import formats
from .assemble import Assembled
from .model import Article
from .render import Page, Renderer, faq_entries


def article_url(article: Article) -> str:
    return f"blog/{article.slug}/"


def index_url(number: int) -> str:
    return "" if number == 1 else f"page/{number}/"


def out_file(url: str) -> str:
    return url + "index.html"


def plan(a: Assembled) -> list[Page]:
    """Every page, in a stable order."""
    pages: list[Page] = []
    size = a.site.page_size
    total = max(1, math.ceil(len(a.articles) / size))
    for number in range(1, total + 1):
        chunk = a.articles[(number - 1) * size : number * size]
        url = index_url(number)
        title = a.site.title if number == 1 else f"{a.site.title} (page {number} of {total})"
        pages.append(Page(url, out_file(url), "index.html", "index", title, a.site.description, items=chunk,
                          extra={"number": number, "total": total}))
    for article in a.articles:
        url = article_url(article)
        pages.append(Page(url, out_file(url), "article.html", "article", article.title, article.description, article=article))
    return pages


def _crumbs(a: Assembled, page: Page) -> list[dict[str, str]]:
    crumbs = [{"title": "Blog", "url": ""}]
    if page.article is not None:
        crumbs.append({"title": page.article.category, "url": ""})
        crumbs.append({"title": page.article.title, "url": page.url})
    return crumbs


def _organisation(a: Assembled) -> dict[str, Any]:
    return {"@type": "Organization", "name": a.site.organisation_name, "url": a.site.organisation_url}


def article_json_ld(a: Assembled, page: Page, faq: list[dict[str, str]], faq_on: bool) -> list[dict[str, Any]]:
    art = page.article
    assert art is not None
    absolute = a.site.base_url + page.url
    graph: list[dict[str, Any]] = [{
        "@context": "https://schema.org",
        "@type": "BlogPosting",
        "headline": art.title,
        "description": art.description,
        "datePublished": art.date.isoformat(),
        "dateModified": (art.updated or art.date).isoformat(),
        "author": {"@type": "Person", "name": art.author} if art.author else _organisation(a),
        "publisher": _organisation(a),
        "mainEntityOfPage": {"@type": "WebPage", "@id": absolute},
        "articleSection": art.category,
        "keywords": ", ".join(art.tags),
        "inLanguage": a.site.language,
    }]
    if faq_on and faq:
        graph.append({
            "@context": "https://schema.org",
            "@type": "FAQPage",
            "mainEntity": [
                {"@type": "Question", "name": e["question"], "acceptedAnswer": {"@type": "Answer", "text": e["answer"]}}
                for e in faq
            ],
        })
    return graph


def context(a: Assembled, renderer: Renderer, page: Page) -> dict[str, Any]:
    """The template context of one page: what every template receives, plus its kind's own values."""
    ctx: dict[str, Any] = {
        "page": page,
        "canonical": a.site.base_url + page.url,
        "json_ld": [],
        "crumbs": _crumbs(a, page),
    }
    if page.kind == "index":
        ctx["articles"] = [
            {"article": art, "url": article_url(art),
             "minutes": formats.reading_minutes(art.converted.words, a.site.words_per_minute)}
            for art in page.items
        ]
        number, total = page.extra["number"], page.extra["total"]
        ctx["pagination"] = {
            "number": number, "total": total,
            "newer": index_url(number - 1) if number > 1 else None,
            "older": index_url(number + 1) if number < total else None,
        }
    elif page.kind == "article":
        art = page.article
        assert art is not None
        body, quick = renderer.article_body(art)
        faq = faq_entries(art, body)
        faq_on = a.site.faq_schema if art.faq_schema is None else art.faq_schema
        newer, older = a.neighbours[art.slug]
        ctx.update(
            article=art,
            body=body,
            faq=faq,
            minutes=formats.reading_minutes(art.converted.words, a.site.words_per_minute),
            related=[{"article": r, "url": article_url(r)} for r in a.related[art.slug]],
            newer={"article": newer, "url": article_url(newer)} if newer else None,
            older={"article": older, "url": article_url(older)} if older else None,
            show_cta=art.cta and not any(c.name == "cta" for c in art.converted.components),
            json_ld=article_json_ld(a, page, faq, faq_on),
        )
    return ctx
