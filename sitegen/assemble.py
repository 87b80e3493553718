"""Join articles to roles and to each other: cross-references, visibility, order, related reading. Pure."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from .errors import Problem
from .markdown_ext import BLOCK_COMPONENTS
from .model import Article, Component, Role, Site

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
class Options:
    drafts: bool = False
    future: bool = False
    today: dt.date = dt.date(1970, 1, 1)
    base_url: str | None = None  # overrides data/site.yaml's base_url (previews, audits)


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
    if c.name == "quick_answer" and "quick_answer" not in {k[0] for k in article.lines if k}:
        return ["quick_answer() needs a 'quick_answer:' field in the front matter"]
    if c.name in BLOCK_COMPONENTS and f"<p>{c.token}</p>" not in article.converted.html:
        return [f"component {c.name}() is a block: put it on a line of its own, with a blank line before and after"]
    messages = [f"component {c.name}(): {_unknown_role(r, roles)}" for r in role_args if r not in roles]
    if c.name == "role" and c.args[1] not in ROLE_FIELDS:
        messages.append(f"component role(): unknown field '{c.args[1]}' (fields: {', '.join(ROLE_FIELDS)})")
    return messages


def assemble(site: Site, roles: dict[str, Role], articles: list[Article], options: Options) -> tuple[Assembled | None, list[Problem]]:
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
        for index, role_id in enumerate(article.roles):
            if role_id not in roles:
                problems.append(Problem(article.path, article.lines.get(("roles", index), article.line_of("roles")),
                                        f"roles: {_unknown_role(role_id, roles)}"))
        for component in article.converted.components:
            for message in check_component(component, article, roles):
                problems.append(Problem(article.path, component.line, message))
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

    shown = sorted((a for a in articles if visible(a)), key=lambda a: (a.date, a.slug), reverse=True)
    by_slug = {a.slug: a for a in shown}
    related = {a.slug: _related(a, shown, by_slug) for a in shown}
    neighbours = {
        a.slug: (shown[i - 1] if i > 0 else None, shown[i + 1] if i + 1 < len(shown) else None)
        for i, a in enumerate(shown)
    }
    return Assembled(site, roles, tuple(shown), related, neighbours), []


def _related(article: Article, shown: list[Article], by_slug: dict[str, Article], limit: int = 3) -> tuple[Article, ...]:
    if article.related:
        return tuple(by_slug[s] for s in article.related if s in by_slug and s != article.slug)
    scored = []
    for other in shown:
        if other.slug == article.slug:
            continue
        score = 2 * len(set(article.roles) & set(other.roles)) + len(set(article.tags) & set(other.tags))
        if score:
            scored.append((-score, -other.date.toordinal(), other.slug, other))
    return tuple(item[-1] for item in sorted(scored)[:limit])
