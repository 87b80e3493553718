"""`python build.py new TITLE`: start a draft article from the archetype `templates/archetypes/article.md`.

The archetype is a Jinja template rendered without HTML escaping (it produces Markdown and YAML, not HTML). Every
front-matter value goes through the `yaml` filter, which writes a JSON string or list: JSON is valid YAML, so a
title with quotes, a colon or a `#` stays one string. The file it writes is checked with the build's own parser
before it is written, and an existing file is never overwritten.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from pathlib import Path
from typing import Any, Iterable

import jinja2

from . import data as datafiles
from . import yamlutil
from .content import ArticleError, parse_article, slugify, split_front_matter
from .errors import Collector
from .model import Role

ARCHETYPE = "archetypes/article.md"  # under templates/
ARCHETYPE_REL = f"templates/{ARCHETYPE}"
SLUG_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
DEFAULT_CATEGORY = "Hiring"


class NewPostError(Exception):
    """`new` refused: each line is printed as it is, nothing was written."""

    def __init__(self, lines: list[str]):
        super().__init__("\n".join(lines))
        self.lines = lines


# -- filters the archetype uses ----------------------------------------------------------------------------

# characters YAML does not accept literally (or folds into spaces) even inside a double-quoted string
_YAML_UNSAFE = re.compile("[\x7f-\x9f\u2028\u2029\ufeff\ud800-\udfff\ufffe\uffff]")


def yaml_value(value: Any) -> str:
    """A YAML-safe scalar or flow list: JSON (a JSON string is a valid YAML double-quoted string)."""
    text = json.dumps(value, ensure_ascii=False)
    return _YAML_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


_MD_SPECIAL = re.compile(r"([\\`*_\[\]])")


def markdown_text(value: Any) -> str:
    """Plain text that Markdown shows as it is: no raw HTML, no emphasis or links, no component calls."""
    text = " ".join(str(value).split())
    text = html.escape(text, quote=False).replace("{", "&#123;").replace("}", "&#125;")
    return _MD_SPECIAL.sub(r"\\\1", text)


_AN_ACRONYM = set("AEFHILMNORSX")  # letters whose name starts with a vowel sound: "an ML Engineer"


def indefinite(text: str) -> str:
    """'a Data Engineer', 'an AI Engineer', 'an ML Engineer', 'a UX Designer'."""
    word = text.split()[0] if text.split() else ""
    letters = word.lstrip("\\&#;0123456789")
    if len(word) > 1 and word.isupper():
        article = "an" if word[0] in _AN_ACRONYM else "a"
    else:
        article = "an" if letters[:1].lower() in ("a", "e", "i", "o", "u") else "a"
    return f"{article} {text}"


def plural(text: str) -> str:
    """'Data Engineer' -> 'Data Engineers', 'Data Analyst' -> 'Data Analysts', 'Secretary' -> 'Secretaries'."""
    if re.search(r"(s|x|z|ch|sh)$", text):
        return text + "es"
    if re.search(r"[^aeiou]y$", text):
        return text[:-1] + "ies"
    return text + "s"


def join_and(items: Iterable[str]) -> str:
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def component(name: str, *args: str) -> str:
    """The component call as an editor writes it: component("salary", "x") -> {{ salary("x") }}."""
    return "{{ " + name + "(" + ", ".join(json.dumps(a) for a in args) + ") }}"


def environment(templates_dir: Path) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir), encoding="utf-8"),
        autoescape=False,  # Markdown and YAML out, not HTML: the filters above do the escaping that matters
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(yaml=yaml_value, md=markdown_text, a=indefinite, plural=plural, join_and=join_and)
    env.globals.update(component=component)
    return env


# -- the command -------------------------------------------------------------------------------------------

def parse_role_ids(text: str | None) -> list[str]:
    """'a, b,a' -> ['a', 'b']: comma-separated, blanks dropped, first occurrence kept."""
    ids: list[str] = []
    for part in (text or "").split(","):
        part = part.strip()
        if part and part not in ids:
            ids.append(part)
    return ids


def load_roles(site: Path) -> dict[str, Role]:
    from .sources import read_text

    problems = Collector()
    text = read_text(site / datafiles.ROLES_FILE, datafiles.ROLES_FILE, problems)
    roles = None
    if text is not None:
        roles, found = datafiles.parse_roles(text)
        problems.extend(found)
    if roles is None or problems.problems:
        lines = [str(p) for p in sorted(set(problems.problems))]
        lines.append(f"error: {datafiles.ROLES_FILE} has problems; fix them before using --roles (nothing written)")
        raise NewPostError(lines)
    return roles


def _slug_owners(site: Path) -> dict[str, str]:
    """slug -> the article file that has it, for every readable article (broken ones are the build's business)."""
    from .sources import discover

    owners: dict[str, str] = {}
    for path in discover(site / "content", ".md"):
        rel = path.relative_to(site).as_posix()
        slug = slugify(path.stem)
        try:
            front, _body, _line = split_front_matter(path.read_text("utf-8-sig"), rel)
            meta, _lines = yamlutil.load(front)
        except (ArticleError, yamlutil.YamlSyntaxError, UnicodeDecodeError, OSError):
            meta = None
        if isinstance(meta, dict) and isinstance(meta.get("slug"), str) and meta["slug"]:
            slug = meta["slug"]
        owners.setdefault(slug, rel)
    return owners


def _archetype_problem(exc: Exception, archetype: Path) -> str:
    if isinstance(exc, jinja2.TemplateSyntaxError):
        return f"{ARCHETYPE_REL}:{exc.lineno or 1}: template syntax error: {exc.message}"
    line, tb = 1, exc.__traceback__
    while tb is not None:
        if Path(tb.tb_frame.f_code.co_filename) == archetype:
            line = tb.tb_lineno
        tb = tb.tb_next
    kind = "undefined" if isinstance(exc, jinja2.UndefinedError) else "template error"
    return f"{ARCHETYPE_REL}:{line}: {kind}: {exc}"


def render(site: Path, title: str, category: str, date: dt.date, roles: list[Role], slug: str) -> str:
    templates = (site / "templates").resolve()
    archetype = templates / ARCHETYPE
    if not archetype.is_file():
        raise NewPostError([f"error: {ARCHETYPE_REL} not found: 'new' writes the article from that archetype"])
    try:
        template = environment(templates).get_template(ARCHETYPE)
        text = template.render(title=title, category=category, date=date.isoformat(), slug=slug,
                               roles=roles, role_ids=[r.id for r in roles])
    except Exception as exc:  # any mistake in the archetype is reported as path:line, never a traceback
        raise NewPostError([_archetype_problem(exc, archetype)]) from None
    return text.rstrip("\n") + "\n"


def new_article(site: Path, title: str, *, role_ids: list[str] | None = None, category: str = DEFAULT_CATEGORY,
                slug: str | None = None, today: dt.date | None = None) -> str:
    """Write content/<slug>.md from the archetype; returns its site-relative path. Raises NewPostError."""
    title = " ".join(title.split())
    category = " ".join(category.split())
    role_ids = role_ids or []
    if not title:
        raise NewPostError(["error: the title is empty"])
    if not category:
        raise NewPostError(["error: --category is empty"])
    if slug is not None and not SLUG_RE.match(slug):
        raise NewPostError([f"error: --slug '{slug}': use lowercase letters, digits and single hyphens (like my-article)"])
    slug = slug or slugify(title)
    rel = f"content/{slug}.md"
    target = site / rel
    if target.exists():
        raise NewPostError([f"error: {rel} already exists; choose another title or pass --slug"])
    owner = _slug_owners(site).get(slug)
    if owner is not None:
        raise NewPostError([f"error: slug '{slug}' is already used by {owner}; choose another title or pass --slug"])

    roles: list[Role] = []
    if role_ids:
        known = load_roles(site)
        unknown = [r for r in role_ids if r not in known]
        if unknown:
            raise NewPostError([f"error: unknown role '{r}' ({datafiles.ROLES_FILE} has: {', '.join(known)})" for r in unknown])
        roles = [known[r] for r in role_ids]

    if today is None:
        from .options import today as build_today

        today = build_today()
    text = render(site, title, category, today, roles, slug)
    try:
        parse_article(text, rel)  # the build's own checks: what `new` writes must build
    except ArticleError as exc:
        raise NewPostError([f"error: {ARCHETYPE_REL} produced an invalid article (nothing written):",
                            *(f"  {p}" for p in exc.problems)]) from None

    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        with open(target, "x", encoding="utf-8", newline="\n") as handle:  # "x": never overwrite, even in a race
            handle.write(text)
    except FileExistsError:
        raise NewPostError([f"error: {rel} already exists; choose another title or pass --slug"]) from None
    return rel
