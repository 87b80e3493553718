"""The template context of each kind of page, and its structured data (JSON-LD)."""

from __future__ import annotations

import re
from typing import Any

import jinja2
from markupsafe import Markup

from . import datapages, formats
from .model import Article, Page, Site
from .pages import article_url, category_url, paged_url, tag_url
from .render import Renderer


ROOT_LINK_RE = re.compile(r'(<(?:a|img|source|link)\b[^>]*?\s(?:href|src))="/(?!/)')


def rebase_links(html: str, prefix: str) -> str:
    """Root-relative links written in Markdown ('/blog/x/') point under the base path, or absolute in feeds."""
    return html if prefix == "/" else ROOT_LINK_RE.sub(lambda m: f'{m.group(1)}="{prefix}', html)


def card(site: Site, article: Article) -> dict[str, Any]:
    return {"article": article, "url": article_url(article), "category_url": category_url(article.category),
            "minutes": formats.reading_minutes(article.converted.words, site.words_per_minute)}


def organisation(site: Site) -> dict[str, Any]:
    """The publisher: `organisation:` of the settings, else the site itself."""
    org = site.get("organisation") or {}
    return {"@type": "Organization", "name": org.get("name", site.title), "url": org.get("url", site.base_url)}


def breadcrumb_ld(site: Site, crumbs: list[dict[str, str]]) -> dict[str, Any]:
    return {
        "@context": "https://schema.org",
        "@type": "BreadcrumbList",
        "itemListElement": [
            {"@type": "ListItem", "position": i, "name": c["title"], "item": site.base_url + c["url"]}
            for i, c in enumerate(crumbs, 1)
        ],
    }


def article_ld(site: Site, page: Page, faq: list[dict[str, str]], faq_on: bool) -> list[dict[str, Any]]:
    art = page.article
    assert art is not None
    absolute = site.base_url + page.url
    graph: list[dict[str, Any]] = [{
        "@context": "https://schema.org",
        "@type": "BlogPosting",
        "headline": art.title,
        "description": art.description,
        "datePublished": art.date.isoformat(),
        "dateModified": (art.updated or art.date).isoformat(),
        "author": {"@type": "Person", "name": art.author} if art.author else organisation(site),
        "publisher": organisation(site),
        "mainEntityOfPage": {"@type": "WebPage", "@id": absolute},
        "url": absolute,
        "articleSection": art.category,
        "keywords": ", ".join(art.tags),
        "inLanguage": site.language,
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


CARD_SIZE = (1200, 630)  # cardspec.WIDTH, HEIGHT (not imported: contexts stays free of the cards' modules)


def card_of(renderer: Renderer, page: Page) -> dict[str, Any] | None:
    """The page's social card for og:image and twitter:image: its own card or the site's (planned by
    cardspec.with_cards, in page.extra["card"]), or the image its front matter gives (`image:`), or None."""
    site = renderer.site
    image = page.get("image") if page.article is not None else None
    if image:  # the lead image: its largest variant, or (an SVG, published as it is) the file without a size
        src, width, height = str(image), None, None
        try:
            largest = renderer.env.globals["image"](src).largest
            src, width, height = largest["src"], largest["width"], largest["height"]
        except jinja2.TemplateRuntimeError:  # not a raster under static/images/ (the rules have checked it exists)
            src = renderer.env.globals["asset"](src.lstrip("/"))
        return {"url": site.base_url + src.removeprefix(site.base_path), "width": width, "height": height,
                "alt": page.get("image_alt") or page.title}
    url = page.extra.get("card")
    if url is None:
        return None
    return {"url": site.base_url + url, "width": CARD_SIZE[0], "height": CARD_SIZE[1], "alt": page.title or site.title}


def context(renderer: Renderer, page: Page) -> dict[str, Any]:
    """What every template receives (page, canonical, crumbs, json_ld, card), plus its kind's own values."""
    site = renderer.site
    ctx: dict[str, Any] = {"page": page, "canonical": site.base_url + page.url, "json_ld": [], "crumbs": [],
                           "card": card_of(renderer, page)}
    kind = page.kind
    if kind in ("index", "category", "tag"):
        number, total, base = page.extra["number"], page.extra["total"], page.extra["base"]
        ctx["articles"] = [card(site, art) for art in page.items]
        ctx["heading"] = page.extra["heading"]
        ctx["pagination"] = {
            "number": number, "total": total,
            "newer": paged_url(base, number - 1) if number > 1 else None,
            "older": paged_url(base, number + 1) if number < total else None,
        }
        if kind != "index":
            ctx["crumbs"] = [{"title": "Blog", "url": ""}, {"title": page.extra["heading"], "url": base}]
            ctx["json_ld"] = [breadcrumb_ld(site, ctx["crumbs"])]
    elif kind in ("article", "page"):
        assert page.article is not None
        art = renderer.complete(page.article)
        body, fields, faq = renderer.article_parts(art)
        ctx.update(article=art, body=Markup(rebase_links(str(body), site.base_path)), faq=faq,
                   markdown={name: Markup(rebase_links(str(html), site.base_path)) for name, html in fields.items()},
                   minutes=formats.reading_minutes(art.converted.words, site.words_per_minute))
        if kind == "article":
            faq_on = site.faq_schema if art.faq_schema is None else art.faq_schema
            newer, older = page.newer, page.older
            crumbs = [{"title": "Blog", "url": ""}, {"title": art.category, "url": category_url(art.category)},
                      {"title": art.title, "url": page.url}]
            ctx.update(
                category_url=category_url(art.category),
                tags=[{"name": t, "url": tag_url(t)} for t in art.tags],
                related=[card(site, r) for r in page.related],
                newer=card(site, newer) if newer else None,
                older=card(site, older) if older else None,
                crumbs=crumbs,
                json_ld=article_ld(site, page, faq, faq_on) + [breadcrumb_ld(site, crumbs)],
            )
    elif kind == "records":
        spec = site.settings["collections"][page.extra["collection"]]
        found = datapages.view(renderer.data, spec["data"])
        ordered = sorted(datapages.view_records(found).items(), key=datapages.sort_key(spec.get("sort")))
        ctx["items"] = [{"id": key, "item": item, "url": datapages.record_url(site.settings, renderer.data, page.extra["collection"], key)}
                        for key, item in ordered]
        ctx["crumbs"] = [{"title": "Blog", "url": ""}, {"title": page.extra["crumb"], "url": page.url}]
        ctx["json_ld"] = [breadcrumb_ld(site, ctx["crumbs"])]
    elif kind == "record":
        spec = site.settings["collections"][page.extra["collection"]]
        key = page.extra["id"]
        ctx["id"] = key
        ctx["item"] = datapages.view_records(datapages.view(renderer.data, spec["data"]), key)[key]
        ctx["articles"] = [card(site, art) for art in page.items]
        crumbs = [{"title": "Blog", "url": ""}]
        if page.extra.get("index") is not None:
            crumbs.append({"title": page.extra["crumb"], "url": page.extra["index"].lstrip("/")})
        ctx["crumbs"] = crumbs + [{"title": page.title, "url": page.url}]
        ctx["json_ld"] = [breadcrumb_ld(site, ctx["crumbs"])]
    elif kind == "redirect":
        assert page.article is not None
        ctx["target"] = article_url(page.article)
        ctx["canonical"] = site.base_url + article_url(page.article)
    elif kind == "feed":
        ctx["entries"] = [
            {"article": art, "url": site.base_url + article_url(art),
             "content": rebase_links(str(renderer.article_body(art)[0]), site.base_url).replace(
                 'href="#', f'href="{site.base_url}{article_url(art)}#')}
            for art in page.items
        ]
        ctx["updated"] = max(((art.updated or art.date) for art in page.items), default=None)
    elif kind in ("sitemap", "redirects"):
        ctx.update(page.extra)
    return ctx
