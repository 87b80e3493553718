"""The template context of each kind of page, and its structured data (JSON-LD)."""

from __future__ import annotations

import re
from typing import Any

from markupsafe import Markup

from . import formats
from .assemble import Assembled
from .model import Article
from .pages import article_url, category_url, paged_url, role_url, tag_url
from .render import Page, Renderer, faq_entries

ROOT_LINK_RE = re.compile(r'(<(?:a|img|source|link)\b[^>]*?\s(?:href|src))="/(?!/)')


def rebase_links(html: str, prefix: str) -> str:
    """Root-relative links written in Markdown ('/blog/x/') point under the base path, or absolute in feeds."""
    return html if prefix == "/" else ROOT_LINK_RE.sub(lambda m: f'{m.group(1)}="{prefix}', html)


def card(a: Assembled, article: Article) -> dict[str, Any]:
    return {"article": article, "url": article_url(article), "category_url": category_url(article.category),
            "minutes": formats.reading_minutes(article.converted.words, a.site.words_per_minute)}


def organisation(a: Assembled) -> dict[str, Any]:
    return {"@type": "Organization", "name": a.site.organisation_name, "url": a.site.organisation_url}


def breadcrumb_ld(a: Assembled, crumbs: list[dict[str, str]]) -> dict[str, Any]:
    return {
        "@context": "https://schema.org",
        "@type": "BreadcrumbList",
        "itemListElement": [
            {"@type": "ListItem", "position": i, "name": c["title"], "item": a.site.base_url + c["url"]}
            for i, c in enumerate(crumbs, 1)
        ],
    }


def article_ld(a: Assembled, page: Page, faq: list[dict[str, str]], faq_on: bool) -> list[dict[str, Any]]:
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
        "author": {"@type": "Person", "name": art.author} if art.author else organisation(a),
        "publisher": organisation(a),
        "mainEntityOfPage": {"@type": "WebPage", "@id": absolute},
        "url": absolute,
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


def article_body(a: Assembled, renderer: Renderer, article: Article, prefix: str) -> str:
    body, _quick = renderer.article_body(article)
    return rebase_links(str(body), prefix)


def context(a: Assembled, renderer: Renderer, page: Page) -> dict[str, Any]:
    """What every template receives (page, canonical, crumbs, json_ld), plus its kind's own values."""
    site = a.site
    ctx: dict[str, Any] = {"page": page, "canonical": site.base_url + page.url, "json_ld": [], "crumbs": []}
    kind = page.kind
    if kind in ("index", "category", "tag"):
        number, total, base = page.extra["number"], page.extra["total"], page.extra["base"]
        ctx["articles"] = [card(a, art) for art in page.items]
        ctx["heading"] = page.extra["heading"]
        ctx["pagination"] = {
            "number": number, "total": total,
            "newer": paged_url(base, number - 1) if number > 1 else None,
            "older": paged_url(base, number + 1) if number < total else None,
        }
        if kind != "index":
            ctx["crumbs"] = [{"title": "Blog", "url": ""}, {"title": page.extra["heading"], "url": base}]
            ctx["json_ld"] = [breadcrumb_ld(a, ctx["crumbs"])]
    elif kind == "article":
        art = page.article
        assert art is not None
        body, _quick = renderer.article_body(art)
        faq = faq_entries(art, str(body))
        faq_on = site.faq_schema if art.faq_schema is None else art.faq_schema
        newer, older = a.neighbours[art.slug]
        crumbs = [{"title": "Blog", "url": ""}, {"title": art.category, "url": category_url(art.category)},
                  {"title": art.title, "url": page.url}]
        ctx.update(
            article=art,
            body=Markup(rebase_links(str(body), site.base_path)),
            faq=faq,
            minutes=formats.reading_minutes(art.converted.words, site.words_per_minute),
            category_url=category_url(art.category),
            tags=[{"name": t, "url": tag_url(t)} for t in art.tags],
            roles=[{"role": a.roles[r], "url": role_url(r)} for r in art.roles],
            related=[card(a, r) for r in a.related[art.slug]],
            newer=card(a, newer) if newer else None,
            older=card(a, older) if older else None,
            show_cta=art.cta and not any(c.name == "cta" for c in art.converted.components),
            crumbs=crumbs,
            json_ld=article_ld(a, page, faq, faq_on) + [breadcrumb_ld(a, crumbs)],
        )
    elif kind == "roles":
        ctx["roles_list"] = [{"role": r, "url": role_url(r.id)} for r in page.extra["roles"]]
        ctx["crumbs"] = [{"title": "Blog", "url": ""}, {"title": "Roles", "url": page.url}]
        ctx["json_ld"] = [breadcrumb_ld(a, ctx["crumbs"])]
    elif kind == "role":
        ctx["role"] = page.role
        ctx["articles"] = [card(a, art) for art in page.items]
        ctx["crumbs"] = [{"title": "Blog", "url": ""}, {"title": "Roles", "url": "roles/"},
                         {"title": page.title, "url": page.url}]
        ctx["json_ld"] = [breadcrumb_ld(a, ctx["crumbs"])]
    elif kind == "redirect":
        assert page.article is not None
        ctx["target"] = article_url(page.article)
        ctx["canonical"] = site.base_url + article_url(page.article)
    elif kind == "feed":
        ctx["entries"] = [
            {"article": art, "url": site.base_url + article_url(art),
             "content": article_body(a, renderer, art, site.base_url).replace(
                 'href="#', f'href="{site.base_url}{article_url(art)}#')}
            for art in page.items
        ]
        ctx["updated"] = max(((art.updated or art.date) for art in page.items), default=None)
    elif kind in ("sitemap", "redirects"):
        ctx.update(page.extra)
    return ctx
