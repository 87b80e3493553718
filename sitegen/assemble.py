"""Join articles to data and to each other: cross-references, visibility, order, related reading. Pure."""

from __future__ import annotations

import hashlib
import heapq
from collections import Counter
from dataclasses import dataclass
from typing import Protocol

import orjson

from .components import Components
from .content import kind_of, slim
from .data import DataSet
from .errors import Problem
from .images import ImageSet, image_problems
from .model import Article, Site, shown
from .options import Options
from .schemas import Schemas

@dataclass(frozen=True)
class Assembled:
    site: Site
    data: DataSet
    articles: tuple[Article, ...]  # visible blog articles, newest first
    pages: tuple[Article, ...]  # visible standalone pages (content/pages/), by path
    related: dict[str, tuple[Article, ...]]  # slug -> related articles
    neighbours: dict[str, tuple[Article | None, Article | None]]  # slug -> (newer, older)
    layouts: frozenset[str] = frozenset()  # the theme's top-level templates (components.layouts); search.page reads it
    cards: bool = False  # the theme has a card template (templates/card.yaml): pages.plan adds the social cards


def alias_url(alias: str) -> str:
    """An old URL from `aliases:` as a site-relative URL: '/old/path' -> 'old/path/', '/old.html' stays a file."""
    path = alias.strip().strip("/")
    return path if "." in path.rsplit("/", 1)[-1] else path + "/"


class Rules:
    """What an article's own checks read besides the article: the data its x-data-ref fields name (their keys),
    the components (their signatures) and the layouts. `ident` is equal while every check would say the same, so
    checks found once are kept in the store under it."""

    def __init__(self, schemas: Schemas, data: DataSet, components: Components, layouts: frozenset[str],
                 images: ImageSet | None = None):
        self.fields = {kind: schemas.get(kind).refs() for kind in ("article", "page")}
        targets = sorted({t for refs in self.fields.values() for t in refs.values()})
        self.keys = {t: data.keys(t) for t in targets}
        self.files = {t: data.get(t).rel for t in targets if data.get(t) is not None}
        self.components = components
        self.layouts = layouts
        self.images = images if images is not None else ImageSet({})
        self.ident = hashlib.blake2b(orjson.dumps([sorted(self.fields.items()), sorted(self.keys.items()),
                                                   components.ident, sorted(layouts), self.images.ident]),
                                     digest_size=16).hexdigest()

    def ref_problems(self, article: Article) -> list[Problem]:
        problems = []
        for field, target in self.fields[kind_of(article.path)].items():
            value = article.fields.get(field)
            values = [value] if isinstance(value, str) else value if isinstance(value, list) else []
            keys = self.keys.get(target)
            for index, key in enumerate(values):
                line = article.lines.get((field, index), article.line_of(field)) if not isinstance(value, str) \
                    else article.line_of(field)
                if keys is None:
                    problems.append(Problem(article.path, line, f"{field}: there is no data.{target} for '{key}' "
                                                                f"to name (the schema's x-data-ref says data.{target})"))
                elif str(key) not in keys:
                    problems.append(Problem(article.path, line, f"{field}: unknown key '{key}' of data.{target} "
                                                                f"({self.files[target]} has: {', '.join(keys)})"))
        return problems

    def layout_problem(self, article: Article) -> Problem | None:
        layout = article.layout or ("page" if article.section == "pages" else "article")
        if layout in self.layouts:
            return None
        line = article.line_of("layout") if article.layout else 1
        said = f"layout '{layout}'" if article.layout else f"the default layout '{layout}' (no layout: given)"
        return Problem(article.path, line, f"{said} is not a template: there is no templates/{layout}.html "
                                           f"(layouts: {', '.join(sorted(self.layouts)) or 'none'})")


def article_problems(article: Article, rules: Rules) -> list[Problem]:
    """What one article gets wrong on its own: unknown data keys, component calls that do not fit, a layout
    that is not there."""
    problems = rules.ref_problems(article)
    layout = rules.layout_problem(article)
    if layout is not None:
        problems.append(layout)
    for component in article.converted.components:
        for message in rules.components.call_problems(component):
            problems.append(Problem(article.path, component.line, message))
    return problems + image_problems(article, rules.images)


def checked_slim(article: Article, rules: Rules) -> tuple[Article, list[Problem]]:
    """A complete article's own problems, found before it is slimmed (content.slim drops what they are read from),
    and the slim copy to keep. assemble() trusts slim articles to have been checked here."""
    return slim(article), article_problems(article, rules)


class RelatedMemo(Protocol):
    """Where assemble() keeps the last related reading it worked out (sitegen.store.RelatedMemo)."""

    def related(self, key: str) -> list | None: ...

    def remember_related(self, key: str, value: list) -> None: ...


def assemble(site: Site, data: DataSet, rules: Rules, everything: list[Article], options: Options,
             checked: dict[str, list[Problem]] | None = None,
             memo: RelatedMemo | None = None) -> tuple[Assembled | None, list[Problem]]:
    """`checked`: article_problems() of the slim articles (content.slim), found before they were slimmed. `memo`:
    related reading for the same articles is taken from there instead of worked out again."""
    problems: list[Problem] = []
    seen: dict[str, Article] = {}
    articles = [a for a in everything if a.section == "blog"]
    all_slugs = {a.slug for a in articles}
    addresses = {a.url: a for a in everything}
    for article in sorted(everything, key=lambda a: a.path):
        if article.section == "blog" and article.slug in seen:
            problems.append(Problem(article.path, article.line_of("slug") if article.lines.get(("slug",)) else 1,
                                    f"slug '{article.slug}' is already used by {seen[article.slug].path}"))
        elif article.section == "blog":
            seen[article.slug] = article
        if article.complete:
            problems.extend(article_problems(article, rules))
        elif checked:
            problems.extend(checked.get(article.path, ()))
        for index, alias in enumerate(article.aliases):
            key = alias_url(alias)
            line = article.lines.get(("aliases", index), article.line_of("aliases"))
            if key in addresses:
                problems.append(Problem(article.path, line, f"aliases: '{alias}' is already the address of {addresses[key].path}"))
            else:
                addresses[key] = article
        for index, slug in enumerate(article.related):
            if slug not in all_slugs:
                problems.append(Problem(article.path, article.lines.get(("related", index), article.line_of("related")),
                                        f"related: no article has the slug '{slug}'"))
    if problems:
        return None, problems

    def visible(a: Article) -> bool:
        return (options.drafts or not a.draft) and (options.future or a.date is None or a.date <= options.today)

    listed = sorted((a for a in articles if visible(a)), key=lambda a: (a.date, a.slug), reverse=True)
    pages = tuple(sorted((a for a in everything if a.section == "pages" and visible(a)), key=lambda a: a.path))
    by_slug = {a.slug: a for a in listed}
    related = (_related_memo(listed, by_slug, memo, site.words_per_minute) if memo is not None
               else _related_all(listed, by_slug))
    neighbours = {
        a.slug: (listed[i - 1] if i > 0 else None, listed[i + 1] if i + 1 < len(listed) else None)
        for i, a in enumerate(listed)
    }
    return Assembled(site, data, tuple(listed), pages, related, neighbours, rules.layouts), []


NEARBY = 10  # per shared data record or tag, the candidates nearest in date on each side


def related_key(articles: list[Article], words_per_minute: int, limit: int = 3) -> str:
    """Equal for inputs on which _related_all() gives the same answer: what other pages are shown of each article
    (model.shown, which holds everything _related_all() reads), in order, its limits and its own code."""
    code = _related_all.__code__
    h = hashlib.blake2b(orjson.dumps([limit, NEARBY, code.co_code.hex(), repr(code.co_consts)]), digest_size=20)
    h.update(orjson.dumps([shown(a, words_per_minute) for a in articles]))
    return h.hexdigest()


def _related_memo(visible: list[Article], by_slug: dict[str, Article], memo: RelatedMemo,
                  words_per_minute: int) -> dict[str, tuple[Article, ...]]:
    """_related_all() through the memo: a warm build of 4,000 articles spends 0.15 s working it out, 5 % of the
    build, for the answer it got last time. A stored answer that does not fit these articles is worked out again."""
    key = related_key(visible, words_per_minute)
    stored = memo.related(key)
    if isinstance(stored, list) and len(stored) == len(visible):
        try:
            return {a.slug: tuple(by_slug[s] for s in slugs) for a, slugs in zip(visible, stored, strict=True)}
        except (KeyError, TypeError):
            pass
    related = _related_all(visible, by_slug)
    memo.remember_related(key, [[b.slug for b in related[a.slug]] for a in visible])
    return related


def _related_all(shown: list[Article], by_slug: dict[str, Article], limit: int = 3) -> dict[str, tuple[Article, ...]]:
    """Related reading for every article: its `related:` list when given, else the articles naming the most of the
    same data records in x-data-ref fields (2 points each: the same roles, say) and sharing the most tags (1 point
    each), newest first on ties, then by slug. Candidates are, for each record and
    tag the article has, the NEARBY articles either side of it in date order: exact for small sites, linear time for
    large ones."""
    groups: dict[tuple[str, str], list[str]] = {}  # data record or tag -> slugs, newest first
    position: dict[str, dict[tuple[str, str], int]] = {}  # slug -> its index in each of its groups
    for article in shown:  # newest first
        at = position[article.slug] = {}
        for key in [("ref", r) for r in article.refs] + [("tag", t) for t in article.tags]:
            members = groups.setdefault(key, [])
            at[key] = len(members)
            members.append(article.slug)
    # the tie order as one number: newest first, then slug; a candidate's rank is (-points, this)
    ties = sorted(shown, key=lambda a: (-a.date.toordinal(), a.slug))
    order = {a.slug: i for i, a in enumerate(ties)}
    span = len(ties) + 1
    related = {}
    for article in shown:
        slug = article.slug
        if article.related:
            related[slug] = tuple(by_slug[s] for s in article.related if s in by_slug and s != slug)
            continue
        scores: Counter[str] = Counter()
        at = position[slug]
        for key, points in [(("ref", r), 2) for r in set(article.refs)] + [(("tag", t), 1) for t in set(article.tags)]:
            i = at[key]
            nearby = groups[key][max(0, i - NEARBY) : i + NEARBY + 1]
            for _ in range(points):
                scores.update(nearby)  # counted in C: a point for each
        del scores[slug]
        best = heapq.nsmallest(limit, [order[other] - points * span for other, points in scores.items()])
        related[slug] = tuple(ties[rank % span] for rank in best)
    return related
