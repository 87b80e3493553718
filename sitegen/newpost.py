"""`python build.py new TITLE`: start a draft article (or, with --page, a page) from an archetype: one per layout,
`templates/archetypes/<layout>.md` (article.md for articles, page.md for pages, unless --layout names another).

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
from .content import PAGES, ArticleError, kind_of, parse_article, slugify, split_front_matter
from .errors import Collector
from .schemas import Schemas

ARCHETYPES = "archetypes"  # under templates/
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
    """The component call as an editor writes it: component("price", "x") -> {{ price("x") }}."""
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

def parse_sets(items: list[str] | None) -> list[tuple[str, str]]:
    """['roles=a,b', 'cta=false'] -> [('roles', 'a,b'), ('cta', 'false')]; NewPostError for one without '='."""
    out = []
    for item in items or []:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise NewPostError([f"error: --set {item}: write FIELD=VALUE (a list as FIELD=a,b)"])
        out.append((name.strip(), value.strip()))
    return out


def _typed(value: str, spec: dict):
    """A --set value as the schema types the field: a list split on commas (blanks dropped, each once), a
    boolean, a number, else text."""
    kind = spec.get("type")
    if kind == "array":
        return list(dict.fromkeys(part.strip() for part in value.split(",") if part.strip()))
    if kind == "boolean" and value.lower() in ("true", "false"):
        return value.lower() == "true"
    if kind in ("integer", "number"):
        try:
            return int(value) if kind == "integer" else float(value)
        except ValueError:
            return value
    return value


def load_records(site: Path, schemas: Schemas, name: str, why: str) -> dict[str, dict]:
    """id -> record of data.<name> (a field's x-data-ref), read and validated as the build does."""
    from .sources import read_text

    problems = Collector()
    found = None
    for suffix in datafiles.SUFFIXES:
        rel = "data/" + name.replace(".", "/") + suffix
        if (site / rel).is_file():
            text = read_text(site / rel, rel, problems)
            if text is not None:
                found, more = datafiles.parse(text, rel, schemas)
                problems.extend(more)
            break
    else:
        raise NewPostError([f"error: {why} names keys of data.{name}, and there is no data/{name}.yaml (nothing written)"])
    if found is None or problems.problems:
        lines = [str(p) for p in sorted(set(problems.problems))]
        lines.append(f"error: data.{name} has problems; fix them before using {why} (nothing written)")
        raise NewPostError(lines)
    return {key: {**record, "id": key} if isinstance(record, dict) else record
            for key, record in datafiles.records(found.value).items()}


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


def _archetype_problem(exc: Exception, archetype: Path, rel: str) -> str:
    if isinstance(exc, jinja2.TemplateSyntaxError):
        return f"{rel}:{exc.lineno or 1}: template syntax error: {exc.message}"
    line, tb = 1, exc.__traceback__
    while tb is not None:
        if Path(tb.tb_frame.f_code.co_filename) == archetype:
            line = tb.tb_lineno
        tb = tb.tb_next
    kind = "undefined" if isinstance(exc, jinja2.UndefinedError) else "template error"
    return f"{rel}:{line}: {kind}: {exc}"


def render(site: Path, archetype_name: str, values: dict) -> str:
    templates = (site / "templates").resolve()
    rel = f"templates/{ARCHETYPES}/{archetype_name}.md"
    archetype = templates / ARCHETYPES / f"{archetype_name}.md"
    if not archetype.is_file():
        there = sorted(p.stem for p in (templates / ARCHETYPES).glob("*.md")) if (templates / ARCHETYPES).is_dir() else []
        raise NewPostError([f"error: {rel} not found: 'new' writes the file from that archetype "
                            f"(archetypes: {', '.join(there) or 'none'})"])
    try:
        template = environment(templates).get_template(f"{ARCHETYPES}/{archetype_name}.md")
        text = template.render(**values)
    except Exception as exc:  # any mistake in the archetype is reported as path:line, never a traceback
        raise NewPostError([_archetype_problem(exc, archetype, rel)]) from None
    return text.rstrip("\n") + "\n"


def new_article(site: Path, title: str, *, sets: list[tuple[str, str]] | None = None,
                category: str = DEFAULT_CATEGORY, slug: str | None = None, layout: str | None = None,
                page: bool = False, today: dt.date | None = None) -> str:
    """Write content/<slug>.md (with `page`, content/pages/<slug>.md) from the layout's archetype; returns its
    site-relative path. `sets`: (field, value) pairs for the front matter, typed by the schema; a field whose
    schema says x-data-ref must name keys of that data. Raises NewPostError."""
    title = " ".join(title.split())
    category = " ".join(category.split())
    if not title:
        raise NewPostError(["error: the title is empty"])
    if not category and not page:
        raise NewPostError(["error: --category is empty"])
    if slug is not None and not SLUG_RE.match(slug):
        raise NewPostError([f"error: --slug '{slug}': use lowercase letters, digits and single hyphens (like my-article)"])
    if layout is not None and not SLUG_RE.match(layout.replace("_", "-")):
        raise NewPostError([f"error: --layout '{layout}': a template name such as article or page"])
    slug = slug or slugify(title)
    rel = f"{PAGES}{slug}.md" if page else f"content/{slug}.md"
    target = site / rel
    if target.exists():
        raise NewPostError([f"error: {rel} already exists; choose another title or pass --slug"])
    owner = _slug_owners(site).get(slug)
    if owner is not None and not page:
        raise NewPostError([f"error: slug '{slug}' is already used by {owner}; choose another title or pass --slug"])

    schemas = Schemas.load(site)
    schema = schemas.get(kind_of(rel))
    properties = schema.value.get("properties") or {}
    refs = schema.refs()
    fields: dict = {}
    records: dict[str, dict] = {}
    for name, value in sets or []:
        if name not in properties:
            raise NewPostError([f"error: --set {name}: {schema.origin} has no field '{name}' "
                                f"(fields: {', '.join(sorted(properties))})"])
        fields[name] = _typed(value, properties[name])
        if name in refs:
            known = records.setdefault(refs[name], load_records(site, schemas, refs[name], f"--set {name}"))
            wanted = fields[name] if isinstance(fields[name], list) else [fields[name]]
            unknown = [k for k in wanted if k not in known]
            if unknown:
                raise NewPostError([f"error: --set {name}: unknown key '{k}' of data.{refs[name]} (it has: "
                                    f"{', '.join(known)})" for k in unknown])

    def chosen(data_name: str, keys) -> list[dict]:
        """The records of data.<name> with these keys, each with its `id` (for the archetype)."""
        known = records.get(data_name) or {}
        return [known[k] for k in keys if k in known]

    if today is None:
        from .options import today as build_today

        today = build_today()
    archetype = layout or ("page" if page else "article")
    values = {"title": title, "category": category, "date": today.isoformat(), "slug": slug, "fields": fields,
              "layout": layout, "records": chosen}
    text = render(site, archetype, values)
    try:
        parse_article(text, rel, schemas=schemas)  # the build's own checks: what `new` writes must build
    except ArticleError as exc:
        raise NewPostError([f"error: templates/{ARCHETYPES}/{archetype}.md produced an invalid file (nothing written):",
                            *(f"  {p}" for p in exc.problems)]) from None

    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        with open(target, "x", encoding="utf-8", newline="\n") as handle:  # "x": never overwrite, even in a race
            handle.write(text)
    except FileExistsError:
        raise NewPostError([f"error: {rel} already exists; choose another title or pass --slug"]) from None
    return rel
