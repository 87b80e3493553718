"""Join articles to roles and to each other: cross-references, visibility, order, related reading. Pure."""

from __future__ import annotations

import hashlib
import heapq
from collections import Counter
from dataclasses import dataclass
from typing import Protocol

import orjson

from .content import slim
from .errors import Problem
from .markdown_ext import BLOCK_COMPONENTS
from .model import Article, Component, Role, Site, shown
from .options import Options

ROLE_FIELDS = ("title", "summary", "source", "as_of", "job_postings", "median_base", "currency")
# component name -> (min args, max args or None, what the arguments are)
ARITY = {
    "salary": (1, 1, '("role-id")'),
    "postings": (1, 1, '("role-id")'),
    "salary_gap": (2, 2, '("higher-role-id", "lower-role-id")'),
    "role": (2, 2, '("role-id", "field")'),
    "responsibilities": (1, 1, '("role-id")'),
    "skills": (1, 1, '("role-id")'),
    "salary_table": (0, None, '("role-id", ...) or ()'),
    "quick_answer": (0, 0, "()"),
    "cta": (0, 0, "()"),
}


@dataclass(frozen=True)
class Assembled:
    site: Site
    roles: dict[str, Role]
    articles: tuple[Article, ...]  # visible, newest first
    related: dict[str, tuple[Article, ...]]  # slug -> related articles
    neighbours: dict[str, tuple[Article | None, Article | None]]  # slug -> (newer, older)


def alias_url(alias: str) -> str:
    """An old URL from `aliases:` as a site-relative URL: '/old/path' -> 'old/path/', '/old.html' stays a file."""
    path = alias.strip().strip("/")
    return path if "." in path.rsplit("/", 1)[-1] else path + "/"


def _unknown_role(role_id: str, roles: dict[str, Role]) -> str:
    return f"unknown role '{role_id}' (data/roles.yaml has: {', '.join(roles)})"


def check_component(c: Component, article: Article, roles: dict[str, Role]) -> list[str]:
    low, high, shape = ARITY[c.name]
    if len(c.args) < low or (high is not None and len(c.args) > high):
        return [f"component {c.name}() takes {shape}, got {len(c.args)} argument{'s' if len(c.args) != 1 else ''}"]
    role_args = c.args[:1] if c.name == "role" else c.args
    if c.name == "salary_table" and not c.args and not article.roles:
        return ["salary_table() without role ids needs 'roles:' in the front matter"]
    if c.name == "quick_answer" and ("quick_answer",) not in article.lines:
        return ["quick_answer() needs a 'quick_answer:' field in the front matter"]
    if c.name in BLOCK_COMPONENTS and not c.block:
        return [f"component {c.name}() is a block: put it on a line of its own, with a blank line before and after"]
    messages = [f"component {c.name}(): {_unknown_role(r, roles)}" for r in role_args if r not in roles]
    if c.name == "role" and c.args[1] not in ROLE_FIELDS:
        messages.append(f"component role(): unknown field '{c.args[1]}' (fields: {', '.join(ROLE_FIELDS)})")
    return messages


def article_problems(article: Article, roles: dict[str, Role]) -> list[Problem]:
    """What one article gets wrong on its own: unknown role ids, component calls that do not fit."""
    problems = []
    for index, role_id in enumerate(article.roles):
        if role_id not in roles:
            problems.append(Problem(article.path, article.lines.get(("roles", index), article.line_of("roles")),
                                    f"roles: {_unknown_role(role_id, roles)}"))
    for component in article.converted.components:
        for message in check_component(component, article, roles):
            problems.append(Problem(article.path, component.line, message))
    return problems


def checked_slim(article: Article, roles: dict[str, Role]) -> tuple[Article, list[Problem]]:
    """A complete article's own problems, found before it is slimmed (content.slim drops what they are read from),
    and the slim copy to keep. assemble() trusts slim articles to have been checked here."""
    return slim(article), article_problems(article, roles)


class RelatedMemo(Protocol):
    """Where assemble() keeps the last related reading it worked out (sitegen.store.RelatedMemo)."""

    def related(self, key: str) -> list | None: ...

    def remember_related(self, key: str, value: list) -> None: ...


def assemble(site: Site, roles: dict[str, Role], articles: list[Article], options: Options,
             checked: dict[str, list[Problem]] | None = None,
             memo: RelatedMemo | None = None) -> tuple[Assembled | None, list[Problem]]:
    """`checked`: article_problems() of the slim articles (content.slim), found before they were slimmed. `memo`:
    related reading for the same articles is taken from there instead of worked out again."""
    problems: list[Problem] = []
    seen: dict[str, Article] = {}
    all_slugs = {a.slug for a in articles}
    addresses = {f"blog/{a.slug}/": a for a in articles}
    for article in sorted(articles, key=lambda a: a.path):
        if article.slug in seen:
            problems.append(Problem(article.path, article.line_of("slug") if article.lines.get(("slug",)) else 1,
                                    f"slug '{article.slug}' is already used by {seen[article.slug].path}"))
        else:
            seen[article.slug] = article
        if article.complete:
            problems.extend(article_problems(article, roles))
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
        return (options.drafts or not a.draft) and (options.future or a.date <= options.today)

    listed = sorted((a for a in articles if visible(a)), key=lambda a: (a.date, a.slug), reverse=True)
    by_slug = {a.slug: a for a in listed}
    related = (_related_memo(listed, by_slug, memo, site.words_per_minute) if memo is not None
               else _related_all(listed, by_slug))
    neighbours = {
        a.slug: (listed[i - 1] if i > 0 else None, listed[i + 1] if i + 1 < len(listed) else None)
        for i, a in enumerate(listed)
    }
    return Assembled(site, roles, tuple(listed), related, neighbours), []


NEARBY = 10  # per shared role or tag, the candidates nearest in date on each side


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
    """Related reading for every article: its `related:` list when given, else the articles sharing the most roles
    (2 points each) and tags (1 point each), newest first on ties, then by slug. Candidates are, for each role and
    tag the article has, the NEARBY articles either side of it in date order: exact for small sites, linear time for
    large ones."""
    groups: dict[tuple[str, str], list[str]] = {}  # role or tag -> slugs, newest first
    position: dict[str, dict[tuple[str, str], int]] = {}  # slug -> its index in each of its groups
    for article in shown:  # newest first
        at = position[article.slug] = {}
        for key in [("role", r) for r in article.roles] + [("tag", t) for t in article.tags]:
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
        for key, points in [(("role", r), 2) for r in set(article.roles)] + [(("tag", t), 1) for t in set(article.tags)]:
            i = at[key]
            nearby = groups[key][max(0, i - NEARBY) : i + NEARBY + 1]
            for _ in range(points):
                scores.update(nearby)  # counted in C: a point for each
        del scores[slug]
        best = heapq.nsmallest(limit, [order[other] - points * span for other, points in scores.items()])
        related[slug] = tuple(ties[rank % span] for rank in best)
    return related
